package http_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
	lkhttp "github.com/licensekit/license/http"
	"github.com/licensekit/license/portal"
)

// An application whose license came from an activation code renews it
// through the license server at the end of its validity (R5): its
// Manager's Renewer is the organization's client.
func ExampleOrgClient_Renew() {
	ctx := context.Background()
	// One mock clock for the server and the application keeps the output
	// fixed; each would use its own system clock.
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	signer, _ := license.GenerateSigningKey("vendor", bytes.NewReader(make([]byte, 32)))
	p, _ := portal.NewPortal(portal.PortalConfig{Signer: signer, Clock: clk})
	srv, _ := lkhttp.NewServer(lkhttp.ServerConfig{Portal: p, Clock: clk, Auth: p})
	ts := httptest.NewServer(srv)
	defer ts.Close()

	ops, _, _ := p.CreateToken(ctx, portal.Principal{Vendor: true, Actor: portal.Actor{ID: "ops@vendor"}}, "operations")
	vendor, _ := lkhttp.NewClient(ts.URL, ops, lkhttp.ClientConfig{})
	if err := vendor.CreateOrganization(ctx, "acme", "Acme Corp"); err != nil {
		fmt.Println(err)
		return
	}
	codes, _ := vendor.IssueActivationCodes(ctx, license.License{
		ID: "PRO", Product: "backup", Scheme: license.SchemePerDevice, Quantity: 5,
		Term: 365 * license.Day, IssuedAt: clk.Now(),
	}, 1, 1)
	// The application's own token, which the histories name.
	secret, _, _ := vendor.CreateToken(ctx, portal.Principal{Actor: portal.Actor{ID: "backup-agent@acme", Org: "acme"}}, "renewals")
	app, _ := lkhttp.NewClient(ts.URL, secret, lkhttp.ClientConfig{})
	acme := app.Org("acme")
	key, _, err := acme.RedeemCode(ctx, codes[0], "laptop-1")
	if err != nil {
		fmt.Println(err)
		return
	}

	v, _ := license.NewVerifier(signer.VerifyingKey())
	m, _ := license.NewManager(ctx, license.ManagerConfig{
		Verifier: v, Clock: clk, Renewer: acme,
		Software: license.Software{ID: "backup-agent", Version: "4.2", Locale: "en-GB"},
		OnEvent:  func(e license.Event) { fmt.Println(e.At.Format(time.DateOnly), e.Kind) },
	})
	if _, err := m.AddKey(ctx, key, license.WithActivationCode(codes[0])); err != nil {
		fmt.Println(err)
		return
	}
	clk.Add(365 * license.Day) // the end of the term: the Manager asks the server
	if err := m.Advance(ctx, clk.Now()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Status().State, "until", m.Status().Expiry.Format(time.DateOnly))
	// Output:
	// 2026-01-01 activated
	// 2027-01-01 renewed
	// active until 2028-01-01
}
