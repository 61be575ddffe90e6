package portal_test

import (
	"fmt"
	"testing"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// BenchmarkPortalSeatAssign assigns and releases a seat through a Portal
// over the in-memory store, the baseline for the same benchmark over the
// file store and PostgreSQL. One op is one assignment and one release.
func BenchmarkPortalSeatAssign(b *testing.B) {
	h := newPortalHarness(b)
	acme := h.as("acme")
	if _, err := acme.AddKey(h.ctx, h.key(seatsLicense("SN-1", 1000)), portal.KeyOptions{}); err != nil {
		b.Fatal(err)
	}
	for i := range 100 {
		d := portal.Device{Fingerprint: fmt.Sprintf("pc-%d", i), OS: license.TypeWorkstation, CPUs: 1, Cores: 4}
		if _, err := acme.RegisterDevice(h.ctx, d); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		fp := fmt.Sprintf("pc-%d", i%100)
		if _, err := acme.AssignSeat(h.ctx, "SN-1", fp); err != nil {
			b.Fatal(err)
		}
		if err := acme.ReleaseSeat(h.ctx, "SN-1", fp); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkSeatScale assigns and releases one seat in an organization of
// 100 or 100,000 devices, each holding a seat of another license, over
// the memory store: one op is one assignment and one release. The goal:
// 100,000 devices cost at most 2× what 100 cost, since an update costs
// what it changes, not what the organization holds.
func BenchmarkSeatScale(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			store := portal.NewMemoryPortalStore()
			h := newPortalHarness(b, func(c *portal.PortalConfig) { c.Store = store })
			acme := h.as("acme")
			for _, l := range []license.License{seatsLicense("SN-ALL", n), seatsLicense("SN-1", 10)} {
				if _, err := acme.AddKey(h.ctx, h.key(l), portal.KeyOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			// Registering the devices one by one would take longer than
			// the benchmark: put them in at once.
			now := h.clk.Now()
			err := store.UpdateOrganization(h.ctx, "acme", func(o *portal.Organization) error {
				for i := range n {
					fp := fmt.Sprintf("pc-%06d", i)
					o.Devices.Put(fp, portal.Device{Fingerprint: fp, OS: license.TypeWorkstation, CPUs: 1, Cores: 4, Registered: now})
					o.Seats.Put("SN-ALL|device|"+fp, portal.Seat{License: "SN-ALL", Device: fp, Units: 1, Assigned: now})
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := acme.AssignSeat(h.ctx, "SN-1", "pc-000007"); err != nil {
					b.Fatal(err)
				}
				if err := acme.ReleaseSeat(h.ctx, "SN-1", "pc-000007"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
