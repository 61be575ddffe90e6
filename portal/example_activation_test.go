package portal_test

import (
	"fmt"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// A device activates a license of its organization's key storage with
// the key and its fingerprint, and gets a certificate that the
// application accepts offline on that device only (A1, A2). Before the
// certificate's NotAfter it checks in for a fresh one (A4); deactivating
// frees its seat at once, and later check-ins are refused (A5).
func ExamplePortal_Activate() {
	p, ctx, clk, vendor := vendorPortal()
	key, _ := vendor.Sign(&license.License{ID: "SN-1", Product: "acme-backup", Scheme: license.SchemePerDevice,
		Quantity: 10, IssuedAt: clk.Now(), Expiry: date(2027, 3, 1)})
	acme := p.Org(portal.Actor{ID: "ada@acme.example", Org: "acme"}, "acme")
	_, _ = acme.AddKey(ctx, key, portal.KeyOptions{})
	// The application trusts the vendor's verifying key.
	verifier, _ := license.NewVerifier(vendor.VerifyingKey())

	text, a, err := p.Activate(ctx, portal.ActivationRequest{Key: key, Fingerprint: "laptop-7"})
	if err != nil {
		fmt.Println(err)
		return
	}
	cert, err := verifier.VerifyCertificate(text)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("activation:", a.ID, "of", cert.Licenses[0].ID, "on", cert.Fingerprint)
	fmt.Println("holds until:", cert.NotAfter.Format(time.DateOnly), "revocation list:", cert.RevocationSerial)
	fmt.Println("on another device:", cert.Check("desktop-2", clk.Now()))
	keys, _ := acme.Keys(ctx)
	fmt.Println("seats used:", keys[0].Used)

	// Three weeks on, the device checks in.
	clk.Add(21 * license.Day)
	text, err = p.CheckIn(ctx, a.ID, "laptop-7")
	if err != nil {
		fmt.Println(err)
		return
	}
	fresh, _ := verifier.VerifyCertificate(text)
	fmt.Println("checked in: activated", fresh.Activated.Format(time.DateOnly), "issued", fresh.Issued.Format(time.DateOnly))

	if err := p.Deactivate(ctx, a.ID, "laptop-7"); err != nil {
		fmt.Println(err)
		return
	}
	keys, _ = acme.Keys(ctx)
	fmt.Println("after deactivation, seats used:", keys[0].Used)
	_, err = p.CheckIn(ctx, a.ID, "laptop-7")
	fmt.Println("check-in:", err)
	// Output:
	// activation: act-1 of SN-1 on laptop-7
	// holds until: 2026-03-31 revocation list: 1
	// on another device: license: the activation certificate is for another device
	// seats used: 1
	// checked in: activated 2026-03-01 issued 2026-03-22
	// after deactivation, seats used: 0
	// check-in: license: the activation was deactivated: act-1 at 2026-03-22T00:00:00Z
}
