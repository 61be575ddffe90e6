package portal_test

import (
	"context"
	"fmt"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// The wallet, as in AXIS License Manager: activating starts the annual
// subscription and 30 days to redeem enough licenses for current usage
// (S7); a key of 25 licenses pays the first year of 10 devices and puts
// 15 in the wallet (P1); the wallet renews the subscription at its due
// date (P3), until it runs short and the software loses its license.
func ExampleOrgScope_Redeem() {
	ctx := context.Background()
	vendor, _ := license.GenerateSigningKey("vendor", seed(7))
	clk := clock.NewMock()
	clk.Set(date(2026, 1, 1))
	p, _ := portal.NewPortal(portal.PortalConfig{
		Signer:  vendor,
		Clock:   clk,
		OnEvent: func(e license.Event) { fmt.Println(e.At.Format(time.DateOnly), e.Kind, e.License) },
	})
	_ = p.CreateOrganization(ctx, "acme", "Acme Inc.")
	acme := p.Org(portal.Actor{ID: "ada@acme.example", Org: "acme"}, "acme")
	show := func() {
		subs, _ := acme.Subscriptions(ctx)
		wallet, _ := acme.Wallet(ctx)
		s := subs[0]
		fmt.Printf("  %s: %d of %d paid, %s to %s, lapsed %t; wallet %d\n", s.ID, s.Paid, s.Devices,
			s.Activated.Format(time.DateOnly), s.Due.Format(time.DateOnly), s.Lapsed, wallet["acme-backup"])
	}

	_, _ = acme.Activate(ctx, "acme-backup", 10)
	key, _ := vendor.Sign(&license.License{ID: "AXIS-0001", Product: "acme-backup",
		Scheme: license.SchemePerDevice, Quantity: 25, IssuedAt: clk.Now()})
	r, err := acme.Redeem(ctx, key, 10)
	fmt.Println("redeemed:", r.Quantity, "licenses,", r.Consumed, "consumed,", r.Wallet, "to the wallet", err)
	show()
	_, err = acme.Redeem(ctx, key, 0)
	fmt.Println("again:", err)

	for _, t := range []time.Time{date(2027, 1, 1), date(2028, 1, 1), date(2028, 1, 31)} {
		clk.Set(t)
		_ = acme.Advance(ctx)
		show()
	}
	// Output:
	// 2026-01-01 subscription-unpaid acme-backup
	// redeemed: 25 licenses, 10 consumed, 15 to the wallet <nil>
	//   acme-backup: 10 of 10 paid, 2026-01-01 to 2027-01-01, lapsed false; wallet 15
	// again: license: the license key was already redeemed: AXIS-0001
	// 2027-01-01 subscription-renewed acme-backup
	//   acme-backup: 10 of 10 paid, 2027-01-01 to 2028-01-01, lapsed false; wallet 5
	// 2028-01-01 subscription-unpaid acme-backup
	//   acme-backup: 0 of 10 paid, 2028-01-01 to 2028-12-31, lapsed false; wallet 5
	// 2028-01-31 unlicensed acme-backup
	//   acme-backup: 0 of 10 paid, 2028-01-01 to 2028-12-31, lapsed true; wallet 5
}
