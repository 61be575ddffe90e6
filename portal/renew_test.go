package portal_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// The organization's scope is what an application's Manager calls to
// renew (R5).
var _ license.Renewer = (*portal.OrgScope)(nil)

// rwSoftware is the application that asks for renewals (N2).
var rwSoftware = license.Software{ID: "acme-backup-agent", Version: "4.2.1", Locale: "fr-FR"}

// rwRequest is the request of rwSoftware for license id (N2).
func rwRequest(id string) license.RenewalRequest {
	return license.RenewalRequest{SoftwareID: rwSoftware.ID, SoftwareVersion: rwSoftware.Version, Locale: rwSoftware.Locale, LicenseID: id}
}

// rwRedeem issues one activation code of template and redeems it for acme
// on device pc-1; it returns the code, the key and its license.
func rwRedeem(t *testing.T, h *wlHarness, template license.License) (string, string, *license.License) {
	t.Helper()
	code := h.codes(template, 1, 1)[0]
	key, l, err := h.as("acme").RedeemCode(h.ctx, code, "pc-1")
	require.NoError(t, err)
	return code, key, l
}

// rwVerify verifies a key of the harness's vendor.
func rwVerify(t *testing.T, h *wlHarness, key string) *license.License {
	t.Helper()
	v, err := license.NewVerifier(h.vendor.VerifyingKey())
	require.NoError(t, err)
	l, err := v.Verify(key)
	require.NoError(t, err)
	return l
}

// R5: an application's Manager whose Renewer is the organization's scope
// renews a license that came from an activation code at the end of its
// validity, with no gap and no grace, and again a year later from the
// renewal.
func TestRenew_R5_ManagerRenewsCodeLicenseThroughThePortal(t *testing.T) {
	h := newWLHarness(t)
	code, key, l := rwRedeem(t, h, cdTemplate("ACT"))
	end := h.clk.Now().Add(365 * license.Day)

	v, err := license.NewVerifier(h.vendor.VerifyingKey())
	require.NoError(t, err)
	var events []license.Event
	m, err := license.NewManager(h.ctx, license.ManagerConfig{
		Verifier: v, Clock: h.clk, Renewer: h.as("acme"), Software: rwSoftware,
		OnEvent: func(e license.Event) { events = append(events, e) },
	})
	require.NoError(t, err)
	_, err = m.AddKey(h.ctx, key, license.WithActivationCode(code))
	require.NoError(t, err)

	h.at(end.Add(-time.Nanosecond))
	require.NoError(t, m.Advance(h.ctx, h.clk.Now()))
	assert.Len(t, h.keyIDs("acme"), 1, "nothing renewed before the end")

	events = nil
	h.at(end)
	require.NoError(t, m.Advance(h.ctx, h.clk.Now()))
	var kinds []license.EventKind
	for _, e := range events {
		kinds = append(kinds, e.Kind)
	}
	assert.Contains(t, kinds, license.EventRenewed)
	assert.NotContains(t, kinds, license.EventRenewalFailed)
	assert.NotContains(t, kinds, license.EventGraceStarted)
	st := m.Status()
	assert.Equal(t, license.Active, st.State)
	assert.Equal(t, end.Add(365*license.Day), st.Expiry)
	held := m.Keys()
	require.Len(t, held, 2)
	assert.Equal(t, l.ID, held[1].RenewalOf)
	renewal := held[1].License
	assert.Equal(t, "acme", renewal.Organization)
	assert.Contains(t, h.keyIDs("acme"), renewal.ID, "the renewal is in the key storage")

	// A year later the renewal renews in turn, from the same code.
	h.at(end.Add(365 * license.Day))
	require.NoError(t, m.Advance(h.ctx, h.clk.Now()))
	st = m.Status()
	assert.Equal(t, license.Active, st.State)
	assert.Equal(t, end.Add(2*365*license.Day), st.Expiry)
	require.Len(t, m.Keys(), 3)
	assert.Equal(t, renewal.ID, m.Keys()[2].RenewalOf)
}

