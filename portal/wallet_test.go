package portal_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// wlHarness is a portal harness whose store the test can read, to check
// that a refusal changes nothing.
type wlHarness struct {
	*portalHarness
	store *portal.MemoryPortalStore
}

func newWLHarness(tb testing.TB, configure ...func(*portal.PortalConfig)) *wlHarness {
	tb.Helper()
	store := portal.NewMemoryPortalStore()
	configure = append([]func(*portal.PortalConfig){func(c *portal.PortalConfig) { c.Store = store }}, configure...)
	return &wlHarness{portalHarness: newPortalHarness(tb, configure...), store: store}
}

// snapshot returns copies of every organization's document and of the
// vendor's.
func (h *wlHarness) snapshot() (map[string]*portal.Organization, *portal.Vendor) {
	h.tb.Helper()
	orgs := map[string]*portal.Organization{}
	for _, id := range []string{"acme", "globex", "reseller"} {
		require.NoError(h.tb, h.store.ViewOrganization(h.ctx, id, func(o *portal.Organization) error {
			orgs[id] = o.Clone()
			return nil
		}))
	}
	var v *portal.Vendor
	require.NoError(h.tb, h.store.ViewVendor(h.ctx, func(d *portal.Vendor) error {
		v = d.Clone()
		return nil
	}))
	return orgs, v
}

// refused runs op, which must fail with want, and checks it changed
// nothing: no organization's document, not the vendor's, no event.
func (h *wlHarness) refused(t *testing.T, want error, op func() error) {
	t.Helper()
	h.events()
	orgs, v := h.snapshot()
	err := op()
	require.ErrorIs(t, err, want)
	orgs2, v2 := h.snapshot()
	if d := cmp.Diff(orgs, orgs2); d != "" {
		t.Errorf("a refusal (%v) changed an organization (-before +after):\n%s", err, d)
	}
	if d := cmp.Diff(v, v2); d != "" {
		t.Errorf("a refusal (%v) changed the vendor's document (-before +after):\n%s", err, d)
	}
	assert.Empty(t, h.events(), "a refusal delivered events")
}

// walletKey signs a per-device license key holding n licenses of
// acme-backup.
func (h *wlHarness) walletKey(id string, n int) string {
	return h.key(license.License{ID: id, Scheme: license.SchemePerDevice, Quantity: n})
}

func (h *wlHarness) redeem(org, key string, consume int) portal.WalletRedemption {
	h.tb.Helper()
	r, err := h.as(org).Redeem(h.ctx, key, consume)
	require.NoError(h.tb, err)
	return r
}

func (h *wlHarness) activate(org string, devices int) portal.Subscription {
	h.tb.Helper()
	sub, err := h.as(org).Activate(h.ctx, "acme-backup", devices)
	require.NoError(h.tb, err)
	return sub
}

func (h *wlHarness) wallet(org string) int {
	h.tb.Helper()
	w, err := h.as(org).Wallet(h.ctx)
	require.NoError(h.tb, err)
	return w["acme-backup"]
}

func (h *wlHarness) sub(org string) portal.Subscription {
	h.tb.Helper()
	subs, err := h.as(org).Subscriptions(h.ctx)
	require.NoError(h.tb, err)
	require.Len(h.tb, subs, 1)
	return subs[0]
}

func (h *wlHarness) advance(org string, at time.Time) {
	h.tb.Helper()
	h.at(at)
	require.NoError(h.tb, h.as(org).Advance(h.ctx))
}

// wlEvents returns the events delivered so far as "<instant> <kind>
// <license>" lines.
func (h *wlHarness) wlEvents() []string {
	var out []string
	for _, e := range h.events() {
		out = append(out, e.At.Format(time.RFC3339Nano)+" "+string(e.Kind)+" "+e.License)
	}
	return out
}

func (h *wlHarness) historyActions(org string) []string {
	h.tb.Helper()
	var out []string
	require.NoError(h.tb, h.store.ViewOrganization(h.ctx, org, func(o *portal.Organization) error {
		for _, e := range o.History {
			out = append(out, e.Actor+" "+e.Action+" "+e.Subject)
		}
		return nil
	}))
	return out
}

