package portal_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// mustDelegate makes customer invite partner, and a member of partner
// accept (V4).
func mustDelegate(tb testing.TB, h *portalHarness, customer, partner string) {
	tb.Helper()
	require.NoError(tb, h.as(customer).Delegate(h.ctx, partner))
	require.NoError(tb, h.as(partner).AcceptDelegation(h.ctx, customer))
}

// invited returns the customers whose invitations partner's members see.
func invited(tb testing.TB, h *portalHarness, partner string) []string {
	tb.Helper()
	inv, err := h.as(partner).Invitations(h.ctx)
	require.NoError(tb, err)
	var out []string
	for _, i := range inv {
		out = append(out, i.Customer)
	}
	return out
}

// customers returns the customers Portal.Customers lists for actor.
func customers(tb testing.TB, h *portalHarness, actor portal.Actor) []string {
	tb.Helper()
	cs, err := h.p.Customers(h.ctx, actor)
	require.NoError(tb, err)
	return cs
}

// TestDelegation_V4_PartnerManagesOnlyWhileTheDelegationStands: a partner
// reaches a customer only once it delegated; it then lists the keys and
// hands them over, adds keys and reads the history; the moment the
// delegation is withdrawn, every call gets ErrNoAccess, the same error as
// for an organization that does not exist, and Customers no longer lists
// the customer (V4, P4).
func TestDelegation_V4_PartnerManagesOnlyWhileTheDelegationStands(t *testing.T) {
	h := newPortalHarness(t)
	key := h.key(seatsLicense("SN-A1", 10))
	mustAddKey(t, h, "acme", key)
	p := asPartner(h, "acme")

	_, err := p.Keys(h.ctx)
	require.ErrorIs(t, err, portal.ErrNoAccess, "before any delegation")
	assert.Empty(t, customers(t, h, resellerBob))

	mustDelegate(t, h, "acme", "reseller")
	assert.Equal(t, []string{"acme"}, customers(t, h, resellerBob))
	assert.Equal(t, []string{"acme"}, customers(t, h, portal.Actor{ID: "carol@reseller", Org: "reseller"}),
		"every member of the partner sees its customers")

	keys, err := p.Keys(h.ctx)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	assert.Equal(t, key, keys[0].Key, "the partner hands the key over")
	l, err := p.AddKey(h.ctx, h.key(seatsLicense("SN-A2", 5)), portal.KeyOptions{})
	require.NoError(t, err)
	assert.Equal(t, "SN-A2", l.ID)
	_, _, err = p.History(h.ctx, 0, 10)
	require.NoError(t, err)
	assert.Len(t, scopeKeys(t, h, "acme"), 2, "the partner's key went into acme's storage")

	h.at(day("2026-02-01"))
	require.NoError(t, h.as("acme").Undelegate(h.ctx, "reseller"))
	assert.Empty(t, customers(t, h, resellerBob))
	gone := asPartner(h, "nope")
	for name, op := range scopeOps(h.key(seatsLicense("SN-A3", 5))) {
		err := op(h.ctx, p)
		require.ErrorIs(t, err, portal.ErrNoAccess, name)
		assert.Equal(t, op(h.ctx, gone), err, "%s: the error tells acme from a missing organization", name)
	}
	assert.Len(t, scopeKeys(t, h, "acme"), 2)

	// Delegating again restores it.
	mustDelegate(t, h, "acme", "reseller")
	_, err = p.Keys(h.ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"acme"}, customers(t, h, resellerBob))
}

