package portal

// The benchmarks of license-group placement, and the tests of the pure
// placement function placeGroup that need the package's internals. The
// portal-level tests of groups are in groups_test.go.

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
)

var groupEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// referencePlacement is the rule documented on Group written the obvious
// way, in O(n·m): the specification placeGroup is checked against.
func referencePlacement(licenses []groupLicense, devices []groupDevice, at time.Time) (map[string]string, []string) {
	var order []groupLicense
	for _, gl := range licenses {
		if gl.validAt(at) {
			order = append(order, gl)
		}
	}
	slices.SortFunc(order, compareGroupLicenses)
	room := map[string]int{}
	for _, gl := range order {
		room[gl.License.ID] = gl.Room
		if !gl.License.Scheme.Counted() {
			room[gl.License.ID] = 1 << 62
		}
	}
	placed := map[string]string{}
	for _, dv := range devices { // 2: placed devices stay while there is room
		for _, gl := range order {
			if gl.License.ID != dv.Current {
				continue
			}
			if n, err := units(gl.License, dv.Device); err == nil && room[gl.License.ID] >= n {
				room[gl.License.ID] -= n
				placed[dv.Device.Fingerprint] = gl.License.ID
			}
		}
	}
	var unplaced []string
	for _, dv := range devices { // 3: the others, first license with room
		if _, ok := placed[dv.Device.Fingerprint]; ok {
			continue
		}
		for _, gl := range order {
			if n, err := units(gl.License, dv.Device); err == nil && room[gl.License.ID] >= n {
				room[gl.License.ID] -= n
				placed[dv.Device.Fingerprint] = gl.License.ID
				break
			}
		}
		if _, ok := placed[dv.Device.Fingerprint]; !ok {
			unplaced = append(unplaced, dv.Device.Fingerprint)
		}
	}
	return placed, unplaced
}

// byFingerprint returns placeGroup's placement as a map, by fingerprint.
func byFingerprint(devices []groupDevice, placed []string) map[string]string {
	m := map[string]string{}
	for i, id := range placed {
		if id != "" {
			m[devices[i].Device.Fingerprint] = id
		}
	}
	return m
}

// randomGroup returns m licenses of mixed schemes, expiries (some equal,
// some perpetual, some expired or not yet started at groupEpoch) and
// rooms, and n devices of mixed sizes, some already placed.
func randomGroup(r *rand.Rand, m, n int) ([]groupLicense, []groupDevice) {
	schemes := []license.Scheme{license.SchemePerDevice, license.SchemePerDevice, license.SchemePerVM, license.SchemePerCPU, license.SchemePerCore, license.SchemeUnmetered}
	licenses := make([]groupLicense, m)
	for i := range licenses {
		l := &license.License{ID: fmt.Sprintf("L%03d", i), Scheme: schemes[r.IntN(len(schemes))]}
		gl := groupLicense{License: l, Room: r.IntN(12) - 1}
		switch r.IntN(6) {
		case 0: // perpetual
		case 1: // expired
			gl.Until = groupEpoch.Add(-time.Duration(r.IntN(3)) * time.Hour)
		case 2: // not started yet
			gl.From = groupEpoch.Add(time.Duration(1+r.IntN(3)) * time.Hour)
		default:
			gl.Until = groupEpoch.Add(time.Duration(1+r.IntN(4)) * time.Hour)
		}
		licenses[i] = gl
	}
	devices := make([]groupDevice, n)
	for i := range devices {
		d := Device{Fingerprint: fmt.Sprintf("d%03d", i), VM: r.IntN(3) == 0, CPUs: r.IntN(3), Cores: r.IntN(9)}
		dv := groupDevice{Device: d}
		if r.IntN(2) == 0 {
			dv.Current = licenses[r.IntN(m)].License.ID
		}
		devices[i] = dv
	}
	return licenses, devices
}

// G2: placeGroup follows the documented rule (latest end first, ties by
// license ID, placed devices stay, first license with room for the
// device's units, join order): it agrees with the obvious O(n·m) version
// on random groups of mixed schemes, expiries, rooms and units.
func TestPlaceGroup_G2_FollowsTheDocumentedRule(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		licenses, devices := randomGroup(r, 1+r.IntN(12), r.IntN(40))
		wantPlaced, wantUnplaced := referencePlacement(licenses, devices, groupEpoch)
		placed, unplaced := placeGroup(licenses, devices, groupEpoch)
		if got := byFingerprint(devices, placed); !maps.Equal(got, wantPlaced) || !slices.Equal(unplaced, wantUnplaced) {
			t.Fatalf("case %d: placeGroup = %v, unplaced %v\nwant %v, unplaced %v", i, got, unplaced, wantPlaced, wantUnplaced)
		}
	}
}

// G2: placement is deterministic: the same input gives the same output,
// whatever the order the licenses are listed in.
func TestPlaceGroup_G2_IndependentOfLicenseOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		licenses, devices := randomGroup(r, 20, 60)
		placed, unplaced := placeGroup(licenses, devices, groupEpoch)
		for range 5 {
			shuffled := slices.Clone(licenses)
			r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			p2, u2 := placeGroup(shuffled, devices, groupEpoch)
			if !slices.Equal(placed, p2) || !slices.Equal(unplaced, u2) {
				t.Fatalf("shuffled licenses: %v %v, want %v %v", p2, u2, placed, unplaced)
			}
		}
	}
}

