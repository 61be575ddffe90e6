package sqlite_test

import (
	"context"
	"testing"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// A store decodes an organization's key once while its row stays the
// same; a key another process changed reads as changed (V3: custom data
// set through one store is seen through the other), and a caller that
// changes what it read changes nothing for the next.
func TestKeyCache_V3_AKeyChangedElsewhereReadsChanged(t *testing.T) {
	ctx := portal.WithVendorActor(context.Background(), "carol@vendor.example")
	a := MustOpen(t)
	b := MustOpenPath(t, a.Path())
	sk := vendorKey(t)
	pa, err := portal.NewPortal(portal.PortalConfig{Signer: sk, Store: a})
	if err != nil {
		t.Fatal(err)
	}
	pb, err := portal.NewPortal(portal.PortalConfig{Signer: sk, Store: b})
	if err != nil {
		t.Fatal(err)
	}
	if err := pa.CreateOrganization(ctx, "acme", "Acme"); err != nil {
		t.Fatal(err)
	}
	admin := portal.Actor{ID: "admin@acme.example", Org: "acme"}
	key, err := sk.Sign(&license.License{ID: "SN-1", Product: "acme-backup", Scheme: license.SchemePerDevice, Quantity: 5,
		IssuedAt: t0, Expiry: t0.AddDate(1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	acmeA, acmeB := pa.Org(admin, "acme"), pb.Org(admin, "acme")
	if _, err := acmeA.AddKey(ctx, key, portal.KeyOptions{}); err != nil {
		t.Fatal(err)
	}
	custom := func(s *portal.OrgScope) map[string]string {
		t.Helper()
		keys, err := s.Keys(ctx)
		if err != nil || len(keys) != 1 {
			t.Fatalf("keys: %v, %v", keys, err)
		}
		return keys[0].Custom
	}
	if err := acmeA.SetCustomData(ctx, "SN-1", "site", "Paris"); err != nil {
		t.Fatal(err)
	}
	custom(acmeA)["site"] = "changed by a caller"
	if got := custom(acmeA); got["site"] != "Paris" {
		t.Fatalf("custom data %v after a caller changed its copy, want site=Paris", got)
	}
	if err := acmeB.SetCustomData(ctx, "SN-1", "site", "Lyon"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if got := custom(acmeA); got["site"] != "Lyon" {
			t.Fatalf("custom data %v through the first store, want site=Lyon", got)
		}
	}
	// An update through the first store sees the change too.
	if err := acmeA.SetCustomData(ctx, "SN-1", "floor", "2"); err != nil {
		t.Fatal(err)
	}
	if got := custom(acmeB); got["site"] != "Lyon" || got["floor"] != "2" {
		t.Fatalf("custom data %v through the second store", got)
	}
}
