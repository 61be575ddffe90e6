package http

import (
	"context"

	"github.com/licensekit/license/portal"
)

// An organization's devices (D3) and the seats its devices and users hold
// (D4–D6).

func listDevices(c *call, _ *none) ([]portal.Device, error) { return c.org().Devices(c.ctx()) }

func listUnactivatedDevices(c *call, _ *none) ([]portal.Device, error) {
	return c.org().UnactivatedDevices(c.ctx())
}

// Devices lists the organization's devices, as portal.OrgScope.Devices
// does.
func (o *OrgClient) Devices(ctx context.Context) ([]portal.Device, error) {
	return orgDo[[]portal.Device](ctx, o, "ListDevices", nil)
}

// UnactivatedDevices lists the devices on which no application is
// activated, as portal.OrgScope.UnactivatedDevices does.
func (o *OrgClient) UnactivatedDevices(ctx context.Context) ([]portal.Device, error) {
	return orgDo[[]portal.Device](ctx, o, "ListUnactivatedDevices", nil)
}

func registerDevice(c *call, in *portal.Device) (portal.Device, error) {
	return c.org().RegisterDevice(c.ctx(), *in)
}

// RegisterDevice registers a device, or updates the one with its
// fingerprint, as portal.OrgScope.RegisterDevice does.
func (o *OrgClient) RegisterDevice(ctx context.Context, d portal.Device) (portal.Device, error) {
	return orgDo[portal.Device](ctx, o, "RegisterDevice", d)
}

func removeDevice(c *call, _ *none) (none, error) {
	return none{}, c.org().RemoveDevice(c.ctx(), c.path("device"))
}

// RemoveDevice removes a device, as portal.OrgScope.RemoveDevice does.
func (o *OrgClient) RemoveDevice(ctx context.Context, fingerprint string) error {
	return orgCall0(ctx, o, "RemoveDevice", nil, fingerprint)
}

type assignSeatRequest struct {
	License string `json:"license"`
	Device  string `json:"device"` // the device's fingerprint
}

func assignSeat(c *call, in *assignSeatRequest) (portal.Seat, error) {
	return c.org().AssignSeat(c.ctx(), in.License, in.Device)
}

func releaseSeat(c *call, _ *none) (none, error) {
	return none{}, c.org().ReleaseSeat(c.ctx(), c.path("license"), c.path("device"))
}

// AssignSeat gives a device a seat of a license, as
// portal.OrgScope.AssignSeat does.
func (o *OrgClient) AssignSeat(ctx context.Context, licenseID, fingerprint string) (portal.Seat, error) {
	return orgDo[portal.Seat](ctx, o, "AssignSeat", assignSeatRequest{License: licenseID, Device: fingerprint})
}

// ReleaseSeat releases a device's seat of a license, as
// portal.OrgScope.ReleaseSeat does.
func (o *OrgClient) ReleaseSeat(ctx context.Context, licenseID, fingerprint string) error {
	return orgCall0(ctx, o, "ReleaseSeat", nil, licenseID, fingerprint)
}

type assignUserRequest struct {
	License string `json:"license"`
	User    string `json:"user"`
}

func assignUser(c *call, in *assignUserRequest) (portal.Seat, error) {
	return c.org().AssignUser(c.ctx(), in.License, in.User)
}

func releaseUser(c *call, _ *none) (none, error) {
	return none{}, c.org().ReleaseUser(c.ctx(), c.path("license"), c.path("user"))
}

// AssignUser gives a user a seat of a per-user license, as
// portal.OrgScope.AssignUser does.
func (o *OrgClient) AssignUser(ctx context.Context, licenseID, user string) (portal.Seat, error) {
	return orgDo[portal.Seat](ctx, o, "AssignUser", assignUserRequest{License: licenseID, User: user})
}

// ReleaseUser releases a user's seat of a license, as
// portal.OrgScope.ReleaseUser does.
func (o *OrgClient) ReleaseUser(ctx context.Context, licenseID, user string) error {
	return orgCall0(ctx, o, "ReleaseUser", nil, licenseID, user)
}
