package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// fill gives acme a key storage, a device with no application activated,
// a group with a device placed, a subscription and a history.
func fill(t *testing.T, h *harness) {
	t.Helper()
	acme := h.as("acme")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := acme.AddKey(h.ctx, h.key(license.License{ID: "KSC-1", Scheme: license.SchemePerDevice, Quantity: 10,
		Expiry: h.clk.Now().Add(20 * license.Day)}), portal.KeyOptions{})
	must(err)
	_, err = acme.AddKey(h.ctx, h.key(license.License{ID: "ESET-1", Product: "eset-office", Scheme: license.SchemePerDevice, Quantity: 5,
		Expiry: h.clk.Now().Add(300 * license.Day)}), portal.KeyOptions{})
	must(err)
	for _, fp := range []string{"pc-1", "pc-2"} {
		_, err = acme.RegisterDevice(h.ctx, portal.Device{Fingerprint: fp, OS: license.TypeWorkstation, CPUs: 1, Cores: 4})
		must(err)
	}
	must(acme.CreateGroup(h.ctx, "paris", "Paris office"))
	must(acme.AddToGroup(h.ctx, "paris", "ESET-1"))
	must(acme.JoinGroup(h.ctx, "paris", "pc-1"))
	_, err = acme.Activate(h.ctx, "axis-camera", 4)
	must(err)
}

// U1: the overview tells each software's state, expiry and next step.
func TestOverview_U1_StateExpiryNextStep(t *testing.T) {
	h := newHarness(t)
	fill(t, h)
	b := h.signIn("acme")
	res := b.get("/console/orgs/acme/")
	if res.status != http.StatusOK {
		t.Fatalf("overview: %d", res.status)
	}
	mustContain(t, "overview", res.body, "<h1>Overview</h1>",
		`<th scope="col">Software</th><th scope="col">State</th><th scope="col">Expires</th><th scope="col">Next step</th>`,
		`<th scope="row">acme-backup</th><td><span class="state state-expiring">expiring</span></td><td>2026-01-21</td><td>Renew before 2026-01-21</td>`,
		`<th scope="row">eset-office</th><td><span class="state state-active">active</span></td><td>2026-10-28</td>`,
		`<th scope="row">axis-camera</th><td><span class="state state-active">active</span></td><td>2027-01-01</td><td>Redeem 4 more licenses for this term</td>`)

	// Three weeks later acme-backup is in grace (S3), then suspended (S4).
	// Sessions last 12 hours: sign in again each time.
	h.clk.Add(21 * license.Day)
	if res := b.get("/console/orgs/acme/"); res.location != "/console/signin" {
		t.Fatalf("a session three weeks old: %d %q, want the sign-in form", res.status, res.location)
	}
	res = h.signIn("acme").get("/console/orgs/acme/")
	mustContain(t, "overview in grace", res.body, `state-grace">grace</span></td><td>2026-01-21</td><td>Renew now: the software stops on 2026-02-04`)
	h.clk.Add(20 * license.Day)
	res = h.signIn("acme").get("/console/orgs/acme/")
	mustContain(t, "overview suspended", res.body, `state-suspended">suspended</span>`, "its data is deleted on 2026-03-06")

	// A trial's next step is to buy a license.
	if _, err := h.as("globex").AddKey(h.ctx, h.key(license.License{ID: "TRIAL-1", Trial: true,
		Expiry: h.clk.Now().Add(30 * license.Day)}), portal.KeyOptions{}); err != nil {
		t.Fatal(err)
	}
	res = h.signIn("globex").get("/console/orgs/globex/")
	mustContain(t, "globex overview", res.body, `state-trial">trial</span>`, "Buy a license before")
}

// U3: the key storage lists each key's usage, and the devices without an
// activated application.
func TestKeys_U3_UsageAndUnactivatedDevices(t *testing.T) {
	h := newHarness(t)
	fill(t, h)
	res := h.signIn("acme").get("/console/orgs/acme/keys")
	mustContain(t, "key storage", res.body, "<h1>Key storage</h1>",
		`<th scope="col">License</th><th scope="col">Software</th><th scope="col">Used</th><th scope="col">Quantity</th>`,
		`<th scope="row">ESET-1</th><td>eset-office</td><td>1</td><td>5</td>`,
		`<th scope="row">KSC-1</th><td>acme-backup</td><td>0</td><td>10</td>`,
		"<h2 id=\"unactivated-heading\">Devices without an activated application</h2>", `<th scope="row">pc-2</th>`)
	if strings.Contains(res.body, `<th scope="row">pc-1</th>`) {
		t.Errorf("pc-1 holds a seat, yet is listed as without an activated application")
	}
}

