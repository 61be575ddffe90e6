package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// LeaseSetsMigrated checks that a store opening the data of a release
// that kept the leases of a floating license as one record, a
// [portal.LeaseSet], keeps each lease on its own record: a device's
// heartbeat extends its lease, and a checkout counts both leases (F1) and
// releases the expired one (F2).
//
// open returns a new store of the current schema and rewind, which takes
// the store's data back to the schema before the migration, with the
// leases of license lic of organization org as one record, set (the JSON
// encoding of a LeaseSet), and returns the store that opening the data
// again gives.
func LeaseSetsMigrated(t *testing.T, open func(t *testing.T) (s portal.PortalStore, rewind func(org, lic, set string) portal.PortalStore)) {
	t.Helper()
	ctx := context.Background()
	sk, err := license.GenerateSigningKey("vendor", nil)
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewMock()
	clk.Set(t0)
	s, rewind := open(t)
	p, err := portal.NewPortal(portal.PortalConfig{Signer: sk, Store: s, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CreateOrganization(ctx, "acme", "Acme Inc."); err != nil {
		t.Fatal(err)
	}
	l := license.License{ID: "FLOAT", Product: "acme-backup", Scheme: license.SchemeFloating, Quantity: 2,
		IssuedAt: t0.Add(-time.Hour), Expiry: t0.AddDate(1, 0, 0)}
	key, err := sk.Sign(&l)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Org(portal.Actor{ID: "admin", Org: "acme"}, "acme").AddKey(ctx, key, portal.KeyOptions{}); err != nil {
		t.Fatal(err)
	}
	acts := map[string]string{}
	set := portal.LeaseSet{}
	for _, fp := range []string{"pc-1", "pc-2", "pc-3"} {
		_, a, err := p.Activate(ctx, portal.ActivationRequest{Key: key, Fingerprint: fp})
		if err != nil {
			t.Fatal(err)
		}
		acts[fp] = a.ID
		if fp != "pc-3" {
			set[fp] = portal.Lease{ID: "FLOAT|" + fp, License: "FLOAT", Org: "acme", Activation: a.ID, Fingerprint: fp,
				Expires: t0.Add(15 * time.Minute)}
		}
	}
	data, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	p, err = portal.NewPortal(portal.PortalConfig{Signer: sk, Store: rewind("acme", "FLOAT", string(data)), Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	leases, err := p.Org(portal.Actor{ID: "admin", Org: "acme"}, "acme").Leases(ctx, "FLOAT")
	if err != nil || len(leases) != 2 || leases[0] != set["pc-1"] || leases[1] != set["pc-2"] {
		t.Fatalf("leases after migrating = %+v, %v; want pc-1's and pc-2's", leases, err)
	}
	clk.Add(10 * time.Minute)
	beat, err := p.Heartbeat(ctx, "FLOAT|pc-1", "pc-1")
	if err != nil || !beat.Expires.Equal(clk.Now().Add(15*time.Minute)) {
		t.Fatalf("Heartbeat = %+v, %v; want extended by 15 minutes", beat, err)
	}
	if _, err := p.Checkout(ctx, acts["pc-3"], "pc-3", "FLOAT"); !errors.Is(err, portal.ErrNoLease) {
		t.Fatalf("Checkout of a third lease of 2 = %v, want ErrNoLease (F1)", err)
	}
	clk.Add(6 * time.Minute) // pc-2's lease expired
	if _, err := p.Checkout(ctx, acts["pc-3"], "pc-3", "FLOAT"); err != nil {
		t.Fatalf("Checkout once pc-2's lease expired = %v (F2)", err)
	}
	if _, err := p.Heartbeat(ctx, "FLOAT|pc-2", "pc-2"); !errors.Is(err, portal.ErrNoSuchLease) {
		t.Errorf("Heartbeat of the released lease = %v, want ErrNoSuchLease", err)
	}
	err = s.ViewOrganization(ctx, "acme", func(o *portal.Organization) error {
		if got := o.Leases.OfLicense("FLOAT"); len(got) != 2 || got["pc-1"] != beat || got["pc-2"].ID != "" {
			t.Errorf("leases = %+v; want pc-1's and pc-3's", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