// Redeeming a key of N licenses consumes some for current usage and puts
// the rest in the wallet (P1); the history says who did it and when (P5).
func TestWalletRedeem_P1_SplitsBetweenCurrentUsageAndWallet(t *testing.T) {
	h := newWLHarness(t)
	sub := h.activate("acme", 10)
	assert.Equal(t, portal.Subscription{ID: "acme-backup", Product: "acme-backup", Devices: 10,
		Activated: day("2026-01-01"), Due: day("2027-01-01")}, sub)
	assert.Equal(t, []string{"2026-01-01T00:00:00Z subscription-unpaid acme-backup"}, h.wlEvents())

	h.at(day("2026-01-05"))
	r := h.redeem("acme", h.walletKey("W-1", 25), 10)
	assert.Equal(t, portal.WalletRedemption{License: "W-1", Product: "acme-backup", Quantity: 25, Consumed: 10,
		Wallet: 15, Subscription: "acme-backup", At: day("2026-01-05"), By: "admin@acme"}, r)
	assert.Equal(t, 15, h.wallet("acme"))
	assert.Equal(t, 10, h.sub("acme").Paid)
	rs, err := h.as("acme").Redemptions(h.ctx)
	require.NoError(t, err)
	assert.Equal(t, []portal.WalletRedemption{r}, rs)
	assert.Contains(t, h.historyActions("acme"), "admin@acme wallet.redeem W-1")
	assert.Empty(t, h.wlEvents())

	// The other organizations' wallets are untouched.
	assert.Zero(t, h.wallet("globex"))
}

// A key can go entirely to the wallet, with or without a subscription, or
// be consumed entirely (P1).
func TestWalletRedeem_P1_AllToWalletOrAllConsumed(t *testing.T) {
	h := newWLHarness(t)
	r := h.redeem("acme", h.walletKey("W-1", 7), 0)
	assert.Equal(t, 7, r.Wallet)
	assert.Empty(t, r.Subscription)
	assert.Equal(t, 7, h.wallet("acme"))

	// Activation takes the whole term from a wallet that holds it.
	sub := h.activate("acme", 5)
	assert.Equal(t, 5, sub.Paid)
	assert.Equal(t, 2, h.wallet("acme"))
	assert.Empty(t, h.wlEvents(), "a term paid at activation is not news")

	h2 := newWLHarness(t)
	h2.activate("acme", 5)
	r = h2.redeem("acme", h2.walletKey("W-2", 5), 5)
	assert.Equal(t, 0, r.Wallet)
	assert.Equal(t, 5, h2.sub("acme").Paid)
	assert.Zero(t, h2.wallet("acme"))
	w, err := h2.as("acme").Wallet(h2.ctx)
	require.NoError(t, err)
	assert.Empty(t, w, "products with no license are left out")
}

