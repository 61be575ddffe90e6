package http_test

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/licensekit/license"
	lkhttp "github.com/licensekit/license/http"
	"github.com/licensekit/license/portal"
)

// sentinels returns the exported Err variables that the non-test files of
// the package in dir declare, named as pkg.Name.
func sentinels(t *testing.T, dir, pkg string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, s := range g.Specs {
				for _, n := range s.(*ast.ValueSpec).Names {
					if n.IsExported() && strings.HasPrefix(n.Name, "Err") {
						names = append(names, pkg+"."+n.Name)
					}
				}
			}
		}
	}
	return names
}

// W3: every sentinel error of packages license and portal has exactly one
// line of the error table, and every code is one line's.
func TestErrors_W3_EverySentinelHasOneStatusAndCode(t *testing.T) {
	want := append(sentinels(t, "..", "license"), sentinels(t, "../portal", "portal")...)
	if len(want) < 60 {
		t.Fatalf("found %d sentinels; the parser missed some", len(want))
	}
	names := map[string]int{}
	codes := map[string]int{}
	errs := map[error]int{}
	for _, l := range lkhttp.ErrorTable() {
		names[l.Name]++
		codes[l.Code]++
		errs[l.Err]++
		if l.Status < 400 || l.Status > 599 || http.StatusText(l.Status) == "" {
			t.Errorf("%s: status %d is not an error status", l.Name, l.Status)
		}
	}
	for _, n := range want {
		if names[n] != 1 {
			t.Errorf("%s has %d lines in the error table; want 1", n, names[n])
		}
	}
	for n := range names {
		if !slices.Contains(want, n) && strings.Contains(n, ".") {
			t.Errorf("the error table names %s, which its package does not declare", n)
		}
	}
	for c, n := range codes {
		if n != 1 {
			t.Errorf("code %q is on %d lines", c, n)
		}
	}
	for e, n := range errs {
		if n != 1 {
			t.Errorf("%v is on %d lines", e, n)
		}
	}
}

// W3: each line's error, wrapped as the portal wraps its errors, crosses
// the wire as its status and code, and comes back matching its sentinel.
// The stores' and internal errors say nothing of their details.
func TestErrors_W3_ErrorsCrossTheWire(t *testing.T) {
	var sent error
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lkhttp.WriteError(w, r, sent)
	}))
	defer srv.Close()
	c, err := lkhttp.NewClient(srv.URL, "t", lkhttp.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lkhttp.ErrorTable() {
		sent = fmt.Errorf("%w: secret detail", l.Err)
		_, err := c.Org("acme").Keys(t.Context())
		var herr *lkhttp.Error
		if !errors.Is(err, l.Err) || !errors.As(err, &herr) || herr.Status != l.Status || herr.Code != l.Code {
			t.Errorf("%s came back as %v (%#v); want it, %d %s", l.Name, err, herr, l.Status, l.Code)
			continue
		}
		leaks := strings.Contains(herr.Message, "secret detail")
		fixed := l.Status >= 500 || slices.Contains([]error{portal.ErrNoAccess, license.ErrNotFound, license.ErrConflict,
			lkhttp.ErrUnauthenticated, lkhttp.ErrDeviceUnauthenticated, portal.ErrBadToken, lkhttp.ErrVendorOnly, lkhttp.ErrBodyTooLarge, lkhttp.ErrNoRoute, lkhttp.ErrMethodNotAllowed}, l.Err)
		if leaks == fixed {
			t.Errorf("%s: message %q; want the detail only when the error is not fixed (fixed: %v)", l.Name, herr.Message, fixed)
		}
	}

	sent = errors.New("pq: relation \"orgs\" does not exist")
	_, err = c.Org("acme").Keys(t.Context())
	var herr *lkhttp.Error
	if !errors.As(err, &herr) || herr.Status != 500 || herr.Code != "internal" || strings.Contains(herr.Message, "orgs") ||
		!errors.Is(err, lkhttp.ErrInternal) {
		t.Fatalf("an unknown error came back as %v (%#v); want 500 internal, without its text", err, herr)
	}

	// A license's reason also matches ErrInvalidLicense; a portal's bad
	// input that names a reason is bad input first.
	sent = &license.LicenseError{Field: "Expiry", Err: license.ErrExpiryBeforeStart}
	if _, err = c.Org("acme").Keys(t.Context()); !errors.Is(err, license.ErrExpiryBeforeStart) || !errors.Is(err, license.ErrInvalidLicense) {
		t.Errorf("a LicenseError came back as %v; want ErrExpiryBeforeStart and ErrInvalidLicense", err)
	}
	sent = fmt.Errorf("%w: product: %w", license.ErrInvalidInput, license.ErrRequired)
	if _, err = c.Org("acme").Keys(t.Context()); !errors.As(err, &herr) || herr.Code != "invalid_input" {
		t.Errorf("bad input that is required came back as %v; want invalid_input", err)
	}
}

// W3: an answer that is not the server's (a proxy's page) is an *Error
// with its status and no code, which matches no sentinel.
func TestErrors_W3_ForeignErrorPage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
	}))
	defer srv.Close()
	c, _ := lkhttp.NewClient(srv.URL, "t", lkhttp.ClientConfig{})
	_, err := c.Org("acme").Devices(t.Context())
	var herr *lkhttp.Error
	if !errors.As(err, &herr) || herr.Status != 502 || herr.Code != "" || errors.Is(err, lkhttp.ErrInternal) {
		t.Fatalf("a proxy's page came back as %v (%#v); want 502 with no code", err, herr)
	}
}