// N1: a license renews within the renewal window of its end (30 days by
// default, or the portal's RenewalWindow), or after its end; earlier is
// refused with ErrNotRenewable and changes nothing.
func TestRenew_N1_OnlyWithinTheWindowOrAfter(t *testing.T) {
	for _, c := range []struct {
		name   string
		window time.Duration
	}{{"default", 0}, {"configured", 60 * license.Day}} {
		t.Run(c.name, func(t *testing.T) {
			h := newWLHarness(t, func(cfg *portal.PortalConfig) { cfg.RenewalWindow = c.window })
			_, _, l := rwRedeem(t, h, cdTemplate("ACT"))
			window := c.window
			if window == 0 {
				window = 30 * license.Day
			}
			end := h.clk.Now().Add(365 * license.Day)
			h.at(end.Add(-window - time.Nanosecond))
			before := srvSnapshot(t, h)
			_, err := h.as("acme").Renew(h.ctx, rwRequest(l.ID))
			assert.ErrorIs(t, err, license.ErrNotRenewable)
			assert.Equal(t, before, srvSnapshot(t, h))

			h.at(end.Add(-window))
			key, err := h.as("acme").Renew(h.ctx, rwRequest(l.ID))
			require.NoError(t, err)
			r := rwVerify(t, h, key)
			assert.Equal(t, 365*license.Day, r.Term)
			assert.True(t, r.Start.IsZero(), "the Manager starts the term at the old end (N3)")
		})
	}
	_, err := portal.NewPortal(portal.PortalConfig{Signer: MustSigningKey(t, "v", "v"), RenewalWindow: -1})
	assert.ErrorIs(t, err, license.ErrInvalidInput)
}

// N1, N3: a license with a fixed expiry renews from its expiry, for the
// template's length of validity, also when it has expired; a renewal that
// would already have ended is refused.
func TestRenew_N1_FixedExpiryContinuesWhereTheOldEnds(t *testing.T) {
	h := newWLHarness(t) // 2026-01-01
	template := cdTemplate("FIX")
	template.Term, template.Expiry = 0, day("2027-01-01")
	_, _, l := rwRedeem(t, h, template)

	h.at(day("2027-02-01")) // a month after its end
	key, err := h.as("acme").Renew(h.ctx, rwRequest(l.ID))
	require.NoError(t, err)
	r := rwVerify(t, h, key)
	assert.Equal(t, day("2027-01-01"), r.Start)
	assert.Equal(t, day("2028-01-01"), r.Expiry)
	assert.Equal(t, l.Product, r.Product)
	assert.Equal(t, l.Quantity, r.Quantity)
	assert.NotEqual(t, l.ID, r.ID)

	_, _, late := rwRedeem(t, h, func() license.License { t := template; t.ID = "LATE"; t.Expiry = day("2027-06-01"); return t }())
	h.at(day("2028-08-01")) // its renewal would have ended on 2028-06-01
	before := srvSnapshot(t, h)
	_, err = h.as("acme").Renew(h.ctx, rwRequest(late.ID))
	assert.ErrorIs(t, err, license.ErrNotRenewable)
	assert.Equal(t, before, srvSnapshot(t, h))
}

// R5: asking again for the same license's renewal returns the same key,
// also from concurrent calls; the renewal is issued, stored and recorded
// once (P5), with the request's software.
func TestRenew_R5_SameRenewalWhenAskedAgain(t *testing.T) {
	h := newWLHarness(t)
	_, _, l := rwRedeem(t, h, cdTemplate("ACT"))
	h.at(h.clk.Now().Add(360 * license.Day))
	keys := make([]string, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := h.as("acme").Renew(h.ctx, rwRequest(l.ID))
			assert.NoError(t, err)
			keys[i] = k
		})
	}
	wg.Wait()
	for _, k := range keys {
		assert.Equal(t, keys[0], k)
	}
	h.at(h.clk.Now().Add(100 * license.Day)) // outside the window now: still the same answer
	again, err := h.as("acme").Renew(h.ctx, rwRequest(l.ID))
	require.NoError(t, err)
	assert.Equal(t, keys[0], again)

	r := rwVerify(t, h, again)
	assert.ElementsMatch(t, []string{l.ID, r.ID}, h.keyIDs("acme"))
	hist, _, err := h.as("acme").History(h.ctx, 0, 100)
	require.NoError(t, err)
	var renewals []portal.HistoryEntry
	for _, e := range hist {
		if e.Action == "license.renew" {
			renewals = append(renewals, e)
		}
	}
	require.Len(t, renewals, 1)
	assert.Equal(t, r.ID, renewals[0].Subject)
	assert.Equal(t, "admin@acme", renewals[0].Actor)
	assert.Equal(t, "renews "+l.ID+" for acme-backup-agent 4.2.1 fr-FR", renewals[0].Detail)

	// Once the vendor revokes the renewal, it is no longer handed out.
	require.NoError(t, h.p.Revoke(h.ctx, r.ID, "refund"))
	_, err = h.as("acme").Renew(h.ctx, rwRequest(l.ID))
	assert.ErrorIs(t, err, portal.ErrLicenseRevoked)
}