// TestDelegation_V4_PartnerSeesOnlyTheCustomersThatDelegatedToIt: each
// partner lists, and reaches, only its own customers (V4, P4).
func TestDelegation_V4_PartnerSeesOnlyTheCustomersThatDelegatedToIt(t *testing.T) {
	h := newPortalHarness(t)
	require.NoError(t, h.p.CreateOrganization(h.ctx, "distributor", "Distributor"))
	require.NoError(t, h.p.CreateOrganization(h.ctx, "initech", "Initech"))
	dist := portal.Actor{ID: "dan@distributor", Org: "distributor"}
	mustAddKey(t, h, "acme", h.key(seatsLicense("SN-A1", 10)))
	mustAddKey(t, h, "globex", h.key(seatsLicense("SN-G1", 10)))

	mustDelegate(t, h, "initech", "reseller")
	mustDelegate(t, h, "acme", "reseller")
	mustDelegate(t, h, "globex", "distributor")
	mustDelegate(t, h, "acme", "distributor")

	assert.Equal(t, []string{"acme", "initech"}, customers(t, h, resellerBob), "sorted")
	assert.Equal(t, []string{"acme", "globex"}, customers(t, h, dist))
	assert.Empty(t, customers(t, h, portal.Actor{ID: "admin@acme", Org: "acme"}), "nobody delegated to acme")
	assert.Empty(t, customers(t, h, portal.Actor{ID: "x", Org: "nope"}))

	_, err := asPartner(h, "globex").Keys(h.ctx)
	require.ErrorIs(t, err, portal.ErrNoAccess)
	_, errNone := asPartner(h, "nope").Keys(h.ctx)
	assert.Equal(t, errNone, err)
	_, err = h.p.Org(dist, "initech").Keys(h.ctx)
	require.ErrorIs(t, err, portal.ErrNoAccess)
	_, err = h.p.Org(dist, "globex").Keys(h.ctx)
	require.NoError(t, err)

	// A delegation is not transitive, nor does it reach the partner's
	// other customers: the reseller reaches acme, not through acme.
	_, err = h.p.Org(portal.Actor{ID: "admin@acme", Org: "acme"}, "reseller").Keys(h.ctx)
	require.ErrorIs(t, err, portal.ErrNoAccess)

	// Withdrawing one delegation leaves the others.
	require.NoError(t, h.as("acme").Undelegate(h.ctx, "reseller"))
	assert.Equal(t, []string{"initech"}, customers(t, h, resellerBob))
	assert.Equal(t, []string{"acme", "globex"}, customers(t, h, dist))
	_, err = h.p.Org(dist, "acme").Keys(h.ctx)
	require.NoError(t, err)
}

// TestDelegation_V4_PartnerActionsRecordedUnderThePartner: what a partner
// does for a customer is in the customer's history, with the partner's
// member and organization and the time of the clock (V4, P5).
func TestDelegation_V4_PartnerActionsRecordedUnderThePartner(t *testing.T) {
	h := newPortalHarness(t)
	t1 := day("2026-04-01").Add(8 * time.Hour)
	h.at(t1)
	mustDelegate(t, h, "acme", "reseller")
	t2 := t1.Add(time.Hour)
	h.at(t2)
	_, err := asPartner(h, "acme").AddKey(h.ctx, h.key(seatsLicense("SN-A1", 10)), portal.KeyOptions{})
	require.NoError(t, err)
	t3 := t2.Add(time.Hour)
	h.at(t3)
	require.NoError(t, h.as("acme").Undelegate(h.ctx, "reseller"))

	assert.Equal(t, []portal.HistoryEntry{
		{Seq: 1, At: day("2026-01-01"), Actor: "vendor", Action: "organization.create", Subject: "acme", Detail: "acme Inc."},
		{Seq: 2, At: t1, Actor: "admin@acme", Org: "acme", Action: "delegation.invite", Subject: "reseller"},
		{Seq: 3, At: t1, Actor: "admin@reseller", Org: "reseller", Action: "delegation.accept", Subject: "reseller"},
		{Seq: 4, At: t2, Actor: "bob@reseller", Org: "reseller", Action: "key.add", Subject: "SN-A1", Detail: "SN-A1 acme-backup"},
		{Seq: 5, At: t3, Actor: "admin@acme", Org: "acme", Action: "delegation.withdraw", Subject: "reseller"},
	}, histAll(t, h, "acme"))
	assert.Len(t, histAll(t, h, "reseller"), 1, "nothing in the partner's own history")
}

