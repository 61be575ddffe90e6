package license_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
)

// rnSoftware is the application the renewal tests describe (N2).
var rnSoftware = license.Software{ID: "acme-backup-agent", Version: "4.2.1", Locale: "fr-FR"}

// rnYearly is a one-year term license.
func rnYearly() license.License {
	return license.License{Edition: "standard", Scheme: license.SchemePerDevice, Quantity: 10, Term: rsYear}
}

// rnRenew renews license id with the key of l at the harness's instant.
func rnRenew(h *harness, id string, l license.License) (*license.License, error) {
	return h.m.Renew(h.ctx, id, h.key(l))
}

// rnRenewer is a fake activation service (R5): it counts its calls,
// records the requests and answers with renew.
type rnRenewer struct {
	mu    sync.Mutex
	reqs  []license.RenewalRequest
	renew func(license.RenewalRequest) (string, error)
}

func (r *rnRenewer) Renew(ctx context.Context, req license.RenewalRequest) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req)
	if r.renew == nil {
		return "", errors.New("activation service unreachable")
	}
	return r.renew(req)
}

func (r *rnRenewer) calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

func (r *rnRenewer) requests() []license.RenewalRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]license.RenewalRequest(nil), r.reqs...)
}

// N1: a license can be renewed only once it expires within 30 days: at
// T-30d-1ns both RenewalRequest and Renew refuse with ErrNotRenewable and
// change nothing; at exactly T-30d both succeed.
func TestRenew_N1_RenewableFromThirtyDaysBeforeExpiry(t *testing.T) {
	h := newHarness(t, rsT0, func(c *license.ManagerConfig) { c.Software = rnSoftware })
	a := h.add(rnYearly())
	window := rsT.Add(-30 * license.Day)

	for _, at := range []time.Time{rsT0, rsT0.Add(200 * license.Day), window.Add(-time.Nanosecond)} {
		h.at(at)
		h.events()
		_, err := h.m.RenewalRequest(a.ID)
		require.ErrorIs(t, err, license.ErrNotRenewable, "RenewalRequest at %s", at)
		key := h.key(rnYearly())
		rsRefused(t, h, license.ErrNotRenewable, func() error {
			_, err := h.m.Renew(h.ctx, a.ID, key)
			return err
		})
	}

	h.at(window)
	assert.Equal(t, []string{rsEv(window, license.EventExpiryNotice)}, h.events())
	req, err := h.m.RenewalRequest(a.ID)
	require.NoError(t, err)
	assert.Equal(t, a.ID, req.LicenseID)
	r, err := rnRenew(h, a.ID, rnYearly())
	require.NoError(t, err)
	assert.Equal(t, []string{rsEv(window, license.EventRenewed)}, h.events())
	assert.Equal(t, rsT.Add(rsYear), h.m.Status().Expiry, "N3: from the old expiry")
	assert.Equal(t, license.Active, h.state())
	rec, ok := rsKeyRecord(h, r.ID)
	require.True(t, ok)
	assert.Equal(t, a.ID, rec.RenewalOf)
	assert.Equal(t, rsT, rec.Activated.UTC())

	// The renewal key is not itself renewable before its own window.
	_, err = h.m.RenewalRequest(r.ID)
	assert.ErrorIs(t, err, license.ErrNotRenewable)
	h.at(rsT)
	assert.Empty(t, h.events(), "N1: no grace after a renewal")
	assert.Equal(t, license.Active, h.state())
}

// N1, S6: an expired license can still be renewed: during grace a renewal
// returns the installation to Active at once.
func TestRenew_N1_S6_RenewDuringGraceReturnsToActive(t *testing.T) {
	h := newHarness(t, rsT0, func(c *license.ManagerConfig) { c.Software = rnSoftware })
	a := h.add(rnYearly())
	h.at(rsT)
	assert.Contains(t, h.events(), rsEv(rsT, license.EventGraceStarted))
	late := rsT.Add(3 * license.Day)
	h.at(late)
	require.Equal(t, license.Grace, h.state())
	h.events()

	req, err := h.m.RenewalRequest(a.ID)
	require.NoError(t, err, "N1: an expired license can be renewed")
	assert.Equal(t, a.ID, req.LicenseID)
	_, err = rnRenew(h, a.ID, rnYearly())
	require.NoError(t, err)
	// S6: the renewal grants from now, so the grace that ran stays history
	// and the return is announced.
	assert.Equal(t, []string{rsEv(late, license.EventRenewed), rsEv(late, license.EventRestored)}, h.events())
	assert.Equal(t, license.Active, h.state(), "S6")
	assert.True(t, h.m.Check("").Allowed)
	assert.Equal(t, rsT.Add(rsYear), h.m.Status().Expiry)

	// The grace that was running does not go on to suspension.
	h.at(rsT.Add(20 * license.Day))
	assert.Empty(t, h.events())
	assert.Equal(t, license.Active, h.state())
}