// R5, N1, P4: what the portal does not renew is refused with a typed
// error, and changes nothing.
func TestRenew_R5_RefusalsChangeNothing(t *testing.T) {
	h := newWLHarness(t)
	ctx := h.ctx
	_, _, coded := rwRedeem(t, h, cdTemplate("ACT"))
	_, _, revoked := rwRedeem(t, h, cdTemplate("REV"))
	require.NoError(t, h.p.Revoke(ctx, revoked.ID, "fraud"))
	_, _, upgraded := rwRedeem(t, h, cdTemplate("UPG"))
	notice, err := h.p.IssueUpgrade(ctx, "acme", upgraded.ID, []string{"acme-backup-pro"}, 20)
	require.NoError(t, err)
	_, _, err = h.as("acme").Upgrade(ctx, notice, "acme-backup-pro", 20)
	require.NoError(t, err)
	trialT := cdTemplate("TRY")
	trialT.Trial, trialT.Term = true, 30*license.Day
	_, _, trial := rwRedeem(t, h, trialT)
	perpetualT := cdTemplate("PERP")
	perpetualT.Term = 0
	_, _, perpetual := rwRedeem(t, h, perpetualT)
	added, err := h.as("acme").AddKey(ctx, h.key(seatsLicense("SN-1", 5)), portal.KeyOptions{})
	require.NoError(t, err)
	h.at(h.clk.Now().Add(364 * license.Day)) // every term license is within its window

	stranger := h.p.Org(portal.Actor{ID: "eve@globex", Org: "globex"}, "acme")
	for _, c := range []struct {
		name  string
		scope *portal.OrgScope
		req   license.RenewalRequest
		want  error
	}{
		{"no license ID", h.as("acme"), rwRequest(""), license.ErrInvalidInput},
		{"control character in the locale", h.as("acme"), func() license.RenewalRequest { r := rwRequest(coded.ID); r.Locale = "fr\x00"; return r }(), license.ErrInvalidInput},
		{"unknown license", h.as("acme"), rwRequest("ACT-999"), portal.ErrNotFromCode},
		{"license not from a code", h.as("acme"), rwRequest(added.ID), portal.ErrNotFromCode},
		{"another organization's license", h.as("globex"), rwRequest(coded.ID), portal.ErrNotFromCode},
		{"another organization's actor", stranger, rwRequest(coded.ID), portal.ErrNoAccess},
		{"unknown organization", h.p.Org(portal.Actor{ID: "x", Org: "initech"}, "initech"), rwRequest(coded.ID), portal.ErrNoAccess},
		{"revoked", h.as("acme"), rwRequest(revoked.ID), portal.ErrLicenseRevoked},
		{"upgraded", h.as("acme"), rwRequest(upgraded.ID), portal.ErrLicenseReplaced},
		{"trial", h.as("acme"), rwRequest(trial.ID), license.ErrNotRenewable},
		{"perpetual", h.as("acme"), rwRequest(perpetual.ID), license.ErrNotRenewable},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := srvSnapshot(t, h)
			key, err := c.scope.Renew(ctx, c.req)
			assert.ErrorIs(t, err, c.want)
			assert.Empty(t, key)
			assert.Equal(t, before, srvSnapshot(t, h))
		})
	}
	_, err = h.as("acme").Renew(ctx, rwRequest(coded.ID))
	assert.NoError(t, err, "the license the refusals named renews")
}

// R5, V4: a partner the organization delegated to renews on its behalf.
func TestRenew_R5_PartnerRenewsForTheCustomer(t *testing.T) {
	h := newWLHarness(t)
	_, _, l := rwRedeem(t, h, cdTemplate("ACT"))
	require.NoError(t, h.as("acme").Delegate(h.ctx, "reseller"))
	require.NoError(t, h.as("reseller").AcceptDelegation(h.ctx, "acme"))
	h.at(h.clk.Now().Add(360 * license.Day))
	key, err := h.p.Org(portal.Actor{ID: "rita@reseller", Org: "reseller"}, "acme").Renew(context.Background(), rwRequest(l.ID))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(rwVerify(t, h, key).ID, "ACT-"))
}
