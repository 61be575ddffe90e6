package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

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
	ctx := context.Background()
	schema, clk, _, acme := benchPortal(b)
	now := clk.Now()
	lic := func(i int) string { return fmt.Sprintf("G-%04d", i) }
	fp := func(i int) string { return fmt.Sprintf("pc-%06d", i) }
	g := portal.Group{ID: "site", Name: "Site", Placed: make(map[string]string, devices)}
	copyRows(b, schema, "org_keys", []string{"org", "id", "data"}, licenses, func(i int) []any {
		l := license.License{ID: lic(i), Product: "acme-backup", Scheme: license.SchemePerDevice, Quantity: 2 * perDevice,
			Features: []string{"backup"}, IssuedAt: now.Add(-time.Hour), Expiry: now.AddDate(1, 0, 0)}
		key, err := vendorKey(b).Sign(&l)
		if err != nil {
			b.Fatal(err)
		}
		g.Licenses = append(g.Licenses, l.ID)
		return []any{"acme", l.ID, mustJSON(b, portal.OrgKey{Key: key, License: &l, Added: now, AddedBy: "admin@acme", Group: g.ID})}
	})
	copyRows(b, schema, "devices", []string{"org", "id", "data"}, devices, func(i int) []any {
		g.Devices = append(g.Devices, fp(i))
		g.Placed[fp(i)] = lic(i / perDevice)
		return []any{"acme", fp(i), mustJSON(b, portal.Device{Fingerprint: fp(i), OS: license.TypeWorkstation, CPUs: 1, Cores: 4, Registered: now, Group: g.ID})}
	})
	copyRows(b, schema, "seats", []string{"org", "id", "license", "device", "data"}, devices, func(i int) []any {
		l := lic(i / perDevice)
		return []any{"acme", l + "|device|" + fp(i), l, fp(i), mustJSON(b, portal.Seat{License: l, Device: fp(i), Units: 1, Assigned: now})}
	})
	copyRows(b, schema, "groups", []string{"org", "id", "data"}, 1, func(int) []any { return []any{"acme", g.ID, mustJSON(b, g)} })
	analyze(b, schema)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if err := acme.RemoveFromGroup(ctx, g.ID, lic(i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
	v, err := acme.Group(ctx, g.ID)
	if err != nil {
		b.Fatal(err)
	}
	if len(v.Licenses) != licenses-i || len(v.Unplaced) != 0 {
		b.Fatalf("after %d removals: %d licenses, %d devices unplaced; want %d and 0", i, len(v.Licenses), len(v.Unplaced), licenses-i)
	}
}
