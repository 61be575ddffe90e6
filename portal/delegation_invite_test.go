package portal_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// Delegating to an organization that does not exist looks the same to the
// customer as delegating to one that does: the same answer, the same
// pending invitation (V4).
func TestDelegation_V4_DelegateDoesNotTellWhetherThePartnerExists(t *testing.T) {
	h := newPortalHarness(t)
	errReal := h.as("acme").Delegate(h.ctx, "reseller")
	errGhost := h.as("globex").Delegate(h.ctx, "ghost")
	require.NoError(t, errReal)
	assert.Equal(t, errReal, errGhost)

	real, err := h.as("acme").Delegations(h.ctx)
	require.NoError(t, err)
	ghost, err := h.as("globex").Delegations(h.ctx)
	require.NoError(t, err)
	require.Len(t, real, 1)
	require.Len(t, ghost, 1)
	assert.Equal(t, portal.Delegation{Partner: "reseller", Since: day("2026-01-01"), Pending: true}, real[0])
	assert.Equal(t, portal.Delegation{Partner: "ghost", Since: day("2026-01-01"), Pending: true}, ghost[0])
	hist := histAll(t, h, "acme")
	assert.Equal(t, "delegation.invite", hist[len(hist)-1].Action)
}

// A delegation is an invitation: the partner reaches nothing of the
// customer until one of its members accepts it; then it manages the
// customer's licenses (V4).
func TestDelegation_V4_PartnerReachesTheCustomerOnlyOnceItAccepts(t *testing.T) {
	h := newPortalHarness(t)
	mustAddKey(t, h, "acme", h.key(seatsLicense("SN-A1", 10)))
	require.NoError(t, h.as("acme").Delegate(h.ctx, "reseller"))

	_, err := asPartner(h, "acme").Keys(h.ctx)
	require.ErrorIs(t, err, portal.ErrNoAccess, "a pending invitation grants nothing")
	assert.Empty(t, customers(t, h, resellerBob))

	inv, err := h.as("reseller").Invitations(h.ctx)
	require.NoError(t, err)
	assert.Equal(t, []portal.Invitation{{Customer: "acme", Since: day("2026-01-01")}}, inv)
	empty, err := h.as("globex").Invitations(h.ctx)
	require.NoError(t, err)
	assert.Empty(t, empty, "an organization sees only the invitations made to it")

	h.at(day("2026-01-02"))
	require.NoError(t, h.p.Org(resellerBob, "reseller").AcceptDelegation(h.ctx, "acme"))
	keys, err := asPartner(h, "acme").Keys(h.ctx)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	assert.Equal(t, []string{"acme"}, customers(t, h, resellerBob))
	inv, err = h.as("reseller").Invitations(h.ctx)
	require.NoError(t, err)
	assert.Empty(t, inv)
	ds, err := h.as("acme").Delegations(h.ctx)
	require.NoError(t, err)
	assert.Equal(t, []portal.Delegation{{Partner: "reseller", Since: day("2026-01-01"), Accepted: day("2026-01-02")}}, ds)
	hist := histAll(t, h, "acme")
	last := hist[len(hist)-1]
	assert.Equal(t, []string{"bob@reseller", "reseller", "delegation.accept", "reseller"},
		[]string{last.Actor, last.Org, last.Action, last.Subject})
}

// Accepting without an invitation gets ErrNotDelegated, the same for a
// customer that exists and one that does not, and changes nothing; a
// declined invitation is gone and grants nothing (V4).
func TestDelegation_V4_AcceptOnlyAnInvitation(t *testing.T) {
	h := newPortalHarness(t)
	before := histAll(t, h, "acme")
	r := h.as("reseller")
	errAcme := r.AcceptDelegation(h.ctx, "acme")
	errNone := r.AcceptDelegation(h.ctx, "nope")
	require.ErrorIs(t, errAcme, portal.ErrNotDelegated)
	require.ErrorIs(t, errNone, portal.ErrNotDelegated)
	assert.Equal(t, strings.ReplaceAll(errNone.Error(), "nope", "acme"), errAcme.Error())
	require.ErrorIs(t, r.AcceptDelegation(h.ctx, "reseller"), license.ErrInvalidInput)
	require.ErrorIs(t, r.AcceptDelegation(h.ctx, ""), license.ErrInvalidInput)
	require.ErrorIs(t, h.p.Org(resellerBob, "globex").AcceptDelegation(h.ctx, "acme"), portal.ErrNoAccess)
	assert.Equal(t, before, histAll(t, h, "acme"))

	// Only the invited partner accepts.
	require.NoError(t, h.as("acme").Delegate(h.ctx, "reseller"))
	require.ErrorIs(t, h.as("globex").AcceptDelegation(h.ctx, "acme"), portal.ErrNotDelegated)
	_, err := h.p.Org(portal.Actor{ID: "g", Org: "globex"}, "acme").Keys(h.ctx)
	require.ErrorIs(t, err, portal.ErrNoAccess)

	require.NoError(t, r.DeclineDelegation(h.ctx, "acme"))
	assert.Empty(t, invited(t, h, "reseller"))
	require.ErrorIs(t, r.AcceptDelegation(h.ctx, "acme"), portal.ErrNotDelegated, "declined: nothing to accept")
	_, err = asPartner(h, "acme").Keys(h.ctx)
	require.ErrorIs(t, err, portal.ErrNoAccess)
	hist := histAll(t, h, "acme")
	assert.Equal(t, "admin@reseller delegation.decline", hist[len(hist)-1].Actor+" "+hist[len(hist)-1].Action)
	ds, err := h.as("acme").Delegations(h.ctx)
	require.NoError(t, err)
	assert.Empty(t, ds)

	// The customer withdraws a pending invitation as it withdraws a
	// delegation.
	require.NoError(t, h.as("acme").Delegate(h.ctx, "ghost"))
	require.NoError(t, h.as("acme").Undelegate(h.ctx, "ghost"))
	ds, err = h.as("acme").Delegations(h.ctx)
	require.NoError(t, err)
	assert.Empty(t, ds)
}
