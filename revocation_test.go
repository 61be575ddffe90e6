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
