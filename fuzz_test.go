package license_test

import (
	"strings"
	"testing"

	"github.com/licensekit/license"
)

// FuzzVerify feeds arbitrary text to Verify (K3). It must never panic,
// and nothing verifies unless the signer made it: a text that verifies is,
// once its whitespace is removed (K4), exactly the key the signer writes
// for the license it carries.
func FuzzVerify(f *testing.F) {
	sk := MustSigningKey(f, "acme.example", "fuzz")
	other := MustSigningKey(f, "acme.example", "impostor")
	v := MustVerifier(f, sk)
	full := MustSign(f, sk, fullLicense())
	term := MustSign(f, sk, termLicense())
	for _, seed := range []string{
		full,
		term,
		string(license.FormatKeyFile(full)),
		full[:len(full)/2],
		strings.Replace(full, "LK1.", "LK2.", 1),
		MustSign(f, other, fullLicense()),
		"LK1.acme.example+00000000..",
		"LK1...",
		"",
		"LK",
		"LK1.a+0000000g.AA.AA",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		l, err := v.Verify(text)
		if err != nil {
			if l != nil {
				t.Fatalf("Verify returned a license with error %v", err)
			}
			return
		}
		again, err := sk.Sign(l)
		if err != nil {
			t.Fatalf("a verified license does not sign again: %v", err)
		}
		if clean := strings.Join(strings.Fields(text), ""); again != clean {
			t.Fatalf("verified a text the signer did not write:\n got %q\nsigner %q", clean, again)
		}
		if _, _, err := license.DecodeUnverified(text); err != nil {
			t.Fatalf("DecodeUnverified fails on a verified key: %v", err)
		}
	})
}
