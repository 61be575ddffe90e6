package portal_test

import (
	"context"
	"fmt"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// A license group holds a site's licenses; its devices join the group and
// the portal places each on a license, by the rule documented on
// [portal.Group]: the license that lasts longest first. When a license
// expires, Rebalance moves its devices to the others, and a device that no
// license can take raises a restriction-exceeded event (G1, G2, D4).
func ExampleOrgScope_JoinGroup() {
	ctx := context.Background()
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	signer, err := license.GenerateSigningKey("vendor", seed(7))
	if err != nil {
		panic(err)
	}
	p, err := portal.NewPortal(portal.PortalConfig{
		Signer: signer,
		Clock:  clk,
		OnEvent: func(e license.Event) {
			if e.Kind == portal.EventRestrictionExceeded {
				fmt.Println("event:", e.Detail)
			}
		},
	})
	if err != nil {
		panic(err)
	}
	if err := p.CreateOrganization(ctx, "acme", "Acme Inc."); err != nil {
		panic(err)
	}
	acme := p.Org(portal.Actor{ID: "admin@acme", Org: "acme"}, "acme")

	// Two licenses of three seats each, one ending in June.
	if err := acme.CreateGroup(ctx, "paris", "Paris office"); err != nil {
		panic(err)
	}
	for _, l := range []license.License{
		{ID: "SN-JUNE", Expiry: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)},
		{ID: "SN-YEAR", Expiry: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		l.Product, l.Scheme, l.Quantity, l.IssuedAt = "acme-backup", license.SchemePerDevice, 3, clk.Now()
		key, err := signer.Sign(&l)
		if err != nil {
			panic(err)
		}
		if _, err := acme.AddKey(ctx, key, portal.KeyOptions{}); err != nil {
			panic(err)
		}
		if err := acme.AddToGroup(ctx, "paris", l.ID); err != nil {
			panic(err)
		}
	}

	// Five machines join; the customer never picks a license.
	fps := []string{"pc-1", "pc-2", "pc-3", "pc-4", "pc-5"}
	for _, fp := range fps {
		if _, err := acme.RegisterDevice(ctx, portal.Device{Fingerprint: fp, OS: license.TypeWorkstation}); err != nil {
			panic(err)
		}
	}
	if err := acme.JoinGroup(ctx, "paris", fps...); err != nil {
		panic(err)
	}
	show := func() {
		v, err := acme.Group(ctx, "paris")
		if err != nil {
			panic(err)
		}
		for _, gl := range v.Licenses {
			fmt.Printf("  %s valid=%t:", gl.License.ID, gl.Valid)
			for _, d := range gl.Devices {
				fmt.Print(" ", d.Device)
			}
			fmt.Println()
		}
		fmt.Println("  unplaced:", v.Unplaced, "next change:", v.Next.Format(time.DateOnly))
	}
	show()

	// June: SN-JUNE has expired; Rebalance moves its devices.
	clk.Set(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	if err := acme.Rebalance(ctx, "paris"); err != nil {
		panic(err)
	}
	show()
	// Output:
	//   SN-YEAR valid=true: pc-1 pc-2 pc-3
	//   SN-JUNE valid=true: pc-4 pc-5
	//   unplaced: [] next change: 2026-06-01
	// event: group paris: 2 devices could not be placed: pc-4, pc-5
	//   SN-YEAR valid=true: pc-1 pc-2 pc-3
	//   SN-JUNE valid=false:
	//   unplaced: [pc-4 pc-5] next change: 2027-01-01
}