// U4: groups list, and a group shows where the portal placed each
// device; adding a device through the form places it.
func TestGroups_U4_DevicesAndPlacement(t *testing.T) {
	h := newHarness(t)
	fill(t, h)
	b := h.signIn("acme")
	res := b.get("/console/orgs/acme/groups")
	mustContain(t, "groups", res.body, "<h1>License groups</h1>", `<a href="/console/orgs/acme/groups/paris">Paris office</a>`,
		`<label for="group-id">ID</label>`, `<label for="group-name">Name</label>`)
	res = b.get("/console/orgs/acme/groups/paris")
	mustContain(t, "group", res.body, "<h1>Paris office</h1>", `<th scope="col">Device</th><th scope="col">Placed on</th>`,
		`<th scope="row">pc-1</th><td>ESET-1</td>`, `<label for="device">Device</label>`, "Add to group</button>",
		`<label for="license">License</label>`, "Add license</button>")
	res = b.post("/console/orgs/acme/groups/paris/devices", url.Values{"device": {"pc-2"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("add a device: %d\n%s", res.status, res.body)
	}
	res = b.get("/console/orgs/acme/groups/paris")
	mustContain(t, "group after adding pc-2", res.body, `<th scope="row">pc-2</th><td>ESET-1</td>`, `role="status"`)

	// The portal's refusal shows on the group's page.
	res = b.post("/console/orgs/acme/groups/paris/devices", url.Values{"device": {"pc-9"}})
	if res.status != http.StatusConflict && res.status != http.StatusBadRequest {
		t.Fatalf("an unknown device: %d", res.status)
	}
	mustContain(t, "refused device", res.body, `role="alert"`, "No such device", "<h1>Paris office</h1>")

	// Creating a group through the form.
	b.get("/console/orgs/acme/groups")
	res = b.post("/console/orgs/acme/groups", url.Values{"id": {"lyon"}, "name": {"Lyon site"}})
	if res.status != http.StatusSeeOther || res.location != "/console/orgs/acme/groups/lyon" {
		t.Fatalf("create a group: %d %q", res.status, res.location)
	}
	if res := b.get("/console/orgs/acme/groups/nowhere"); res.status != http.StatusNotFound {
		t.Fatalf("a missing group: %d, want 404", res.status)
	}
}

// U4: the history is paged, newest first, 50 a page, with a link to the
// older page.
func TestHistory_U4_Paged(t *testing.T) {
	h := newHarness(t)
	acme := h.as("acme")
	for i := range 60 {
		if _, err := acme.RegisterDevice(h.ctx, portal.Device{Fingerprint: "pc-" + string(rune('a'+i/26)) + string(rune('a'+i%26)),
			OS: license.TypeWorkstation}); err != nil {
			t.Fatal(err)
		}
		h.clk.Add(time.Minute)
	}
	b := h.signIn("acme")
	res := b.get("/console/orgs/acme/history")
	mustContain(t, "history", res.body, "<h1>History</h1>",
		`<th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Subject</th><th scope="col">Detail</th>`)
	rows := strings.Count(res.body, "<tr><td>")
	if rows != 50 {
		t.Fatalf("first page: %d rows, want 50", rows)
	}
	next := regexp.MustCompile(`<a rel="next" href="([^"]+)">Older</a>`).FindStringSubmatch(res.body)
	if next == nil {
		t.Fatalf("no link to the older page")
	}
	newest := strings.Index(res.body, "pc-ch")
	older := strings.Index(res.body, "pc-cg")
	if newest < 0 || older < 0 || newest > older {
		t.Fatalf("the newest entry (pc-ch) does not come first")
	}
	res = b.get(strings.ReplaceAll(next[1], "&amp;", "&"))
	if n := strings.Count(res.body, "<tr><td>"); n == 0 || n > 50 || strings.Contains(res.body, `rel="next"`) {
		t.Fatalf("older page: %d rows, next link %t", n, strings.Contains(res.body, `rel="next"`))
	}
	if res := b.get("/console/orgs/acme/history?before=-1"); res.status != http.StatusBadRequest {
		t.Fatalf("a bad cursor: %d, want 400", res.status)
	}
}

// U5: a partner sees exactly the customers that delegated to it, acts on
// their pages, and after the delegation is withdrawn gets "Not found".
func TestCustomers_U5_PartnerSeesItsCustomers(t *testing.T) {
	h := newHarness(t)
	fill(t, h)
	// acme delegates through the console; globex only invites and is
	// never accepted.
	a := h.signIn("acme")
	res := a.get("/console/orgs/acme/delegations")
	mustContain(t, "delegation", res.body, "<h1>Delegation</h1>", `<label for="partner">Partner</label>`, "Delegate</button>")
	if res := a.post("/console/orgs/acme/delegations", url.Values{"partner": {"reseller"}}); res.status != http.StatusSeeOther {
		t.Fatalf("delegate: %d\n%s", res.status, res.body)
	}
	if err := h.as("globex").Delegate(h.ctx, "reseller"); err != nil {
		t.Fatal(err)
	}
	if err := h.as("globex").Undelegate(h.ctx, "reseller"); err != nil {
		t.Fatal(err)
	}

	r := h.signIn("reseller")
	res = r.get("/console/orgs/reseller/customers")
	mustContain(t, "invitations", res.body, "<h1>Customers</h1>", `<th scope="row">acme</th>`, "Accept</button>")
	if res := r.post("/console/orgs/reseller/customers/accept", url.Values{"customer": {"acme"}}); res.status != http.StatusSeeOther {
		t.Fatalf("accept: %d\n%s", res.status, res.body)
	}
	res = r.get("/console/orgs/reseller/customers")
	list := regexp.MustCompile(`(?s)<ul class="customers">.*?</ul>`).FindString(res.body)
	links := regexp.MustCompile(`<li><a href="(/console/orgs/[^"]+)">`).FindAllStringSubmatch(list, -1)
	if len(links) != 1 || links[0][1] != "/console/orgs/acme/" {
		t.Fatalf("the partner's customers: %v, want exactly acme", links)
	}
	res = r.get("/console/orgs/acme/")
	mustContain(t, "the customer's overview, for the partner", res.body, "<h1>Overview</h1>", "acme-backup")
	r.get("/console/orgs/acme/groups")
	if res := r.post("/console/orgs/acme/groups", url.Values{"id": {"by-partner"}, "name": {"Partner's"}}); res.status != http.StatusSeeOther {
		t.Fatalf("the partner acting for acme: %d\n%s", res.status, res.body)
	}
	// The customer's own pages on delegation are the customer's.
	if res := r.get("/console/orgs/acme/delegations"); res.status != http.StatusNotFound {
		t.Fatalf("the partner on the customer's delegations: %d, want 404", res.status)
	}

	// acme withdraws through the console.
	a.get("/console/orgs/acme/delegations")
	if res := a.post("/console/orgs/acme/delegations/withdraw", url.Values{"partner": {"reseller"}}); res.status != http.StatusSeeOther {
		t.Fatalf("withdraw: %d\n%s", res.status, res.body)
	}
	res = r.get("/console/orgs/acme/")
	missing := r.get("/console/orgs/no-such-org/")
	if res.status != http.StatusNotFound || res.body != missing.body {
		t.Fatalf("after the withdrawal: %d, same as a missing organization %t", res.status, res.body == missing.body)
	}
	res = r.get("/console/orgs/reseller/customers")
	if strings.Contains(res.body, `href="/console/orgs/acme/"`) {
		t.Fatalf("acme is still listed after withdrawing")
	}
}

// W3: another organization's pages answer exactly what a missing
// organization's do, byte for byte, and a form posted there changes
// nothing.
func TestNotFound_W3_OtherOrganizationLikeMissing(t *testing.T) {
	h := newHarness(t)
	fill(t, h)
	b := h.signIn("globex")
	for _, page := range []string{"", "wallet", "keys", "groups", "groups/paris", "history", "customers", "delegations"} {
		other := b.get("/console/orgs/acme/" + page)
		missing := b.get("/console/orgs/nowhere/" + page)
		if other.status != http.StatusNotFound || missing.status != http.StatusNotFound {
			t.Errorf("%s: status %d for acme, %d for a missing organization; want 404", page, other.status, missing.status)
		}
		if other.body != missing.body {
			t.Errorf("%s: acme's page differs from a missing organization's:\n%s\n---\n%s", page, other.body, missing.body)
		}
		mustContain(t, page, other.body, "<h1>Not found</h1>")
	}
	b.get("/console/orgs/globex/wallet")
	key := h.key(license.License{ID: "STOLEN-1", Scheme: license.SchemePerDevice, Quantity: 3})
	if res := b.post("/console/orgs/acme/wallet", url.Values{"key": {key}, "consume": {"keep"}}); res.status != http.StatusNotFound {
		t.Fatalf("redeeming into acme's wallet as globex: %d, want 404", res.status)
	}
	if w, _ := h.as("acme").Wallet(h.ctx); len(w) != 0 {
		t.Fatalf("acme's wallet changed: %v", w)
	}
}

// A form posted without its token, or with a wrong one, is refused with
// 403 and changes nothing.
func TestCSRF_RefusedAndNothingChanged(t *testing.T) {
	h := newHarness(t)
	b := h.signIn("acme")
	b.get("/console/orgs/acme/wallet")
	key := h.key(license.License{ID: "AXIS-9", Scheme: license.SchemePerDevice, Quantity: 7})
	before, _, _ := h.as("acme").History(h.ctx, 0, 100)
	wrong := "x" + b.csrf[1:]
	if wrong == b.csrf { // one token in 64 starts with x
		wrong = "y" + b.csrf[1:]
	}
	for name, token := range map[string]string{"without": "", "wrong": wrong} {
		res := b.postRaw("/console/orgs/acme/wallet", url.Values{"key": {key}, "consume": {"keep"}, "csrf": {token}})
		if res.status != http.StatusForbidden {
			t.Fatalf("%s a token: %d, want 403", name, res.status)
		}
		mustContain(t, name+" a token", res.body, "<h1>Refused</h1>", "The form&#39;s security token is missing or wrong. Nothing was changed.")
	}
	if res := b.postRaw("/console/orgs/acme/groups", url.Values{"id": {"g"}, "name": {"G"}}); res.status != http.StatusForbidden {
		t.Fatalf("a group without a token: %d", res.status)
	}
	after, _, _ := h.as("acme").History(h.ctx, 0, 100)
	w, _ := h.as("acme").Wallet(h.ctx)
	gs, _ := h.as("acme").Groups(h.ctx)
	if len(w) != 0 || len(gs) != 0 || len(after) != len(before) {
		t.Fatalf("a refused form changed the store: wallet %v, groups %v, history %d → %d", w, gs, len(before), len(after))
	}
	// The sign-in form has its own token, bound to a cookie.
	fresh := h.browser()
	if res := fresh.postRaw("/console/signin", url.Values{"token": {h.tokens["acme"]}}); res.status != http.StatusForbidden {
		t.Fatalf("signing in without the form's token: %d, want 403", res.status)
	}
}

// The vendor's pages: codes, vouchers and revocation, for the vendor
// only; an organization's principal finds nothing there.
func TestVendor_PagesForTheVendorOnly(t *testing.T) {
	h := newHarness(t)
	a := h.signIn("acme")
	for _, page := range []string{"", "codes", "vouchers", "revocations"} {
		if res := a.get("/console/vendor/" + page); res.status != http.StatusNotFound || !strings.Contains(res.body, "<h1>Not found</h1>") {
			t.Errorf("an organization on /console/vendor/%s: %d", page, res.status)
		}
	}
	a.get("/console/orgs/acme/")
	if res := a.post("/console/vendor/revocations", url.Values{"license": {"X-1"}}); res.status != http.StatusNotFound {
		t.Fatalf("an organization revoking: %d", res.status)
	}
	if _, serial, _ := h.p.RevocationList(h.ctx); serial != 1 {
		t.Fatalf("an organization's POST revoked something: serial %d", serial)
	}

	v := h.signIn("vendor")
	res := v.get("/console/vendor/")
	mustContain(t, "vendor", res.body, "<h1>Vendor</h1>", `href="/console/vendor/codes"`, `<a href="/console/orgs/acme/">acme</a>`)
	res = v.get("/console/vendor/codes")
	mustContain(t, "codes", res.body, "<h1>Activation codes</h1>", `<label for="product">Product</label>`)
	res = v.post("/console/vendor/codes", url.Values{"product": {"acme-backup"}, "quantity": {"1"}, "term": {"365"}, "count": {"2"}, "limit": {"3"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("issue codes: %d\n%s", res.status, res.body)
	}
	res = v.get("/console/vendor/codes")
	if n := strings.Count(res.body, `<td>acme-backup</td><td>1</td><td>0</td><td>3</td>`); n != 2 {
		t.Fatalf("codes listed: %d, want 2\n%s", n, res.body)
	}
	res = v.post("/console/vendor/codes", url.Values{"product": {"acme-backup"}, "count": {"-2"}})
	mustContain(t, "a bad count", res.body, `role="alert"`, "whole number")

	res = v.get("/console/vendor/vouchers")
	mustContain(t, "vouchers", res.body, "<h1>Vouchers</h1>")
	if res := v.post("/console/vendor/vouchers", url.Values{"product": {"acme-backup"}, "quantity": {"2"}, "count": {"1"}}); res.status != http.StatusSeeOther {
		t.Fatalf("issue a voucher: %d\n%s", res.status, res.body)
	}
	res = v.get("/console/vendor/vouchers")
	mustContain(t, "vouchers", res.body, "not converted")

	res = v.get("/console/vendor/revocations")
	mustContain(t, "revocation", res.body, "<h1>Revocation</h1>", `<span id="serial">1</span>`, `<label for="license">License</label>`, `<label for="reason">Reason</label>`)
	if res := v.post("/console/vendor/revocations", url.Values{"license": {"KSC-9"}, "reason": {"refunded"}}); res.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d\n%s", res.status, res.body)
	}
	res = v.get("/console/vendor/revocations")
	mustContain(t, "revocation", res.body, `<span id="serial">2</span>`, "Revoked the license KSC-9")
}
