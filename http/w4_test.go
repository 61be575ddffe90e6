package http_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/licensekit/license"
	lkhttp "github.com/licensekit/license/http"
	"github.com/licensekit/license/portal"
)

// W4, W2: on every route, a malformed body, an unknown field, data after
// the body, a body where none is taken, an oversized body, no token, an
// organization's token on the vendor's routes, or on a device's route a
// bearer token or a forged certificate in place of its activation
// certificate, get their status and code, and change nothing. Each variant is of a body the route accepts,
// so that the variant is what is refused.
func TestServer_W4_EveryRouteRefusesBadRequestsAndChangesNothing(t *testing.T) {
	const limit = 4096
	h := newHarness(t, func(c *lkhttp.ServerConfig) { c.MaxBodyBytes = limit })
	h.seedAcme()
	bodies := h.bodies()
	before := h.snapshot()
	big := strings.Repeat(" ", limit+1)
	for _, rt := range lkhttp.Routes() {
		t.Run(rt.Op, func(t *testing.T) {
			path := fill(rt, "acme")
			// The credential of a request the route would accept, and
			// the code of one it does not authenticate.
			token, unauthenticated := vendorToken, "unauthenticated"
			if rt.Device {
				token, unauthenticated = h.deviceAuth, "device_unauthenticated"
			}
			valid, ok := bodies[rt.Op]
			if rt.Body != ok {
				t.Fatalf("the test has a body for %s: %v; the route takes one: %v", rt.Op, ok, rt.Body)
			}
			type variant struct {
				name, token, body string
				status            int
				code              string
			}
			var vs []variant
			if rt.Body {
				vs = append(vs,
					variant{"Malformed", token, valid[:len(valid)-1], 400, "malformed_request"},
					variant{"UnknownField", token, `{"zzz":1,` + valid[1:], 400, "malformed_request"},
					variant{"TrailingData", token, valid + ` {}`, 400, "malformed_request"},
					variant{"WrongType", token, `[` + valid + `]`, 400, "malformed_request"},
					variant{"Empty", token, "", 400, "malformed_request"},
					variant{"Oversized", token, valid + big, 413, "body_too_large"},
				)
			} else {
				vs = append(vs,
					variant{"UnwantedBody", token, `{}`, 400, "malformed_request"},
					variant{"Oversized", token, big, 413, "body_too_large"},
				)
			}
			if !rt.Public {
				vs = append(vs,
					variant{"NoToken", "", valid, 401, unauthenticated},
					variant{"UnknownToken", "guess", valid, 401, unauthenticated},
				)
			}
			if rt.Device {
				vs = append(vs,
					variant{"BearerToken", vendorToken, valid, 401, unauthenticated},
					variant{"ForgedCertificate", forge(h.deviceAuth), valid, 401, unauthenticated},
				)
			}
			if rt.Vendor {
				vs = append(vs, variant{"OrganizationToken", acmeToken, valid, 403, "vendor_only"})
			}
			for _, v := range vs {
				a := h.send(rt.Method, path, v.token, v.body)
				if a.Status != v.status || a.Code != v.code {
					t.Errorf("%s: %s %s = %d %s; want %d %s", v.name, rt.Method, path, a.Status, a.Body, v.status, v.code)
				}
				if after := h.snapshot(); after != before {
					t.Fatalf("%s: the refused request changed the store", v.name)
				}
			}
		})
	}
}

