package portal_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// vendorPortal returns a portal on a mock clock at 2026-03-01 with the
// organizations acme and globex, a context naming carol@vendor as the
// vendor's actor, the clock and the signing key.
func vendorPortal() (*portal.Portal, context.Context, *clock.Mock, *license.SigningKey) {
	ctx := portal.WithVendorActor(context.Background(), "carol@vendor.example")
	vendor, _ := license.GenerateSigningKey("vendor", seed(9))
	clk := clock.NewMock()
	clk.Set(date(2026, 3, 1))
	p, _ := portal.NewPortal(portal.PortalConfig{Signer: vendor, Clock: clk})
	_ = p.CreateOrganization(ctx, "acme", "Acme Inc.")
	_ = p.CreateOrganization(ctx, "globex", "Globex Corp.")
	return p, ctx, clk, vendor
}

// acmeHolding returns the portal of vendorPortal, whose acme holds a key
// of license id in its key storage, acme's scope for one of its members,
// and the key.
func acmeHolding(id string) (*portal.Portal, context.Context, *portal.OrgScope, string) {
	p, ctx, clk, vendor := vendorPortal()
	key, _ := vendor.Sign(&license.License{ID: id, Product: "acme-backup", Scheme: license.SchemePerDevice,
		Quantity: 10, IssuedAt: clk.Now(), Expiry: date(2027, 3, 1)})
	acme := p.Org(portal.Actor{ID: "ada@acme.example", Org: "acme"}, "acme")
	_, _ = acme.AddKey(ctx, key, portal.KeyOptions{})
	return p, ctx, acme, key
}

// vendorTemplate is what the examples' codes, vouchers and serial numbers
// give: ten devices of acme-backup for a year from activation.
var vendorTemplate = license.License{ID: "ACT", Product: "acme-backup", Scheme: license.SchemePerDevice,
	Quantity: 10, Features: []string{"backup"}, Term: 365 * license.Day}

// The vendor lists its customers' organizations a page at a time: each
// page ends with the cursor of the next.
func ExamplePortal_Organizations() {
	p, ctx, _, _ := vendorPortal()
	_ = p.CreateOrganization(ctx, "initech", "Initech")
	after := ""
	for {
		page, next, err := p.Organizations(ctx, after, 2)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, o := range page {
			fmt.Println(o.ID, o.Name, o.Created.Format(time.DateOnly))
		}
		if next == "" {
			break
		}
		fmt.Println("-- next page after", next)
		after = next
	}
	// Output:
	// acme Acme Inc. 2026-03-01
	// globex Globex Corp. 2026-03-01
	// -- next page after globex
	// initech Initech 2026-03-01
}

// The vendor lists its activation codes with the devices that redeemed
// them (K5).
func ExamplePortal_ActivationCodes() {
	p, ctx, _, _ := vendorPortal()
	codes, _ := p.IssueActivationCodes(ctx, vendorTemplate, 2, 3)
	acme := p.Org(portal.Actor{ID: "ada@acme.example", Org: "acme"}, "acme")
	_, _, _ = acme.RedeemCode(ctx, codes[0], "laptop-7")
	page, _, _ := p.ActivationCodes(ctx, "", 100)
	for _, c := range page {
		fmt.Printf("limit %d, %d redeemed\n", c.Limit, len(c.Redemptions))
		for fp, r := range c.Redemptions {
			fmt.Println("  ", fp, r.Org, r.License)
		}
	}
	// Unordered output:
	// limit 3, 1 redeemed
	//    laptop-7 acme ACT-1
	// limit 3, 0 redeemed
}

// The vendor lists its OEM vouchers, converted or not (K6).
func ExamplePortal_Vouchers() {
	p, ctx, _, _ := vendorPortal()
	vouchers, _ := p.IssueVouchers(ctx, vendorTemplate, 2)
	globex := p.Org(portal.Actor{ID: "gil@globex.example", Org: "globex"}, "globex")
	_, _, _ = globex.ConvertVoucher(ctx, vouchers[1])
	page, _, _ := p.Vouchers(ctx, "", 100)
	for _, v := range page {
		fmt.Printf("converted %t by %q\n", v.Converted, v.Org)
	}
	// Unordered output:
	// converted false by ""
	// converted true by "globex"
}