// G2, S12: a license valid until T takes devices at T-1ns and none at T;
// at T its devices move.
func TestPlaceGroup_G2_S12_ExpiryBoundary(t *testing.T) {
	until := groupEpoch.Add(time.Hour)
	licenses := []groupLicense{
		{License: &license.License{ID: "SHORT", Scheme: license.SchemePerDevice}, Until: until, Room: 1},
		{License: &license.License{ID: "LONG", Scheme: license.SchemePerDevice}, Until: until.Add(time.Hour), Room: 1},
	}
	devices := []groupDevice{
		{Device: Device{Fingerprint: "a"}, Current: "LONG"},
		{Device: Device{Fingerprint: "b"}, Current: "SHORT"},
	}
	placed, unplaced := placeGroup(licenses, devices, until.Add(-time.Nanosecond))
	if want := []string{"LONG", "SHORT"}; !slices.Equal(placed, want) || len(unplaced) != 0 {
		t.Errorf("at T-1ns: %v %v, want %v", placed, unplaced, want)
	}
	placed, unplaced = placeGroup(licenses, devices, until)
	if want := []string{"LONG", ""}; !slices.Equal(placed, want) || !slices.Equal(unplaced, []string{"b"}) {
		t.Errorf("at T: %v %v, want %v and b unplaced", placed, unplaced, want)
	}
}

// benchGroup returns m per-device licenses with distinct expiries, each
// with room for n/m devices, and n new devices.
func benchGroup(m, n int) ([]groupLicense, []groupDevice) {
	licenses := make([]groupLicense, m)
	for i := range licenses {
		licenses[i] = groupLicense{
			License: &license.License{ID: fmt.Sprintf("L%04d", i), Scheme: license.SchemePerDevice, Quantity: n / m},
			Until:   groupEpoch.AddDate(1, 0, i%365),
			Room:    n / m,
		}
	}
	devices := make([]groupDevice, n)
	for i := range devices {
		devices[i] = groupDevice{Device: Device{Fingerprint: "pc-" + strconv.Itoa(i), OS: license.TypeWorkstation, CPUs: 1, Cores: 4}}
	}
	return licenses, devices
}

// benchOrganization returns an organization whose group "site" holds the
// licenses and devices of benchGroup, none placed yet.
func benchOrganization(m, n int) *Organization {
	licenses, devices := benchGroup(m, n)
	o := newOrganization("acme", "Acme", groupEpoch)
	g := Group{ID: "site", Placed: map[string]string{}}
	for _, gl := range licenses {
		l := *gl.License
		l.Product, l.IssuedAt, l.Expiry = "acme-backup", groupEpoch, gl.Until
		o.Keys.Put(l.ID, OrgKey{License: &l, Added: groupEpoch, Group: "site"})
		g.Licenses = append(g.Licenses, l.ID)
	}
	for _, dv := range devices {
		d := dv.Device
		d.Group = "site"
		o.Devices.Put(d.Fingerprint, d)
		g.Devices = append(g.Devices, d.Fingerprint)
	}
	o.Groups.Put("site", g)
	return o
}

// BenchmarkGroupAssign places 10,000 and 100,000 new devices on a group of
// 1,000 licenses, each with room for its share (G2). The top-level
// sub-benchmarks time the placement rule alone (placeGroup); the
// rebalance ones time a whole Rebalance through a Portal over a
// MemoryPortalStore: the copy of the organization, the placement, the
// seats and the usage-level events. ns/device is ns/op divided by the
// devices: equal figures at both sizes mean linear growth.
func BenchmarkGroupAssign(b *testing.B) {
	const m = 1000
	for _, n := range []int{10_000, 100_000} {
		b.Run("devices="+strconv.Itoa(n), func(b *testing.B) {
			licenses, devices := benchGroup(m, n)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				placed, unplaced := placeGroup(licenses, devices, groupEpoch)
				if len(placed) != n || placed[n-1] == "" || len(unplaced) != 0 {
					b.Fatalf("placed %d, unplaced %d", len(placed), len(unplaced))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/device")
		})
	}
	for _, n := range []int{10_000, 100_000} {
		b.Run("rebalance/devices="+strconv.Itoa(n), func(b *testing.B) {
			ctx := context.Background()
			sk, err := license.GenerateSigningKey("bench", bytes.NewReader(make([]byte, 32)))
			if err != nil {
				b.Fatal(err)
			}
			clk := clock.NewMock()
			clk.Set(groupEpoch)
			o := benchOrganization(m, n)
			actor := Actor{ID: "admin", Org: "acme"}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				store := NewMemoryPortalStore()
				if err := store.CreateOrganization(ctx, o); err != nil {
					b.Fatal(err)
				}
				p, err := NewPortal(PortalConfig{Signer: sk, Clock: clk, Store: store})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := p.Org(actor, "acme").Rebalance(ctx, "site"); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				err = store.ViewOrganization(ctx, "acme", func(o *Organization) error {
					if o.Seats.Len() != n || len(o.Groups.Peek("site").Placed) != n {
						return fmt.Errorf("%d seats, %d placed", o.Seats.Len(), len(o.Groups.Peek("site").Placed))
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/device")
		})
	}
}