// TestDelegation_V4_OnlyMembersDelegate: a partner acting under delegation
// may not delegate further, withdraw a delegation or list them:
// ErrMembersOnly, and nothing changes (V4).
func TestDelegation_V4_OnlyMembersDelegate(t *testing.T) {
	h := newPortalHarness(t)
	mustDelegate(t, h, "acme", "reseller")
	before := histAll(t, h, "acme")
	p := asPartner(h, "acme")

	require.ErrorIs(t, p.Delegate(h.ctx, "globex"), portal.ErrMembersOnly)
	require.ErrorIs(t, p.Delegate(h.ctx, "nope"), portal.ErrMembersOnly, "the partner learns nothing of nope")
	require.ErrorIs(t, p.Delegate(h.ctx, "reseller"), portal.ErrMembersOnly)
	require.ErrorIs(t, p.Undelegate(h.ctx, "reseller"), portal.ErrMembersOnly)
	_, err := p.Delegations(h.ctx)
	require.ErrorIs(t, err, portal.ErrMembersOnly)

	assert.Equal(t, before, histAll(t, h, "acme"))
	assert.Empty(t, customers(t, h, portal.Actor{ID: "m@globex", Org: "globex"}))
	ds, err := h.as("acme").Delegations(h.ctx)
	require.NoError(t, err)
	assert.Equal(t, []portal.Delegation{{Partner: "reseller", Since: day("2026-01-01"), Accepted: day("2026-01-01")}}, ds)
}

// TestDelegation_V4_BadInput: a bad partner ID, delegating to itself or
// to an organization that does not exist, or withdrawing a delegation
// that does not stand, gets its typed error and changes nothing (V4).
func TestDelegation_V4_BadInput(t *testing.T) {
	h := newPortalHarness(t)
	s := h.as("acme")
	before := histAll(t, h, "acme")

	for name, partner := range map[string]string{"Empty": "", "ControlChar": "re\x00seller",
		"Spaces": " reseller", "Itself": "acme"} {
		t.Run(name, func(t *testing.T) {
			require.ErrorIs(t, s.Delegate(h.ctx, partner), license.ErrInvalidInput)
			require.ErrorIs(t, s.Undelegate(h.ctx, partner), license.ErrInvalidInput)
		})
	}
	t.Run("ErrNotDelegated", func(t *testing.T) {
		err := s.Undelegate(h.ctx, "reseller")
		require.ErrorIs(t, err, portal.ErrNotDelegated)
		assert.Contains(t, err.Error(), "reseller")
		require.ErrorIs(t, s.Undelegate(h.ctx, "never-created"), portal.ErrNotDelegated)
	})
	t.Run("CustomersErrInvalidInput", func(t *testing.T) {
		_, err := h.p.Customers(h.ctx, portal.Actor{ID: "x"})
		require.ErrorIs(t, err, license.ErrInvalidInput)
		_, err = h.p.Customers(h.ctx, portal.Actor{ID: "x", Org: "a\nb"})
		require.ErrorIs(t, err, license.ErrInvalidInput)
	})
	t.Run("NoAccess", func(t *testing.T) {
		// An actor without access learns nothing.
		mallory := h.p.Org(portal.Actor{ID: "m@globex", Org: "globex"}, "acme")
		require.ErrorIs(t, mallory.Delegate(h.ctx, "ghost"), portal.ErrNoAccess)
		require.ErrorIs(t, mallory.Delegate(h.ctx, "reseller"), portal.ErrNoAccess)
	})
	assert.Equal(t, before, histAll(t, h, "acme"))
	ds, err := s.Delegations(h.ctx)
	require.NoError(t, err)
	assert.Empty(t, ds)
}

// TestDelegation_V4_DelegatingAgainChangesNothing: a second Delegate keeps
// the first one's date and records nothing (V4, P5).
func TestDelegation_V4_DelegatingAgainChangesNothing(t *testing.T) {
	h := newPortalHarness(t)
	s := h.as("acme")
	require.NoError(t, s.Delegate(h.ctx, "reseller"))
	hist := histAll(t, h, "acme")
	h.at(day("2026-06-01"))
	require.NoError(t, s.Delegate(h.ctx, "reseller"))
	ds, err := s.Delegations(h.ctx)
	require.NoError(t, err)
	assert.Equal(t, []portal.Delegation{{Partner: "reseller", Since: day("2026-01-01"), Pending: true}}, ds)
	assert.Equal(t, hist, histAll(t, h, "acme"))
	assert.Equal(t, []string{"acme"}, invited(t, h, "reseller"))

	// Accepted, it stays as it is too.
	require.NoError(t, h.as("reseller").AcceptDelegation(h.ctx, "acme"))
	hist = histAll(t, h, "acme")
	require.NoError(t, s.Delegate(h.ctx, "reseller"))
	require.NoError(t, h.as("reseller").AcceptDelegation(h.ctx, "acme"))
	assert.Equal(t, hist, histAll(t, h, "acme"))
	assert.Equal(t, []string{"acme"}, customers(t, h, resellerBob))
}