// Every refusal of Redeem is a typed error and changes nothing, not even
// the license's owner (P4).
func TestWalletRedeem_P1_P4_Refusals(t *testing.T) {
	h := newWLHarness(t)
	h.activate("acme", 10)
	w1 := h.walletKey("W-1", 4)
	h.redeem("acme", w1, 2)
	g1 := h.walletKey("G-1", 4)
	h.redeem("globex", g1, 0)
	k1 := h.walletKey("K-1", 4)
	_, err := h.as("acme").AddKey(h.ctx, k1, portal.KeyOptions{})
	require.NoError(t, err)
	stranger := MustSigningKey(t, "stranger", "stranger")
	fresh := h.walletKey("F-1", 3)

	for _, c := range []struct {
		name    string
		want    error
		scope   *portal.OrgScope
		key     string
		consume int
	}{
		{"ErrKeyRedeemed", portal.ErrKeyRedeemed, h.as("acme"), w1, 0},
		{"ErrOtherOrganization/RedeemedByAnother", portal.ErrOtherOrganization, h.as("acme"), g1, 0},
		{"ErrOtherOrganization/MadeOutToAnother", portal.ErrOtherOrganization, h.as("acme"),
			h.key(license.License{ID: "M-1", Scheme: license.SchemePerDevice, Quantity: 3, Organization: "globex"}), 0},
		{"ErrKeyInStorage", portal.ErrKeyInStorage, h.as("acme"), k1, 0},
		{"ErrInvalidInput/Unmetered", license.ErrInvalidInput, h.as("acme"), h.key(license.License{ID: "U-1"}), 0},
		{"ErrInvalidInput/Trial", license.ErrInvalidInput, h.as("acme"),
			h.key(license.License{ID: "T-1", Scheme: license.SchemePerDevice, Quantity: 3, Trial: true, Expiry: day("2026-02-01")}), 0},
		{"ErrInvalidInput/NegativeConsume", license.ErrInvalidInput, h.as("acme"), fresh, -1},
		{"ErrInvalidInput/ConsumeMoreThanTheKeyHolds", license.ErrInvalidInput, h.as("acme"), fresh, 4},
		{"ErrExceedsUsage", portal.ErrExceedsUsage, h.as("acme"), h.walletKey("E-1", 9), 9},
		{"ErrNoSubscription", portal.ErrNoSubscription, h.as("acme"),
			h.key(license.License{ID: "P-1", Product: "acme-vault", Scheme: license.SchemePerDevice, Quantity: 3}), 1},
		{"ErrExpired", license.ErrExpired, h.as("acme"),
			h.key(license.License{ID: "X-1", Scheme: license.SchemePerDevice, Quantity: 3, IssuedAt: day("2025-01-01"), Expiry: day("2025-12-01")}), 0},
		{"ErrUnknownSigner", license.ErrUnknownSigner, h.as("acme"),
			MustSign(t, stranger, &license.License{ID: "S-1", Product: "acme-backup", Scheme: license.SchemePerDevice, Quantity: 3, IssuedAt: day("2026-01-01")}), 0},
		{"ErrMalformedKey", license.ErrMalformedKey, h.as("acme"), "LK1.nonsense", 0},
		{"ErrNoAccess/AnotherMember", portal.ErrNoAccess, h.p.Org(portal.Actor{ID: "eve@globex", Org: "globex"}, "acme"), fresh, 0},
		{"ErrNoAccess/NoSuchOrganization", portal.ErrNoAccess, h.p.Org(portal.Actor{ID: "x@initech", Org: "initech"}, "initech"), fresh, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			h.refused(t, c.want, func() error {
				_, err := c.scope.Redeem(h.ctx, c.key, c.consume)
				return err
			})
		})
	}

	// Nothing claimed the fresh key: globex can still redeem it (P4).
	assert.Equal(t, 3, h.redeem("globex", fresh, 0).Wallet)
	// And a redeemed key cannot also go into the key storage.
	h.refused(t, portal.ErrKeyRedeemed, func() error {
		_, err := h.as("acme").AddKey(h.ctx, w1, portal.KeyOptions{})
		return err
	})
	assert.Equal(t, 2, h.wallet("acme"))
	assert.Equal(t, 7, h.wallet("globex"))
}

// Consume pays the current term from the wallet (P1); every refusal is
// typed and changes nothing, so the wallet never goes below zero.
func TestWalletConsume_P1_PaysTheTermFromTheWallet(t *testing.T) {
	h := newWLHarness(t)
	h.activate("acme", 10)
	h.redeem("acme", h.walletKey("W-1", 6), 0)
	h.events()

	sub, err := h.as("acme").Consume(h.ctx, "acme-backup", 4)
	require.NoError(t, err)
	assert.Equal(t, 4, sub.Paid)
	assert.Equal(t, 2, h.wallet("acme"))
	assert.Contains(t, h.historyActions("acme"), "admin@acme wallet.consume acme-backup")

	for _, c := range []struct {
		name  string
		want  error
		scope *portal.OrgScope
		id    string
		n     int
	}{
		{"ErrInvalidInput/Zero", license.ErrInvalidInput, h.as("acme"), "acme-backup", 0},
		{"ErrInvalidInput/Negative", license.ErrInvalidInput, h.as("acme"), "acme-backup", -3},
		{"ErrNoSubscription", portal.ErrNoSubscription, h.as("acme"), "acme-vault", 1},
		{"ErrWalletShort", portal.ErrWalletShort, h.as("acme"), "acme-backup", 3},
		{"ErrExceedsUsage", portal.ErrExceedsUsage, h.as("acme"), "acme-backup", 7},
		{"ErrNoAccess", portal.ErrNoAccess, h.p.Org(portal.Actor{ID: "eve@globex", Org: "globex"}, "acme"), "acme-backup", 1},
		{"ErrNoSubscription/AnotherOrganizations", portal.ErrNoSubscription, h.as("globex"), "acme-backup", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			h.refused(t, c.want, func() error {
				_, err := c.scope.Consume(h.ctx, c.id, c.n)
				return err
			})
		})
	}
	assert.Equal(t, 2, h.wallet("acme"))
}

