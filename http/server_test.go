package http_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/licensekit/license"
	lkhttp "github.com/licensekit/license/http"
	"github.com/licensekit/license/portal"
)

// An administrator of an organization, through the client, goes through
// what the vendor set up for it: every step a route (W1), with the
// portal's rules across the wire (K5, D1, D3, P5).
func TestServer_W1_AdministratorRedeemsACodeAndTakesSeats(t *testing.T) {
	h := newHarness(t)
	codes, err := h.vendor.IssueActivationCodes(h.ctx, h.template("ACME-PRO", 3), 1, 2)
	if err != nil || len(codes) != 1 {
		t.Fatalf("IssueActivationCodes = %v, %v; want one code", codes, err)
	}
	acme := h.acme.Org("acme")
	for _, fp := range []string{"laptop-1", "build/server 2"} { // a slash and a space travel in one segment
		if _, err := acme.RegisterDevice(h.ctx, portal.Device{Fingerprint: fp, OS: license.TypeWorkstation}); err != nil {
			t.Fatalf("RegisterDevice(%s): %v", fp, err)
		}
	}

	// K5: the code gives a key, seats the device, and redeeming again from
	// the same device gives the same key.
	key, l, err := acme.RedeemCode(h.ctx, codes[0], "laptop-1")
	if err != nil {
		t.Fatalf("RedeemCode: %v", err)
	}
	again, _, err := acme.RedeemCode(h.ctx, strings.ToLower(codes[0]), "laptop-1")
	if err != nil || again != key {
		t.Fatalf("RedeemCode again = %.20q, %v; want the same key", again, err)
	}
	if l.Organization != "acme" || l.Quantity != 3 {
		t.Fatalf("redeemed license = %+v; want acme's, of 3", l)
	}

	// D1: the key storage lists the key with its usage.
	if _, err := acme.AssignSeat(h.ctx, l.ID, "build/server 2"); err != nil {
		t.Fatalf("AssignSeat: %v", err)
	}
	keys, err := acme.Keys(h.ctx)
	if err != nil || len(keys) != 1 || keys[0].License.ID != l.ID || keys[0].Devices != 2 || keys[0].Key != key {
		t.Fatalf("Keys = %+v, %v; want %s with 2 devices", keys, err, l.ID)
	}
	if err := acme.ReleaseSeat(h.ctx, l.ID, "build/server 2"); err != nil {
		t.Fatalf("ReleaseSeat: %v", err)
	}
	// W3: the error comes back as the portal's own.
	err = acme.ReleaseSeat(h.ctx, l.ID, "build/server 2")
	var herr *lkhttp.Error
	if !errors.Is(err, portal.ErrNoSuchSeat) || !errors.As(err, &herr) || herr.Status != http.StatusNotFound || herr.Code != "no_such_seat" {
		t.Fatalf("ReleaseSeat again: %v (%#v); want ErrNoSuchSeat, 404 no_such_seat", err, herr)
	}
	// D3: the device without a seat is listed.
	un, err := acme.UnactivatedDevices(h.ctx)
	if err != nil || len(un) != 1 || un[0].Fingerprint != "build/server 2" {
		t.Fatalf("UnactivatedDevices = %+v, %v; want build/server 2", un, err)
	}

	// P5: the history names the administrator; the vendor's names the
	// vendor's person.
	entries, _, err := acme.History(h.ctx, 0, 100)
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	var actions []string
	for _, e := range entries {
		if e.Actor == "alice@acme" {
			actions = append(actions, e.Action)
		}
	}
	for _, want := range []string{"device.register", "key.add", "seat.assign", "seat.release"} {
		if !slices.Contains(actions, want) {
			t.Errorf("acme's history by alice@acme = %v; want %s in it", actions, want)
		}
	}
	vh, _, err := h.vendor.VendorHistory(h.ctx, 0, 100)
	if err != nil || len(vh) == 0 || vh[0].Actor != "ops@vendor" {
		t.Fatalf("VendorHistory = %+v, %v; want the newest entry by ops@vendor", vh, err)
	}
}

// W2, P5: the vendor acts on an organization as a member of it, under its
// own ID.
func TestServer_W2_VendorActsOnAnyOrganizationUnderItsOwnName(t *testing.T) {
	h := newHarness(t)
	if _, err := h.vendor.Org("globex").RegisterDevice(h.ctx, portal.Device{Fingerprint: "pc", OS: license.TypeServer}); err != nil {
		t.Fatalf("RegisterDevice as the vendor: %v", err)
	}
	entries, _, err := h.globex.Org("globex").History(h.ctx, 0, 1)
	if err != nil || len(entries) != 1 || entries[0].Actor != "ops@vendor" || entries[0].Action != "device.register" {
		t.Fatalf("globex's history = %+v, %v; want device.register by ops@vendor", entries, err)
	}
	if err := h.vendor.Org("nosuch").RemoveDevice(h.ctx, "pc"); !errors.Is(err, portal.ErrNoAccess) {
		t.Fatalf("RemoveDevice on a missing organization: %v; want ErrNoAccess", err)
	}
}

