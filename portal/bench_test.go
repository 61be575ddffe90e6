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
