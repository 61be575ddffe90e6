package license_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/licensekit/license"
)

// FuzzVerify feeds arbitrary text to Verify (K3). It must never panic,
// and nothing verifies unless the signer made it: a text that verifies is,
// once its whitespace is removed (K4), exactly the key the signer writes
// for the license it carries. A Verifier without a cache gives the same
// answer, also when the text is verified a second time, from the cache
// (K2).
func FuzzVerify(f *testing.F) {
	sk := MustSigningKey(f, "acme.example", "fuzz")
	other := MustSigningKey(f, "acme.example", "impostor")
	v, plain := MustVerifier(f, sk), uncached(f, sk)
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
		want, wantErr := plain.Verify(text)
		for range 2 {
			l, err := v.Verify(text)
			if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
				t.Fatalf("with the cache: %v; without: %v", err, wantErr)
			}
			if diff := cmp.Diff(want, l); diff != "" {
				t.Fatalf("the cache changes the license (-without +with):\n%s", diff)
			}
		}
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
