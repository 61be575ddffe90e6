// Package licensetest holds what the tests of several packages need to
// make keys and instants the same way every run.
package licensetest

import (
	"bytes"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/licensekit/license"
)

// SigningKey returns a signing key named name whose secret is derived
// from seed, so that tests and examples print the same keys every run.
func SigningKey(tb testing.TB, name, seed string) *license.SigningKey {
	tb.Helper()
	sum := sha256.Sum256([]byte(seed))
	k, err := license.GenerateSigningKey(name, bytes.NewReader(sum[:]))
	if err != nil {
		tb.Fatalf("GenerateSigningKey(%q): %v", name, err)
	}
	return k
}

// Sign signs l with sk.
func Sign(tb testing.TB, sk *license.SigningKey, l *license.License) string {
	tb.Helper()
	key, err := sk.Sign(l)
	if err != nil {
		tb.Fatalf("Sign: %v", err)
	}
	return key
}

// Day returns midnight UTC of a date written 2006-01-02.
func Day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Seed returns a source of 32 bytes b, so that examples print the same
// keys every run.
func Seed(b byte) *bytes.Reader { return bytes.NewReader(bytes.Repeat([]byte{b}, 32)) }
