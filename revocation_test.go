package license_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/licensekit/license"
)

// C2: a revocation list signed by the vendor's key reads back with its
// serial and its IDs sorted once each; every truncation is refused, and so
// is a list signed by another key.
func TestRevocationList_C2_SignVerify(t *testing.T) {
	sk := MustSigningKey(t, "acme.example", "revoke")
	v := MustVerifier(t, sk)
	r := &license.RevocationList{Serial: 12, Issued: day("2026-05-01"),
		Licenses: []string{"SN-9", "SN-1", "SN-9"}, Activations: []string{"act-2"}, SigningKeys: []string{"old+0000abcd"}}
	text, err := sk.SignRevocationList(r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.VerifyRevocationList(text)
	if err != nil {
		t.Fatal(err)
	}
	want := &license.RevocationList{Serial: 12, Issued: day("2026-05-01"),
		Licenses: []string{"SN-1", "SN-9"}, Activations: []string{"act-2"}, SigningKeys: []string{"old+0000abcd"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if !got.RevokesLicense("SN-9") || got.RevokesLicense("SN-2") || !got.RevokesActivation("act-2") || !got.RevokesSigningKey("old+0000abcd") {
		t.Fatal("Revokes… disagree with the list")
	}
	for i := range len(text) {
		for _, cut := range []string{text[:i], text[i+1:]} {
			if _, err := v.VerifyRevocationList(cut); !errors.Is(err, license.ErrMalformedRevocationList) &&
				!errors.Is(err, license.ErrBadSignature) && !errors.Is(err, license.ErrUnknownSigner) && !errors.Is(err, license.ErrUnsupportedVersion) {
				t.Fatalf("%q: %v", cut, err)
			}
		}
	}
	other := MustSigningKey(t, "acme.example", "impostor")
	forged, err := other.SignRevocationList(r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyRevocationList(forged); err == nil {
		t.Fatal("a list signed by an untrusted key verified")
	}
	if _, err := sk.SignRevocationList(&license.RevocationList{Issued: day("2026-05-01")}); !errors.Is(err, license.ErrInvalidInput) {
		t.Fatalf("serial 0: %v", err)
	}
	if _, err := sk.SignRevocationList(&license.RevocationList{Serial: 1, Issued: day("2026-05-01"), Licenses: []string{strings.Repeat("x", 256)}}); !errors.Is(err, license.ErrInvalidInput) {
		t.Fatalf("a long ID: %v", err)
	}
}

// mustList signs a revocation list of serial n with sk.
func mustList(tb testing.TB, sk *license.SigningKey, n uint64, r license.RevocationList) string {
	tb.Helper()
	r.Serial = n
	if r.Issued.IsZero() {
		r.Issued = day("2026-05-01")
	}
	text, err := sk.SignRevocationList(&r)
	if err != nil {
		tb.Fatal(err)
	}
	return text
}

// C2: a Verifier keeps the newest list it loaded: an older one fails
// with ErrStaleRevocationList and changes nothing, the same one again is
// a no-op, a newer one replaces it; bad input is refused with its own
// error.
func TestVerifier_C2_OlderListRefused(t *testing.T) {
	sk := MustSigningKey(t, "acme.example", "revoke")
	v := MustVerifier(t, sk)
	sn1 := MustSign(t, sk, &license.License{ID: "SN-1", Product: "p", IssuedAt: day("2026-01-01")})
	sn2 := MustSign(t, sk, &license.License{ID: "SN-2", Product: "p", IssuedAt: day("2026-01-01")})
	two := mustList(t, sk, 2, license.RevocationList{Licenses: []string{"SN-1"}})
	one := mustList(t, sk, 1, license.RevocationList{Licenses: []string{"SN-2"}})

	if err := v.LoadRevocationList(two); err != nil {
		t.Fatal(err)
	}
	if err := v.LoadRevocationList(one); !errors.Is(err, license.ErrStaleRevocationList) {
		t.Fatalf("older list: %v, want ErrStaleRevocationList", err)
	}
	if _, err := v.Verify(sn2); err != nil {
		t.Fatalf("the older list took effect: %v", err)
	}
	if _, err := v.Verify(sn1); !errors.Is(err, license.ErrRevoked) {
		t.Fatalf("list 2 was undone: %v", err)
	}
	if err := v.LoadRevocationList(two); err != nil {
		t.Fatalf("the same list again: %v", err)
	}
	for _, bad := range []string{"", "LR1.garbage", two[:len(two)-3], mustList(t, MustSigningKey(t, "acme.example", "impostor"), 9, license.RevocationList{})} {
		if err := v.LoadRevocationList(bad); err == nil {
			t.Fatalf("%q loaded", bad)
		}
	}
	if _, err := v.Verify(sn1); !errors.Is(err, license.ErrRevoked) {
		t.Fatalf("bad input changed the list: %v", err)
	}
	three := mustList(t, sk, 3, license.RevocationList{Licenses: []string{"SN-2"}})
	if err := v.LoadRevocationList(three); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(sn1); err != nil {
		t.Fatalf("list 3 does not name SN-1: %v", err)
	}
	if _, err := v.Verify(sn2); !errors.Is(err, license.ErrRevoked) {
		t.Fatalf("list 3 names SN-2: %v", err)
	}
}

// C3: once a list names them, Verify refuses a license, also one it had
// verified and cached before, VerifyCertificate an activation, and a
// signing key is retired: what it signed fails with ErrRetiredSigner,
// never served from the cache, and other keys still verify.
func TestVerifier_C3_RevokedLicenseActivationAndSigningKey(t *testing.T) {
	old := MustSigningKey(t, "acme.example", "old")
	cur := MustSigningKey(t, "acme.example", "current")
	v := MustVerifier(t, old, cur)
	byOld := MustSign(t, old, fullLicense())
	revoked := MustSign(t, cur, termLicense())
	kept := MustSign(t, cur, &license.License{ID: "SN-KEPT", Product: "p", IssuedAt: day("2026-01-01")})
	cert, err := cur.SignCertificate(sampleCertificate())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{byOld, revoked, kept} {
		if _, err := v.Verify(k); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := v.VerifyCertificate(cert); err != nil {
		t.Fatal(err)
	}

	list := mustList(t, cur, 1, license.RevocationList{
		Licenses: []string{termLicense().ID}, Activations: []string{sampleCertificate().ID},
		SigningKeys: []string{old.KeyID(), "unknown+00000000"},
	})
	if err := v.LoadRevocationList(list); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(revoked); !errors.Is(err, license.ErrRevoked) {
		t.Fatalf("revoked license: %v, want ErrRevoked", err)
	}
	var se *license.SignerError
	if _, err := v.Verify(byOld); !errors.Is(err, license.ErrRetiredSigner) || !errors.As(err, &se) || se.KeyID != old.KeyID() {
		t.Fatalf("key of a revoked signing key: %v, want ErrRetiredSigner", err)
	}
	if v.Cached(byOld) {
		t.Fatal("the revoked signing key's license is still cached")
	}
	if _, err := v.VerifyCertificate(cert); !errors.Is(err, license.ErrRevoked) {
		t.Fatalf("revoked activation: %v, want ErrRevoked", err)
	}
	if _, err := v.Verify(kept); err != nil {
		t.Fatalf("a license the list does not name: %v", err)
	}
}