// Consumed licenses never go back into the wallet (P2): the wallet grows
// only by redemption, and nothing returns what a term consumed, not even
// a lapse or a new activation.
func TestWallet_P2_ConsumedLicensesNeverGoBack(t *testing.T) {
	h := newWLHarness(t)
	h.activate("acme", 10)
	h.redeem("acme", h.walletKey("W-1", 4), 4)
	assert.Zero(t, h.wallet("acme"))

	h.advance("acme", day("2026-01-31")) // the activation grace ends short (S7)
	sub := h.sub("acme")
	assert.True(t, sub.Lapsed)
	assert.Equal(t, 4, sub.Paid)
	assert.Zero(t, h.wallet("acme"), "a lapse returns nothing")

	h.redeem("acme", h.walletKey("W-2", 30), 0)
	assert.Equal(t, 30, h.wallet("acme"))
	h.refused(t, portal.ErrSubscriptionLapsed, func() error {
		_, err := h.as("acme").Consume(h.ctx, "acme-backup", 1)
		return err
	})
	sub = h.activate("acme", 10) // a new term from now, paid from the wallet
	assert.Equal(t, day("2026-01-31"), sub.Activated)
	assert.Equal(t, 10, sub.Paid)
	assert.Equal(t, 20, h.wallet("acme"), "the lapsed term's 4 licenses are gone for good")

	// Of all that happened, only redemptions put licenses in the wallet.
	var adds []string
	for _, a := range h.historyActions("acme") {
		if strings.Contains(a, "wallet.") && !strings.Contains(a, "wallet.consume") {
			adds = append(adds, a)
		}
	}
	assert.Equal(t, []string{"admin@acme wallet.redeem W-1", "admin@acme wallet.redeem W-2"}, adds)
}

// No method of the portal takes licenses back from a term (P2): there is
// no refund by design.
func TestWallet_P2_NoMethodReturnsConsumedLicenses(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[*portal.OrgScope](), reflect.TypeFor[*portal.Portal]()} {
		for m := range typ.Methods() {
			for _, bad := range []string{"Refund", "Unconsume", "Unredeem", "Return", "Withdraw", "Credit"} {
				assert.NotContains(t, m.Name, bad, "%s.%s", typ, m.Name)
			}
		}
	}
}

// At a subscription's due date the wallet renews it (P3): the new term
// runs from the due date, at Due and not at Due-1ns, however late the
// portal notices.
func TestSubscription_P3_RenewedFromTheWalletAtTheDueDate(t *testing.T) {
	h := newWLHarness(t)
	h.activate("acme", 10)
	h.redeem("acme", h.walletKey("W-1", 25), 10)
	h.events()
	due := day("2027-01-01")

	h.advance("acme", due.Add(-time.Nanosecond))
	assert.Equal(t, portal.Subscription{ID: "acme-backup", Product: "acme-backup", Devices: 10, Paid: 10,
		Activated: day("2026-01-01"), Due: due}, h.sub("acme"))
	assert.Equal(t, 15, h.wallet("acme"))
	assert.Empty(t, h.wlEvents())

	h.advance("acme", due)
	assert.Equal(t, portal.Subscription{ID: "acme-backup", Product: "acme-backup", Devices: 10, Paid: 10,
		Activated: due, Due: day("2028-01-01")}, h.sub("acme"))
	assert.Equal(t, 5, h.wallet("acme"))
	assert.Equal(t, []string{"2027-01-01T00:00:00Z subscription-renewed acme-backup"}, h.wlEvents())
	assert.Contains(t, h.historyActions("acme"), "wallet wallet.consume acme-backup")

	// Advancing again at the same instant does nothing more.
	h.advance("acme", due)
	assert.Equal(t, 5, h.wallet("acme"))
	assert.Empty(t, h.wlEvents())
}