// N1, S6: renewing while suspended also returns to Active.
func TestRenew_N1_S6_RenewWhileSuspendedReturnsToActive(t *testing.T) {
	h := newHarness(t, rsT0)
	a := h.add(rnYearly())
	late := rsT.Add(20 * license.Day)
	h.at(late)
	require.Equal(t, license.Suspended, h.state())
	h.events()
	_, err := rnRenew(h, a.ID, rnYearly())
	require.NoError(t, err)
	assert.Equal(t, []string{rsEv(late, license.EventRenewed), rsEv(late, license.EventRestored)}, h.events())
	assert.Equal(t, license.Active, h.state())
	assert.True(t, h.m.Check("").Allowed)
}

// N1: a perpetual license is never renewable; an unknown license and a
// reserve are refused too, changing nothing.
func TestRenew_N1_RefusesPerpetualUnknownAndReserve(t *testing.T) {
	h := newHarness(t, rsT0)
	p := h.add(license.License{Edition: "standard"})
	h.at(rsT0.Add(10 * rsYear))
	h.events()
	_, err := h.m.RenewalRequest(p.ID)
	assert.ErrorIs(t, err, license.ErrNotRenewable)
	key := h.key(rnYearly())
	rsRefused(t, h, license.ErrNotRenewable, func() error {
		_, err := h.m.Renew(h.ctx, p.ID, key)
		return err
	})

	_, err = h.m.RenewalRequest("SN-999")
	assert.ErrorIs(t, err, license.ErrUnknownLicense)
	rsRefused(t, h, license.ErrUnknownLicense, func() error {
		_, err := h.m.Renew(h.ctx, "SN-999", key)
		return err
	})

	h2 := newHarness(t, rsT0)
	h2.add(rnYearly())
	h2.at(rsT.Add(-10 * license.Day))
	r, err := h2.m.AddReserve(h2.ctx, h2.key(rnYearly()))
	require.NoError(t, err)
	h2.events()
	key2 := h2.key(rnYearly())
	rsRefused(t, h2, license.ErrNotRenewable, func() error {
		_, err := h2.m.Renew(h2.ctx, r.ID, key2)
		return err
	})
}

// N2: a renewal request carries exactly the software ID, the software
// version, the locale, the license ID and whether the license came from a
// partner: no other field.
func TestRenew_N2_RequestHasExactlyFiveFields(t *testing.T) {
	typ := reflect.TypeFor[license.RenewalRequest]()
	require.Equal(t, reflect.Struct, typ.Kind())
	var got []string
	for f := range typ.Fields() {
		got = append(got, f.Name+" "+f.Type.String())
	}
	assert.Equal(t, []string{
		"SoftwareID string",
		"SoftwareVersion string",
		"Locale string",
		"LicenseID string",
		"FromPartner bool",
	}, got)
}

// N2: the request's values come from ManagerConfig.Software and the
// license; FromPartner is set exactly when the license names a partner.
func TestRenew_N2_RequestValues(t *testing.T) {
	h := newHarness(t, rsT0, func(c *license.ManagerConfig) { c.Software = rnSoftware })
	direct := h.add(rnYearly())
	viaPartner := rnYearly()
	viaPartner.Partner = "reseller-7"
	partner := h.add(viaPartner)
	h.at(rsT.Add(-5 * license.Day))

	got, err := h.m.RenewalRequest(direct.ID)
	require.NoError(t, err)
	assert.Empty(t, cmp.Diff(license.RenewalRequest{
		SoftwareID: "acme-backup-agent", SoftwareVersion: "4.2.1", Locale: "fr-FR",
		LicenseID: direct.ID, FromPartner: false,
	}, got))

	got, err = h.m.RenewalRequest(partner.ID)
	require.NoError(t, err)
	assert.Empty(t, cmp.Diff(license.RenewalRequest{
		SoftwareID: "acme-backup-agent", SoftwareVersion: "4.2.1", Locale: "fr-FR",
		LicenseID: partner.ID, FromPartner: true,
	}, got))

	// With no Software configured, the fields are empty: nothing else
	// fills them in.
	h2 := newHarness(t, rsT0)
	l := h2.add(rnYearly())
	h2.at(rsT.Add(-5 * license.Day))
	got, err = h2.m.RenewalRequest(l.ID)
	require.NoError(t, err)
	assert.Equal(t, license.RenewalRequest{LicenseID: l.ID}, got)
}

