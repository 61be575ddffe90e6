package postgres_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
	"github.com/licensekit/license/postgres"
)

// R5: a schema that an earlier release left, whose codes were redeemed
// before the portal kept the licenses of activation codes apart, is
// brought up to date on opening: each redemption's license renews
// through the portal, its term counted from the redemption.
func TestMigrate_R5_CodesRedeemedBeforeRenew(t *testing.T) {
	ctx := context.Background()
	dsn, schema := DSN(t), NewSchema(t)
	if err := postgres.MigrateTo(ctx, dsn, schema, 2); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
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
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"INSERT INTO " + table(schema, "codes") + " (id, data) VALUES ('CODE', $1)", []any{string(code)}},
		{"INSERT INTO " + table(schema, "codes") + ` (id, data) VALUES ('UNUSED', '{"code":"UNUSED","redemptions":null}')`, nil},
		{"INSERT INTO " + table(schema, "owners") + ` (id, data) VALUES ('ACT-1', '"acme"')`, nil},
		{"INSERT INTO " + table(schema, "lives") + ` (id, data) VALUES ('ACT-1', '{"state":"held","since":"2026-01-01T00:00:00Z"}')`, nil},
	} {
		if _, err := Exec(t, dsn, q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}

	s := MustOpenSchema(t, schema)
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
		t.Errorf("renewal = %+v, %v", r, err)
	}
}
