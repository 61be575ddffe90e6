package sqlite_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// R5: a file that an earlier release left, whose codes were redeemed
// before the portal kept the licenses of activation codes apart, is
// brought up to date on opening: each redemption's license renews
// through the portal from the redemption on.
func TestMigrate_R5_CodesRedeemedBeforeRenew(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	first, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	Exec(t, path, string(first))
	Exec(t, path, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT '')")
	Exec(t, path, "INSERT INTO schema_migrations (version, name) VALUES (1, '0001_init.sql')")

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
	Exec(t, path, "INSERT INTO codes (id, data) VALUES ('CODE', ?)", string(code))
	Exec(t, path, "INSERT INTO codes (id, data) VALUES ('UNUSED', ?)", `{"code":"UNUSED","limit":1,"redemptions":null}`)
	Exec(t, path, `INSERT INTO owners (id, data) VALUES ('ACT-1', '"acme"')`)
	Exec(t, path, `INSERT INTO lives (id, data) VALUES ('ACT-1', '{"state":"held","since":"2026-01-01T00:00:00Z"}')`)

	s := MustOpenPath(t, path)
	_ = s.ViewVendor(ctx, func(v *portal.Vendor) error {
		want := portal.CodeLicense{Code: "CODE", Org: "acme", Key: key, Start: t0}
		if got, ok := v.CodeLicenses.Get("ACT-1"); !ok || got.Code != want.Code || got.Org != want.Org || got.Key != want.Key || !got.Start.Equal(t0) {
			t.Errorf("code license of ACT-1 after migrating = %+v, %v; want %+v", got, ok, want)
		}
		if n := v.CodeLicenses.Len(); n != 1 {
			t.Errorf("%d code licenses, want 1", n)
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
	r, _, err := license.DecodeUnverified(renewal)
	if err != nil || r.ID == "ACT-1" || r.Term != 365*license.Day || !r.IssuedAt.Equal(clk.Now()) {
		t.Errorf("renewal = %+v, %v", r, err)
	}
}