// N3: where a term renewal starts, for each basis of Policy.RenewFrom,
// applied 10 days early and 3 months late (suspension is long enough here
// for the installation to survive that).
func TestRenew_N3_RenewalBases(t *testing.T) {
	early := rsT.Add(-10 * license.Day)
	late := rsT.Add(90 * license.Day)
	cases := []struct {
		name      string
		basis     license.RenewalBasis
		at        time.Time
		wantStart time.Time
		restored  bool // renewed after the expiry: a gap was closed (S6)
	}{
		{"FromExpiry/Default/Early", license.RenewFromExpiry, early, rsT, false},
		{"FromExpiry/Default/Late", license.RenewFromExpiry, late, rsT, true},
		{"FromNow/Early", license.RenewFromNow, early, early, false},
		{"FromNow/Late", license.RenewFromNow, late, late, true},
		{"FromNowIfExpired/Early", license.RenewFromNowIfExpired, early, rsT, false},
		{"FromNowIfExpired/Late", license.RenewFromNowIfExpired, late, late, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, rsT0, func(c *license.ManagerConfig) {
				c.Policy = license.Policy{RenewFrom: tc.basis, Suspension: rsYear}
			})
			a := h.add(rnYearly())
			h.at(tc.at)
			h.events()

			r, err := rnRenew(h, a.ID, rnYearly())
			require.NoError(t, err)
			want := []string{rsEv(tc.at, license.EventRenewed)}
			if tc.restored {
				want = append(want, rsEv(tc.at, license.EventRestored))
			}
			assert.Equal(t, want, h.events())
			st := h.m.Status()
			assert.Equal(t, tc.wantStart.Add(rsYear), st.Expiry)
			assert.Equal(t, license.Active, st.State)
			rec, ok := rsKeyRecord(h, r.ID)
			require.True(t, ok)
			assert.Equal(t, tc.wantStart, rec.Activated.UTC())

			end := tc.wantStart.Add(rsYear)
			h.at(end.Add(-time.Nanosecond))
			assert.True(t, h.m.Check("").Allowed)
			h.events()
			h.at(end)
			assert.Equal(t, []string{rsEv(end, license.EventGraceStarted)}, h.events())
		})
	}
}

// N3: the default policy renews from the old expiry.
func TestRenew_N3_DefaultBasisIsExpiry(t *testing.T) {
	assert.Equal(t, license.RenewFromExpiry, license.DefaultPolicy().RenewFrom)
	assert.Equal(t, license.RenewFromExpiry, license.Policy{}.RenewFrom)
}

// N3, N1: a renewal key for another product is refused with
// ErrRenewalMismatch, as are a key already held and a bad signature; none
// changes anything.
func TestRenew_N3_RefusesMismatchedKeys(t *testing.T) {
	h := newHarness(t, rsT0)
	a := h.add(rnYearly())
	other := h.add(license.License{Product: "acme-mail", Term: rsYear})
	h.at(rsT.Add(-10 * license.Day))
	h.events()

	mail := rnYearly()
	mail.Product = "acme-mail"
	key := h.key(mail)
	rsRefused(t, h, license.ErrRenewalMismatch, func() error {
		_, err := h.m.Renew(h.ctx, a.ID, key)
		return err
	})
	// A renewal key whose ID is already held.
	dup := h.key(license.License{ID: a.ID, Product: "acme-mail", Term: rsYear})
	rsRefused(t, h, license.ErrKeyHeld, func() error {
		_, err := h.m.Renew(h.ctx, other.ID, dup)
		return err
	})
	// A forged renewal key.
	impostor := MustSigningKey(t, "acme", "impostor")
	forgedL := rnYearly()
	forgedL.ID, forgedL.Product, forgedL.IssuedAt = "SN-FORGED", "acme-backup", h.clk.Now()
	forged := MustSign(t, impostor, &forgedL)
	require.Contains(t, forged, impostor.KeyID())
	forged = strings.Replace(forged, impostor.KeyID(), h.sk.KeyID(), 1)
	rsRefused(t, h, license.ErrBadSignature, func() error {
		_, err := h.m.Renew(h.ctx, a.ID, forged)
		return err
	})

	// The refusals left the license renewable.
	_, err := rnRenew(h, a.ID, rnYearly())
	require.NoError(t, err)
	assert.Equal(t, []string{rsEv(rsT.Add(-10*license.Day), license.EventRenewed)}, h.events())
}

