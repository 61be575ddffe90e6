package http_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
	lkhttp "github.com/licensekit/license/http"
	"github.com/licensekit/license/internal/licensetest"
	"github.com/licensekit/license/portal"
)

// The harness's tokens, by name: the portal makes each a token of its
// principal, and the harness sends that token's secret for the name.
// Any other name is sent as it is, and is no token.
const (
	vendorToken = "vendor-secret"
	acmeToken   = "acme-secret"   // alice, an administrator of acme
	globexToken = "globex-secret" // bob, of globex
	resellToken = "reseller-secret"
)

// principals are who the harness's tokens authenticate.
var principals = map[string]portal.Principal{
	vendorToken: {Vendor: true, Actor: portal.Actor{ID: "ops@vendor"}},
	acmeToken:   {Actor: portal.Actor{ID: "alice@acme", Org: "acme"}},
	globexToken: {Actor: portal.Actor{ID: "bob@globex", Org: "globex"}},
	resellToken: {Actor: portal.Actor{ID: "carol@reseller", Org: "reseller"}},
}

// harness is a server over loopback: a portal on a mock clock over a
// MemoryPortalStore, which is also the server's Authenticator, with
// organizations acme, globex and reseller, and a client for each of the
// harness's tokens.
type harness struct {
	tb     testing.TB
	ctx    context.Context
	clk    *clock.Mock
	signer *license.SigningKey
	store  *portal.MemoryPortalStore
	p      *portal.Portal
	srv    *httptest.Server
	vendor *lkhttp.Client
	acme   *lkhttp.Client
	globex *lkhttp.Client
	resell *lkhttp.Client

	secrets map[string]string // the secret of each of the harness's tokens, by name

	// deviceAuth is the Authorization header of device x's activation of
	// the floating license LK-F, which bodies makes.
	deviceAuth string

	mu   sync.Mutex
	seen map[string]string // the pattern each request matched

	// down makes the server fail every request with 503, as a server
	// out of reach would, until it is cleared.
	down atomic.Bool
}

func newHarness(tb testing.TB, configure ...func(*lkhttp.ServerConfig)) *harness {
	tb.Helper()
	h := &harness{tb: tb, ctx: context.Background(), clk: clock.NewMock(), store: portal.NewMemoryPortalStore(),
		seen: map[string]string{}}
	h.clk.Set(licensetest.Day("2026-01-01"))
	h.signer = licensetest.SigningKey(tb, "vendor", "http")
	p, err := portal.NewPortal(portal.PortalConfig{Signer: h.signer, Store: h.store, Clock: h.clk,
		Trials: map[string]license.License{"backup": {ID: "TRIAL", Trial: true, Term: 30 * license.Day}}})
	if err != nil {
		tb.Fatalf("NewPortal: %v", err)
	}
	h.p = p
	cfg := lkhttp.ServerConfig{Portal: p, Clock: h.clk, Auth: p, Verifier: h.verifier()}
	for _, c := range configure {
		c(&cfg)
	}
	s, err := lkhttp.NewServer(cfg)
	if err != nil {
		tb.Fatalf("NewServer: %v", err)
	}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.down.Load() {
			http.Error(w, "the license server is down", http.StatusServiceUnavailable)
			return
		}
		s.ServeHTTP(w, r)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.seen[r.Method+" "+r.URL.Path] = r.Pattern // the mux sets the pattern it matched
	}))
	tb.Cleanup(h.srv.Close)
	// The vendor's first token comes from the portal itself, as a
	// server's operator makes it; the organizations' need them to exist.
	h.secrets = map[string]string{}
	h.mint(vendorToken)
	h.vendor = h.client(vendorToken)
	for _, org := range []string{"acme", "globex", "reseller"} {
		if err := h.vendor.CreateOrganization(h.ctx, org, org+" Inc."); err != nil {
			tb.Fatalf("CreateOrganization(%s): %v", org, err)
		}
	}
	for _, name := range []string{acmeToken, globexToken, resellToken} {
		h.mint(name)
	}
	h.acme = h.client(acmeToken)
	h.globex = h.client(globexToken)
	h.resell = h.client(resellToken)
	return h
}

// mint makes the harness's token name in the portal.
func (h *harness) mint(name string) {
	h.tb.Helper()
	secret, _, err := h.p.CreateToken(h.ctx, principals[name], name)
	if err != nil {
		h.tb.Fatalf("CreateToken(%s): %v", name, err)
	}
	h.secrets[name] = secret
}

