// Command quickstart walks one installation through the whole license
// lifecycle on a fake clock, printing one line per event:
//
//	<RFC 3339 instant> <event> <detail>
//
// A trial starts; a one-year term license is activated; a reserve key is
// added and takes over when the first year ends; the second year runs out
// with its notices; grace, suspension and deletion follow, and a clock set
// back on the way is caught.
//
// Run it with: go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// run prints each event of the installation's life on w.
func run(ctx context.Context, w io.Writer) error {
	clk := clock.NewMock()
	clk.Set(date(2026, 1, 1))

	// The vendor: a signing key, and the license keys it sells.
	vendor, err := license.GenerateSigningKey("acme-2026", nil)
	if err != nil {
		return err
	}
	yearly := func(id string) (string, error) {
		return vendor.Sign(&license.License{
			ID: id, Product: "acme-backup", Edition: "enterprise", Type: license.TypeServer,
			Scheme: license.SchemePerDevice, Quantity: 25, Features: []string{"backup", "restore"},
			IssuedAt: clk.Now(), Term: 365 * license.Day,
		})
	}

	// The application: it trusts the vendor's verifying key and keeps one
	// installation, here in memory, printing every event it is told.
	verifier, err := license.NewVerifier(vendor.VerifyingKey())
	if err != nil {
		return err
	}
	m, err := license.NewManager(ctx, license.ManagerConfig{
		Verifier: verifier,
		Clock:    clk,
		Product:  "acme-backup",
		OnEvent: func(e license.Event) {
			fmt.Fprintf(w, "%s %s %s\n", e.At.Format(time.RFC3339), e.Kind, e.Detail)
		},
	})
	if err != nil {
		return err
	}

	// What the user does, and when. Every other line comes from time
	// passing.
	script := map[time.Time]func() error{
		date(2026, 1, 1): func() error { return m.StartTrial(ctx) },
		date(2026, 1, 20): func() error {
			key, err := yearly("SN-2026-0001")
			if err == nil {
				_, err = m.AddKey(ctx, key)
			}
			return err
		},
		date(2026, 12, 1): func() error {
			key, err := yearly("SN-2027-0001")
			if err == nil {
				_, err = m.AddReserve(ctx, key)
			}
			return err
		},
		date(2028, 2, 10): func() error {
			// Someone sets the clock back to get their license back.
			clk.Set(date(2027, 6, 1))
			if err := m.Advance(ctx, clk.Now()); err != nil {
				return err
			}
			if d := m.Check("backup"); d.Allowed {
				return fmt.Errorf("a clock set back must not grant anything, got %+v", d)
			}
			clk.Set(date(2028, 2, 10))
			return nil
		},
	}
	// The host sleeps until the Manager's next change or the user's next
	// action, whichever comes first, then advances the Manager.
	var days []time.Time
	for d := range script {
		days = append(days, d)
	}
	slices.SortFunc(days, time.Time.Compare)
	for {
		t := m.Next()
		if len(days) > 0 && (t.IsZero() || !t.Before(days[0])) {
			t, days = days[0], days[1:]
		}
		if t.IsZero() {
			break
		}
		clk.Set(t)
		if err := m.Advance(ctx, t); err != nil {
			return err
		}
		if do, ok := script[t]; ok {
			if err := do(); err != nil {
				return fmt.Errorf("%s: %w", t.Format(time.DateOnly), err)
			}
		}
	}
	if d := m.Check(""); d.State != license.Deleted {
		return fmt.Errorf("the installation should end deleted, not %s", d.State)
	}
	return nil
}