// A renewal noticed late still runs from the due date (P3), and what the
// reads report already counts it before anything saves it.
func TestSubscription_P3_LateRenewalRunsFromTheDueDate(t *testing.T) {
	h := newWLHarness(t)
	h.activate("acme", 10)
	h.redeem("acme", h.walletKey("W-1", 20), 10)
	h.events()

	h.at(day("2027-03-05"))
	assert.Equal(t, day("2027-01-01"), h.sub("acme").Activated, "reads report the renewal as of now")
	assert.Equal(t, 0, h.wallet("acme"))
	assert.Empty(t, h.wlEvents(), "reads deliver no events")

	require.NoError(t, h.as("acme").Advance(h.ctx))
	assert.Equal(t, []string{"2027-01-01T00:00:00Z subscription-renewed acme-backup"}, h.wlEvents())
	assert.Equal(t, day("2028-01-01"), h.sub("acme").Due)
}

// Activation starts a term with a 30-day grace to redeem enough licenses
// for current usage; too few by then and the software loses its license
// (S7), at the grace's end and not a nanosecond before.
func TestSubscription_S7_LapsesWhenTooFewAtTheEndOfTheActivationGrace(t *testing.T) {
	h := newWLHarness(t)
	h.activate("acme", 10)
	h.redeem("acme", h.walletKey("W-1", 6), 6)
	h.events()
	end := day("2026-01-31")

	h.advance("acme", end.Add(-time.Nanosecond))
	assert.False(t, h.sub("acme").Lapsed)
	assert.Empty(t, h.wlEvents())

	h.advance("acme", end)
	assert.True(t, h.sub("acme").Lapsed)
	evs := h.events()
	require.Len(t, evs, 1)
	assert.Equal(t, license.EventUnlicensed, evs[0].Kind)
	assert.Equal(t, end, evs[0].At)
	assert.Equal(t, "acme-backup", evs[0].License)
	assert.Contains(t, evs[0].Detail, "6 of 10")
	assert.Contains(t, h.historyActions("acme"), "wallet subscription.lapse acme-backup")

	// Once lapsed, time changes nothing more.
	h.advance("acme", day("2030-01-01"))
	assert.Empty(t, h.wlEvents())
}

// Enough licenses redeemed within the grace keep the license (S7), and at
// the grace's end the wallet makes up a shortfall it can cover.
func TestSubscription_S7_PaidWithinTheGraceKeepsTheLicense(t *testing.T) {
	h := newWLHarness(t)
	h.activate("acme", 10)
	h.redeem("acme", h.walletKey("W-1", 6), 6)
	h.at(day("2026-01-20"))
	h.redeem("acme", h.walletKey("W-2", 5), 0)
	h.events()

	h.advance("acme", day("2026-01-31"))
	sub := h.sub("acme")
	assert.False(t, sub.Lapsed)
	assert.Equal(t, 10, sub.Paid)
	assert.Equal(t, 1, h.wallet("acme"))
	assert.Empty(t, h.wlEvents())
}