// rnCoded sets up a harness whose Manager has a fake Renewer and a
// Software, holding a one-year key added with an activation code.
func rnCoded(t *testing.T, renewer license.Renewer) (*harness, *license.License) {
	t.Helper()
	h := newHarness(t, rsT0, func(c *license.ManagerConfig) {
		c.Software = rnSoftware
		c.Renewer = renewer
	})
	l := rnYearly()
	l.Partner = "reseller-7"
	a, err := h.m.AddKey(h.ctx, h.key(l), license.WithActivationCode("ABCD-EFGH"))
	require.NoError(t, err)
	assert.Equal(t, []string{rsEv(rsT0, license.EventActivated)}, h.events())
	return h, a
}

// R5, N2: at the end of the validity of a key that came from an activation
// code, the Manager asks the Renewer once, with the N2 request, and
// applies the key it returns: a renewed event and no grace. A restart
// does not ask again.
func TestRenew_R5_AutomaticRenewalAtEndOfValidity(t *testing.T) {
	fake := &rnRenewer{}
	h, a := rnCoded(t, fake)
	fake.renew = func(req license.RenewalRequest) (string, error) {
		return h.key(rnYearly()), nil
	}

	h.at(rsT.Add(-30 * license.Day))
	h.reopen()
	h.at(rsT.Add(-time.Nanosecond))
	assert.Zero(t, fake.calls(), "not before the end of validity")
	h.events()

	h.at(rsT)
	require.Equal(t, 1, fake.calls())
	assert.Equal(t, []license.RenewalRequest{{
		SoftwareID: "acme-backup-agent", SoftwareVersion: "4.2.1", Locale: "fr-FR",
		LicenseID: a.ID, FromPartner: true,
	}}, fake.requests())
	assert.Equal(t, []string{rsEv(rsT, license.EventRenewed)}, h.events(), "no grace-started")
	st := h.m.Status()
	assert.Equal(t, license.Active, st.State)
	assert.Equal(t, rsT.Add(rsYear), st.Expiry)
	assert.True(t, h.m.Check("").Allowed)

	// Exactly once, also across restarts.
	h.reopen()
	h.at(rsT.Add(time.Hour))
	h.reopen()
	h.at(rsT.Add(20 * license.Day))
	assert.Equal(t, 1, fake.calls())
	assert.Empty(t, h.events())
	assert.Equal(t, license.Active, h.state())
}

// R5: when the Manager was stopped across the end of validity, the
// renewal happens when it starts again, once, and there is no grace.
func TestRenew_R5_AutomaticRenewalAfterRestartPastExpiry(t *testing.T) {
	fake := &rnRenewer{}
	h, _ := rnCoded(t, fake)
	fake.renew = func(req license.RenewalRequest) (string, error) {
		return h.key(rnYearly()), nil
	}
	h.at(rsT.Add(-40 * license.Day))
	h.events()

	h.clk.Set(rsT.Add(5 * license.Day)) // the application was stopped
	h.reopen()
	assert.Equal(t, 1, fake.calls())
	// The renewal grants from the restart on (S6): the days the
	// application was stopped after the expiry stay a grace in its
	// history, and the return is announced.
	got := h.events()
	assert.Contains(t, got, rsEv(rsT, license.EventGraceStarted))
	assert.Contains(t, got, rsEv(rsT.Add(5*license.Day), license.EventRenewed))
	assert.Contains(t, got, rsEv(rsT.Add(5*license.Day), license.EventRestored))
	assert.Equal(t, license.Active, h.state())
	assert.Equal(t, rsT.Add(rsYear), h.m.Status().Expiry)
	h.reopen()
	assert.Equal(t, 1, fake.calls())
}

// R5: when the Renewer fails, a renewal-failed event says manual
// activation is needed, once, and grace follows; no second attempt is
// made, also across restarts. The key can still be renewed by hand (N1).
func TestRenew_R5_RenewerErrorSendsRenewalFailedOnceThenGrace(t *testing.T) {
	fake := &rnRenewer{} // renew nil: the service is unreachable
	h, a := rnCoded(t, fake)
	h.at(rsT.Add(-time.Nanosecond))
	h.events()

	h.at(rsT)
	assert.Equal(t, 1, fake.calls())
	assert.Equal(t, []string{
		rsEv(rsT, license.EventRenewalFailed),
		rsEv(rsT, license.EventGraceStarted),
	}, h.events())
	assert.Equal(t, license.Grace, h.state())

	h.reopen()
	h.at(rsT.Add(time.Hour))
	h.reopen()
	assert.Equal(t, 1, fake.calls())
	assert.Empty(t, h.events())
	h.at(rsT.Add(7 * license.Day))
	assert.Equal(t, []string{rsEv(rsT.Add(7*license.Day), license.EventGraceHalfway)}, h.events())
	assert.Equal(t, 1, fake.calls())

	// Manual activation still works.
	_, err := rnRenew(h, a.ID, rnYearly())
	require.NoError(t, err)
	assert.Equal(t, []string{rsEv(rsT.Add(7*license.Day), license.EventRenewed), rsEv(rsT.Add(7*license.Day), license.EventRestored)}, h.events())
	assert.Equal(t, license.Active, h.state())
	assert.Equal(t, 1, fake.calls())
}

