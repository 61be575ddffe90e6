package portal_test

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

// date returns midnight UTC of a day, for examples.
func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// seed returns a source of 32 bytes b, so that examples print the same
// keys every run.
func seed(b byte) *bytes.Reader { return bytes.NewReader(bytes.Repeat([]byte{b}, 32)) }
