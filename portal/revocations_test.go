package portal_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// list returns the verified revocation list and checks its serial.
func (h *activationHarness) list(wantSerial uint64) *license.RevocationList {
	h.tb.Helper()
	text, serial, err := h.p.RevocationList(h.ctx)
	if err != nil {
		h.tb.Fatal(err)
	}
	r, err := h.v.VerifyRevocationList(text)
	if err != nil {
		h.tb.Fatal(err)
	}
	if r.Serial != serial || serial != wantSerial {
		h.tb.Fatalf("revocation list serial %d (returned %d), want %d", r.Serial, serial, wantSerial)
	}
	return r
}

// C1, C2: the vendor revokes a license, an activation and a signing key;
// each revocation makes a list, signed by the vendor, whose serial grows
// by one; revoking again changes nothing; certificates name the serial.
func TestRevocation_C1_C2_ListGrowsByOne(t *testing.T) {
	h := newActivationHarness(t, 2)
	h.list(1)
	_, a := h.activate("pc-1")
	other := MustSigningKey(t, "old", "portal")
	if err := h.p.RevokeActivation(h.ctx, a.ID, "stolen laptop"); err != nil {
		t.Fatal(err)
	}
	h.list(2)
	if err := h.p.Revoke(h.ctx, "SEATS", "refunded"); err != nil {
		t.Fatal(err)
	}
	h.list(3)
	if err := h.p.RevokeSigningKey(h.ctx, other.KeyID(), "leaked"); err != nil {
		t.Fatal(err)
	}
	r := h.list(4)
	if !r.RevokesActivation(a.ID) || !r.RevokesLicense("SEATS") || !r.RevokesSigningKey(other.KeyID()) {
		t.Errorf("list %+v misses a revocation", r)
	}
	for _, again := range []error{
		h.p.RevokeActivation(h.ctx, a.ID, "again"),
		h.p.Revoke(h.ctx, "SEATS", "again"),
		h.p.RevokeSigningKey(h.ctx, other.KeyID(), "again"),
	} {
		if again != nil {
			t.Errorf("revoking again = %v", again)
		}
	}
	h.list(4)
	vendor := h.actions("")
	if vendor["activation.revoke"] != 1 || vendor["license.revoke"] != 1 || vendor["signing-key.revoke"] != 1 {
		t.Errorf("vendor's history %v, want one of each revocation (P5)", vendor)
	}
	if h.actions("acme")["activation.revoke"] != 1 {
		t.Errorf("the organization's history misses the activation's revocation")
	}

	// The serial survives a restart: a new portal over the same store.
	store := portal.NewMemoryPortalStore()
	p1, err := portal.NewPortal(portal.PortalConfig{Signer: h.vendor, Store: store, Clock: h.clk})
	if err != nil {
		t.Fatal(err)
	}
	if err := p1.Revoke(h.ctx, "X-1", ""); err != nil {
		t.Fatal(err)
	}
	p2, err := portal.NewPortal(portal.PortalConfig{Signer: h.vendor, Store: store, Clock: h.clk})
	if err != nil {
		t.Fatal(err)
	}
	if _, serial, err := p2.RevocationList(h.ctx); err != nil || serial != 2 {
		t.Errorf("serial after a restart = %d, %v; want 2", serial, err)
	}
}

// C1, A5: a revoked activation frees its seat, is refused at check-in,
// and the device cannot activate that license again; a new certificate
// names the list's serial.
func TestRevocation_C1_ActivationRefused(t *testing.T) {
	h := newActivationHarness(t, 1)
	_, a := h.activate("pc-1")
	if err := h.p.RevokeActivation(h.ctx, a.ID, ""); err != nil {
		t.Fatal(err)
	}
	if got := h.used(); got != 0 {
		t.Errorf("%d seats used after revoking the only activation", got)
	}
	if _, err := h.p.CheckIn(h.ctx, a.ID, "pc-1"); !errors.Is(err, portal.ErrActivationRevoked) {
		t.Errorf("check-in of a revoked activation = %v, want ErrActivationRevoked", err)
	}
	if _, _, err := h.p.Activate(h.ctx, portal.ActivationRequest{Key: h.key, Fingerprint: "pc-1"}); !errors.Is(err, portal.ErrActivationRevoked) {
		t.Errorf("activating again after revocation = %v, want ErrActivationRevoked", err)
	}
	c, _ := h.activate("pc-2")
	if c.RevocationSerial != 2 {
		t.Errorf("certificate after one revocation names serial %d, want 2", c.RevocationSerial)
	}
	if err := h.p.RevokeActivation(h.ctx, "act-999", ""); !errors.Is(err, portal.ErrNoSuchActivation) {
		t.Errorf("revoking nothing = %v, want ErrNoSuchActivation", err)
	}
	if err := h.p.Revoke(h.ctx, "SEATS", ""); err != nil {
		t.Fatal(err)
	}
	h.list(3)
}

// C1: the licenses a revoked signing key signed no longer activate nor
// check in; the portal's own key cannot be revoked; bad input changes
// nothing.
func TestRevocation_C1_SigningKey(t *testing.T) {
	old := MustSigningKey(t, "old", "portal")
	h := newActivationHarness(t, 1, func(c *portal.PortalConfig) {
		v, err := license.NewVerifier(c.Signer.VerifyingKey(), old.VerifyingKey())
		if err != nil {
			t.Fatal(err)
		}
		c.Verifier = v
	})
	l := seatsLicense("OLD", 2)
	l.Product, l.IssuedAt = "acme-backup", h.clk.Now()
	key := MustSign(t, old, &l)
	if _, err := h.as("acme").AddKey(h.ctx, key, portal.KeyOptions{}); err != nil {
		t.Fatal(err)
	}
	_, a, err := h.p.Activate(h.ctx, portal.ActivationRequest{Key: key, Fingerprint: "pc-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.p.RevokeSigningKey(h.ctx, old.KeyID(), "leaked"); err != nil {
		t.Fatal(err)
	}
	var se *license.SignerError
	if _, _, err := h.p.Activate(h.ctx, portal.ActivationRequest{Key: key, Fingerprint: "pc-2"}); !errors.As(err, &se) || !errors.Is(err, license.ErrRetiredSigner) {
		t.Errorf("activation of a key of a revoked signer = %v, want a SignerError of ErrRetiredSigner", err)
	}
	if _, err := h.p.CheckIn(h.ctx, a.ID, "pc-1"); !errors.Is(err, license.ErrRetiredSigner) {
		t.Errorf("check-in of a key of a revoked signer = %v, want ErrRetiredSigner", err)
	}
	h.activate("pc-3") // the vendor's current key still activates
	for name, err := range map[string]error{
		"own key":  h.p.RevokeSigningKey(h.ctx, h.vendor.KeyID(), ""),
		"empty ID": h.p.RevokeSigningKey(h.ctx, "", ""),
		"bad text": h.p.RevokeActivation(h.ctx, "act\x00", ""),
		"reason":   h.p.Revoke(h.ctx, "SEATS", "bad\x00reason"),
	} {
		if !errors.Is(err, license.ErrInvalidInput) {
			t.Errorf("%s: %v, want ErrInvalidInput", name, err)
		}
	}
	if r := h.list(2); !slices.Equal(r.SigningKeys, []string{old.KeyID()}) || len(r.Licenses)+len(r.Activations) != 0 {
		t.Errorf("list %+v, want the old key only", r)
	}
}
