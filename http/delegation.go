package http

import (
	"context"
	"time"

	"github.com/licensekit/license/portal"
)

// Delegation to channel partners (V4).

func listDelegations(c *call, _ *none) ([]portal.Delegation, error) {
	return c.org().Delegations(c.ctx())
}

// Delegations lists the organization's delegations, as
// portal.OrgScope.Delegations does.
func (o *OrgClient) Delegations(ctx context.Context) ([]portal.Delegation, error) {
	return orgDo[[]portal.Delegation](ctx, o, "ListDelegations", nil)
}

func delegate(c *call, _ *none) (none, error) {
	return none{}, c.org().Delegate(c.ctx(), c.path("partner"))
}

func undelegate(c *call, _ *none) (none, error) {
	return none{}, c.org().Undelegate(c.ctx(), c.path("partner"))
}

// Delegate invites a partner to manage the organization's licenses, as
// portal.OrgScope.Delegate does.
func (o *OrgClient) Delegate(ctx context.Context, partner string) error {
	return orgCall0(ctx, o, "Delegate", nil, partner)
}

// Undelegate withdraws a delegation or an invitation, as
// portal.OrgScope.Undelegate does.
func (o *OrgClient) Undelegate(ctx context.Context, partner string) error {
	return orgCall0(ctx, o, "Undelegate", nil, partner)
}

// invitation is portal.Invitation with the API's field names.
type invitation struct {
	Customer string    `json:"customer"`
	Since    time.Time `json:"since"`
}

func listInvitations(c *call, _ *none) ([]invitation, error) {
	inv, err := c.org().Invitations(c.ctx())
	return convert(inv, func(v portal.Invitation) invitation { return invitation(v) }), err
}

// Invitations lists the invitations the organization received as a
// partner, as portal.OrgScope.Invitations does.
func (o *OrgClient) Invitations(ctx context.Context) ([]portal.Invitation, error) {
	inv, err := orgDo[[]invitation](ctx, o, "ListInvitations", nil)
	return convert(inv, func(v invitation) portal.Invitation { return portal.Invitation(v) }), err
}

func acceptDelegation(c *call, _ *none) (none, error) {
	return none{}, c.org().AcceptDelegation(c.ctx(), c.path("customer"))
}

func declineDelegation(c *call, _ *none) (none, error) {
	return none{}, c.org().DeclineDelegation(c.ctx(), c.path("customer"))
}

// AcceptDelegation accepts a customer's invitation, as
// portal.OrgScope.AcceptDelegation does.
func (o *OrgClient) AcceptDelegation(ctx context.Context, customer string) error {
	return orgCall0(ctx, o, "AcceptDelegation", nil, customer)
}

// DeclineDelegation declines a customer's invitation, as
// portal.OrgScope.DeclineDelegation does.
func (o *OrgClient) DeclineDelegation(ctx context.Context, customer string) error {
	return orgCall0(ctx, o, "DeclineDelegation", nil, customer)
}

// listCustomers serves portal.Portal.Customers for the organization in
// the path: an organization's actor asks for its own organization only,
// and any other gets the answer of a missing one (W3); the vendor may ask
// for any.
func listCustomers(c *call, _ *none) ([]string, error) {
	org := c.path("org")
	actor := c.p.Actor
	if c.p.Vendor {
		actor.Org = org
	} else if actor.Org != org {
		return nil, portal.ErrNoAccess
	}
	return c.s.portal.Customers(c.ctx(), actor)
}

// Customers lists the customers that delegated to the organization, as
// portal.Portal.Customers does for one of its actors.
func (o *OrgClient) Customers(ctx context.Context) ([]string, error) {
	return orgDo[[]string](ctx, o, "ListCustomers", nil)
}