// A renewal the wallet cannot pay takes nothing from it and starts the
// grace (S7): the subscription keeps its license until Due+30d, a
// redemption in between saves it, and without one it lapses then.
func TestSubscription_P3_S7_RenewalShortStartsTheGrace(t *testing.T) {
	for _, paid := range []bool{false, true} {
		t.Run(map[bool]string{false: "lapses", true: "saved"}[paid], func(t *testing.T) {
			h := newWLHarness(t)
			h.activate("acme", 10)
			h.redeem("acme", h.walletKey("W-1", 14), 10)
			h.events()

			h.advance("acme", day("2027-01-01"))
			sub := h.sub("acme")
			assert.Equal(t, 0, sub.Paid)
			assert.False(t, sub.Lapsed)
			assert.Equal(t, 4, h.wallet("acme"), "a short wallet gives nothing")
			evs := h.events()
			require.Len(t, evs, 1)
			assert.Equal(t, portal.EventSubscriptionUnpaid, evs[0].Kind)
			assert.Contains(t, evs[0].Detail, "2027-01-31T00:00:00Z")

			if paid {
				h.at(day("2027-01-15"))
				h.redeem("acme", h.walletKey("W-2", 6), 6)
			}
			h.advance("acme", day("2027-01-31").Add(-time.Nanosecond))
			assert.False(t, h.sub("acme").Lapsed)
			h.advance("acme", day("2027-01-31"))
			sub = h.sub("acme")
			assert.Equal(t, !paid, sub.Lapsed)
			if paid {
				assert.Equal(t, 10, sub.Paid)
				assert.Zero(t, h.wallet("acme"), "the wallet made up the difference")
				assert.Empty(t, h.wlEvents())
			} else {
				assert.Equal(t, 4, h.wallet("acme"), "a lapse spends nothing")
				assert.Equal(t, []string{"2027-01-31T00:00:00Z unlicensed acme-backup"}, h.wlEvents())
			}
		})
	}
}

// Years in one step: every renewal and the lapse happen at their own
// instants, in order (P3, S7).
func TestSubscription_P3_S7_CatchesUpOverYears(t *testing.T) {
	h := newWLHarness(t)
	h.activate("acme", 10)
	h.redeem("acme", h.walletKey("W-1", 25), 10)
	_, err := h.as("acme").Activate(h.ctx, "acme-vault", 1)
	require.NoError(t, err)
	h.events()

	h.advance("acme", day("2029-06-01"))
	assert.Equal(t, []string{
		"2026-01-31T00:00:00Z unlicensed acme-vault",
		"2027-01-01T00:00:00Z subscription-renewed acme-backup",
		"2028-01-01T00:00:00Z subscription-unpaid acme-backup",
		"2028-01-31T00:00:00Z unlicensed acme-backup",
	}, h.wlEvents())
	assert.Equal(t, 5, h.wallet("acme"))
}

// Activate starts a subscription once per product; a lapsed one can start
// again. Every refusal is typed and changes nothing (S7).
func TestSubscriptionActivate_S7_Refusals(t *testing.T) {
	h := newWLHarness(t)
	h.activate("acme", 10)
	for _, c := range []struct {
		name    string
		want    error
		scope   *portal.OrgScope
		product string
		devices int
	}{
		{"ErrSubscriptionExists", portal.ErrSubscriptionExists, h.as("acme"), "acme-backup", 5},
		{"ErrInvalidInput/NoProduct", license.ErrInvalidInput, h.as("acme"), "", 5},
		{"ErrInvalidInput/ControlCharacter", license.ErrInvalidInput, h.as("acme"), "acme\nvault", 5},
		{"ErrInvalidInput/NoDevices", license.ErrInvalidInput, h.as("acme"), "acme-vault", 0},
		{"ErrNoAccess", portal.ErrNoAccess, h.p.Org(portal.Actor{ID: "eve@globex", Org: "globex"}, "acme"), "acme-vault", 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			h.refused(t, c.want, func() error {
				_, err := c.scope.Activate(h.ctx, c.product, c.devices)
				return err
			})
		})
	}
	eve := h.p.Org(portal.Actor{ID: "eve", Org: "globex"}, "acme")
	for _, read := range []func() error{
		func() error { _, err := eve.Subscriptions(h.ctx); return err },
		func() error { _, err := eve.Wallet(h.ctx); return err },
		func() error { _, err := eve.Redemptions(h.ctx); return err },
		func() error { return eve.Advance(h.ctx) },
	} {
		h.refused(t, portal.ErrNoAccess, read)
	}
}

