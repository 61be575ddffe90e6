package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// BenchmarkSeatOfLargeLicense assigns and releases one seat (one op) of a
// license that already holds 10 or 100,000 seats: the license's usage is
// read from its count, along with its key, not from its seats, so the
// cost stays that of the 10 seats (goal ≤ 2×).
func BenchmarkSeatOfLargeLicense(b *testing.B) {
	for _, n := range []int{10, 100_000} {
		b.Run(fmt.Sprintf("seats=%d", n), func(b *testing.B) {
			ctx := context.Background()
			schema, clk, _, acme := benchPortal(b)
			now := clk.Now()
			l := license.License{ID: "SN-BIG", Product: "acme-backup", Scheme: license.SchemePerDevice, Quantity: n + 1,
				Features: []string{"backup"}, IssuedAt: now.Add(-time.Hour), Expiry: now.AddDate(1, 0, 0)}
			key, err := vendorKey(b).Sign(&l)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := acme.AddKey(ctx, key, portal.KeyOptions{}); err != nil {
				b.Fatal(err)
			}
			fp := func(i int) string { return fmt.Sprintf("big-%06d", i) }
			copyRows(b, schema, "devices", []string{"org", "id", "data"}, n+1, func(i int) []any {
				return []any{"acme", fp(i), mustJSON(b, portal.Device{Fingerprint: fp(i), OS: license.TypeWorkstation, CPUs: 1, Cores: 4, Registered: now})}
			})
			copyRows(b, schema, "seats", []string{"org", "id", "license", "device", "data"}, n, func(i int) []any {
				return []any{"acme", "SN-BIG|device|" + fp(i), "SN-BIG", fp(i),
					mustJSON(b, portal.Seat{License: "SN-BIG", Device: fp(i), Units: 1, Assigned: now})}
			})
			analyze(b, schema)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := acme.AssignSeat(ctx, "SN-BIG", fp(n)); err != nil {
					b.Fatal(err)
				}
				if err := acme.ReleaseSeat(ctx, "SN-BIG", fp(n)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