// R5: a Renewer that returns a key that cannot renew the license (here
// for another product) counts as a failure.
func TestRenew_R5_UnusableRenewalKeySendsRenewalFailed(t *testing.T) {
	fake := &rnRenewer{}
	h, _ := rnCoded(t, fake)
	fake.renew = func(req license.RenewalRequest) (string, error) {
		l := rnYearly()
		l.Product = "acme-mail"
		return h.key(l), nil
	}
	h.at(rsT)
	assert.Equal(t, 1, fake.calls())
	got := h.events()
	assert.Contains(t, got, rsEv(rsT, license.EventRenewalFailed))
	assert.Contains(t, got, rsEv(rsT, license.EventGraceStarted))
	assert.Equal(t, license.Grace, h.state())
}

// R5: with no Renewer configured, the end of a coded key's validity sends
// a renewal-failed event, once.
func TestRenew_R5_NoRenewerSendsRenewalFailed(t *testing.T) {
	h, _ := rnCoded(t, nil)
	h.at(rsT.Add(-time.Nanosecond))
	h.events()
	h.at(rsT)
	assert.Equal(t, []string{
		rsEv(rsT, license.EventRenewalFailed),
		rsEv(rsT, license.EventGraceStarted),
	}, h.events())
	h.reopen()
	h.at(rsT.Add(time.Hour))
	assert.Empty(t, h.events())
}

// R5: a key added without an activation code is not renewed
// automatically: the Renewer is never called and grace follows.
func TestRenew_R5_KeyWithoutCodeIsNotRenewedAutomatically(t *testing.T) {
	fake := &rnRenewer{}
	h := newHarness(t, rsT0, func(c *license.ManagerConfig) { c.Renewer = fake })
	h.add(rnYearly())
	h.at(rsT.Add(-time.Nanosecond))
	h.events()
	h.at(rsT)
	assert.Equal(t, []string{rsEv(rsT, license.EventGraceStarted)}, h.events())
	assert.Zero(t, fake.calls())
}

// R5: the renewal the Renewer returned keeps the activation code, so at
// the end of its own validity the Manager asks again, for it.
func TestRenew_R5_RenewedKeyIsRenewedAgainAtItsEnd(t *testing.T) {
	fake := &rnRenewer{}
	h, a := rnCoded(t, fake)
	fake.renew = func(req license.RenewalRequest) (string, error) {
		return h.key(rnYearly()), nil
	}
	h.at(rsT)
	require.Equal(t, 1, fake.calls())
	h.events()
	end := rsT.Add(rsYear)
	h.at(end.Add(-time.Nanosecond))
	assert.Equal(t, 1, fake.calls())
	h.at(end)
	require.Equal(t, 2, fake.calls())
	reqs := fake.requests()
	assert.Equal(t, a.ID, reqs[0].LicenseID)
	assert.NotEqual(t, a.ID, reqs[1].LicenseID, "the second request renews the renewal")
	assert.Contains(t, h.events(), rsEv(end, license.EventRenewed))
	assert.Equal(t, end.Add(rsYear), h.m.Status().Expiry)
}

// R5 with R4: when a reserve key takes over at the end of a coded key's
// validity, the reserve is the new active key; the activation service is
// not asked for a renewal as well.
func TestRenew_R5_R4_NoAutomaticRenewalWhenReserveTakesOver(t *testing.T) {
	fake := &rnRenewer{}
	h, _ := rnCoded(t, fake)
	fake.renew = func(req license.RenewalRequest) (string, error) {
		return h.key(rnYearly()), nil
	}
	h.at(rsT.Add(-60 * license.Day))
	_, err := h.m.AddReserve(h.ctx, h.key(rnYearly()))
	require.NoError(t, err)
	h.events()

	h.at(rsT)
	assert.Zero(t, fake.calls())
	assert.Equal(t, []string{rsEv(rsT, license.EventReservePromoted)}, h.events())
	st := h.m.Status()
	assert.Equal(t, 10, st.Seats, "the reserve's seats only, not a renewal's on top")
	assert.Equal(t, rsT.Add(rsYear), st.Expiry)
}
