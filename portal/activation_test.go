package portal_test

import (
	"errors"
	"testing"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// activationHarness is a portalHarness whose organization acme holds a
// per-device license of n seats, SEATS, with its key.
type activationHarness struct {
	*portalHarness
	key string
	v   *license.Verifier
}

func newActivationHarness(t *testing.T, n int, configure ...func(*portal.PortalConfig)) *activationHarness {
	t.Helper()
	h := &activationHarness{portalHarness: newPortalHarness(t, configure...)}
	h.key = h.portalHarness.key(seatsLicense("SEATS", n))
	if _, err := h.as("acme").AddKey(h.ctx, h.key, portal.KeyOptions{}); err != nil {
		t.Fatal(err)
	}
	v, err := license.NewVerifier(h.vendor.VerifyingKey())
	if err != nil {
		t.Fatal(err)
	}
	h.v = v
	return h
}

// activate activates the harness's key on device fp.
func (h *activationHarness) activate(fp string) (*license.Certificate, portal.Activation) {
	h.tb.Helper()
	text, a, err := h.p.Activate(h.ctx, portal.ActivationRequest{Key: h.key, Fingerprint: fp})
	if err != nil {
		h.tb.Fatalf("Activate on %s: %v", fp, err)
	}
	return h.cert(text), a
}

// cert verifies a certificate's text.
func (h *activationHarness) cert(text string) *license.Certificate {
	h.tb.Helper()
	c, err := h.v.VerifyCertificate(text)
	if err != nil {
		h.tb.Fatalf("VerifyCertificate: %v", err)
	}
	return c
}

// used returns how many seats of SEATS are taken.
func (h *activationHarness) used() int {
	h.tb.Helper()
	keys, err := h.as("acme").Keys(h.ctx)
	if err != nil {
		h.tb.Fatal(err)
	}
	for _, k := range keys {
		if k.License.ID == "SEATS" {
			return k.Used
		}
	}
	h.tb.Fatal("SEATS left the key storage")
	return 0
}

// actions returns how often each action appears in org's history.
func (h *activationHarness) actions(org string) map[string]int {
	h.tb.Helper()
	out := map[string]int{}
	entries, _, err := h.p.VendorHistory(h.ctx, 0, 1000)
	if org != "" {
		entries, _, err = h.as(org).History(h.ctx, 0, 1000)
	}
	if err != nil {
		h.tb.Fatal(err)
	}
	for _, e := range entries {
		out[e.Action]++
	}
	return out
}

// A1: activating with a key takes a seat and returns a certificate signed
// by the vendor: the license, the device, the server's instants, a
// NotAfter CertificateTTL away and the revocation list's serial.
func TestActivation_A1_CertificateFromKey(t *testing.T) {
	h := newActivationHarness(t, 5)
	now := h.clk.Now().UTC()
	c, a := h.activate("pc-1")
	if c.ID != a.ID || c.Fingerprint != "pc-1" || len(c.Licenses) != 1 || c.Licenses[0].ID != "SEATS" {
		t.Errorf("certificate %+v for activation %+v", c, a)
	}
	if !c.Activated.Equal(now) || !c.Issued.Equal(now) || !c.NotAfter.Equal(now.Add(portal.DefaultCertificateTTL)) {
		t.Errorf("certificate instants %v %v %v, want %v and NotAfter 30 days on", c.Activated, c.Issued, c.NotAfter, now)
	}
	if c.RevocationSerial != 1 {
		t.Errorf("RevocationSerial %d, want 1 (the empty list)", c.RevocationSerial)
	}
	if a.Org != "acme" || a.Product != "acme-backup" || a.Trial || !a.NotAfter.Equal(c.NotAfter) {
		t.Errorf("activation %+v", a)
	}
	if got := h.used(); got != 1 {
		t.Errorf("%d seats used, want 1", got)
	}
	if err := c.Check("pc-2", now); !errors.Is(err, license.ErrWrongDevice) {
		t.Errorf("Check on another device = %v", err)
	}
	if n := h.actions("acme")["activation.activate"]; n != 1 {
		t.Errorf("%d activations in the history, want 1 (P5)", n)
	}

	ttl := newActivationHarness(t, 5, func(c *portal.PortalConfig) { c.CertificateTTL = time.Hour })
	c, _ = ttl.activate("pc-1")
	if got := c.NotAfter.Sub(c.Issued); got != time.Hour {
		t.Errorf("certificate of a portal with a TTL of an hour holds %v", got)
	}
}

// A1: a key whose license is in no key storage, a bad request and a
// per-user license are refused, and nothing changes.
func TestActivation_A1_Refusals(t *testing.T) {
	h := newActivationHarness(t, 1)
	stray := h.portalHarness.key(seatsLicense("STRAY", 3))
	perUser := h.portalHarness.key(license.License{ID: "USERS", Scheme: license.SchemePerUser, Quantity: 3, Expiry: day("2027-01-01")})
	if _, err := h.as("acme").AddKey(h.ctx, perUser, portal.KeyOptions{}); err != nil {
		t.Fatal(err)
	}
	before := h.actions("acme")
	for _, tc := range []struct {
		name string
		req  portal.ActivationRequest
		want error
	}{
		{"no fingerprint", portal.ActivationRequest{Key: h.key}, license.ErrInvalidInput},
		{"neither key nor code", portal.ActivationRequest{Fingerprint: "pc-1"}, license.ErrInvalidInput},
		{"both key and code", portal.ActivationRequest{Key: h.key, Code: "7K2M-Q9XD-4HJT-0RWC", Fingerprint: "pc-1"}, license.ErrInvalidInput},
		{"not a key", portal.ActivationRequest{Key: "LK1.nope", Fingerprint: "pc-1"}, license.ErrMalformedKey},
		{"in no key storage", portal.ActivationRequest{Key: stray, Fingerprint: "pc-1"}, portal.ErrNoSuchKey},
		{"per-user license", portal.ActivationRequest{Key: perUser, Fingerprint: "pc-1"}, portal.ErrSchemeMismatch},
		{"bad code", portal.ActivationRequest{Code: "nope", Fingerprint: "pc-1"}, portal.ErrBadCode},
	} {
		if _, _, err := h.p.Activate(h.ctx, tc.req); !errors.Is(err, tc.want) {
			t.Errorf("%s: Activate = %v, want %v", tc.name, err, tc.want)
		}
	}
	if got := h.used(); got != 0 {
		t.Errorf("refusals took %d seats", got)
	}
	if after := h.actions("acme"); len(after) != len(before) || after["device.register"] != before["device.register"] {
		t.Errorf("refusals changed the history: %v, was %v", after, before)
	}
}

// A1, K5: an activation code made out to an organization activates on a
// device on its own; one made out to none must be redeemed in the portal.
func TestActivation_A1_ByCode(t *testing.T) {
	h := newActivationHarness(t, 1)
	tmpl := license.License{ID: "CODE", Product: "acme-backup", Scheme: license.SchemePerDevice, Quantity: 1, Term: 365 * license.Day}
	mint := func(org string) string {
		t.Helper()
		l := tmpl
		l.Organization = org
		codes, err := h.p.IssueActivationCodes(h.ctx, l, 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		return codes[0]
	}
	code := mint("acme")
	text, a, err := h.p.Activate(h.ctx, portal.ActivationRequest{Code: code, Fingerprint: "pc-1"})
	if err != nil {
		t.Fatal(err)
	}
	c := h.cert(text)
	if a.Org != "acme" || c.Licenses[0].Organization != "acme" || c.Licenses[0].Term != 365*license.Day {
		t.Errorf("activation %+v, license %+v", a, c.Licenses[0])
	}
	// The same device again: the same redemption, the same activation.
	if _, again, err := h.p.Activate(h.ctx, portal.ActivationRequest{Code: code, Fingerprint: "pc-1"}); err != nil || again.ID != a.ID {
		t.Errorf("activating the code again = %+v, %v; want activation %s", again, err, a.ID)
	}
	for _, org := range []string{"", "nobody"} {
		if _, _, err := h.p.Activate(h.ctx, portal.ActivationRequest{Code: mint(org), Fingerprint: "pc-2"}); !errors.Is(err, portal.ErrRedeemInPortal) {
			t.Errorf("code made out to %q: Activate = %v, want ErrRedeemInPortal", org, err)
		}
	}
}

// A3: activating again gives the same activation and its first instant;
// after a deactivation, a new activation that keeps the first instant.
func TestActivation_A3_ServerKeepsFirstActivation(t *testing.T) {
	h := newActivationHarness(t, 1)
	first := h.clk.Now().UTC()
	_, a := h.activate("pc-1")
	h.clk.Add(10 * license.Day)
	c, again := h.activate("pc-1")
	if again.ID != a.ID || !c.Activated.Equal(first) || !c.Issued.Equal(first.Add(10*license.Day)) {
		t.Errorf("activating again: %s activated %v issued %v; want %s, %v, now", again.ID, c.Activated, c.Issued, a.ID, first)
	}
	if err := h.p.Deactivate(h.ctx, a.ID, "pc-1"); err != nil {
		t.Fatal(err)
	}
	h.clk.Add(10 * license.Day)
	c, renewed := h.activate("pc-1")
	if renewed.ID == a.ID || !c.Activated.Equal(first) || !renewed.Activated.Equal(first) {
		t.Errorf("after deactivation: %s activated %v; want a new activation from %v", renewed.ID, c.Activated, first)
	}
	if got := h.used(); got != 1 {
		t.Errorf("%d seats used, want 1", got)
	}
}

// A4: a check-in gives a fresh certificate of the same activation, on the
// same device only.
func TestActivation_A4_CheckIn(t *testing.T) {
	h := newActivationHarness(t, 1)
	c0, a := h.activate("pc-1")
	h.clk.Add(20 * license.Day)
	text, err := h.p.CheckIn(h.ctx, a.ID, "pc-1")
	if err != nil {
		t.Fatal(err)
	}
	c := h.cert(text)
	now := h.clk.Now().UTC()
	if c.ID != a.ID || !c.Activated.Equal(c0.Activated) || !c.Issued.Equal(now) || !c.NotAfter.Equal(now.Add(portal.DefaultCertificateTTL)) {
		t.Errorf("check-in certificate %+v", c)
	}
	if got, err := h.p.Activation(h.ctx, a.ID); err != nil || !got.LastCheckIn.Equal(now) {
		t.Errorf("Activation = %+v, %v; want its last check-in now", got, err)
	}
	if _, err := h.p.CheckIn(h.ctx, a.ID, "pc-2"); !errors.Is(err, license.ErrWrongDevice) {
		t.Errorf("check-in from another device = %v, want ErrWrongDevice", err)
	}
	if _, err := h.p.CheckIn(h.ctx, "act-999", "pc-1"); !errors.Is(err, portal.ErrNoSuchActivation) {
		t.Errorf("check-in of nothing = %v, want ErrNoSuchActivation", err)
	}
	if _, err := h.p.CheckIn(h.ctx, "", "pc-1"); !errors.Is(err, license.ErrInvalidInput) {
		t.Errorf("check-in without an ID = %v, want ErrInvalidInput", err)
	}
	// A seat released in the portal: the device activates again.
	if err := h.as("acme").ReleaseSeat(h.ctx, "SEATS", "pc-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.p.CheckIn(h.ctx, a.ID, "pc-1"); !errors.Is(err, portal.ErrNoSuchSeat) {
		t.Errorf("check-in without a seat = %v, want ErrNoSuchSeat", err)
	}
}

// A5: deactivating frees the seat at once for another device, and the
// device's certificate is refused at its next check-in.
func TestActivation_A5_DeactivateFreesSeat(t *testing.T) {
	h := newActivationHarness(t, 1)
	_, a := h.activate("pc-1")
	if _, _, err := h.p.Activate(h.ctx, portal.ActivationRequest{Key: h.key, Fingerprint: "pc-2"}); !errors.Is(err, portal.ErrRestrictionExceeded) {
		t.Fatalf("second device on a license of one = %v, want ErrRestrictionExceeded", err)
	}
	if err := h.p.Deactivate(h.ctx, a.ID, "pc-2"); !errors.Is(err, license.ErrWrongDevice) {
		t.Errorf("deactivation from another device = %v, want ErrWrongDevice", err)
	}
	if err := h.p.Deactivate(h.ctx, a.ID, "pc-1"); err != nil {
		t.Fatal(err)
	}
	if got := h.used(); got != 0 {
		t.Errorf("%d seats used after the deactivation, want 0", got)
	}
	if _, err := h.p.CheckIn(h.ctx, a.ID, "pc-1"); !errors.Is(err, portal.ErrDeactivated) {
		t.Errorf("check-in after deactivation = %v, want ErrDeactivated", err)
	}
	if err := h.p.Deactivate(h.ctx, a.ID, "pc-1"); err != nil {
		t.Errorf("deactivating again = %v, want nil", err)
	}
	h.activate("pc-2")
	if n := h.actions("acme")["activation.deactivate"]; n != 1 {
		t.Errorf("%d deactivations in the history, want 1 (P5)", n)
	}
}

// A6: a trial is granted once per product and fingerprint: starting it
// again returns the first one, whose term runs from its first start, so
// an expired trial stays expired.
func TestTrial_A6_OncePerProductAndDevice(t *testing.T) {
	trial := license.License{Trial: true, Term: 30 * license.Day, Scheme: license.SchemePerDevice, Quantity: 1, Features: []string{"backup"}}
	h := newActivationHarness(t, 1, func(c *portal.PortalConfig) {
		c.Trials = map[string]license.License{"acme-backup": trial}
	})
	start := h.clk.Now().UTC()
	text, a, err := h.p.StartTrial(h.ctx, "acme-backup", "pc-1")
	if err != nil {
		t.Fatal(err)
	}
	c := h.cert(text)
	l := c.Licenses[0]
	if !a.Trial || a.Org != "" || !l.Trial || l.Product != "acme-backup" || !c.Activated.Equal(start) {
		t.Errorf("trial activation %+v, license %+v", a, l)
	}
	if err := l.ValidAt(start, c.Activated); err != nil {
		t.Errorf("a new trial is not valid: %v", err)
	}
	h.clk.Add(40 * license.Day)
	if err := h.p.Deactivate(h.ctx, a.ID, "pc-1"); err != nil {
		t.Fatal(err)
	}
	text, again, err := h.p.StartTrial(h.ctx, "acme-backup", "pc-1")
	if err != nil {
		t.Fatal(err)
	}
	c2 := h.cert(text)
	if !again.Activated.Equal(start) || c2.Licenses[0].ID != l.ID {
		t.Errorf("second trial %+v with license %s; want the first, from %v, license %s", again, c2.Licenses[0].ID, start, l.ID)
	}
	if err := c2.Licenses[0].ValidAt(h.clk.Now(), c2.Activated); !errors.Is(err, license.ErrExpired) {
		t.Errorf("the trial started again is valid 40 days on: %v, want ErrExpired", err)
	}
	text, other, err := h.p.StartTrial(h.ctx, "acme-backup", "pc-2")
	if err != nil || other.ID == a.ID || h.cert(text).Licenses[0].ID == l.ID {
		t.Errorf("another device's trial = %+v, %v; want its own", other, err)
	}
	if _, _, err := h.p.StartTrial(h.ctx, "acme-mail", "pc-1"); !errors.Is(err, portal.ErrNoTrial) {
		t.Errorf("trial of a product without one = %v, want ErrNoTrial", err)
	}
	if n := h.actions("")["trial.start"]; n != 2 {
		t.Errorf("%d trial starts in the vendor's history, want 2 (P5)", n)
	}
	for name, bad := range map[string]license.License{
		"not a trial": {Term: 30 * license.Day, Scheme: license.SchemePerDevice, Quantity: 1},
		"no term":     {Trial: true, Expiry: day("2027-01-01"), Scheme: license.SchemePerDevice, Quantity: 1},
		"other product": {Trial: true, Term: license.Day, Product: "acme-mail", Scheme: license.SchemePerDevice,
			Quantity: 1},
	} {
		_, err := portal.NewPortal(portal.PortalConfig{Signer: h.vendor, Trials: map[string]license.License{"acme-backup": bad}})
		if !errors.Is(err, license.ErrInvalidInput) {
			t.Errorf("%s: NewPortal = %v, want ErrInvalidInput", name, err)
		}
	}
}
