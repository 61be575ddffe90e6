package portal_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/internal/licensetest"
)

// MustSigningKey returns a signing key derived from seed, the same every
// run.
func MustSigningKey(tb testing.TB, name, seed string) *license.SigningKey {
	return licensetest.SigningKey(tb, name, seed)
}

// MustSign signs l with sk.
func MustSign(tb testing.TB, sk *license.SigningKey, l *license.License) string {
	return licensetest.Sign(tb, sk, l)
}

func day(s string) time.Time { return licensetest.Day(s) }

// date returns midnight UTC of a day, for examples.
func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// seed returns a source of 32 bytes b, so that examples print the same
// keys every run.
func seed(b byte) *bytes.Reader { return licensetest.Seed(b) }
