package sqlite_test

import (
	"fmt"
	"testing"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// BenchmarkGroupRebalance takes one license out of a license group of
// 1,000 licenses of 200 seats and 100,000 devices, 100 placed on each:
// one op is one full placement run of the group through the portal, which
// reads its devices, keys and seats, moves the removed license's devices
// to the others and writes what changed. Each op removes the next
// license. The goal: under 1 s.
func BenchmarkGroupRebalance(b *testing.B) {
	const (
		licenses  = 1_000
		devices   = 100_000
		perDevice = devices / licenses
	)
	h := newBenchPortal(b)
	lic := func(i int) string { return fmt.Sprintf("G-%04d", i) }
	fp := func(i int) string { return fmt.Sprintf("pc-%06d", i) }
	g := portal.Group{ID: "site", Name: "Site", Placed: make(map[string]string, devices)}
	bulk(b, h.store.Path(), "INSERT INTO org_keys (org, id, data) VALUES ('acme', ?, ?)", licenses, func(i int) []any {
		l := license.License{ID: lic(i), Product: "acme-backup", Scheme: license.SchemePerDevice, Quantity: 2 * perDevice,
			Features: []string{"backup"}, IssuedAt: t0, Expiry: t0.AddDate(1, 0, 0)}
		key, err := h.key.Sign(&l)
		if err != nil {
			b.Fatal(err)
		}
		g.Licenses = append(g.Licenses, l.ID)
		return []any{l.ID, mustJSON(b, portal.OrgKey{Key: key, License: &l, Added: t0, AddedBy: "admin@acme.example", Group: g.ID})}
	})
	bulk(b, h.store.Path(), "INSERT INTO devices (org, id, data) VALUES ('acme', ?, ?)", devices, func(i int) []any {
		g.Devices = append(g.Devices, fp(i))
		g.Placed[fp(i)] = lic(i / perDevice)
		return []any{fp(i), mustJSON(b, portal.Device{Fingerprint: fp(i), OS: license.TypeWorkstation, CPUs: 1, Cores: 4, Registered: t0, Group: g.ID})}
	})
	bulk(b, h.store.Path(), "INSERT INTO seats (org, id, license, device, data) VALUES ('acme', ?, ?, ?, ?)", devices, func(i int) []any {
		l := lic(i / perDevice)
		return []any{l + "|device|" + fp(i), l, fp(i), mustJSON(b, portal.Seat{License: l, Device: fp(i), Units: 1, Assigned: t0})}
	})
	countSeats(b, h.store.Path())
	bulk(b, h.store.Path(), "INSERT INTO groups (org, id, data) VALUES ('acme', ?, ?)", 1, func(int) []any { return []any{g.ID, mustJSON(b, g)} })
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if err := h.acme.RemoveFromGroup(h.ctx, g.ID, lic(i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
	v, err := h.acme.Group(h.ctx, g.ID)
	if err != nil {
		b.Fatal(err)
	}
	if len(v.Licenses) != licenses-i || len(v.Unplaced) != 0 {
		b.Fatalf("after %d removals: %d licenses, %d devices unplaced; want %d and 0", i, len(v.Licenses), len(v.Unplaced), licenses-i)
	}
}
