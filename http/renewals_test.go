package http_test

import (
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
	lkhttp "github.com/licensekit/license/http"
	"github.com/licensekit/license/portal"
)

// R5, W1, N3: end to end over loopback. The vendor issues an activation
// code of a term license; the administrator redeems it for a device; the
// application's Manager, whose Renewer is the organization's client,
// renews the license through the server at the end of its validity, with
// no grace. With the server gone, the next renewal fails and the Manager
// says so with a renewal-failed event.
func TestRenew_R5_W1_ManagerRenewsThroughTheServerThenFailsWithoutIt(t *testing.T) {
	h := newHarness(t)
	template := license.License{ID: "TERM", Product: "backup", Scheme: license.SchemePerDevice, Quantity: 5,
		Features: []string{"backup"}, Term: 365 * license.Day, IssuedAt: h.clk.Now()}
	codes, err := h.vendor.IssueActivationCodes(h.ctx, template, 1, 1)
	if err != nil {
		t.Fatalf("IssueActivationCodes: %v", err)
	}
	acme := h.acme.Org("acme")
	key, l, err := acme.RedeemCode(h.ctx, codes[0], "laptop-1")
	if err != nil {
		t.Fatalf("RedeemCode: %v", err)
	}

	// The application, on its own clock, which moves with the server's.
	app := clock.NewMock()
	app.Set(h.clk.Now())
	at := func(t time.Time) {
		h.clk.Set(t)
		app.Set(t)
	}
	v, err := license.NewVerifier(h.signer.VerifyingKey())
	if err != nil {
		t.Fatal(err)
	}
	var events []license.Event
	m, err := license.NewManager(h.ctx, license.ManagerConfig{
		Verifier: v, Clock: app, Renewer: acme,
		Software: license.Software{ID: "backup-agent", Version: "4.2.1", Locale: "fr-FR"},
		OnEvent:  func(e license.Event) { events = append(events, e) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.AddKey(h.ctx, key, license.WithActivationCode(codes[0])); err != nil {
		t.Fatalf("AddKey: %v", err)
	}
	kinds := func() []license.EventKind {
		var ks []license.EventKind
		for _, e := range events {
			ks = append(ks, e.Kind)
		}
		events = nil
		return ks
	}
	end := h.clk.Now().Add(365 * license.Day)

	at(end.Add(-time.Nanosecond))
	if err := m.Advance(h.ctx, app.Now()); err != nil {
		t.Fatal(err)
	}
	if got := kinds(); slices.Contains(got, license.EventRenewed) || len(m.Keys()) != 1 {
		t.Fatalf("before the end: events %v, keys %+v; want nothing renewed", got, m.Keys())
	}

	// The end of validity: renewed through the server, no grace.
	at(end)
	if err := m.Advance(h.ctx, app.Now()); err != nil {
		t.Fatal(err)
	}
	got := kinds()
	if !slices.Contains(got, license.EventRenewed) || slices.Contains(got, license.EventRenewalFailed) || slices.Contains(got, license.EventGraceStarted) {
		t.Fatalf("at the end: events %v; want renewed, without failure or grace", got)
	}
	held := m.Keys()
	if len(held) != 2 || held[1].RenewalOf != l.ID || held[1].License.ID == l.ID || held[1].License.Organization != "acme" {
		t.Fatalf("keys after renewal = %+v; want the renewal of %s", held, l.ID)
	}
	st := m.Status()
	if st.State != license.Active || !st.Expiry.Equal(end.Add(365*license.Day)) || !m.Check("backup").Allowed {
		t.Fatalf("status after renewal = %v until %v; want active until %v (N3)", st.State, st.Expiry, end.Add(365*license.Day))
	}
	keys, err := acme.Keys(h.ctx)
	if err != nil || !slices.ContainsFunc(keys, func(k portal.KeyUsage) bool { return k.License.ID == held[1].License.ID }) {
		t.Fatalf("acme's keys = %+v, %v; want the renewal in its key storage", keys, err)
	}

	// The server is gone: the renewal's own end comes, the renewal fails,
	// and the Manager says the user must activate by hand.
	h.srv.Close()
	at(end.Add(365 * license.Day))
	if err := m.Advance(h.ctx, app.Now()); err != nil {
		t.Fatal(err)
	}
	got = kinds()
	if !slices.Contains(got, license.EventRenewalFailed) || slices.Contains(got, license.EventRenewed) {
		t.Fatalf("without the server: events %v; want renewal-failed", got)
	}
	if st := m.Status(); st.State != license.Grace || len(m.Keys()) != 2 {
		t.Fatalf("without the server: %v with %d keys; want grace, nothing added", st.State, len(m.Keys()))
	}
}

// R5, W3: an organization renews only the licenses of its own codes: a
// license of another organization's code answers as an unknown one, and
// an early renewal is refused; both change nothing.
func TestRenew_R5_OnlyTheOrganizationsOwnCodeLicenses(t *testing.T) {
	h := newHarness(t)
	template := license.License{ID: "TERM", Product: "backup", Scheme: license.SchemePerDevice, Quantity: 5,
		Term: 365 * license.Day, IssuedAt: h.clk.Now()}
	codes, err := h.vendor.IssueActivationCodes(h.ctx, template, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, l, err := h.acme.Org("acme").RedeemCode(h.ctx, codes[0], "laptop-1")
	if err != nil {
		t.Fatal(err)
	}
	req := license.RenewalRequest{SoftwareID: "backup-agent", LicenseID: l.ID}
	h.clk.Add(360 * license.Day)
	before := h.snapshot()
	for _, id := range []string{l.ID, "NOPE"} { // acme's, and no one's
		r := req
		r.LicenseID = id
		_, err := h.globex.Org("globex").Renew(h.ctx, r)
		var herr *lkhttp.Error
		if !errors.Is(err, portal.ErrNotFromCode) || !errors.As(err, &herr) || herr.Status != http.StatusNotFound || herr.Code != "not_from_code" {
			t.Errorf("globex renews %s: %v; want 404 not_from_code", id, err)
		}
	}
	if _, err := h.globex.Org("acme").Renew(h.ctx, req); !errors.Is(err, portal.ErrNoAccess) {
		t.Errorf("globex renews through acme: %v; want ErrNoAccess", err)
	}
	h.clk.Set(l.IssuedAt.Add(300 * license.Day))
	if _, err := h.acme.Org("acme").Renew(h.ctx, req); !errors.Is(err, license.ErrNotRenewable) {
		t.Errorf("renewal 65 days before the end: %v; want ErrNotRenewable (N1)", err)
	}
	if h.snapshot() != before {
		t.Fatal("a refused renewal changed the store")
	}
}
