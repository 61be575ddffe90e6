package http_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/licensekit/license"
	lkhttp "github.com/licensekit/license/http"
	"github.com/licensekit/license/portal"
)

// W2, W3: the vendor makes a token for an organization's administrator
// through the API. It works for its organization, under its actor's name;
// another organization answers as a missing one does; the vendor's routes
// are 403; once revoked it is 401. No answer carries the token's hash, nor,
// but the one that made it, its secret.
func TestServer_W2_VendorMakesAnAdministratorsTokenThroughTheAPI(t *testing.T) {
	h := newHarness(t)
	dave := portal.Principal{Actor: portal.Actor{ID: "dave@acme", Org: "acme"}}
	secret, tok, err := h.vendor.CreateToken(h.ctx, dave, "Dave's laptop")
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	if tok.ID == "" || tok.Principal != dave || tok.Name != "Dave's laptop" || tok.Hash != "" || !tok.Revoked.IsZero() {
		t.Fatalf("CreateToken = %+v; want dave's token, without its hash", tok)
	}
	sum := sha256.Sum256([]byte(secret))
	hash := hex.EncodeToString(sum[:])
	if _, err := h.p.Authenticate(h.ctx, secret); err != nil {
		t.Fatalf("the portal does not know the secret the API gave: %v", err)
	}

	// Its organization, under its actor's name (P5).
	acme := h.client(secret).Org("acme")
	if _, err := acme.RegisterDevice(h.ctx, portal.Device{Fingerprint: "pc-1", OS: license.TypeWorkstation}); err != nil {
		t.Fatalf("RegisterDevice with dave's token: %v", err)
	}
	entries, _, err := acme.History(h.ctx, 0, 1)
	if err != nil || len(entries) != 1 || entries[0].Actor != "dave@acme" || entries[0].Action != "device.register" {
		t.Fatalf("acme's history = %+v, %v; want dave's device.register", entries, err)
	}

	// W3: another organization answers as a missing one, word for word.
	before := h.snapshot()
	foreign := h.send("GET", "/v1/orgs/globex/keys", secret, "")
	missing := h.send("GET", "/v1/orgs/nowhere/keys", secret, "")
	if foreign.Status != http.StatusNotFound || foreign.Code != "no_such_organization" || foreign != missing {
		t.Errorf("globex's keys = %+v; nowhere's = %+v; want the same 404 no_such_organization", foreign, missing)
	}
	// The vendor's routes, tokens' first: an organization's token makes
	// no token, for itself or for anyone.
	for _, r := range []struct{ method, path, body string }{
		{"POST", "/v1/tokens", `{"principal":{"actor":{"id":"mallory@acme","org":"acme"}},"name":"x"}`},
		{"GET", "/v1/tokens", ""},
		{"DELETE", "/v1/tokens/" + tok.ID, ""},
		{"GET", "/v1/orgs", ""},
		{"POST", "/v1/webhooks", `{"url":"https://hooks.example/x"}`},
	} {
		if a := h.send(r.method, r.path, secret, r.body); a.Status != http.StatusForbidden || a.Code != "vendor_only" {
			t.Errorf("%s %s with dave's token = %d %s; want 403 vendor_only", r.method, r.path, a.Status, a.Body)
		}
	}
	if h.snapshot() != before {
		t.Fatal("a refused request changed the store")
	}

	// The listing: every token, none with its hash or secret.
	list := h.send("GET", "/v1/tokens?limit=100", vendorToken, "")
	if list.Status != http.StatusOK || !strings.Contains(list.Body, `"id":"`+tok.ID+`"`) {
		t.Fatalf("GET /v1/tokens = %d %s; want dave's token listed", list.Status, list.Body)
	}
	for _, leak := range []string{hash, secret, `"hash"`, `"secret"`} {
		if strings.Contains(list.Body, leak) {
			t.Errorf("GET /v1/tokens carries %.20s…", leak)
		}
	}
	for name, s := range h.secrets {
		if strings.Contains(list.Body, s) {
			t.Errorf("GET /v1/tokens carries the secret of %s", name)
		}
	}
	created := h.send("POST", "/v1/tokens", vendorToken, `{"principal":{"actor":{"id":"erin@acme","org":"acme"}},"name":"Erin"}`)
	if created.Status != http.StatusOK || !strings.Contains(created.Body, `"secret":"lk_`) || strings.Contains(created.Body, `"hash"`) {
		t.Errorf("POST /v1/tokens = %d %s; want the secret, without the hash", created.Status, created.Body)
	}

	// Revoked: 401 from the next request on, also where it reached.
	if err := h.vendor.RevokeToken(h.ctx, tok.ID); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	_, err = acme.Devices(h.ctx)
	var herr *lkhttp.Error
	if !errors.Is(err, lkhttp.ErrUnauthenticated) || !errors.As(err, &herr) || herr.Status != http.StatusUnauthorized {
		t.Fatalf("Devices with a revoked token: %v; want 401 ErrUnauthenticated", err)
	}
	toks, _, err := h.vendor.Tokens(h.ctx, "", 100)
	if err != nil {
		t.Fatalf("Tokens: %v", err)
	}
	for _, l := range toks {
		if l.ID == tok.ID && !l.Revoked.Equal(h.clk.Now()) {
			t.Errorf("Tokens lists dave's as %+v; want it revoked now", l)
		}
	}
	// Revoking again is safe; an unknown token is 404.
	if err := h.vendor.RevokeToken(h.ctx, tok.ID); err != nil {
		t.Errorf("RevokeToken again: %v; want nil", err)
	}
	if err := h.vendor.RevokeToken(h.ctx, "0000000000000000"); !errors.Is(err, license.ErrNotFound) {
		t.Errorf("RevokeToken of an unknown token: %v; want ErrNotFound", err)
	}
}

// W2, W4: a token for a missing organization, or a principal that is
// neither the vendor's nor one organization's, is refused with its code
// and makes no token.
func TestServer_W2_BadTokenRequestsMakeNoToken(t *testing.T) {
	h := newHarness(t)
	before := h.snapshot()
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"MissingOrganization", `{"principal":{"actor":{"id":"x@nowhere","org":"nowhere"}},"name":"x"}`, 404, "no_such_organization"},
		{"VendorWithOrganization", `{"principal":{"vendor":true,"actor":{"id":"ops","org":"acme"}},"name":"x"}`, 400, "invalid_input"},
		{"NoActor", `{"principal":{"actor":{"id":"","org":"acme"}},"name":"x"}`, 400, "invalid_input"},
		{"NoOrganization", `{"principal":{"actor":{"id":"x"}},"name":"x"}`, 400, "invalid_input"},
		{"UnknownField", `{"principal":{"actor":{"id":"x","org":"acme","role":"admin"}},"name":"x"}`, 400, "malformed_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if a := h.send("POST", "/v1/tokens", vendorToken, tc.body); a.Status != tc.status || a.Code != tc.code {
				t.Errorf("POST /v1/tokens %s = %d %s; want %d %s", tc.body, a.Status, a.Body, tc.status, tc.code)
			}
		})
	}
	if h.snapshot() != before {
		t.Fatal("a refused request changed the store")
	}
}
