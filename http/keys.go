package http

import (
	"context"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// An organization's key storage (D1, D2) and what it keeps on each
// license (V3).

// keyUsage is portal.KeyUsage with the API's field names.
type keyUsage struct {
	License        *license.License  `json:"license"`
	Key            string            `json:"key"`
	AutoDistribute bool              `json:"auto_distribute,omitempty"`
	Group          string            `json:"group,omitempty"`
	Shared         []string          `json:"shared,omitempty"`
	Custom         map[string]string `json:"custom,omitempty"`
	Application    string            `json:"application"`
	Devices        int               `json:"devices"`
	Used           int               `json:"used"`
	Billable       int               `json:"billable"`
	Level          string            `json:"level,omitempty"`
}

func listKeys(c *call, _ *none) ([]keyUsage, error) {
	keys, err := c.org().Keys(c.ctx())
	return convert(keys, func(k portal.KeyUsage) keyUsage { return keyUsage(k) }), err
}

// Keys lists the key storage with each key's usage, as
// portal.OrgScope.Keys does.
func (o *OrgClient) Keys(ctx context.Context) ([]portal.KeyUsage, error) {
	keys, err := orgDo[[]keyUsage](ctx, o, "ListKeys", nil)
	return convert(keys, func(k keyUsage) portal.KeyUsage { return portal.KeyUsage(k) }), err
}

type addKeyRequest struct {
	Key            string `json:"key"`
	AutoDistribute bool   `json:"auto_distribute,omitempty"`
}

func addKey(c *call, in *addKeyRequest) (*license.License, error) {
	return c.org().AddKey(c.ctx(), in.Key, portal.KeyOptions{AutoDistribute: in.AutoDistribute})
}

// AddKey verifies a license key and adds it to the key storage, as
// portal.OrgScope.AddKey does.
func (o *OrgClient) AddKey(ctx context.Context, key string, opts portal.KeyOptions) (*license.License, error) {
	return orgDo[*license.License](ctx, o, "AddKey", addKeyRequest{Key: key, AutoDistribute: opts.AutoDistribute})
}

func removeKey(c *call, _ *none) (none, error) {
	return none{}, c.org().RemoveKey(c.ctx(), c.path("license"))
}

// RemoveKey removes a license from the key storage, as
// portal.OrgScope.RemoveKey does.
func (o *OrgClient) RemoveKey(ctx context.Context, id string) error {
	return orgCall0(ctx, o, "RemoveKey", nil, id)
}

type customDataRequest struct {
	Value string `json:"value"`
}

func setCustomData(c *call, in *customDataRequest) (none, error) {
	return none{}, c.org().SetCustomData(c.ctx(), c.path("license"), c.path("name"), in.Value)
}

func deleteCustomData(c *call, _ *none) (none, error) {
	return none{}, c.org().DeleteCustomData(c.ctx(), c.path("license"), c.path("name"))
}

// SetCustomData sets the organization's data entry key to value on a
// license, as portal.OrgScope.SetCustomData does.
func (o *OrgClient) SetCustomData(ctx context.Context, licenseID, key, value string) error {
	return orgCall0(ctx, o, "SetCustomData", customDataRequest{Value: value}, licenseID, key)
}

// DeleteCustomData deletes a data entry of a license, as
// portal.OrgScope.DeleteCustomData does.
func (o *OrgClient) DeleteCustomData(ctx context.Context, licenseID, key string) error {
	return orgCall0(ctx, o, "DeleteCustomData", nil, licenseID, key)
}

func shareKey(c *call, _ *none) (none, error) {
	return none{}, c.org().ShareKey(c.ctx(), c.path("license"), c.path("person"))
}

func unshareKey(c *call, _ *none) (none, error) {
	return none{}, c.org().UnshareKey(c.ctx(), c.path("license"), c.path("person"))
}

// ShareKey shares a license with a person, as portal.OrgScope.ShareKey
// does.
func (o *OrgClient) ShareKey(ctx context.Context, licenseID, with string) error {
	return orgCall0(ctx, o, "ShareKey", nil, licenseID, with)
}

// UnshareKey stops sharing a license with a person, as
// portal.OrgScope.UnshareKey does.
func (o *OrgClient) UnshareKey(ctx context.Context, licenseID, with string) error {
	return orgCall0(ctx, o, "UnshareKey", nil, licenseID, with)
}
