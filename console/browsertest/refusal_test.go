package browsertest

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The redeem form posted without its security token, or with a forged
// one, is refused with a page that says so, and nothing changes; the same
// form with its token goes through, so the token alone made the
// difference.
func TestConsole_FormWithoutItsSecurityTokenIsRefused(t *testing.T) {
	ctx := context.Background()
	b := newBrowser(t)
	s := startServer(t)
	token := s.createOrg(t, "acme", "Acme Inc.")
	key := s.key(t, "AXIS-0077", "backup", 5, 365)

	ada := b.newUser(t, s, "acme")
	ada.signIn(token)
	for _, forge := range []struct{ what, js string }{
		{"without its token", `f.querySelector('input[name="csrf"]').remove()`},
		{"with a forged token", `f.querySelector('input[name="csrf"]').value = "forged"`},
	} {
		ada.open("/console/orgs/acme/wallet")
		ada.want(200, "Wallet")
		ada.fill("License key", key)
		ada.choose("Keep in the wallet")
		ada.inForm("License key", forge.js)
		ada.press("Redeem")
		ada.want(403, "Refused")
		if got, want := ada.mainText(), "The form's security token is missing or wrong. Nothing was changed."; !strings.Contains(got, want) {
			t.Errorf("the redeem form %s: the page says %q, not %q", forge.what, got, want)
		}
	}
	ada.shot("refused")

	acme := s.vendor.Org("acme")
	if r, err := acme.Redemptions(ctx); err != nil || len(r) != 0 {
		t.Fatalf("after the refusals, the portal's redemptions: %v, %v; want none", r, err)
	}
	ada.open("/console/orgs/acme/wallet")
	if n := ada.number("#kept"); n != 0 {
		t.Fatalf("after the refusals, the wallet keeps %d licenses", n)
	}
	ada.fill("License key", key)
	ada.choose("Keep in the wallet")
	ada.press("Redeem")
	ada.want(200, "Wallet")
	if n := ada.number("#kept"); n != 5 {
		t.Fatalf("the form with its token: the wallet keeps %d licenses, want 5", n)
	}
}

// A member who edits the URL of one of its pages to another
// organization's gets the same "Not found" page as for an organization
// that does not exist (W3), for every page and for a form posted there,
// which changes nothing; the vendor's pages are not found either.
func TestConsole_W3_AnotherOrganizationsPagesAreNotFound(t *testing.T) {
	ctx := context.Background()
	b := newBrowser(t)
	s := startServer(t)
	token := s.createOrg(t, "acme", "Acme Inc.")
	s.createOrg(t, "globex", "Globex Corp.")

	ada := b.newUser(t, s, "acme")
	ada.signIn(token)
	for _, page := range []string{"", "wallet", "keys", "groups", "history", "customers", "delegations"} {
		ada.open("/console/orgs/acme/" + page)
		if ada.status != 200 {
			t.Fatalf("acme's own page /%s: HTTP %d\n%s", page, ada.status, ada.describe())
		}
		ada.open("/console/orgs/globex/" + page)
		ada.want(404, "Not found")
		other := ada.mainText()
		ada.open("/console/orgs/nosuch/" + page)
		ada.want(404, "Not found")
		if missing := ada.mainText(); missing != other {
			t.Errorf("page /%s: another organization's answer %q differs from a missing one's %q", page, other, missing)
		}
	}
	ada.shot("notfound")

	// The vendor's pages, as the vendor sees them and as a member who
	// types their URLs does.
	vendor := b.newUser(t, s, "vendor")
	vendor.signIn(vendorToken)
	for _, page := range []struct{ path, heading, shot string }{
		{"/console/vendor/", "Vendor", "vendor"},
		{"/console/vendor/codes", "Activation codes", "codes"},
		{"/console/vendor/vouchers", "Vouchers", "vouchers"},
		{"/console/vendor/revocations", "Revocation", "revocations"},
	} {
		vendor.open(page.path)
		vendor.want(200, page.heading)
		vendor.shot(page.shot)
		ada.open(page.path)
		ada.want(404, "Not found")
	}

	// The redeem form, sent to globex's wallet.
	ada.open("/console/orgs/acme/wallet")
	ada.fill("License key", s.key(t, "AXIS-0078", "backup", 5, 365))
	ada.choose("Keep in the wallet")
	ada.inForm("License key", `f.action = f.action.replace("/orgs/acme/", "/orgs/globex/")`)
	ada.press("Redeem")
	ada.want(404, "Not found")
	for _, org := range []string{"acme", "globex"} {
		if r, err := s.vendor.Org(org).Redemptions(ctx); err != nil || len(r) != 0 {
			t.Errorf("after the form sent to globex, %s's redemptions: %v, %v; want none", org, r, err)
		}
	}
}

// inForm runs the JavaScript statement js with f bound to the form that
// holds the control labelled label: the test's way to tamper with a form
// as an attacker would.
func (u *user) inForm(label, js string) {
	u.t.Helper()
	id := u.labelFor(label)
	run(u, "tamper with the form of "+label, chromedp.Evaluate[chromedp.Void](
		`(() => { const f = document.getElementById(`+jsq(id)+`).form; `+js+`; })()`))
}

// mainText returns the text of the page's main element.
func (u *user) mainText() string {
	u.t.Helper()
	return run(u, "read the page", chromedp.Evaluate[string](`document.querySelector("main").innerText`))
}
