package portal_test

import (
	"context"
	"fmt"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// A customer invites its channel partner to manage its licenses; the
// answer is the same whether the partner exists or not. The partner sees
// the invitation and accepts it; only then does it list the customer's
// keys, hand one over and share it. Once the customer withdraws the
// delegation, the partner reaches nothing. Everything is in the
// customer's history, newest first (V3, V4, P5).
func ExampleOrgScope_Delegate() {
	ctx := context.Background()
	vendor, _ := license.GenerateSigningKey("vendor", seed(7))
	clk := clock.NewMock()
	clk.Set(date(2026, 3, 1))
	p, _ := portal.NewPortal(portal.PortalConfig{Signer: vendor, Clock: clk})
	_ = p.CreateOrganization(ctx, "acme", "Acme Inc.")
	_ = p.CreateOrganization(ctx, "reseller", "Reseller Ltd.")
	alice := portal.Actor{ID: "alice@acme.example", Org: "acme"}
	bob := portal.Actor{ID: "bob@reseller.example", Org: "reseller"}

	key, _ := vendor.Sign(&license.License{ID: "SN-1", Product: "acme-backup", Scheme: license.SchemePerDevice,
		Quantity: 10, Features: []string{"backup"}, IssuedAt: clk.Now(), Expiry: date(2027, 3, 1)})
	_, _ = p.Org(alice, "acme").AddKey(ctx, key, portal.KeyOptions{})

	clk.Add(time.Hour)
	fmt.Println("invite reseller:", p.Org(alice, "acme").Delegate(ctx, "reseller"))
	fmt.Println("invite a mistyped ID:", p.Org(alice, "acme").Delegate(ctx, "resseller"))
	_, err := p.Org(bob, "acme").Keys(ctx)
	fmt.Println("before accepting:", err)
	invitations, _ := p.Org(bob, "reseller").Invitations(ctx)
	fmt.Println("reseller's invitations:", invitations[0].Customer)
	_ = p.Org(bob, "reseller").AcceptDelegation(ctx, "acme")
	_ = p.Org(alice, "acme").Undelegate(ctx, "resseller")
	customers, _ := p.Customers(ctx, bob)
	fmt.Println("reseller's customers:", customers)

	clk.Add(time.Hour)
	keys, _ := p.Org(bob, "acme").Keys(ctx)
	for _, k := range keys {
		fmt.Println("reseller hands over", k.License.ID, "- same key:", k.Key == key)
	}
	_ = p.Org(bob, "acme").ShareKey(ctx, "SN-1", "it@acme.example")
	fmt.Println("reseller delegates further:", p.Org(bob, "acme").Delegate(ctx, "other"))

	clk.Add(time.Hour)
	_ = p.Org(alice, "acme").Undelegate(ctx, "reseller")
	_, err = p.Org(bob, "acme").Keys(ctx)
	fmt.Println("after withdrawal:", err)
	customers, _ = p.Customers(ctx, bob)
	fmt.Println("reseller's customers:", customers)

	page, next, _ := p.Org(alice, "acme").History(ctx, 0, 6)
	for _, e := range page {
		fmt.Println(e.Seq, e.At.Format("2006-01-02 15:04"), e.Actor+"("+e.Org+")", e.Action, e.Subject)
	}
	fmt.Println("next page before", next)
	// Output:
	// invite reseller: <nil>
	// invite a mistyped ID: <nil>
	// before accepting: license: no such organization
	// reseller's invitations: acme
	// reseller's customers: [acme]
	// reseller hands over SN-1 - same key: true
	// reseller delegates further: license: only the organization's own members may do this
	// after withdrawal: license: no such organization
	// reseller's customers: []
	// 8 2026-03-01 03:00 alice@acme.example(acme) delegation.withdraw reseller
	// 7 2026-03-01 02:00 bob@reseller.example(reseller) key.share SN-1
	// 6 2026-03-01 01:00 alice@acme.example(acme) delegation.withdraw resseller
	// 5 2026-03-01 01:00 bob@reseller.example(reseller) delegation.accept reseller
	// 4 2026-03-01 01:00 alice@acme.example(acme) delegation.invite resseller
	// 3 2026-03-01 01:00 alice@acme.example(acme) delegation.invite reseller
	// next page before 3
}