// bearer returns the Authorization header of the harness's token name.
func (h *harness) bearer(name string) string {
	if strings.HasPrefix(name, "Activation ") {
		return name // a device's credential, as it is
	}
	if s, ok := h.secrets[name]; ok {
		return "Bearer " + s
	}
	return "Bearer " + name
}

// patterns returns the patterns the requests so far matched.
func (h *harness) patterns() map[string]bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := map[string]bool{}
	for _, p := range h.seen {
		m[p] = true
	}
	return m
}

// client returns a client of the harness's server with token.
func (h *harness) client(token string) *lkhttp.Client {
	h.tb.Helper()
	if s, ok := h.secrets[token]; ok {
		token = s
	}
	c, err := lkhttp.NewClient(h.srv.URL, token, lkhttp.ClientConfig{HTTPClient: h.srv.Client()})
	if err != nil {
		h.tb.Fatalf("NewClient: %v", err)
	}
	return c
}

// key signs l with the vendor's key, with product "backup" and the
// clock's now as IssuedAt when empty.
func (h *harness) key(l license.License) string {
	h.tb.Helper()
	if l.Product == "" {
		l.Product = "backup"
	}
	if l.IssuedAt.IsZero() {
		l.IssuedAt = h.clk.Now()
	}
	return licensetest.Sign(h.tb, h.signer, &l)
}

// seats returns a per-device license of n seats valid for a year.
func seats(id string, n int) license.License {
	return license.License{ID: id, Scheme: license.SchemePerDevice, Quantity: n,
		Expiry: licensetest.Day("2027-01-01")}
}

// template returns a template of a per-device license of n seats of
// product "backup", valid for a year, issued now.
func (h *harness) template(id string, n int) license.License {
	l := seats(id, n)
	l.Product, l.IssuedAt = "backup", h.clk.Now()
	return l
}

// snapshot returns everything the store holds, as JSON, to show that a
// refused request changed nothing.
func (h *harness) snapshot() string {
	h.tb.Helper()
	out := map[string]json.RawMessage{}
	if err := h.store.ViewVendor(h.ctx, func(v *portal.Vendor) error {
		b, err := json.Marshal(v)
		out["vendor"] = b
		return err
	}); err != nil {
		h.tb.Fatalf("ViewVendor: %v", err)
	}
	for _, org := range []string{"acme", "globex", "reseller"} {
		if err := h.store.ViewOrganization(h.ctx, org, func(o *portal.Organization) error {
			b, err := json.Marshal(o)
			out[org] = b
			return err
		}); err != nil {
			h.tb.Fatalf("ViewOrganization(%s): %v", org, err)
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		h.tb.Fatal(err)
	}
	return string(b)
}

// answer is a raw answer of the server.
type answer struct {
	Status int
	Code   string
	Body   string
}

// send sends a request with token ("" for none) and a raw body ("" for
// none), and returns the answer.
func (h *harness) send(method, path, token, body string) answer {
	h.tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", h.bearer(token))
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.tb.Fatal(err)
	}
	a := answer{Status: resp.StatusCode, Body: string(b)}
	var e struct{ Code string }
	if json.Unmarshal(b, &e) == nil {
		a.Code = e.Code
	}
	return a
}

// seedAcme gives acme the license LK-A, of 2 seats, and the device x,
// which the bodies name.
func (h *harness) seedAcme() {
	h.tb.Helper()
	acme := h.acme.Org("acme")
	if _, err := acme.AddKey(h.ctx, h.key(seats("LK-A", 2)), portal.KeyOptions{}); err != nil {
		h.tb.Fatal(err)
	}
	if _, err := acme.RegisterDevice(h.ctx, portal.Device{Fingerprint: "x", OS: license.TypeWorkstation}); err != nil {
		h.tb.Fatal(err)
	}
}

