package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/licensekit/license"
)

// Signing in with an organization's token lands on its overview, the
// vendor's on the vendor's page; a wrong token gets the form again with
// the message, and no session.
func TestSignIn(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	if res := b.get("/console/"); res.status != http.StatusSeeOther || res.location != "/console/signin" {
		t.Fatalf("GET /console/ without a session: %d %q, want 303 to the sign-in form", res.status, res.location)
	}
	res := b.get("/console/signin")
	mustContain(t, "sign-in form", res.body, `<label for="token">Token</label>`, `id="token" name="token"`, "Sign in</button>")

	res = b.post("/console/signin", url.Values{"token": {"lk_nonsense"}})
	if res.status != http.StatusUnauthorized {
		t.Fatalf("a wrong token: status %d, want 401", res.status)
	}
	mustContain(t, "refused sign-in", res.body, `role="alert"`, "That token is not valid.")
	if res := b.get("/console/orgs/acme/"); res.status != http.StatusSeeOther || res.location != "/console/signin" {
		t.Fatalf("after a failed sign-in, the overview: %d %q, want 303 to the sign-in form", res.status, res.location)
	}

	res = b.post("/console/signin", url.Values{"token": {h.tokens["acme"]}})
	if res.status != http.StatusSeeOther || res.location != "/console/orgs/acme/" {
		t.Fatalf("signing in as acme: %d %q, want 303 to /console/orgs/acme/", res.status, res.location)
	}
	if res := b.get("/console/"); res.location != "/console/orgs/acme/" {
		t.Fatalf("GET /console/ signed in: %q, want the overview", res.location)
	}
	v := h.signIn("vendor")
	if res := v.get("/console/"); res.location != "/console/vendor/" {
		t.Fatalf("the vendor's start page: %q", res.location)
	}

	// Signing out ends the session.
	b.get("/console/orgs/acme/")
	if res := b.post("/console/signout", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("sign out: %d", res.status)
	}
	if res := b.get("/console/orgs/acme/"); res.location != "/console/signin" {
		t.Fatalf("after signing out: %d %q", res.status, res.location)
	}
}

// The session cookie is HttpOnly and SameSite=Lax, and Secure when the
// request came over TLS.
func TestSignIn_CookieFlags(t *testing.T) {
	h := newHarness(t)
	for _, tls := range []bool{false, true} {
		b := h.browser()
		b.get("/console/signin")
		b.c.Transport = nil
		srv := h.srv
		if tls {
			ts := newTLSServer(t, h)
			srv = ts
			b.c.Transport = ts.Client().Transport
			req, _ := http.NewRequest(http.MethodGet, ts.URL+"/console/signin", nil)
			b.do(req)
		}
		form := url.Values{"token": {h.tokens["acme"]}, "csrf": {b.csrf}}
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/console/signin", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res := b.do(req)
		var session *http.Cookie
		for _, ck := range (&http.Response{Header: res.header}).Cookies() {
			if ck.Name == "lk_session" && ck.Value != "" {
				session = ck
			}
		}
		if session == nil {
			t.Fatalf("TLS %t: no lk_session cookie in %v", tls, res.header)
		}
		if !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Secure != tls {
			t.Errorf("TLS %t: cookie %+v; want HttpOnly, SameSite=Lax, Secure=%t", tls, session, tls)
		}
	}
}