// The activation grace is a setting (S7): here 10 days.
func TestSubscription_S7_ActivationGraceIsConfigurable(t *testing.T) {
	h := newWLHarness(t, func(c *portal.PortalConfig) { c.ActivationGrace = 10 * license.Day })
	h.activate("acme", 1)
	h.events()
	h.advance("acme", day("2026-01-11"))
	assert.Equal(t, []string{"2026-01-11T00:00:00Z unlicensed acme-backup"}, h.wlEvents())

	for _, grace := range []time.Duration{-time.Nanosecond, portal.SubscriptionTerm} {
		_, err := portal.NewPortal(portal.PortalConfig{Signer: h.vendor, ActivationGrace: grace})
		assert.ErrorIs(t, err, license.ErrInvalidInput, "grace %v", grace)
	}
}

// 1,000 goroutines consume one license each from a wallet of 100: exactly
// 100 succeed, the others are refused with ErrWalletShort, and the wallet
// is never seen below zero (P1, P2).
func TestWalletConsume_P1_ConcurrentConsumersNeverOverspend(t *testing.T) {
	h := newWLHarness(t)
	h.activate("acme", 1000)
	h.redeem("acme", h.walletKey("W-1", 100), 0)

	var ok, short atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 1000 {
		wg.Go(func() {
			<-start
			_, err := h.as("acme").Consume(h.ctx, "acme-backup", 1)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, portal.ErrWalletShort):
				short.Add(1)
			default:
				t.Errorf("consumer %d: %v", i, err)
			}
		})
	}
	for range 20 { // readers watch the wallet meanwhile
		wg.Go(func() {
			<-start
			for range 20 {
				w, err := h.as("acme").Wallet(h.ctx)
				if err != nil || w["acme-backup"] < 0 || w["acme-backup"] > 100 {
					t.Errorf("wallet %v, %v", w, err)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	assert.EqualValues(t, 100, ok.Load())
	assert.EqualValues(t, 900, short.Load())
	assert.Zero(t, h.wallet("acme"))
	assert.Equal(t, 100, h.sub("acme").Paid)
}

// Redeeming one key concurrently, from one organization or several,
// succeeds once (P1, P4); concurrent Advance calls renew once (P3).
func TestWalletRedeem_P1_P3_P4_ConcurrentRedeemAndAdvance(t *testing.T) {
	h := newWLHarness(t)
	h.activate("acme", 10)
	h.activate("globex", 10)
	key := h.walletKey("W-1", 25)
	var ok atomic.Int64
	var wg sync.WaitGroup
	for i := range 200 {
		org := []string{"acme", "globex"}[i%2]
		wg.Go(func() {
			_, err := h.as(org).Redeem(h.ctx, key, 10)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, portal.ErrKeyRedeemed), errors.Is(err, portal.ErrOtherOrganization):
			default:
				t.Errorf("%s: %v", org, err)
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, 1, ok.Load())
	winner := "acme"
	if h.wallet("acme") == 0 {
		winner = "globex"
	}
	assert.Equal(t, 15, h.wallet(winner))
	h.events()

	h.at(day("2027-01-01"))
	for range 50 {
		wg.Go(func() { assert.NoError(t, h.as(winner).Advance(h.ctx)) })
	}
	wg.Wait()
	assert.Equal(t, 5, h.wallet(winner))
	var renewed int
	for _, e := range h.events() {
		if e.Kind == portal.EventSubscriptionRenewed {
			renewed++
		}
	}
	assert.Equal(t, 1, renewed)
}

// A canceled context changes nothing.
func TestWallet_CanceledContext(t *testing.T) {
	h := newWLHarness(t)
	ctx, cancel := context.WithCancel(h.ctx)
	cancel()
	h.refused(t, context.Canceled, func() error { _, err := h.as("acme").Activate(ctx, "acme-backup", 1); return err })
	h.refused(t, context.Canceled, func() error { _, err := h.as("acme").Redeem(ctx, h.walletKey("W-1", 1), 0); return err })
}