// bodies returns, for each route that takes a body, one the route would
// accept: with it, a request reaches the portal's checks of access and
// state, so that what refuses a variant of it is the variant.
func (h *harness) bodies() map[string]string {
	h.tb.Helper()
	tmpl := h.template("T", 1)
	tj, err := json.Marshal(tmpl)
	if err != nil {
		h.tb.Fatal(err)
	}
	codes, err := h.vendor.IssueActivationCodes(h.ctx, tmpl, 1, 1)
	if err != nil {
		h.tb.Fatal(err)
	}
	vouchers, err := h.vendor.IssueVouchers(h.ctx, tmpl, 1)
	if err != nil {
		h.tb.Fatal(err)
	}
	serials, err := h.vendor.IssueSerials(h.ctx, tmpl, 1)
	if err != nil {
		h.tb.Fatal(err)
	}
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	key := q(h.key(seats("LK-B", 1)))
	// Device x activates the floating license LK-F, whose certificate
	// authenticates the device's routes.
	floating := h.key(license.License{ID: "LK-F", Scheme: license.SchemeFloating, Quantity: 2, Expiry: licensetest.Day("2027-01-01")})
	if _, err := h.vendor.Org("acme").AddKey(h.ctx, floating, portal.KeyOptions{}); err != nil {
		h.tb.Fatal(err)
	}
	cert, a, err := h.p.Activate(h.ctx, portal.ActivationRequest{Key: floating, Fingerprint: "x"})
	if err != nil {
		h.tb.Fatal(err)
	}
	h.deviceAuth = "Activation " + cert
	return map[string]string{
		"CreateOrganization":   `{"id":"initech","name":"Initech"}`,
		"IssueActivationCodes": `{"template":` + string(tj) + `,"n":1,"limit":1}`,
		"IssueSerials":         `{"template":` + string(tj) + `,"n":1}`,
		"IssueVouchers":        `{"template":` + string(tj) + `,"n":1}`,
		"IssueUpgrade":         `{"org":"acme","from":"LK-A","products":["pro"],"max_quantity":5}`,
		"Revoke":               `{"reason":"fraud"}`,
		"PruneVendorHistory":   `{"before":"2025-01-01T00:00:00Z"}`,
		"PruneHistory":         `{"before":"2025-01-01T00:00:00Z"}`,
		"CreateToken":          `{"principal":{"actor":{"id":"dave@acme","org":"acme"}},"name":"CI"}`,
		"AddWebhook":           `{"url":"https://hooks.example/licenses","events":["renewed"]}`,
		"AddKey":               `{"key":` + key + `}`,
		"SetCustomData":        `{"value":"PO-1"}`,
		"RegisterDevice":       `{"fingerprint":"y","os":"workstation"}`,
		"AssignSeat":           `{"license":"LK-A","device":"x"}`,
		"AssignUser":           `{"license":"LK-A","user":"u@acme"}`,
		"CreateGroup":          `{"id":"g","name":"G"}`,
		"AddToGroup":           `{"license":"LK-A"}`,
		"JoinGroup":            `{"devices":["x"]}`,
		"LeaveGroup":           `{"devices":["x"]}`,
		"Redeem":               `{"key":` + key + `,"consume":0}`,
		"Activate":             `{"product":"backup","devices":1}`,
		"Consume":              `{"n":1}`,
		"RedeemCode":           `{"code":` + q(codes[0]) + `,"device":"x"}`,
		"ConvertVoucher":       `{"voucher":` + q(vouchers[0]) + `}`,
		"GetKey":               `{"serial":` + q(serials[0]) + `,"registration":{"company":"C","contact":"D","email":"d@c.example"}}`,
		"Upgrade":              `{"notification":` + q(codes[0]) + `,"product":"pro","quantity":1}`,
		"Renew":                `{"software_id":"backup-agent","software_version":"4.2","locale":"fr-FR","license_id":"LK-A","from_partner":false}`,
		"ActivateDevice":       `{"key":` + q(floating) + `,"fingerprint":"y"}`,
		"StartTrial":           `{"product":"backup","fingerprint":"y"}`,
		"CheckIn":              `{"activation_id":` + q(a.ID) + `,"fingerprint":"x","revocation_serial":0,"software":{"id":"backup-agent","version":"4.2","locale":"fr-FR"}}`,
		"Checkout":             `{"license":"LK-F"}`,
		"RevokeActivation":     `{"reason":"stolen"}`,
		"RevokeSigningKey":     `{"reason":"leaked"}`,
	}
}

// verifier returns a Verifier that trusts the harness's signer, as an
// application would.
func (h *harness) verifier() *license.Verifier {
	h.tb.Helper()
	v, err := license.NewVerifier(h.signer.VerifyingKey())
	if err != nil {
		h.tb.Fatal(err)
	}
	return v
}

// device returns a DeviceClient of the harness's server.
func (h *harness) device() *lkhttp.DeviceClient {
	h.tb.Helper()
	dc, err := lkhttp.NewDeviceClient(h.srv.URL, lkhttp.ClientConfig{HTTPClient: h.srv.Client()})
	if err != nil {
		h.tb.Fatalf("NewDeviceClient: %v", err)
	}
	return dc
}
