package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
	"github.com/licensekit/license/console"
	"github.com/licensekit/license/internal/licensetest"
	"github.com/licensekit/license/portal"
)

// harness is a console over a real portal in memory, on a mock clock at
// 2026-01-01, with organizations acme and globex (customers) and
// reseller (a partner), and a token for a member of each and for the
// vendor.
type harness struct {
	t      *testing.T
	ctx    context.Context
	clk    *clock.Mock
	vendor *license.SigningKey
	store  *portal.MemoryPortalStore
	p      *portal.Portal
	srv    *httptest.Server
	tokens map[string]string // by organization; "vendor" for the vendor
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, ctx: context.Background(), clk: clock.NewMock(), store: portal.NewMemoryPortalStore(),
		tokens: map[string]string{}}
	h.clk.Set(licensetest.Day("2026-01-01"))
	h.vendor = licensetest.SigningKey(t, "vendor", "console")
	p, err := portal.NewPortal(portal.PortalConfig{Signer: h.vendor, Clock: h.clk, Store: h.store})
	if err != nil {
		t.Fatal(err)
	}
	h.p = p
	for _, org := range []string{"acme", "globex", "reseller"} {
		if err := p.CreateOrganization(h.ctx, org, org+" Inc."); err != nil {
			t.Fatal(err)
		}
		secret, _, err := p.CreateToken(h.ctx, portal.Principal{Actor: portal.Actor{ID: "admin@" + org, Org: org}}, "")
		if err != nil {
			t.Fatal(err)
		}
		h.tokens[org] = secret
	}
	secret, _, err := p.CreateToken(h.ctx, portal.Principal{Vendor: true, Actor: portal.Actor{ID: "vera"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	h.tokens["vendor"] = secret
	c, err := console.New(console.Config{Portal: p, Auth: p, Clock: h.clk})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/console/", c)
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	return h
}

// key signs a license for org with the vendor's key, product
// "acme-backup" and the clock's now when empty.
func (h *harness) key(l license.License) string {
	h.t.Helper()
	if l.Product == "" {
		l.Product = "acme-backup"
	}
	if l.IssuedAt.IsZero() {
		l.IssuedAt = h.clk.Now()
	}
	return licensetest.Sign(h.t, h.vendor, &l)
}

// as returns the scope of a member of org, for the test's own checks.
func (h *harness) as(org string) *portal.OrgScope {
	return h.p.Org(portal.Actor{ID: "admin@" + org, Org: org}, org)
}

// browser is one person's browser: its cookies, and the last page's
// form token.
type browser struct {
	h    *harness
	c    *http.Client
	csrf string
}

func (h *harness) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{h: h, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// signIn signs in with the token of who and returns the browser.
func (h *harness) signIn(who string) *browser {
	h.t.Helper()
	b := h.browser()
	b.get("/console/signin")
	res := b.post("/console/signin", url.Values{"token": {h.tokens[who]}})
	if res.status != http.StatusSeeOther {
		h.t.Fatalf("signing in as %s: status %d\n%s", who, res.status, res.body)
	}
	return b
}

type response struct {
	status   int
	body     string
	location string
	header   http.Header
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(req *http.Request) response {
	b.h.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if m := csrfRE.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return response{status: res.StatusCode, body: string(body), location: res.Header.Get("Location"), header: res.Header}
}

// get fetches a page and keeps its form token.
func (b *browser) get(path string) response {
	b.h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.h.srv.URL+path, nil)
	return b.do(req)
}

// post submits a form with the last page's form token.
func (b *browser) post(path string, form url.Values) response {
	b.h.t.Helper()
	if form.Get("csrf") == "" && b.csrf != "" {
		form.Set("csrf", b.csrf)
	}
	return b.postRaw(path, form)
}

// postRaw submits a form as given.
func (b *browser) postRaw(path string, form url.Values) response {
	b.h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.h.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// mustContain fails unless body holds every one of want.
func mustContain(t *testing.T, what, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, body)
		}
	}
}

// newTLSServer serves the harness's console over TLS.
func newTLSServer(t *testing.T, h *harness) *httptest.Server {
	t.Helper()
	ts := httptest.NewTLSServer(h.srv.Config.Handler)
	t.Cleanup(ts.Close)
	return ts
}
