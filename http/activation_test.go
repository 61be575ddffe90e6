package http_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/licensekit/license"
	lkhttp "github.com/licensekit/license/http"
	"github.com/licensekit/license/internal/licensetest"
	"github.com/licensekit/license/portal"
)

// app is an application on a device: a Manager that trusts the harness's
// vendor key, on the harness's mock clock (the server's, so that both
// move together), checking in through a DeviceClient of the harness's
// server over loopback.
type app struct {
	tb testing.TB
	h  *harness
	fp string
	dc *lkhttp.DeviceClient
	m  *license.Manager

	mu     sync.Mutex
	events []license.Event
}

// app starts the application on device fp, with a state of its own,
// empty: a new installation, or one whose state was deleted.
func (h *harness) app(fp string) *app {
	h.tb.Helper()
	a := &app{tb: h.tb, h: h, fp: fp, dc: h.device()}
	m, err := license.NewManager(h.ctx, license.ManagerConfig{
		Verifier: h.verifier(), Clock: h.clk, Fingerprint: fp, CheckIn: a.dc,
		Software: license.Software{ID: "backup-agent", Version: "4.2", Locale: "fr-FR"},
		OnEvent: func(e license.Event) {
			a.mu.Lock()
			defer a.mu.Unlock()
			a.events = append(a.events, e)
		},
	})
	if err != nil {
		h.tb.Fatalf("NewManager: %v", err)
	}
	a.m = m
	a.dc.OnRevocationList(m.LoadRevocationList)
	return a
}

// activate activates the device with req (its fingerprint filled in) and
// adds the certificate to the Manager, offline.
func (a *app) activate(req portal.ActivationRequest) portal.Activation {
	a.tb.Helper()
	req.Fingerprint = a.fp
	cert, act, err := a.dc.Activate(a.h.ctx, req)
	if err != nil {
		a.tb.Fatalf("Activate on %s: %v", a.fp, err)
	}
	if _, err := a.m.AddCertificate(a.h.ctx, cert); err != nil {
		a.tb.Fatalf("AddCertificate on %s: %v", a.fp, err)
	}
	return act
}

// at moves the clock to t and lets the Manager do what Run does then:
// advance, and check in what is due.
func (a *app) at(t time.Time) {
	a.tb.Helper()
	a.h.clk.Set(t)
	if err := a.m.Advance(a.h.ctx, t); err != nil {
		a.tb.Fatalf("Advance(%v): %v", t, err)
	}
	_ = a.m.CheckIn(a.h.ctx) // a failure is an event, which the tests read
}

func (a *app) allowed() bool { return a.m.Check("").Allowed }

