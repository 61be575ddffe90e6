package http

import (
	"context"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// An organization's license groups (G1, G2).

type createGroupRequest struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func createGroup(c *call, in *createGroupRequest) (none, error) {
	return none{}, c.org().CreateGroup(c.ctx(), in.ID, in.Name)
}

// CreateGroup creates an empty license group, as
// portal.OrgScope.CreateGroup does.
func (o *OrgClient) CreateGroup(ctx context.Context, id, name string) error {
	return orgCall0(ctx, o, "CreateGroup", createGroupRequest{ID: id, Name: name})
}

// groupView is portal.GroupView with the API's field names.
type groupView struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	Licenses []groupLicense `json:"licenses"`
	Devices  []string       `json:"devices"`
	Unplaced []string       `json:"unplaced"`
	Next     time.Time      `json:"next,omitzero"`
}

type groupLicense struct {
	License *license.License `json:"license"`
	Valid   bool             `json:"valid"`
	Devices []groupSeat      `json:"devices"`
	Units   int              `json:"units"`
	Used    int              `json:"used"`
}

type groupSeat struct {
	Device string `json:"device"`
	Units  int    `json:"units"`
}

func getGroup(c *call, _ *none) (groupView, error) {
	g, err := c.org().Group(c.ctx(), c.path("group"))
	return groupView{ID: g.ID, Name: g.Name, Devices: g.Devices, Unplaced: g.Unplaced, Next: g.Next,
		Licenses: convert(g.Licenses, func(l portal.GroupLicense) groupLicense {
			return groupLicense{License: l.License, Valid: l.Valid, Units: l.Units, Used: l.Used,
				Devices: convert(l.Devices, func(d portal.GroupSeat) groupSeat { return groupSeat(d) })}
		})}, err
}

// Group shows a license group, as portal.OrgScope.Group does.
func (o *OrgClient) Group(ctx context.Context, id string) (portal.GroupView, error) {
	g, err := orgDo[groupView](ctx, o, "GetGroup", nil, id)
	return portal.GroupView{ID: g.ID, Name: g.Name, Devices: g.Devices, Unplaced: g.Unplaced, Next: g.Next,
		Licenses: convert(g.Licenses, func(l groupLicense) portal.GroupLicense {
			return portal.GroupLicense{License: l.License, Valid: l.Valid, Units: l.Units, Used: l.Used,
				Devices: convert(l.Devices, func(d groupSeat) portal.GroupSeat { return portal.GroupSeat(d) })}
		})}, err
}

type groupLicenseRequest struct {
	License string `json:"license"`
}

func addToGroup(c *call, in *groupLicenseRequest) (none, error) {
	return none{}, c.org().AddToGroup(c.ctx(), c.path("group"), in.License)
}

func removeFromGroup(c *call, _ *none) (none, error) {
	return none{}, c.org().RemoveFromGroup(c.ctx(), c.path("group"), c.path("license"))
}

// AddToGroup puts a license of the key storage into a group, as
// portal.OrgScope.AddToGroup does.
func (o *OrgClient) AddToGroup(ctx context.Context, groupID, licenseID string) error {
	return orgCall0(ctx, o, "AddToGroup", groupLicenseRequest{License: licenseID}, groupID)
}

// RemoveFromGroup takes a license out of a group, as
// portal.OrgScope.RemoveFromGroup does.
func (o *OrgClient) RemoveFromGroup(ctx context.Context, groupID, licenseID string) error {
	return orgCall0(ctx, o, "RemoveFromGroup", nil, groupID, licenseID)
}

type groupDevicesRequest struct {
	Devices []string `json:"devices"` // fingerprints
}

func joinGroup(c *call, in *groupDevicesRequest) (none, error) {
	return none{}, c.org().JoinGroup(c.ctx(), c.path("group"), in.Devices...)
}

func leaveGroup(c *call, in *groupDevicesRequest) (none, error) {
	return none{}, c.org().LeaveGroup(c.ctx(), c.path("group"), in.Devices...)
}

func rebalance(c *call, _ *none) (none, error) {
	return none{}, c.org().Rebalance(c.ctx(), c.path("group"))
}

// JoinGroup makes devices members of a group, as
// portal.OrgScope.JoinGroup does.
func (o *OrgClient) JoinGroup(ctx context.Context, groupID string, fingerprints ...string) error {
	return orgCall0(ctx, o, "JoinGroup", groupDevicesRequest{Devices: fingerprints}, groupID)
}

// LeaveGroup takes devices out of a group, as portal.OrgScope.LeaveGroup
// does.
func (o *OrgClient) LeaveGroup(ctx context.Context, groupID string, fingerprints ...string) error {
	return orgCall0(ctx, o, "LeaveGroup", groupDevicesRequest{Devices: fingerprints}, groupID)
}

// Rebalance runs a group's placement now, as portal.OrgScope.Rebalance
// does.
func (o *OrgClient) Rebalance(ctx context.Context, groupID string) error {
	return orgCall0(ctx, o, "Rebalance", nil, groupID)
}
