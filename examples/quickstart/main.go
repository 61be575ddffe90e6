// Command quickstart walks a license key through its life on a fake clock:
// the vendor makes a signing key and issues a one-year license; the
// application verifies the key offline and asks, as days pass, whether the
// license is in force; a tampered copy of the key is refused.
//
// Run it with: go run ./examples/quickstart
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run prints one line per step on w: the instant on the fake clock, what
// happened, and the details.
func run(w io.Writer) error {
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	say := func(event, format string, args ...any) {
		fmt.Fprintf(w, "%s %s %s\n", clk.Now().UTC().Format(time.RFC3339Nano), event, fmt.Sprintf(format, args...))
	}

	// The vendor, once: a signing key (kept secret) and its verifying key
	// (shipped inside the application).
	sk, err := license.GenerateSigningKey("acme-2026", nil)
	if err != nil {
		return err
	}
	say("keygen", "verifying key %s", sk.VerifyingKey().Name())

	// The vendor, per sale: a signed license key sent to the customer.
	key, err := sk.Sign(&license.License{
		ID:       "SN-0001",
		Product:  "acme-backup",
		Edition:  "enterprise",
		Scheme:   license.SchemePerDevice,
		Quantity: 25,
		Features: []string{"dedup", "encryption"},
		IssuedAt: clk.Now(),
		Expiry:   clk.Now().AddDate(1, 0, 0),
	})
	if err != nil {
		return err
	}
	say("issued", "%d-character key %s…", len(key), key[:24])

	// The application: verify offline with the trusted verifying key.
	v, err := license.NewVerifier(sk.VerifyingKey())
	if err != nil {
		return err
	}
	l, err := v.Verify(string(license.FormatKeyFile(key)))
	if err != nil {
		return err
	}
	say("verified", "%s %s %s, %d per-%s seats, features %s, expires %s",
		l.ID, l.Product, l.Edition, l.Quantity, l.Scheme, strings.Join(l.Features, ","), l.Expiry.Format(time.DateOnly))

	// Time passes; the application asks whether the license is in force.
	for _, d := range []time.Duration{180 * 24 * time.Hour, 185*24*time.Hour - time.Nanosecond, time.Nanosecond} {
		clk.Add(d)
		if err := l.ValidAt(clk.Now(), time.Time{}); err != nil {
			say("refused", "%v", err)
		} else {
			say("allowed", "%s is in force", l.ID)
		}
	}

	// Someone edits one character of the payload, hoping for more seats:
	// the signature no longer matches.
	c := byte('A')
	if key[40] == c {
		c = 'B'
	}
	tampered := key[:40] + string(c) + key[41:]
	if _, err := v.Verify(tampered); err != nil {
		say("rejected", "tampered key: %v", err)
	}
	return nil
}
