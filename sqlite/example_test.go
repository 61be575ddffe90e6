package sqlite_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
	"github.com/licensekit/license/sqlite"
)

// A portal whose data lives in an SQLite file: an organization takes a
// seat of a license, and the history says so.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "licensekit")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store, err := sqlite.Open(filepath.Join(dir, "portal.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	// In production, load the vendor's key, and leave the clock out.
	signer, _ := license.GenerateSigningKey("vendor", bytes.NewReader(make([]byte, 32)))
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	p, err := portal.NewPortal(portal.PortalConfig{Signer: signer, Store: store, Clock: clk})
	if err != nil {
		log.Fatal(err)
	}
	ctx := portal.WithVendorActor(context.Background(), "carol@vendor.example")
	if err := p.CreateOrganization(ctx, "acme", "Acme Inc."); err != nil {
		log.Fatal(err)
	}
	acme := p.Org(portal.Actor{ID: "ada@acme.example", Org: "acme"}, "acme")
	key, _ := signer.Sign(&license.License{ID: "SN-1", Product: "acme-backup", Scheme: license.SchemePerDevice,
		Quantity: 10, IssuedAt: clk.Now(), Expiry: clk.Now().AddDate(1, 0, 0)})
	if _, err := acme.AddKey(ctx, key, portal.KeyOptions{}); err != nil {
		log.Fatal(err)
	}
	if _, err := acme.RegisterDevice(ctx, portal.Device{Fingerprint: "pc-1", OS: license.TypeWorkstation}); err != nil {
		log.Fatal(err)
	}
	if _, err := acme.AssignSeat(ctx, "SN-1", "pc-1"); err != nil {
		log.Fatal(err)
	}

	keys, _ := acme.Keys(ctx)
	fmt.Printf("%s: %d of %d seats\n", keys[0].License.ID, keys[0].Devices, keys[0].License.Quantity)
	history, _, _ := acme.History(ctx, 0, 10)
	for _, e := range history {
		fmt.Println(e.Seq, e.Actor, e.Action, e.Subject)
	}
	// Output:
	// SN-1: 1 of 10 seats
	// 4 ada@acme.example seat.assign SN-1
	// 3 ada@acme.example device.register pc-1
	// 2 ada@acme.example key.add SN-1
	// 1 carol@vendor.example organization.create acme
}