// W4: bad values are refused with 400 and the code of the portal's error,
// and change nothing; across the wire they match the portal's errors.
func TestServer_W4_BadValuesAre400AndChangeNothing(t *testing.T) {
	h := newHarness(t)
	before := h.snapshot()
	acme := h.acme.Org("acme")
	for _, tc := range []struct {
		name, method, path, body string
		code                     string
	}{
		{"OSAny", "POST", "/v1/orgs/acme/devices", `{"fingerprint":"pc","os":"any"}`, "invalid_input"},
		{"OSUnknown", "POST", "/v1/orgs/acme/devices", `{"fingerprint":"pc","os":"martian"}`, "malformed_request"},
		{"NegativeCPUs", "POST", "/v1/orgs/acme/devices", `{"fingerprint":"pc","os":"server","cpus":-1}`, "invalid_input"},
		{"NoGroupID", "POST", "/v1/orgs/acme/groups", `{"id":"","name":"G"}`, "invalid_input"},
		{"TypoedCode", "POST", "/v1/orgs/acme/code-redemptions", `{"code":"7K2M-Q9XD-4HJT-0RW","device":"pc"}`, "bad_code"},
		{"NotAKey", "POST", "/v1/orgs/acme/keys", `{"key":"hello"}`, "malformed_key"},
		{"LimitNotANumber", "GET", "/v1/orgs/acme/history?limit=ten", "", "malformed_request"},
		{"LimitZero", "GET", "/v1/orgs/acme/history?limit=0", "", "invalid_input"},
		{"LimitHuge", "GET", "/v1/orgs?limit=4294967297", "", "malformed_request"},
		{"BeforeNegative", "GET", "/v1/history?before=-1", "", "invalid_input"},
		{"NoCodes", "POST", "/v1/codes", `{"template":{"id":"T","product":"p","type":"any","scheme":"unmetered","issued_at":"2026-01-01T00:00:00Z"},"n":0,"limit":1}`, "invalid_input"},
		{"TemplateTypo", "POST", "/v1/codes", `{"template":{"id":"T","product":"p","expiri":"2027-01-01T00:00:00Z"},"n":1,"limit":1}`, "malformed_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := h.send(tc.method, tc.path, vendorToken, tc.body)
			if a.Status != http.StatusBadRequest || a.Code != tc.code {
				t.Fatalf("%s %s = %d %s; want 400 %s", tc.method, tc.path, a.Status, a.Body, tc.code)
			}
		})
	}
	if _, err := acme.RegisterDevice(h.ctx, portal.Device{Fingerprint: "pc", OS: license.TypeAny}); !errors.Is(err, license.ErrInvalidInput) {
		t.Errorf("RegisterDevice of OS any: %v; want ErrInvalidInput", err)
	}
	tmpl := h.template("T", 1)
	tmpl.Start = tmpl.Expiry
	_, err := h.vendor.IssueVouchers(h.ctx, tmpl, 1)
	var herr *lkhttp.Error
	if !errors.Is(err, license.ErrExpiryBeforeStart) || !errors.Is(err, license.ErrInvalidLicense) ||
		!errors.As(err, &herr) || herr.Code != "expiry_before_start" || herr.Status != 400 {
		t.Errorf("IssueVouchers of a license that ends as it starts: %v; want ErrExpiryBeforeStart, ErrInvalidLicense, 400", err)
	}
	if _, err := acme.AssignSeat(h.ctx, "", "pc"); !errors.Is(err, license.ErrInvalidInput) {
		t.Errorf("AssignSeat of no license: %v; want ErrInvalidInput", err)
	}
	if h.snapshot() != before {
		t.Fatal("a refused request changed the store")
	}
}

// W3: what no route serves gets the error table's body: 404, or 405
// with the methods the path allows.
func TestServer_W3_UnroutedRequestsGetJSON(t *testing.T) {
	h := newHarness(t)
	if a := h.send("GET", "/v1/nothing", acmeToken, ""); a.Status != 404 || a.Code != "no_route" {
		t.Errorf("GET /v1/nothing = %d %s; want 404 no_route", a.Status, a.Body)
	}
	req, _ := http.NewRequest("PATCH", h.srv.URL+"/v1/orgs", nil)
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, POST" || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("PATCH /v1/orgs = %d, Allow %q, %s; want 405, GET, POST, JSON", resp.StatusCode, resp.Header.Get("Allow"), resp.Header.Get("Content-Type"))
	}
	if a := h.send("PATCH", "/v1/orgs", acmeToken, ""); a.Code != "method_not_allowed" {
		t.Errorf("PATCH /v1/orgs code = %q; want method_not_allowed", a.Code)
	}
}

// forge returns a device's credential with one character of its
// certificate's signature changed.
func forge(auth string) string {
	b := []byte(auth)
	i := len(b) - 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}
