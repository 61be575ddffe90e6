package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// BenchmarkConditionalUpdate saves one installation again and again, each
// save conditional on the version the previous one returned: one UPDATE
// … WHERE version = $2, committed.
func BenchmarkConditionalUpdate(b *testing.B) {
	ctx := context.Background()
	s := MustOpen(b)
	st := license.InstallationState{Created: time.Now().UTC(), Sent: []string{"trial-started/2026-01-01T00:00:00Z"}}
	for i := range 3 {
		st.Keys = append(st.Keys, license.KeyRecord{Key: fmt.Sprintf("LK1.vendor+00000000.%0200d.sig", i), Added: st.Created})
	}
	v, err := s.SaveInstallation(ctx, "app-1", st)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		st.Version = v
		st.History.Usage++
		if v, err = s.SaveInstallation(ctx, "app-1", st); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "saves/s")
}

// BenchmarkSeatAssign assigns seats with [portal.OrgScope.AssignSeat] from
// one client: each assignment is a transaction that locks the license's
// key and seat rows and the device's, inserts the seat and appends a
// history entry. Organizations hold 100 or 1,000 registered devices and
// one license with a seat for each; the benchmark moves to a new
// organization when one is full.
func BenchmarkSeatAssign(b *testing.B) {
	for _, devices := range []int{100, 1000} {
		b.Run(fmt.Sprintf("devices=%d", devices), func(b *testing.B) {
			benchmarkSeats(b, seatBench{clients: 1, devices: devices, shared: true})
		})
	}
}

// BenchmarkSeatAssignParallel assigns seats from 4 clients at once, each
// with a connection of its own.
//
// With pool=shared the 4 clients take seats of the same license of the
// same organization: the worst case, and that of a pool of seats shared
// by a company, whose transactions queue on the license's row locks.
// With stores=1 they share one Store, as the goroutines of one server do;
// with stores=4 each has its own Store, as 4 servers behind a load
// balancer would. With pool=per-client each client has an organization
// of its own.
func BenchmarkSeatAssignParallel(b *testing.B) {
	for _, c := range []seatBench{
		{clients: 4, devices: 100, shared: true},
		{clients: 4, devices: 1000, shared: true},
		{clients: 4, devices: 100, shared: true, stores: true},
		{clients: 4, devices: 1000, shared: true, stores: true},
		{clients: 4, devices: 100},
	} {
		pool, stores := "shared", 1
		if !c.shared {
			pool = "per-client"
		}
		if c.stores {
			stores = c.clients
		}
		b.Run(fmt.Sprintf("pool=%s/stores=%d/devices=%d", pool, stores, c.devices), func(b *testing.B) {
			benchmarkSeats(b, c)
		})
	}
}

// seatBench is a seat assignment benchmark's setting.
type seatBench struct {
	clients int  // goroutines assigning seats
	devices int  // devices, and seats, of each organization
	shared  bool // all clients on the same organization, or each on its own
	stores  bool // a Store per client, or one for all
}

// benchmarkSeats makes b.N seat assignments as c says, and reports
// assignments per second.
func benchmarkSeats(b *testing.B, c seatBench) {
	ctx := context.Background()
	clients, devices, shared := c.clients, c.devices, c.shared
	schema := NewSchema(b)
	s := MustOpenSchema(b, schema)
	p, err := portal.NewPortal(portal.PortalConfig{Signer: vendorKey(b), Store: s})
	if err != nil {
		b.Fatal(err)
	}
	portals := []*portal.Portal{p} // by client
	for range clients - 1 {
		q := p
		if c.stores {
			if q, err = portal.NewPortal(portal.PortalConfig{Signer: vendorKey(b), Store: MustOpenSchema(b, schema)}); err != nil {
				b.Fatal(err)
			}
		}
		portals = append(portals, q)
	}
	now := time.Now().UTC()
	// org sets up organization n: devices devices and a license with a
	// seat for each. It returns its ID.
	org := func(n int) string {
		id := fmt.Sprintf("org-%d", n)
		if err := p.CreateOrganization(ctx, id, id); err != nil {
			b.Fatal(err)
		}
		scope := p.Org(portal.Actor{ID: "admin", Org: id}, id)
		key, err := vendorKey(b).Sign(&license.License{ID: "SEATS-" + id, Product: "acme-backup",
			Scheme: license.SchemePerDevice, Quantity: devices, Features: []string{"backup"},
			IssuedAt: now.Add(-time.Minute), Expiry: now.AddDate(1, 0, 0)})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := scope.AddKey(ctx, key, portal.KeyOptions{}); err != nil {
			b.Fatal(err)
		}
		// Registering the devices one by one would take as long as the
		// benchmark: put them in at once.
		err = s.UpdateOrganization(ctx, id, func(o *portal.Organization) error {
			for d := range devices {
				fp := fmt.Sprintf("pc-%04d", d)
				o.Devices.Put(fp, portal.Device{Fingerprint: fp, OS: license.TypeWorkstation, Registered: now})
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		return id
	}

	// Enough organizations for b.N assignments: one list that the
	// clients fill together, in order, when shared; a list per client
	// otherwise.
	share := func(c int) int { // the assignments of client c
		n := b.N / clients
		if c < b.N%clients {
			n++
		}
		return n
	}
	var orgs [][]string // by client, then in order of use
	next := make([]atomic.Int64, clients)
	if shared {
		var all []string
		for n := range (b.N + devices - 1) / devices {
			all = append(all, org(n))
		}
		for range clients {
			orgs = append(orgs, all)
		}
	} else {
		n := 0
		for c := range clients {
			var mine []string
			for range (share(c) + devices - 1) / devices {
				mine = append(mine, org(n))
				n++
			}
			orgs = append(orgs, mine)
		}
	}

	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for c := range clients {
		wg.Go(func() {
			counter, total := &next[c], share(c)
			if shared {
				counter, total = &next[0], b.N
			}
			for {
				n := int(counter.Add(1)) - 1
				if n >= total {
					return
				}
				id := orgs[c][n/devices]
				scope := portals[c].Org(portal.Actor{ID: "admin", Org: id}, id)
				if _, err := scope.AssignSeat(ctx, "SEATS-"+id, fmt.Sprintf("pc-%04d", n%devices)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "assignments/s")
}
