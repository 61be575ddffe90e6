package license_test

import (
	"bytes"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/licensekit/license"
)

// MustSigningKey returns a signing key named name whose secret is derived
// from seed, so that tests and examples print the same keys every run.
func MustSigningKey(tb testing.TB, name, seed string) *license.SigningKey {
	tb.Helper()
	sum := sha256.Sum256([]byte(seed))
	k, err := license.GenerateSigningKey(name, bytes.NewReader(sum[:]))
	if err != nil {
		tb.Fatalf("GenerateSigningKey(%q): %v", name, err)
	}
	return k
}

// MustVerifier returns a verifier trusting the verifying keys of sks.
func MustVerifier(tb testing.TB, sks ...*license.SigningKey) *license.Verifier {
	tb.Helper()
	var vks []license.VerifyingKey
	for _, sk := range sks {
		vks = append(vks, sk.VerifyingKey())
	}
	v, err := license.NewVerifier(vks...)
	if err != nil {
		tb.Fatalf("NewVerifier: %v", err)
	}
	return v
}

// MustSign signs l with sk.
func MustSign(tb testing.TB, sk *license.SigningKey, l *license.License) string {
	tb.Helper()
	key, err := sk.Sign(l)
	if err != nil {
		tb.Fatalf("Sign: %v", err)
	}
	return key
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// fullLicense returns a license that sets every field of L1.
func fullLicense() *license.License {
	return &license.License{
		ID:           "SN-0001-2026",
		Product:      "acme-backup",
		Edition:      "enterprise",
		Type:         license.TypeServer,
		Scheme:       license.SchemePerCore,
		Quantity:     64,
		MinDevices:   5,
		Features:     []string{"dedup", "encryption", "replication"},
		Organization: "org-42",
		IssuedAt:     day("2026-01-01"),
		Start:        day("2026-01-15"),
		Expiry:       day("2027-01-15"),
		Partner:      "reseller-7",
		Custom:       map[string]string{"po": "PO-9931", "note": "multi\nline"},
	}
}
