package storetest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// CodeLicensesMigrated checks that a store opening the data of a release
// that did not keep the licenses of activation codes apart brings them up
// to date: each license redeemed from a code then renews through the
// portal, its term counted from the redemption (R5).
//
// old is given the vendor's records of such data, by table ("codes",
// "owners", "lives") then ID, each the JSON encoding of its record; it
// writes them into a store of the earlier schema, with nothing else, and
// returns the store that opening it gives.
func CodeLicensesMigrated(t *testing.T, old func(t *testing.T, records map[string]map[string]string) portal.PortalStore) {
	t.Helper()
	ctx := context.Background()
	sk, err := license.GenerateSigningKey("vendor", nil)
	if err != nil {
		t.Fatal(err)
	}
	template := license.License{ID: "ACT", Product: "acme-backup", Scheme: license.SchemePerDevice, Quantity: 5, Term: 365 * license.Day}
	l := template
	l.ID, l.Organization, l.IssuedAt = "ACT-1", "acme", t0
	key, err := sk.Sign(&l)
	if err != nil {
		t.Fatal(err)
	}
	code, err := json.Marshal(portal.ActivationCode{Code: "CODE", Template: template, Limit: 1, Issued: t0,
		Redemptions: map[string]portal.Redemption{"pc-1": {Org: "acme", License: "ACT-1", Key: key, At: t0}}})
	if err != nil {
		t.Fatal(err)
	}
	s := old(t, map[string]map[string]string{
		"codes":  {"CODE": string(code), "UNUSED": `{"code":"UNUSED","limit":1,"redemptions":null}`},
		"owners": {"ACT-1": `"acme"`},
		"lives":  {"ACT-1": `{"state":"held","since":"2026-01-01T00:00:00Z"}`},
	})

	_ = s.ViewVendor(ctx, func(v *portal.Vendor) error {
		got, ok := v.CodeLicenses.Get("ACT-1")
		if !ok || got.Code != "CODE" || got.Org != "acme" || got.Key != key || !got.Start.Equal(t0) || v.CodeLicenses.Len() != 1 {
			t.Errorf("code licenses after migrating: ACT-1 = %+v, %v, of %d; want the redemption's, of 1", got, ok, v.CodeLicenses.Len())
		}
		return nil
	})
	clk := clock.NewMock()
	clk.Set(t0.Add(360 * license.Day))
	p, err := portal.NewPortal(portal.PortalConfig{Signer: sk, Store: s, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CreateOrganization(ctx, "acme", "Acme"); err != nil {
		t.Fatal(err)
	}
	renewal, err := p.Org(portal.Actor{ID: "alice", Org: "acme"}, "acme").Renew(ctx, license.RenewalRequest{LicenseID: "ACT-1"})
	if err != nil {
		t.Fatalf("Renew of a license redeemed before migrating = %v", err)
	}
	if r, _, err := license.DecodeUnverified(renewal); err != nil || r.ID == "ACT-1" || r.Term != 365*license.Day {
		t.Errorf("renewal = %+v, %v; want a new yearly license", r, err)
	}
}