// W2: without a token, with an unknown one, or with an organization's on
// the vendor's routes, nothing is done.
func TestServer_W2_TokensAreChecked(t *testing.T) {
	h := newHarness(t)
	before := h.snapshot()
	for _, tc := range []struct {
		name, token, method, path, body string
		status                          int
		code                            string
	}{
		{"NoToken", "", "GET", "/v1/orgs/acme/keys", "", 401, "unauthenticated"},
		{"UnknownToken", "guess", "GET", "/v1/orgs/acme/keys", "", 401, "unauthenticated"},
		{"NoTokenVendor", "", "POST", "/v1/orgs", `{"id":"initech","name":"Initech"}`, 401, "unauthenticated"},
		{"OrgOnVendorRoute", acmeToken, "POST", "/v1/orgs", `{"id":"initech","name":"Initech"}`, 403, "vendor_only"},
		{"OrgListsOrganizations", acmeToken, "GET", "/v1/orgs", "", 403, "vendor_only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := h.send(tc.method, tc.path, tc.token, tc.body)
			if a.Status != tc.status || a.Code != tc.code {
				t.Fatalf("%s %s = %d %s; want %d %s", tc.method, tc.path, a.Status, a.Body, tc.status, tc.code)
			}
		})
	}
	req, _ := http.NewRequest("GET", h.srv.URL+"/v1/orgs/acme/keys", nil)
	req.Header.Set("Authorization", "Basic "+acmeToken)
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("Basic credentials: %d, WWW-Authenticate %q; want 401 asking for a bearer token", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if h.snapshot() != before {
		t.Fatal("a refused request changed the store")
	}
	if _, err := h.client("").OpenAPI(h.ctx); err != nil {
		t.Fatalf("OpenAPI without a token: %v", err)
	}
	if err := h.client("guess").Org("acme").Advance(h.ctx); !errors.Is(err, lkhttp.ErrUnauthenticated) {
		t.Fatalf("Advance with an unknown token: %v; want ErrUnauthenticated", err)
	}
}

// W3, P4, V4: on every organization route, another organization's data
// gets the very answer of a missing organization's, and nothing changes.
func TestServer_W3_ForeignOrganizationLooksMissing(t *testing.T) {
	h := newHarness(t)
	h.seedAcme()
	bodies := h.bodies()
	before := h.snapshot()
	for _, rt := range lkhttp.Routes() {
		if rt.Vendor || rt.Public || rt.Device {
			continue
		}
		t.Run(rt.Op, func(t *testing.T) {
			body := bodies[rt.Op]
			foreign := h.send(rt.Method, fill(rt, "acme"), globexToken, body)
			missing := h.send(rt.Method, fill(rt, "nosuch"), globexToken, body)
			if foreign.Status != http.StatusNotFound || foreign.Code != "no_such_organization" {
				t.Errorf("globex on acme: %d %s; want 404 no_such_organization", foreign.Status, foreign.Body)
			}
			if foreign != missing {
				t.Errorf("globex on acme: %+v\non a missing organization: %+v\nwant the same answer", foreign, missing)
			}
		})
	}
	if h.snapshot() != before {
		t.Fatal("a request on another organization changed the store")
	}
	if _, err := h.globex.Org("acme").Keys(h.ctx); !errors.Is(err, portal.ErrNoAccess) {
		t.Fatalf("Keys of acme by globex: %v; want ErrNoAccess", err)
	}
}

// V4: a partner reaches a customer once the delegation is accepted, and
// its actions are recorded under its own organization.
func TestServer_V4_PartnerActsForCustomerOverHTTP(t *testing.T) {
	h := newHarness(t)
	if err := h.acme.Org("acme").Delegate(h.ctx, "reseller"); err != nil {
		t.Fatalf("Delegate: %v", err)
	}
	inv, err := h.resell.Org("reseller").Invitations(h.ctx)
	if err != nil || len(inv) != 1 || inv[0].Customer != "acme" {
		t.Fatalf("Invitations = %+v, %v; want acme", inv, err)
	}
	if _, err := h.resell.Org("acme").Keys(h.ctx); !errors.Is(err, portal.ErrNoAccess) {
		t.Fatalf("Keys before accepting: %v; want ErrNoAccess", err)
	}
	if err := h.resell.Org("reseller").AcceptDelegation(h.ctx, "acme"); err != nil {
		t.Fatalf("AcceptDelegation: %v", err)
	}
	if _, err := h.resell.Org("acme").AddKey(h.ctx, h.key(seats("LK-R", 5)), portal.KeyOptions{}); err != nil {
		t.Fatalf("AddKey for the customer: %v", err)
	}
	cust, err := h.resell.Org("reseller").Customers(h.ctx)
	if err != nil || !slices.Equal(cust, []string{"acme"}) {
		t.Fatalf("Customers = %v, %v; want [acme]", cust, err)
	}
	if _, err := h.resell.Org("acme").Delegations(h.ctx); !errors.Is(err, portal.ErrMembersOnly) {
		t.Fatalf("Delegations by the partner: %v; want ErrMembersOnly", err)
	}
	if _, err := h.resell.Org("acme").Customers(h.ctx); !errors.Is(err, portal.ErrNoAccess) {
		t.Fatalf("the customer's Customers by the partner: %v; want ErrNoAccess", err)
	}
	entries, _, err := h.acme.Org("acme").History(h.ctx, 0, 1)
	if err != nil || len(entries) != 1 || entries[0].Org != "reseller" || entries[0].Action != "key.add" {
		t.Fatalf("acme's newest entry = %+v, %v; want key.add by reseller", entries, err)
	}
}

// fill returns rt's path on organization org, with "x" for every other
// parameter.
func fill(rt lkhttp.Route, org string) string {
	args := []string{org, "x", "x", "x"}
	return lkhttp.Fill(rt.Op, args...)
}
