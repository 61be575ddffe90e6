package portal

// The tests of automatic distribution (D2) that need the package's
// internals, and its benchmark.

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/benbjohnson/clock"
	"github.com/google/go-cmp/cmp"

	"github.com/licensekit/license"
)

// referenceDistribute is the rule documented on distribute written the
// obvious way, in O(keys·devices·seats): the specification distribute is
// checked against.
func referenceDistribute(p *Portal, o *Organization) {
	now := groupEpoch
	for _, id := range o.Keys.IDs() {
		k := o.Keys.Peek(id)
		if !k.AutoDistribute || k.License.ValidAt(now, now) != nil {
			continue
		}
		for _, fp := range o.Devices.IDs() {
			d := o.Devices.Peek(fp)
			hasSeat := false
			for _, st := range o.Seats.All() {
				if sk, ok := o.Keys.Get(st.License); ok && st.Device == fp && sk.License.Product == k.License.Product {
					hasSeat = true
				}
			}
			if !slices.Contains(d.Apps, k.License.Product) || hasSeat {
				continue
			}
			n, err := units(k.License, d)
			if err != nil || !p.room(o, id, n) {
				continue
			}
			o.Seats.Put(seatID(id, fp, ""), Seat{License: id, Device: fp, Units: n, Assigned: now})
			o.record(Actor{ID: "auto-distribution", Org: o.ID}, now, "seat.assign", id, fp)
		}
		p.levelEvents(o, id, now)
	}
}

// randomAutoOrganization returns an organization of random keys (two
// products, mixed schemes, types and small quantities, some expired or
// not started, some distributed automatically), devices running one, both
// or neither product, and seats some devices already hold.
func randomAutoOrganization(r *rand.Rand) *Organization {
	o := newOrganization("acme", "Acme", groupEpoch)
	products := []string{"backup", "mail"}
	schemes := []license.Scheme{license.SchemePerDevice, license.SchemePerVM, license.SchemePerCPU, license.SchemePerCore, license.SchemeUnmetered, license.SchemePerUser}
	types := []license.Type{license.TypeAny, license.TypeServer, license.TypeWorkstation}
	for i := range 1 + r.IntN(6) {
		l := &license.License{ID: fmt.Sprintf("K%d", i), Product: products[r.IntN(2)], Scheme: schemes[r.IntN(len(schemes))],
			Type: types[r.IntN(3)], IssuedAt: groupEpoch, Expiry: groupEpoch.AddDate(0, 0, r.IntN(40)-5)}
		if l.Scheme.Counted() {
			l.Quantity = 1 + r.IntN(8)
		}
		if r.IntN(5) == 0 {
			l.Start = groupEpoch.AddDate(0, 0, 1)
		}
		o.Keys.Put(l.ID, OrgKey{License: l, Added: groupEpoch, AutoDistribute: r.IntN(3) > 0})
	}
	ids := o.Keys.IDs()
	for i := range r.IntN(30) {
		d := Device{Fingerprint: fmt.Sprintf("pc-%02d", i), OS: types[1+r.IntN(2)], VM: r.IntN(2) == 0,
			CPUs: r.IntN(3), Cores: r.IntN(9)}
		for _, p := range products {
			if r.IntN(3) > 0 {
				d.Apps = append(d.Apps, p)
			}
		}
		o.Devices.Put(d.Fingerprint, d)
		if r.IntN(4) == 0 {
			id := ids[r.IntN(len(ids))]
			if n, err := units(o.Keys.Peek(id).License, d); err == nil {
				o.Seats.Put(seatID(id, d.Fingerprint, ""), Seat{License: id, Device: d.Fingerprint, Units: n})
			}
		}
	}
	return o
}

// D2: distribute follows the documented rule (keys by ID, devices by
// fingerprint, a seat for each device running the key's product with no
// seat of that product, while the key has room under the overage): it
// leaves the same seats, history and usage levels as the obvious
// O(keys·devices·seats) version on random organizations.
func TestAutoDistribute_D2_FollowsTheDocumentedRule(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 3))
	for i := range 2000 {
		p := &Portal{cfg: PortalConfig{Overage: []int{0, 0, 10, 50}[r.IntN(4)]}}
		o := randomAutoOrganization(r)
		want := o.Clone()
		referenceDistribute(p, want)
		p.distribute(o, groupEpoch)
		if diff := cmp.Diff(want, o); diff != "" {
			t.Fatalf("case %d: distribute differs from the rule (-want +got):\n%s", i, diff)
		}
	}
}

// autoOrganization returns an organization with n workstations running
// "acme-backup", each holding a seat of the automatically distributed
// per-device key AUTO, which has room for as many again.
func autoOrganization(n int) *Organization {
	o := newOrganization("acme", "Acme", groupEpoch)
	l := &license.License{ID: "AUTO", Product: "acme-backup", Scheme: license.SchemePerDevice, Quantity: 2 * n,
		IssuedAt: groupEpoch, Expiry: groupEpoch.AddDate(1, 0, 0)}
	o.Keys.Put(l.ID, OrgKey{License: l, Added: groupEpoch, AutoDistribute: true})
	for i := range n {
		d := Device{Fingerprint: "pc-" + strconv.Itoa(i), OS: license.TypeWorkstation, CPUs: 1, Cores: 4, Apps: []string{"acme-backup"}}
		o.Devices.Put(d.Fingerprint, d)
		o.Seats.Put(seatID(l.ID, d.Fingerprint, ""), Seat{License: l.ID, Device: d.Fingerprint, Units: 1, Assigned: groupEpoch})
	}
	return o
}

// BenchmarkAutoDistribute registers one new device running the product of
// an automatically distributed key (D2) in an organization of 100, 1,000
// and 10,000 devices that all hold a seat of it, through a Portal over a
// MemoryPortalStore: one op is the whole update, and the new device gets
// its seat. The device is removed again outside the timer, so every op
// sees n devices. The goal: no more at 10,000 devices than 3× the cost at
// 100.
func BenchmarkAutoDistribute(b *testing.B) {
	for _, n := range []int{100, 1000, 10_000} {
		b.Run("devices="+strconv.Itoa(n), func(b *testing.B) {
			ctx := context.Background()
			sk, err := license.GenerateSigningKey("bench", bytes.NewReader(make([]byte, 32)))
			if err != nil {
				b.Fatal(err)
			}
			clk := clock.NewMock()
			clk.Set(groupEpoch)
			store := NewMemoryPortalStore()
			if err := store.CreateOrganization(ctx, autoOrganization(n)); err != nil {
				b.Fatal(err)
			}
			p, err := NewPortal(PortalConfig{Signer: sk, Clock: clk, Store: store})
			if err != nil {
				b.Fatal(err)
			}
			acme := p.Org(Actor{ID: "admin", Org: "acme"}, "acme")
			d := Device{Fingerprint: "new-pc", OS: license.TypeWorkstation, CPUs: 1, Cores: 4, Apps: []string{"acme-backup"}}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := acme.RegisterDevice(ctx, d); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				err := store.ViewOrganization(ctx, "acme", func(o *Organization) error {
					if _, ok := o.Seats.Get(seatID("AUTO", d.Fingerprint, "")); !ok {
						b.Fatal("the new device got no seat")
					}
					return nil
				})
				if err == nil {
					err = acme.RemoveDevice(ctx, d.Fingerprint)
				}
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
