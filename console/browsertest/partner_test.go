package browsertest

import (
	"context"
	"maps"
	"regexp"
	"slices"
	"testing"
)

// A partner sees exactly the customers that delegated to it and whose
// invitation it accepted, and acts for them (U5); once a customer
// withdraws its delegation, the customer's pages answer "Not found" to
// the partner, as any organization's out of its reach do (W3).
func TestConsole_U5_W3_PartnerSeesOnlyItsCustomers(t *testing.T) {
	ctx := context.Background()
	b := newBrowser(t)
	s := startServer(t)
	mspToken := s.createOrg(t, "msp", "Managed Services Ltd")
	acmeToken := s.createOrg(t, "acme", "Acme Inc.")
	globexToken := s.createOrg(t, "globex", "Globex Corp.")
	initechToken := s.createOrg(t, "initech", "Initech")
	s.createOrg(t, "other", "Another partner")

	// acme delegates through the console; globex, and initech to
	// another partner, through the API.
	ada := b.newUser(t, s, "acme")
	ada.signIn(acmeToken)
	ada.follow("Delegation")
	ada.want(200, "Delegation")
	ada.fill("Partner", "msp")
	ada.press("Delegate")
	ada.want(200, "Delegation")
	ada.shot("delegation")
	if err := s.client(t, globexToken).Org("globex").Delegate(ctx, "msp"); err != nil {
		t.Fatal(err)
	}
	if err := s.client(t, initechToken).Org("initech").Delegate(ctx, "other"); err != nil {
		t.Fatal(err)
	}

	mo := b.newUser(t, s, "msp")
	mo.signIn(mspToken)
	mo.follow("Customers")
	mo.want(200, "Customers")
	for range 2 {
		mo.press("Accept")
		mo.want(200, "Customers")
	}
	if got := mo.customers("msp"); !slices.Equal(got, []string{"acme", "globex"}) {
		t.Fatalf("the partner's customers: %q, want acme and globex", got)
	}
	mo.shot("customers")

	// Acting for acme: a license group made by the partner is acme's.
	mo.click(`//main//a[@href="/console/orgs/acme/"]`, "open acme")
	mo.want(200, "Overview")
	mo.follow("Groups")
	mo.want(200, "License groups")
	mo.createGroup("hq", "Head office")
	if g, err := s.vendor.Org("acme").Group(ctx, "hq"); err != nil || g.Name != "Head office" {
		t.Fatalf("the group the partner made for acme: %+v, %v", g, err)
	}
	mo.open("/console/orgs/initech/")
	mo.want(404, "Not found")

	ada.follow("Delegation")
	ada.click(`//main//*[self::tr or self::li][.//text()[normalize-space()="msp"]]//button[normalize-space()="Withdraw"]`, "withdraw msp's delegation")
	ada.want(200, "Delegation")

	for _, path := range []string{"/console/orgs/acme/", "/console/orgs/acme/groups", "/console/orgs/acme/wallet"} {
		mo.open(path)
		mo.want(404, "Not found")
	}
	mo.shot("notfound")
	mo.open("/console/orgs/msp/customers")
	if got := mo.customers("msp"); !slices.Equal(got, []string{"globex"}) {
		t.Errorf("after acme withdrew, the partner's customers: %q, want globex", got)
	}
}

// customers returns, sorted, the organizations the page links to as
// customers of the partner org: the links to their overviews.
func (u *user) customers(org string) []string {
	u.t.Helper()
	hrefs := run(u, "read the customers", hrefs(`main a[href^="/console/orgs/"]`))
	set := map[string]bool{}
	for _, h := range hrefs {
		if m := overviewPath.FindStringSubmatch(h); m != nil && m[1] != org {
			set[m[1]] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

var overviewPath = regexp.MustCompile(`^/console/orgs/([^/]+)/$`)
