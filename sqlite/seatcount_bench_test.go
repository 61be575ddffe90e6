package sqlite_test

import (
	"fmt"
	"testing"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// BenchmarkSeatOfLargeLicense assigns and releases one seat (one op) of a
// license that already holds 10 or 100,000 seats: the license's usage is
// read from its count, not from its seats, so the cost stays that of the
// 10 seats (goal ≤ 2×).
func BenchmarkSeatOfLargeLicense(b *testing.B) {
	for _, n := range []int{10, 100_000} {
		b.Run(fmt.Sprintf("seats=%d", n), func(b *testing.B) {
			h := newBenchPortal(b)
			h.addKey(b, "SN-BIG", n+1)
			fp := func(i int) string { return fmt.Sprintf("big-%06d", i) }
			bulk(b, h.store.Path(), "INSERT INTO devices (org, id, data) VALUES ('acme', ?, ?)", n+1, func(i int) []any {
				return []any{fp(i), mustJSON(b, portal.Device{Fingerprint: fp(i), OS: license.TypeWorkstation, CPUs: 1, Cores: 4, Registered: t0})}
			})
			bulk(b, h.store.Path(), "INSERT INTO seats (org, id, license, device, data) VALUES ('acme', ?, 'SN-BIG', ?, ?)", n, func(i int) []any {
				return []any{"SN-BIG|device|" + fp(i), fp(i), mustJSON(b, portal.Seat{License: "SN-BIG", Device: fp(i), Units: 1, Assigned: t0})}
			})
			countSeats(b, h.store.Path())
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.acme.AssignSeat(h.ctx, "SN-BIG", fp(n)); err != nil {
					b.Fatal(err)
				}
				if err := h.acme.ReleaseSeat(h.ctx, "SN-BIG", fp(n)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
