package browsertest

import (
	"context"
	"strings"
	"testing"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// A member signs in with the token "licensed token create" made, redeems
// a license key of 5 licenses into the wallet and keeps them: the
// wallet's count goes from 0 to 5 (U2) and the history's newest line
// becomes that redemption, by that member (U4). The portal, asked over
// the API, agrees.
func TestConsole_U2_U4_RedeemIntoTheWallet(t *testing.T) {
	ctx := context.Background()
	b := newBrowser(t)
	s := startServer(t)
	token := s.createOrg(t, "acme", "Acme Inc.")
	acme := s.vendor.Org("acme")
	// What the overview and the key storage show: a site license, one
	// that expires soon and a trial.
	for _, key := range []string{
		s.key(t, "ACME-SITE-10", "backup", 10, 365),
		s.key(t, "ACME-AV-25", "antivirus", 25, 20),
		s.sign(t, license.License{ID: "ACME-VPN-TRIAL", Product: "vpn", Scheme: license.SchemePerDevice, Quantity: 5, Trial: true}, 30),
	} {
		if _, err := acme.AddKey(ctx, key, portal.KeyOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := acme.RegisterDevice(ctx, portal.Device{Fingerprint: "fp-ada-laptop", Name: "Ada's laptop", OS: license.TypeWorkstation}); err != nil {
		t.Fatal(err)
	}

	ada := b.newUser(t, s, "acme")
	ada.signIn(token)
	ada.want(200, "Overview")
	software := map[string]bool{}
	for _, row := range ada.table("Software") {
		software[row["Software"]] = true
	}
	for _, p := range []string{"backup", "antivirus", "vpn"} {
		if !software[p] {
			t.Errorf("the overview lists %v, not %s", software, p)
		}
	}
	ada.shot("overview")

	ada.follow("Key storage")
	ada.want(200, "Key storage")
	ada.shot("keys")

	ada.follow("History")
	ada.want(200, "History")
	before := ada.table("When")

	ada.follow("Wallet")
	ada.want(200, "Wallet")
	if n := ada.number("#kept"); n != 0 {
		t.Fatalf("a new organization's wallet keeps %d licenses", n)
	}
	const id = "AXIS-0042"
	ada.fill("License key", s.key(t, id, "backup", 5, 365))
	ada.choose("Keep in the wallet")
	ada.press("Redeem")
	ada.want(200, "Wallet")
	ada.text(`//*[@role="status"]`)
	if n := ada.number("#kept"); n != 5 {
		t.Errorf("after redeeming a key of 5 licenses kept, the wallet keeps %d", n)
	}
	ada.shot("wallet")
	if w, err := acme.Wallet(ctx); err != nil || w["backup"] != 5 {
		t.Errorf("the portal's wallet: %v, %v; want 5 backup licenses", w, err)
	}

	ada.follow("History")
	ada.want(200, "History")
	after := ada.table("When")
	if len(after) != len(before)+1 {
		t.Fatalf("the history went from %d to %d lines, want one more", len(before), len(after))
	}
	if newest := after[0]; newest["Subject"] != id || !strings.Contains(newest["Who"], "admin@acme.example") {
		t.Errorf("the history's newest line is %q, want the redemption of %s by admin@acme.example", newest, id)
	}
	ada.shot("history")
}