// The vendor lists its serial numbers and who registered them (V1).
func ExamplePortal_Serials() {
	p, ctx, _, _ := vendorPortal()
	serials, _ := p.IssueSerials(ctx, vendorTemplate, 1)
	acme := p.Org(portal.Actor{ID: "ada@acme.example", Org: "acme"}, "acme")
	_, _, _ = acme.GetKey(ctx, serials[0], portal.Registration{Company: "Acme Inc.", Contact: "Ada", Email: "ada@acme.example"})
	page, next, _ := p.Serials(ctx, "", 100)
	for _, s := range page {
		fmt.Println(s.Org, s.Registration.Company, s.Registration.Email, s.At.Format(time.DateOnly))
	}
	fmt.Printf("next %q\n", next)
	// Output:
	// acme Acme Inc. ada@acme.example 2026-03-01
	// next ""
}

// The vendor lists the upgrades it offered and which were taken up (V2).
func ExamplePortal_UpgradeNotices() {
	p, ctx, acme, _ := acmeHolding("SN-1")
	id, _ := p.IssueUpgrade(ctx, "acme", "SN-1", []string{"acme-backup-pro"}, 25)
	_, _, _ = acme.Upgrade(ctx, id, "acme-backup-pro", 20)
	page, _, _ := p.UpgradeNotices(ctx, "", 100)
	for _, n := range page {
		fmt.Println(n.Org, n.From, n.Products, n.MaxQuantity, "used:", n.Used, n.Product, n.Quantity)
	}
	// Output:
	// acme SN-1 [acme-backup-pro] 25 used: true acme-backup-pro 20
}

// The vendor revokes a license (C1): it leaves the key storage at once,
// and its ID can never be used again.
func ExamplePortal_Revoke() {
	p, ctx, acme, key := acmeHolding("SN-7")

	fmt.Println("revoke:", p.Revoke(ctx, "SN-7", "chargeback"))
	keys, _ := acme.Keys(ctx)
	fmt.Println("keys held:", len(keys))
	_, err := acme.AddKey(ctx, key, portal.KeyOptions{})
	fmt.Println("add again:", err)
	_, err = acme.Redeem(ctx, key, 0)
	fmt.Println("redeem:", err)
	// Output:
	// revoke: <nil>
	// keys held: 0
	// add again: license: the license was revoked: SN-7
	// redeem: license: the license was revoked: SN-7
}

// The vendor's history says who created, issued or revoked what, and
// when, newest first (P5).
func ExamplePortal_VendorHistory() {
	p, ctx, clk, _ := vendorPortal()
	clk.Add(time.Hour)
	_, _ = p.IssueVouchers(portal.WithVendorActor(ctx, "dan@vendor.example"), vendorTemplate, 50)
	clk.Add(time.Hour)
	_ = p.Revoke(ctx, "SN-LEAKED", "published on a forum")
	page, next, _ := p.VendorHistory(ctx, 0, 10)
	for _, e := range page {
		fmt.Println(e.Seq, e.At.Format("2006-01-02 15:04"), e.Actor, e.Action, e.Subject)
	}
	fmt.Println("next:", next)
	// Output:
	// 4 2026-03-01 02:00 carol@vendor.example license.revoke SN-LEAKED
	// 3 2026-03-01 01:00 dan@vendor.example vouchers.issue ACT
	// 2 2026-03-01 00:00 carol@vendor.example organization.create globex
	// 1 2026-03-01 00:00 carol@vendor.example organization.create acme
	// next: 0
}

// The history is kept bounded by pruning what came before an instant,
// once exported as JSON Lines (P5): here the vendor's history, pruned of
// what came before the vouchers.
func ExamplePortal_PruneVendorHistory() {
	p, ctx, clk, _ := vendorPortal()
	clk.Add(time.Hour)
	_, _ = p.IssueVouchers(ctx, vendorTemplate, 50)
	var archive strings.Builder // in practice a file
	n, _ := p.PruneVendorHistory(ctx, clk.Now(), &archive)
	fmt.Println("pruned:", n, "exported lines:", strings.Count(archive.String(), "\n"))
	page, _, _ := p.VendorHistory(ctx, 0, 10)
	for _, e := range page {
		fmt.Println(e.Seq, e.Action, e.Subject)
	}
	// Output:
	// pruned: 2 exported lines: 2
	// 4 history.prune #1 to #2
	// 3 vouchers.issue ACT
}
