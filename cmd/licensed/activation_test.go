package main_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/licensekit/license"
	lkhttp "github.com/licensekit/license/http"
	"github.com/licensekit/license/portal"
)

// Four licensed processes on one PostgreSQL database, with devices
// spread over them: each activates through one process and checks out
// through another. A per-device license of 10 seats activates exactly 10
// devices of 24 (A1); a floating license of 5 lends at most 5 leases at
// any instant (F1), a checkout beyond is refused and holds nothing (F3),
// and leases left without heartbeats are released after the lease TTL,
// their places free for other devices (F2). Deactivating frees a seat
// for another device, whatever process serves it (A5).
func TestLicensed_FourProcesses_ActivationSeatsAndLeases(t *testing.T) {
	const (
		processes = 4
		devices   = 24
		seats     = 10
		leases    = 5
		leaseTTL  = time.Second
		token     = testVendorToken
	)
	ctx := context.Background()
	servers, data := startOnPostgreSQL(t, processes, "-lease-ttl", leaseTTL.String())
	vendor := client(t, servers[0], token)
	if err := vendor.CreateOrganization(ctx, "acme", "Acme"); err != nil {
		t.Fatal(err)
	}
	signer := signingKey(t, data)
	now := time.Now().UTC()
	sign := func(l license.License) string {
		l.Product, l.IssuedAt, l.Expiry = "backup", now, now.AddDate(1, 0, 0)
		key, err := signer.Sign(&l)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := vendor.Org("acme").AddKey(ctx, key, portal.KeyOptions{}); err != nil {
			t.Fatal(err)
		}
		return key
	}
	seatKey := sign(license.License{ID: "SEATS-10", Scheme: license.SchemePerDevice, Quantity: seats})
	floatKey := sign(license.License{ID: "FLOAT-5", Scheme: license.SchemeFloating, Quantity: leases})

	// deviceOn returns a client of process i holding the certificate of
	// activation id, as the device would after a restart.
	deviceOn := func(i int, id, cert string) *lkhttp.DeviceClient {
		dc, err := lkhttp.NewDeviceClient(servers[i%processes].url, lkhttp.ClientConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if id != "" {
			dc.SetCertificate(id, cert)
		}
		return dc
	}
	type device struct {
		fp         string
		seat       portal.Activation // of SEATS-10, if it got a seat
		seatCert   string
		float      portal.Activation // of FLOAT-5
		floatCert  string
		lease      portal.Lease
		leaseTaken bool
	}
	ds := make([]*device, devices)
	var wg sync.WaitGroup
	errs := make(chan error, 4*devices)
	for i := range ds {
		d := &device{fp: fmt.Sprintf("pc-%03d", i)}
		ds[i] = d
		wg.Go(func() {
			dc := deviceOn(i, "", "")
			switch cert, a, err := dc.Activate(ctx, portal.ActivationRequest{Key: seatKey, Fingerprint: d.fp}); {
			case err == nil:
				d.seat, d.seatCert = a, cert
			case !errors.Is(err, portal.ErrRestrictionExceeded):
				errs <- fmt.Errorf("activate %s on SEATS-10: %w", d.fp, err)
			}
			cert, a, err := dc.Activate(ctx, portal.ActivationRequest{Key: floatKey, Fingerprint: d.fp})
			if err != nil {
				errs <- fmt.Errorf("activate %s on FLOAT-5: %w", d.fp, err)
				return
			}
			d.float, d.floatCert = a, cert
			// Another process lends the lease.
			switch l, err := deviceOn(i+1, a.ID, cert).Checkout(ctx, a.ID, "FLOAT-5"); {
			case err == nil:
				d.lease, d.leaseTaken = l, true
			case !errors.Is(err, portal.ErrNoLease):
				errs <- fmt.Errorf("checkout by %s: %w", d.fp, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}

	// A1, D6: exactly the seats of the license, and the server counts
	// as many.
	seated := 0
	for _, d := range ds {
		if d.seat.ID != "" {
			seated++
		}
	}
	if used := seatsUsed(t, vendor, "SEATS-10"); seated != seats || used != seats {
		t.Fatalf("%d devices activated on a license of %d seats; the server counts %d", seated, seats, used)
	}

	// F1: at the instant each lease began (its expiry less the TTL, on
	// the one clock of this machine), fewer than 5 others were live.
	var lent []portal.Lease
	for _, d := range ds {
		if d.leaseTaken {
			lent = append(lent, d.lease)
		}
	}
	for _, l := range lent {
		start, live := l.Expires.Add(-leaseTTL), 0
		for _, o := range lent {
			if o.ID != l.ID && !o.Expires.Add(-leaseTTL).After(start) && o.Expires.After(start) {
				live++
			}
		}
		if live >= leases {
			t.Fatalf("lease %s began with %d others live; the license lends %d", l.ID, live, leases)
		}
	}
	if len(lent) < leases {
		t.Fatalf("%d leases lent of %d, with %d devices asking", len(lent), leases, devices)
	}

	// F2: nobody sends heartbeats. The processes run on the system clock,
	// which a test cannot move, so it waits for the last lease to pass its
	// TTL: under 1.1 s with a TTL of one second.
	last := slices.MaxFunc(lent, func(a, b portal.Lease) int { return a.Expires.Compare(b.Expires) }).Expires
	time.Sleep(time.Until(last) + 50*time.Millisecond)
	var again int
	for i, d := range ds {
		if d.leaseTaken {
			continue
		}
		switch _, err := deviceOn(i+2, d.float.ID, d.floatCert).Checkout(ctx, d.float.ID, "FLOAT-5"); {
		case err == nil:
			again++
		case !errors.Is(err, portal.ErrNoLease):
			t.Fatalf("checkout by %s after the TTL: %v", d.fp, err)
		}
	}
	if again != leases {
		t.Fatalf("after the TTL, %d devices that had none got a lease; want all %d places", again, leases)
	}

	// A5: a device deactivates through one process; a device without a
	// seat activates through another.
	var holder, waiting *device
	for _, d := range ds {
		switch {
		case d.seat.ID != "" && holder == nil:
			holder = d
		case d.seat.ID == "" && waiting == nil:
			waiting = d
		}
	}
	if err := deviceOn(1, holder.seat.ID, holder.seatCert).Deactivate(ctx, holder.seat.ID); err != nil {
		t.Fatalf("Deactivate: %v", err)
	}
	if _, _, err := deviceOn(2, "", "").Activate(ctx, portal.ActivationRequest{Key: seatKey, Fingerprint: waiting.fp}); err != nil {
		t.Fatalf("activating %s on the freed seat: %v", waiting.fp, err)
	}
	if used := seatsUsed(t, client(t, servers[3], token), "SEATS-10"); used != seats {
		t.Fatalf("the server counts %d seats after one left and one came; want %d", used, seats)
	}
	t.Logf("%d processes, %d devices: %d seats of %d, %d leases lent of %d, %d more after the TTL", processes, devices, seated, seats, len(lent), leases, again)
}

// seatsUsed returns the seats of license id acme uses.
func seatsUsed(t *testing.T, c *lkhttp.Client, id string) int {
	t.Helper()
	keys, err := c.Org("acme").Keys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.License.ID == id {
			return k.Used
		}
	}
	t.Fatalf("acme holds no %s", id)
	return 0
}
