package http_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
	lkhttp "github.com/licensekit/license/http"
	"github.com/licensekit/license/portal"
)

// The vendor runs a license server; the vendor's operator and a customer's
// administrator each use it through a Client with their own token.
func Example() {
	ctx := context.Background()
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	signer, _ := license.GenerateSigningKey("vendor", bytes.NewReader(make([]byte, 32)))
	p, _ := portal.NewPortal(portal.PortalConfig{Signer: signer, Clock: clk})

	// The portal keeps the tokens, and authenticates the requests. The
	// vendor's first token is made on the server's machine.
	srv, _ := lkhttp.NewServer(lkhttp.ServerConfig{Portal: p, Clock: clk, Auth: p})
	ts := httptest.NewServer(srv) // in production: TLS, behind the deployer's proxy
	defer ts.Close()
	opsSecret, _, _ := p.CreateToken(ctx, portal.Principal{Vendor: true, Actor: portal.Actor{ID: "ops@vendor"}}, "operations")

	vendor, _ := lkhttp.NewClient(ts.URL, opsSecret, lkhttp.ClientConfig{})
	if err := vendor.CreateOrganization(ctx, "acme", "Acme Corp"); err != nil {
		fmt.Println(err)
		return
	}
	// The vendor makes the token of acme's administrator, and hands its
	// secret over: no answer gives it again.
	aliceSecret, _, err := vendor.CreateToken(ctx, portal.Principal{Actor: portal.Actor{ID: "alice@acme", Org: "acme"}}, "Alice")
	if err != nil {
		fmt.Println(err)
		return
	}
	codes, _ := vendor.IssueActivationCodes(ctx, license.License{
		ID: "PRO", Product: "backup", Scheme: license.SchemePerDevice, Quantity: 5,
		IssuedAt: clk.Now(), Expiry: clk.Now().AddDate(1, 0, 0),
	}, 1, 1)

	admin, _ := lkhttp.NewClient(ts.URL, aliceSecret, lkhttp.ClientConfig{})
	acme := admin.Org("acme")
	_, l, err := acme.RedeemCode(ctx, codes[0], "laptop-1")
	if err != nil {
		fmt.Println(err)
		return
	}
	keys, _ := acme.Keys(ctx)
	fmt.Printf("%s: %s for %s, %d of %d seats used\n", l.ID, keys[0].Application, l.Organization, keys[0].Used, l.Quantity)

	err = acme.ReleaseSeat(ctx, l.ID, "laptop-2")
	var herr *lkhttp.Error
	fmt.Println(errors.Is(err, portal.ErrNoSuchSeat), errors.As(err, &herr) && herr.Status == 404, herr.Code)

	_, err = admin.Org("globex").Keys(ctx)
	fmt.Println(errors.Is(err, portal.ErrNoAccess))
	// Output:
	// PRO-1: backup for acme, 1 of 5 seats used
	// true true no_such_seat
	// true
}