// flakyVendorStore is a MemoryPortalStore whose vendor updates fail while
// failVendor is set.
type flakyVendorStore struct {
	*portal.MemoryPortalStore
	failVendor atomic.Bool
}

var errVendorDown = errors.New("vendor document unavailable")

func (s *flakyVendorStore) UpdateVendor(ctx context.Context, fn func(*portal.Vendor) error) error {
	if s.failVendor.Load() {
		return errVendorDown
	}
	return s.MemoryPortalStore.UpdateVendor(ctx, fn)
}

// TestCustomers_V4_StaleIndexGrantsNothing: the customers index is only an
// index: when it could not be tidied after a withdrawal, the customer is
// still neither listed nor reachable; when it cannot be written, no
// delegation is made (V4).
func TestCustomers_V4_StaleIndexGrantsNothing(t *testing.T) {
	store := &flakyVendorStore{MemoryPortalStore: portal.NewMemoryPortalStore()}
	h := newPortalHarness(t, func(c *portal.PortalConfig) { c.Store = store })
	mustDelegate(t, h, "acme", "reseller")
	mustDelegate(t, h, "globex", "reseller")
	require.NoError(t, h.p.CreateOrganization(h.ctx, "distributor", "Distributor"))

	store.failVendor.Store(true)
	require.NoError(t, h.as("acme").Undelegate(h.ctx, "reseller"), "the withdrawal stands without the index")
	var listed []string
	require.NoError(t, store.ViewVendor(h.ctx, func(v *portal.Vendor) error {
		listed = v.Customers["reseller"]
		return nil
	}))
	assert.Equal(t, []string{"acme", "globex"}, listed, "the index is stale")
	assert.Equal(t, []string{"globex"}, customers(t, h, resellerBob))
	_, err := asPartner(h, "acme").Keys(h.ctx)
	require.ErrorIs(t, err, portal.ErrNoAccess)

	// Without the index, Delegate fails and delegates nothing.
	require.ErrorIs(t, h.as("acme").Delegate(h.ctx, "distributor-x"), errVendorDown)
	require.ErrorIs(t, h.as("acme").Delegate(h.ctx, "distributor"), errVendorDown)
	ds, err := h.as("acme").Delegations(h.ctx)
	require.NoError(t, err)
	assert.Empty(t, ds)
	_, err = h.p.Org(portal.Actor{ID: "d", Org: "distributor"}, "acme").Keys(h.ctx)
	require.ErrorIs(t, err, portal.ErrNoAccess)

	// Back up: delegating again heals the index.
	store.failVendor.Store(false)
	mustDelegate(t, h, "acme", "reseller")
	assert.Equal(t, []string{"acme", "globex"}, customers(t, h, resellerBob))
}

// TestCustomers_V4_ConcurrentDelegateAndUndelegate: however Delegate and
// Undelegate interleave, the partner's list ends up matching the
// delegations that stand (V4).
func TestCustomers_V4_ConcurrentDelegateAndUndelegate(t *testing.T) {
	h := newPortalHarness(t)
	for round := range 20 {
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				for _, org := range []string{"acme", "globex"} {
					var err error
					if (i+round)%2 == 0 {
						err = h.as(org).Delegate(h.ctx, "reseller")
					} else {
						err = h.as(org).Undelegate(h.ctx, "reseller")
					}
					if err != nil && !errors.Is(err, portal.ErrNotDelegated) {
						assert.NoError(t, err)
					}
				}
			})
		}
		wg.Go(func() {
			_, err := h.as("reseller").Invitations(h.ctx)
			assert.NoError(t, err)
		})
		wg.Wait()

		var want []string
		for _, org := range []string{"acme", "globex"} {
			ds, err := h.as(org).Delegations(h.ctx)
			require.NoError(t, err)
			if len(ds) == 1 {
				want = append(want, org)
			}
		}
		assert.Equal(t, want, invited(t, h, "reseller"), "round %d", round)
	}
}