// U2: redeeming a key through the wallet's form, with the page's form
// token, keeps its licenses: the count of kept licenses and the history
// show it.
func TestWallet_U2_RedeemKeeps(t *testing.T) {
	h := newHarness(t)
	b := h.signIn("acme")
	res := b.get("/console/orgs/acme/wallet")
	mustContain(t, "wallet", res.body, "<h1>Wallet</h1>", `<p id="kept">Licenses kept: 0</p>`,
		`<label for="key">License key</label>`, `<label for="consume-now">Consume now</label>`,
		`<label for="consume-keep">Keep in the wallet</label>`, "Redeem</button>")

	key := h.key(license.License{ID: "AXIS-0001", Scheme: license.SchemePerDevice, Quantity: 25})
	res = b.post("/console/orgs/acme/wallet", url.Values{"key": {key}, "consume": {"keep"}})
	if res.status != http.StatusSeeOther || res.location != "/console/orgs/acme/wallet" {
		t.Fatalf("redeem: %d %q\n%s", res.status, res.location, res.body)
	}
	res = b.get(res.location)
	mustContain(t, "wallet after redeeming", res.body, `<p id="kept">Licenses kept: 25</p>`, `role="status"`,
		"Redeemed license AXIS-0001", "AXIS-0001</th>")
	if w, _ := h.as("acme").Wallet(h.ctx); w["acme-backup"] != 25 {
		t.Fatalf("the portal's wallet: %v, want 25 acme-backup", w)
	}
	res = b.get("/console/orgs/acme/history")
	mustContain(t, "history", res.body, "<h1>History</h1>", "admin@acme", "AXIS-0001")
}

// U2: "Consume now" pays the current term of the product's subscription
// and keeps the rest.
func TestWallet_U2_ConsumeNow(t *testing.T) {
	h := newHarness(t)
	if _, err := h.as("acme").Activate(h.ctx, "acme-backup", 10); err != nil {
		t.Fatal(err)
	}
	b := h.signIn("acme")
	b.get("/console/orgs/acme/wallet")
	key := h.key(license.License{ID: "AXIS-0002", Scheme: license.SchemePerDevice, Quantity: 25})
	if res := b.post("/console/orgs/acme/wallet", url.Values{"key": {key}, "consume": {"now"}}); res.status != http.StatusSeeOther {
		t.Fatalf("redeem: %d\n%s", res.status, res.body)
	}
	res := b.get("/console/orgs/acme/wallet")
	mustContain(t, "wallet", res.body, `<p id="kept">Licenses kept: 15</p>`, "10 consumed now, 15 kept in the wallet")
	subs, _ := h.as("acme").Subscriptions(h.ctx)
	if len(subs) != 1 || subs[0].Paid != 10 {
		t.Fatalf("subscriptions: %+v, want 10 paid", subs)
	}
}

// U2: a key the portal refuses shows the refusal on the form, with the
// key typed, and changes nothing.
func TestWallet_U2_RefusalShownOnTheForm(t *testing.T) {
	h := newHarness(t)
	b := h.signIn("acme")
	b.get("/console/orgs/acme/wallet")
	before, _, _ := h.as("acme").History(h.ctx, 0, 100)
	res := b.post("/console/orgs/acme/wallet", url.Values{"key": {"LK1.not-a-key"}, "consume": {"keep"}})
	if res.status != http.StatusBadRequest {
		t.Fatalf("a malformed key: status %d, want 400", res.status)
	}
	mustContain(t, "refused redemption", res.body, `class="error"`, `role="alert"`, "Malformed license key",
		"Nothing was changed.", "LK1.not-a-key</textarea>", `<p id="kept">Licenses kept: 0</p>`)
	after, _, _ := h.as("acme").History(h.ctx, 0, 100)
	if w, _ := h.as("acme").Wallet(h.ctx); len(w) != 0 || len(after) != len(before) {
		t.Fatalf("after a refusal: wallet %v, history %d entries (was %d)", w, len(after), len(before))
	}

	// An expired key is a conflict, not malformed input.
	old := h.key(license.License{ID: "OLD-1", Scheme: license.SchemePerDevice, Quantity: 5,
		IssuedAt: h.clk.Now().Add(-48 * time.Hour), Expiry: h.clk.Now().Add(-time.Hour)})
	res = b.post("/console/orgs/acme/wallet", url.Values{"key": {old}, "consume": {"keep"}})
	if res.status != http.StatusConflict || !strings.Contains(res.body, `role="alert"`) {
		t.Fatalf("an expired key: status %d, want 409 with an alert\n%s", res.status, res.body)
	}
}
