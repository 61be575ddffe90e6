package http

import (
	"context"
	"net/url"
	"strconv"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// The vendor's routes: organizations, codes, vouchers, serial numbers,
// upgrades and revocation. Their handlers run for a vendor's principal
// only, with its ID as the author of what they record (P5).

type createOrganizationRequest struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func createOrganization(c *call, in *createOrganizationRequest) (none, error) {
	return none{}, c.s.portal.CreateOrganization(c.ctx(), in.ID, in.Name)
}

// CreateOrganization creates an organization, as
// portal.Portal.CreateOrganization does. The vendor's only.
func (c *Client) CreateOrganization(ctx context.Context, id, name string) error {
	return call0(ctx, c, "CreateOrganization", createOrganizationRequest{ID: id, Name: name})
}

// page is one page of a vendor's listing.
type page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"` // the after of the next page; empty on the last
}

// listing serves one of the portal's listings.
func listing[T any](list func(*portal.Portal, context.Context, string, int) ([]T, string, error)) func(*call, *none) (page[T], error) {
	return func(c *call, _ *none) (page[T], error) {
		limit, err := c.limit()
		if err != nil {
			return page[T]{}, err
		}
		items, next, err := list(c.s.portal, c.ctx(), c.r.URL.Query().Get("after"), limit)
		return page[T]{Items: items, Next: next}, err
	}
}

// listPage calls a listing.
func listPage[T any](ctx context.Context, c *Client, op, after string, limit int) ([]T, string, error) {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if after != "" {
		q.Set("after", after)
	}
	p, err := do[page[T]](ctx, c, op, nil, q)
	return p.Items, p.Next, err
}

// Organizations lists the organizations, as portal.Portal.Organizations
// does. The vendor's only.
func (c *Client) Organizations(ctx context.Context, after string, limit int) ([]portal.OrgSummary, string, error) {
	return listPage[portal.OrgSummary](ctx, c, "ListOrganizations", after, limit)
}

// ActivationCodes lists the activation codes, as
// portal.Portal.ActivationCodes does. The vendor's only.
func (c *Client) ActivationCodes(ctx context.Context, after string, limit int) ([]portal.ActivationCode, string, error) {
	return listPage[portal.ActivationCode](ctx, c, "ListActivationCodes", after, limit)
}

// Serials lists the serial numbers, as portal.Portal.Serials does. The
// vendor's only.
func (c *Client) Serials(ctx context.Context, after string, limit int) ([]portal.Serial, string, error) {
	return listPage[portal.Serial](ctx, c, "ListSerials", after, limit)
}

// Vouchers lists the vouchers, as portal.Portal.Vouchers does. The
// vendor's only.
func (c *Client) Vouchers(ctx context.Context, after string, limit int) ([]portal.Voucher, string, error) {
	return listPage[portal.Voucher](ctx, c, "ListVouchers", after, limit)
}

// UpgradeNotices lists the upgrade notices, as
// portal.Portal.UpgradeNotices does. The vendor's only.
func (c *Client) UpgradeNotices(ctx context.Context, after string, limit int) ([]portal.UpgradeNotice, string, error) {
	return listPage[portal.UpgradeNotice](ctx, c, "ListUpgradeNotices", after, limit)
}

type issueCodesRequest struct {
	Template license.License `json:"template"`
	N        int             `json:"n"`
	Limit    int             `json:"limit"` // how many devices may redeem each code
}

type issueRequest struct {
	Template license.License `json:"template"`
	N        int             `json:"n"`
}

// issued is what an Issue route made.
type issued struct {
	Issued []string `json:"issued"`
}

func issueActivationCodes(c *call, in *issueCodesRequest) (issued, error) {
	codes, err := c.s.portal.IssueActivationCodes(c.ctx(), in.Template, in.N, in.Limit)
	return issued{codes}, err
}

// issueWith serves IssueSerials or IssueVouchers.
func issueWith(issue func(*portal.Portal, context.Context, license.License, int) ([]string, error)) func(*call, *issueRequest) (issued, error) {
	return func(c *call, in *issueRequest) (issued, error) {
		ids, err := issue(c.s.portal, c.ctx(), in.Template, in.N)
		return issued{ids}, err
	}
}

// IssueActivationCodes makes n activation codes of template, each for up
// to limit devices, as portal.Portal.IssueActivationCodes does. The
// vendor's only.
func (c *Client) IssueActivationCodes(ctx context.Context, template license.License, n, limit int) ([]string, error) {
	out, err := do[issued](ctx, c, "IssueActivationCodes", issueCodesRequest{Template: template, N: n, Limit: limit}, nil)
	return out.Issued, err
}

// IssueSerials makes n serial numbers of template, as
// portal.Portal.IssueSerials does. The vendor's only.
func (c *Client) IssueSerials(ctx context.Context, template license.License, n int) ([]string, error) {
	out, err := do[issued](ctx, c, "IssueSerials", issueRequest{Template: template, N: n}, nil)
	return out.Issued, err
}

// IssueVouchers makes n vouchers of template, as
// portal.Portal.IssueVouchers does. The vendor's only.
func (c *Client) IssueVouchers(ctx context.Context, template license.License, n int) ([]string, error) {
	out, err := do[issued](ctx, c, "IssueVouchers", issueRequest{Template: template, N: n}, nil)
	return out.Issued, err
}

type issueUpgradeRequest struct {
	Org         string   `json:"org"`
	From        string   `json:"from"` // the license ID upgraded
	Products    []string `json:"products"`
	MaxQuantity int      `json:"max_quantity"`
}

type upgradeNotice struct {
	ID string `json:"id"` // the notification ID
}

func issueUpgrade(c *call, in *issueUpgradeRequest) (upgradeNotice, error) {
	id, err := c.s.portal.IssueUpgrade(c.ctx(), in.Org, in.From, in.Products, in.MaxQuantity)
	return upgradeNotice{id}, err
}

// IssueUpgrade offers organization org an upgrade of its license
// fromLicenseID and returns the notification ID, as
// portal.Portal.IssueUpgrade does. The vendor's only.
func (c *Client) IssueUpgrade(ctx context.Context, org, fromLicenseID string, products []string, maxQuantity int) (string, error) {
	out, err := do[upgradeNotice](ctx, c, "IssueUpgrade",
		issueUpgradeRequest{Org: org, From: fromLicenseID, Products: products, MaxQuantity: maxQuantity}, nil)
	return out.ID, err
}

type revokeRequest struct {
	Reason string `json:"reason"`
}

func revoke(c *call, in *revokeRequest) (none, error) {
	return none{}, c.s.portal.Revoke(c.ctx(), c.path("license"), in.Reason)
}

// Revoke revokes license licenseID for good, as portal.Portal.Revoke
// does. The vendor's only.
func (c *Client) Revoke(ctx context.Context, licenseID, reason string) error {
	return call0(ctx, c, "Revoke", revokeRequest{Reason: reason}, licenseID)
}