// count returns how many events of kind the application received.
func (a *app) count(kind license.EventKind) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, e := range a.events {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// certificate returns the one activation certificate the Manager holds.
func (a *app) certificate() license.HeldKey {
	a.tb.Helper()
	var held []license.HeldKey
	for _, k := range a.m.Keys() {
		if k.Activation != "" {
			held = append(held, k)
		}
	}
	if len(held) != 1 {
		a.tb.Fatalf("%s holds %d activation certificates; want 1", a.fp, len(held))
	}
	return held[0]
}

// code issues an activation code for acme of a one-year term license of
// product backup, for limit devices.
func (h *harness) code(limit int) string {
	h.tb.Helper()
	tmpl := license.License{ID: "BK", Product: "backup", Scheme: license.SchemePerDevice, Quantity: 1,
		Organization: "acme", Term: 365 * license.Day, IssuedAt: h.clk.Now()}
	codes, err := h.vendor.IssueActivationCodes(h.ctx, tmpl, 1, limit)
	if err != nil {
		h.tb.Fatal(err)
	}
	return codes[0]
}

// A1, A4: an application redeems a code and activates; its certificate
// is accepted offline; as the clock moves, check-ins through the
// DeviceClient refresh it. With the server out of reach, the application
// keeps working until NotAfter plus the check-in grace (7 days), then
// stops, and recovers at the first check-in once the server is back.
func TestActivation_A1_A4_ActivateWorkOfflineCheckInLapseRecover(t *testing.T) {
	h := newHarness(t)
	t0 := h.clk.Now()
	code := h.code(1)
	pc := h.app("pc-1")
	cert, act, err := pc.dc.Activate(h.ctx, portal.ActivationRequest{Code: code, Fingerprint: "pc-1"})
	if err != nil {
		t.Fatalf("Activate: %v", err)
	}
	h.down.Store(true) // accepting the certificate needs no server
	if _, err := pc.m.AddCertificate(h.ctx, cert); err != nil {
		t.Fatalf("AddCertificate offline: %v", err)
	}
	h.down.Store(false)
	pc.at(t0)
	if !pc.allowed() || pc.certificate().Activation != act.ID || !pc.certificate().NotAfter.Equal(t0.Add(portal.DefaultCertificateTTL)) {
		t.Fatalf("after activation: allowed %v, %+v; want activation %s until %v", pc.allowed(), pc.certificate(), act.ID, t0.Add(portal.DefaultCertificateTTL))
	}

	// A4: 7 days before NotAfter the Manager checks in for a fresh one.
	pc.at(t0.Add(22 * license.Day))
	if n := pc.count(license.EventActivationRefreshed); n != 0 {
		t.Fatalf("refreshed %d times before the check-in window", n)
	}
	pc.at(t0.Add(23 * license.Day))
	notAfter := t0.Add(53 * license.Day)
	if pc.count(license.EventActivationRefreshed) != 1 || !pc.certificate().NotAfter.Equal(notAfter) {
		t.Fatalf("after the check-in: %d refreshes, NotAfter %v; want 1, %v", pc.count(license.EventActivationRefreshed), pc.certificate().NotAfter, notAfter)
	}

	// The server goes away: check-ins fail, the certificate holds until
	// NotAfter, then through the grace, then nothing.
	h.down.Store(true)
	pc.at(notAfter.Add(-7 * license.Day))
	if pc.count(license.EventCheckInFailed) == 0 {
		t.Fatal("no checkin-failed event with the server down")
	}
	for _, at := range []time.Time{notAfter.Add(-time.Nanosecond), notAfter, notAfter.Add(7*license.Day - time.Nanosecond)} {
		if pc.at(at); !pc.allowed() {
			t.Fatalf("at %v, within NotAfter %v and its grace: not allowed (%v)", at, notAfter, pc.m.Check("").Reason)
		}
	}
	if pc.count(license.EventCheckInGraceStarted) != 1 {
		t.Fatalf("%d checkin-grace-started events; want 1", pc.count(license.EventCheckInGraceStarted))
	}
	lapse := notAfter.Add(7 * license.Day)
	if pc.at(lapse); pc.allowed() || pc.count(license.EventCheckInLapsed) != 1 {
		t.Fatalf("at the end of the grace: allowed %v, %d lapsed events; want refused, 1", pc.allowed(), pc.count(license.EventCheckInLapsed))
	}

	// The server is back: the next check-in (at most an hour later, the
	// longest backoff) restores the grant.
	h.down.Store(false)
	if pc.at(lapse.Add(time.Hour)); !pc.allowed() {
		t.Fatalf("after the server came back: refused (%v)", pc.m.Check("").Reason)
	}
	if got, want := pc.certificate().NotAfter, lapse.Add(time.Hour+portal.DefaultCertificateTTL); !got.Equal(want) {
		t.Fatalf("NotAfter after recovery %v; want %v", got, want)
	}
}

// A2: a certificate copied to another device grants nothing there, and
// the copy, sent as a credential from that device, gets no certificate
// for it: the server takes the device from the certificate.
func TestActivation_A2_CopiedCertificateGrantsNothing(t *testing.T) {
	h := newHarness(t)
	pc := h.app("pc-1")
	act := pc.activate(portal.ActivationRequest{Code: h.code(1)})
	text, _ := pc.dc.Certificate(act.ID)

	thief := h.app("pc-2")
	if _, err := thief.m.AddCertificate(h.ctx, text); !errors.Is(err, license.ErrWrongDevice) {
		t.Fatalf("AddCertificate of pc-1's certificate on pc-2: %v; want ErrWrongDevice", err)
	}
	if thief.at(h.clk.Now()); thief.allowed() {
		t.Fatal("pc-2 is allowed with pc-1's certificate")
	}
	thief.dc.SetCertificate(act.ID, text)
	_, err := thief.dc.CheckIn(h.ctx, license.CheckInRequest{ActivationID: act.ID, Fingerprint: "pc-2"})
	var herr *lkhttp.Error
	if !errors.Is(err, license.ErrWrongDevice) || !errors.As(err, &herr) || herr.Status != 403 {
		t.Fatalf("check-in of pc-1's activation as pc-2: %v; want 403 wrong_device", err)
	}
	// Claiming no device gets a certificate of pc-1, which pc-2 refuses.
	resp, err := thief.dc.CheckIn(h.ctx, license.CheckInRequest{ActivationID: act.ID})
	if err != nil {
		t.Fatalf("check-in with the copy: %v", err)
	}
	if _, err := thief.m.AddCertificate(h.ctx, resp.Certificate); !errors.Is(err, license.ErrWrongDevice) {
		t.Fatalf("the copy's fresh certificate on pc-2: %v; want ErrWrongDevice", err)
	}
}

// A3, A6: the application's state deleted, the device activates again:
// the same activation, with its first activation instant, so the term
// runs from then; and starting the trial again returns the first trial,
// still ended. Another device gets a trial of its own.
func TestActivation_A3_A6_DeletedStateKeepsFirstActivationAndTrial(t *testing.T) {
	h := newHarness(t)
	t0 := h.clk.Now()
	code := h.code(1)
	first := h.app("pc-1")
	act := first.activate(portal.ActivationRequest{Code: code})
	if _, _, err := first.dc.StartTrial(h.ctx, "backup", "pc-1"); err != nil {
		t.Fatalf("StartTrial: %v", err)
	}

	h.clk.Set(t0.Add(100 * license.Day))
	again := h.app("pc-1") // the state deleted
	act2 := again.activate(portal.ActivationRequest{Code: code})
	if act2.ID != act.ID || !act2.Activated.Equal(t0) {
		t.Fatalf("activating again: %s activated %v; want %s activated %v", act2.ID, act2.Activated, act.ID, t0)
	}
	if got := again.certificate().Activated; !got.Equal(t0) {
		t.Fatalf("the term runs from %v; want the first activation, %v", got, t0)
	}
	// The device checks in as the year goes by; the term ends a year
	// after the first activation, not after the second.
	for d := 100; d < 365; d += 10 {
		again.at(t0.Add(time.Duration(d) * license.Day))
	}
	if again.at(t0.Add(365*license.Day - time.Nanosecond)); again.m.Status().State == license.Grace || !again.allowed() {
		t.Fatalf("just before the term's end: %v; want the term running", again.m.Status().State)
	}
	again.at(t0.Add(365 * license.Day))
	if st := again.m.Status().State; st != license.Grace {
		t.Fatalf("a year after the first activation: %v; want grace, the term over", st)
	}

	// A6: the trial of 30 days, started on day 0, started again on day
	// 100 from an empty state.
	cert, trial, err := again.dc.StartTrial(h.ctx, "backup", "pc-1")
	if err != nil {
		t.Fatalf("StartTrial again: %v", err)
	}
	if !trial.Activated.Equal(t0) {
		t.Fatalf("the trial started again at %v; want its first start, %v", trial.Activated, t0)
	}
	tried := h.app("pc-1")
	if _, err := tried.m.AddCertificate(h.ctx, cert); err != nil {
		t.Fatalf("AddCertificate of the trial: %v", err)
	}
	if tried.at(h.clk.Now()); tried.allowed() {
		t.Fatal("a second trial was granted on the same device")
	}
	other := h.app("pc-3")
	cert3, _, err := other.dc.StartTrial(h.ctx, "backup", "pc-3")
	if err != nil {
		t.Fatalf("StartTrial on another device: %v", err)
	}
	if _, err := other.m.AddCertificate(h.ctx, cert3); err != nil {
		t.Fatalf("AddCertificate of pc-3's trial: %v", err)
	}
	if other.at(h.clk.Now()); !other.allowed() {
		t.Fatalf("another device's first trial: refused (%v)", other.m.Check("").Reason)
	}
}

// A5: deactivating frees the device's seat at once, for another device;
// the deactivated certificate is refused at the next check-in.
func TestActivation_A5_DeactivationFreesTheSeat(t *testing.T) {
	h := newHarness(t)
	key := h.key(seats("LK-1", 1))
	if _, err := h.acme.Org("acme").AddKey(h.ctx, key, portal.KeyOptions{}); err != nil {
		t.Fatal(err)
	}
	pc1, pc2 := h.app("pc-1"), h.app("pc-2")
	act := pc1.activate(portal.ActivationRequest{Key: key})
	if _, _, err := pc2.dc.Activate(h.ctx, portal.ActivationRequest{Key: key, Fingerprint: "pc-2"}); !errors.Is(err, portal.ErrRestrictionExceeded) {
		t.Fatalf("a second device on a license of 1 seat: %v; want ErrRestrictionExceeded", err)
	}
	text, _ := pc1.dc.Certificate(act.ID)
	if err := pc1.dc.Deactivate(h.ctx, act.ID); err != nil {
		t.Fatalf("Deactivate: %v", err)
	}
	if err := pc1.m.RemoveCertificate(h.ctx, act.ID); err != nil {
		t.Fatalf("RemoveCertificate: %v", err)
	}
	pc2.activate(portal.ActivationRequest{Key: key})
	if pc2.at(h.clk.Now()); !pc2.allowed() {
		t.Fatalf("pc-2 after pc-1 deactivated: refused (%v)", pc2.m.Check("").Reason)
	}
	pc1.dc.SetCertificate(act.ID, text)
	if _, err := pc1.dc.CheckIn(h.ctx, license.CheckInRequest{ActivationID: act.ID}); !errors.Is(err, portal.ErrDeactivated) {
		t.Fatalf("check-in of the deactivated activation: %v; want ErrDeactivated", err)
	}
	if _, err := pc1.dc.Checkout(h.ctx, "act-unknown", "LK-1"); !errors.Is(err, lkhttp.ErrNoCertificate) {
		t.Fatalf("Checkout without a certificate: %v; want ErrNoCertificate", err)
	}
}

// C2: an application never replaces its revocation list by an older one;
// a check-in sends the list only to a device behind the server's.
func TestActivation_C2_OlderRevocationListRefused(t *testing.T) {
	h := newHarness(t)
	pc := h.app("pc-1")
	act := pc.activate(portal.ActivationRequest{Code: h.code(1)})
	older, err := pc.dc.RevocationList(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.vendor.Revoke(h.ctx, "LK-OTHER", "fraud"); err != nil {
		t.Fatal(err)
	}
	newer, err := pc.dc.RevocationList(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.m.LoadRevocationList(h.ctx, newer); err != nil {
		t.Fatalf("loading the newer list: %v", err)
	}
	if err := pc.m.LoadRevocationList(h.ctx, older); !errors.Is(err, license.ErrStaleRevocationList) {
		t.Fatalf("loading the older list: %v; want ErrStaleRevocationList", err)
	}
	for serial, wantList := range map[uint64]bool{0: true, 1: true, 2: false} {
		resp, err := pc.dc.CheckIn(h.ctx, license.CheckInRequest{ActivationID: act.ID, RevocationSerial: serial})
		if err != nil || (resp.RevocationList != "") != wantList {
			t.Fatalf("check-in holding list %d: list sent %v, %v; want %v", serial, resp.RevocationList != "", err, wantList)
		}
	}
}

// C1, C3: the vendor revokes the device's license; the application,
// which still grants it, stops at its next check-in, which the server
// refuses and which brings it the revocation list, with one revoked
// event however often it checks in afterwards.
func TestActivation_C3_RevokedLicenseStopsAtNextCheckIn(t *testing.T) {
	h := newHarness(t)
	t0 := h.clk.Now()
	key := h.key(seats("LK-1", 1))
	if _, err := h.acme.Org("acme").AddKey(h.ctx, key, portal.KeyOptions{}); err != nil {
		t.Fatal(err)
	}
	pc := h.app("pc-1")
	pc.activate(portal.ActivationRequest{Key: key})
	if err := h.vendor.Revoke(h.ctx, "LK-1", "chargeback"); err != nil {
		t.Fatal(err)
	}
	if pc.at(t0.Add(22 * license.Day)); !pc.allowed() {
		t.Fatal("the application stopped before it learnt of the revocation")
	}
	pc.at(t0.Add(23 * license.Day)) // the check-in
	if pc.allowed() || !errors.Is(pc.m.Check("").Reason, license.ErrRevoked) {
		t.Fatalf("after the check-in: allowed %v (%v); want refused as revoked", pc.allowed(), pc.m.Check("").Reason)
	}
	for d := 24; d <= 40; d++ {
		pc.at(t0.Add(time.Duration(d) * license.Day))
	}
	if n := pc.count(license.EventRevoked); n != 1 {
		t.Fatalf("%d revoked events; want 1", n)
	}
}

// F1–F3 over HTTP: a floating license of 2 lends at most 2 leases
// across devices; the same device checking out twice holds one; a
// release frees its place at once; a lease without heartbeats is
// released after its TTL, by the server's clock.
func TestActivation_F1_F3_FloatingLeases(t *testing.T) {
	h := newHarness(t)
	key := h.key(license.License{ID: "LK-F", Scheme: license.SchemeFloating, Quantity: 2, Expiry: licensetest.Day("2027-01-01")})
	if _, err := h.acme.Org("acme").AddKey(h.ctx, key, portal.KeyOptions{}); err != nil {
		t.Fatal(err)
	}
	apps := map[string]*app{}
	acts := map[string]string{}
	for _, fp := range []string{"pc-1", "pc-2", "pc-3"} {
		apps[fp] = h.app(fp)
		acts[fp] = apps[fp].activate(portal.ActivationRequest{Key: key}).ID
	}
	checkout := func(fp string) (portal.Lease, error) { return apps[fp].dc.Checkout(h.ctx, acts[fp], "LK-F") }
	l1, err := checkout("pc-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checkout("pc-2"); err != nil {
		t.Fatal(err)
	}
	if _, err := checkout("pc-3"); !errors.Is(err, portal.ErrNoLease) {
		t.Fatalf("a third lease of 2: %v; want ErrNoLease (F1, F3)", err)
	}
	if again, err := checkout("pc-1"); err != nil || again.ID != l1.ID {
		t.Fatalf("pc-1 checking out again: %+v, %v; want its lease %s (F3)", again, err, l1.ID)
	}
	if err := apps["pc-1"].dc.Release(h.ctx, acts["pc-1"], l1.ID); err != nil {
		t.Fatal(err)
	}
	l3, err := checkout("pc-3")
	if err != nil {
		t.Fatalf("after a release: %v (F3)", err)
	}
	// pc-2 sends heartbeats; pc-3 does not (F2).
	for range 3 {
		h.clk.Add(portal.DefaultLeaseTTL / 2)
		if _, err := apps["pc-2"].dc.Heartbeat(h.ctx, acts["pc-2"], "LK-F|pc-2"); err != nil {
			t.Fatalf("heartbeat of pc-2: %v", err)
		}
	}
	if _, err := apps["pc-3"].dc.Heartbeat(h.ctx, acts["pc-3"], l3.ID); !errors.Is(err, portal.ErrLeaseExpired) {
		t.Fatalf("heartbeat of pc-3 after its TTL: %v; want ErrLeaseExpired", err)
	}
	if _, err := checkout("pc-1"); err != nil {
		t.Fatalf("after pc-3's lease expired: %v (F2)", err)
	}
	leases, err := h.acme.Org("acme").Leases(h.ctx, "LK-F")
	if err != nil || len(leases) != 2 {
		t.Fatalf("Leases = %+v, %v; want 2", leases, err)
	}
}

// W2, W4: on the device's routes, the certificate decides: a body or a
// path naming another activation, another device or another device's
// lease is refused with its status and code, as are bad activations and
// a certificate of another vendor's key; none changes anything.
func TestActivation_W4_DeviceRoutesRefuseOtherDevicesAndBadInput(t *testing.T) {
	h := newHarness(t)
	h.seedAcme()
	h.bodies() // device x activates LK-F
	key := h.key(license.License{ID: "LK-F", Scheme: license.SchemeFloating, Quantity: 2, Expiry: licensetest.Day("2027-01-01")})
	y := h.device()
	_, acty, err := y.Activate(h.ctx, portal.ActivationRequest{Key: key, Fingerprint: "y"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := y.Checkout(h.ctx, acty.ID, "LK-F"); err != nil {
		t.Fatal(err)
	}
	stranger := licensetest.SigningKey(t, "stranger", "http")
	now := h.clk.Now()
	forged, err := stranger.SignCertificate(&license.Certificate{ID: acty.ID, Fingerprint: "y", Activated: now, Issued: now, NotAfter: now.Add(license.Day),
		Licenses: []*license.License{{ID: "LK-F", Product: "backup", Scheme: license.SchemeFloating, Quantity: 9, IssuedAt: now}}})
	if err != nil {
		t.Fatal(err)
	}
	before := h.snapshot()
	for _, tc := range []struct {
		name, method, path, auth, body string
		status                         int
		code                           string
	}{
		{"CheckInOtherActivation", "POST", "/v1/checkins", h.deviceAuth, `{"activation_id":"` + acty.ID + `"}`, 404, "no_such_activation"},
		{"CheckInOtherFingerprint", "POST", "/v1/checkins", h.deviceAuth, `{"fingerprint":"y"}`, 403, "wrong_device"},
		{"CheckInBadSerial", "POST", "/v1/checkins", h.deviceAuth, `{"revocation_serial":-1}`, 400, "malformed_request"},
		{"DeactivateOtherActivation", "DELETE", "/v1/activations/" + acty.ID, h.deviceAuth, "", 404, "no_such_activation"},
		{"HeartbeatOtherDevicesLease", "PUT", "/v1/leases/LK-F%7Cy", h.deviceAuth, "", 404, "no_such_lease"},
		{"ReleaseOtherDevicesLease", "DELETE", "/v1/leases/LK-F%7Cy", h.deviceAuth, "", 404, "no_such_lease"},
		{"HeartbeatNoLease", "PUT", "/v1/leases/LK-F%7Cx", h.deviceAuth, "", 404, "no_such_lease"},
		{"CheckoutNotFloating", "POST", "/v1/leases", h.deviceAuth, `{"license":"LK-A"}`, 409, "not_floating"},
		{"ForeignVendorsCertificate", "POST", "/v1/checkins", "Activation " + forged, `{}`, 401, "device_unauthenticated"},
		{"NoCertificateText", "POST", "/v1/checkins", "Activation  ", `{}`, 401, "device_unauthenticated"},
		{"ActivateKeyAndCode", "POST", "/v1/activations", "", `{"key":"LK1.x.y.z","code":"7K2M-Q9XD-4HJT-0RWC","fingerprint":"z"}`, 400, "invalid_input"},
		{"ActivateNoFingerprint", "POST", "/v1/activations", "", `{"code":"7K2M-Q9XD-4HJT-0RWC"}`, 400, "invalid_input"},
		{"ActivateForgedKey", "POST", "/v1/activations", "", `{"key":"LK1.x.y.z","fingerprint":"z"}`, 400, "malformed_key"},
		{"ActivateUnknownCode", "POST", "/v1/activations", "", `{"code":"7K2M-Q9XD-4HJT-0RWC","fingerprint":"z"}`, 400, "bad_code"},
		{"ActivateFingerprintNumber", "POST", "/v1/activations", "", `{"code":"x","fingerprint":7}`, 400, "malformed_request"},
		{"TrialUnknownProduct", "POST", "/v1/trials", "", `{"product":"nosuch","fingerprint":"z"}`, 404, "no_trial"},
		{"TrialNoFingerprint", "POST", "/v1/trials", "", `{"product":"backup"}`, 400, "invalid_input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := h.send(tc.method, tc.path, tc.auth, tc.body)
			if a.Status != tc.status || a.Code != tc.code {
				t.Errorf("%s %s = %d %s; want %d %s", tc.method, tc.path, a.Status, a.Body, tc.status, tc.code)
			}
			if h.snapshot() != before {
				t.Fatal("the refused request changed the store")
			}
		})
	}
	// The lease of y is y's alone: it is still there.
	leases, err := h.acme.Org("acme").Leases(h.ctx, "LK-F")
	if err != nil || !slices.ContainsFunc(leases, func(l portal.Lease) bool { return l.Fingerprint == "y" }) {
		t.Fatalf("Leases = %+v, %v; want y's", leases, err)
	}
}
