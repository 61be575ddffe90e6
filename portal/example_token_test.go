package portal_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/licensekit/license/portal"
)

// A license server gives each client a bearer token: the vendor makes one
// for an organization's actor and hands the secret over once; the server
// turns the secret of each request back into its principal, and runs the
// request as that actor; a revoked token authenticates nobody (W2).
func ExamplePortal_CreateToken() {
	p, ctx, _, _ := vendorPortal()
	alice := portal.Principal{Actor: portal.Actor{ID: "alice@acme.example", Org: "acme"}}
	secret, tok, err := p.CreateToken(ctx, alice, "alice's backup agent")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("secret:", strings.HasPrefix(secret, "lk_"+tok.ID+"_"), "stored:", tok.Hash != secret)

	// On each request, the server authenticates the bearer token…
	who, err := p.Authenticate(ctx, secret)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("authenticated:", who.Actor.ID, "of", who.Actor.Org)
	// …and acts as that actor, on the organization the request names.
	keys, err := p.Org(who.Actor, "acme").Keys(ctx)
	fmt.Println("acme's keys:", len(keys), err)
	_, err = p.Org(who.Actor, "globex").Keys(ctx)
	fmt.Println("globex's keys:", err)

	if err := p.RevokeToken(ctx, tok.ID); err != nil {
		fmt.Println(err)
		return
	}
	_, err = p.Authenticate(ctx, secret)
	fmt.Println("after revocation:", errors.Is(err, portal.ErrBadToken))
	// Output:
	// secret: true stored: true
	// authenticated: alice@acme.example of acme
	// acme's keys: 0 <nil>
	// globex's keys: license: no such organization
	// after revocation: true
}
