package http_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	lkhttp "github.com/licensekit/license/http"
)

// FuzzDecodeRequest sends arbitrary bodies to every route that takes one
// (W4): the server never fails with 500 nor panics, always answers an
// error with the error table's JSON body, and a refused request changes
// nothing.
func FuzzDecodeRequest(f *testing.F) {
	h := newHarness(f)
	var bodyRoutes []lkhttp.Route
	for _, rt := range lkhttp.Routes() {
		if rt.Body {
			bodyRoutes = append(bodyRoutes, rt)
		}
	}
	bodies := h.bodies()
	for i, rt := range bodyRoutes {
		f.Add(uint8(i), bodies[rt.Op])
		f.Add(uint8(i), `{"zzz":1,`+bodies[rt.Op][1:])
	}
	f.Add(uint8(0), `{"id":"a","name":"b"} x`)
	f.Add(uint8(1), `{"template":{"term":"-1d"},"n":1,"limit":1}`)
	f.Add(uint8(2), "\x00\xff")
	srv := h.srv.Config.Handler
	f.Fuzz(func(t *testing.T, i uint8, body string) {
		h.tb = t // the harness reports to the running input
		rt := bodyRoutes[int(i)%len(bodyRoutes)]
		before := h.snapshot()
		req := httptest.NewRequest(rt.Method, fill(rt, "acme"), strings.NewReader(body))
		req.Header.Set("Authorization", h.bearer(vendorToken))
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %q = %d %s", rt.Op, body, w.Code, w.Body)
		}
		if w.Code < 300 {
			return
		}
		var e struct{ Code, Message string }
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Code == "" || e.Message == "" {
			t.Fatalf("%s %q = %d %q; want the error table's body", rt.Op, body, w.Code, w.Body)
		}
		if w.Code != http.StatusRequestEntityTooLarge && h.snapshot() != before {
			t.Fatalf("%s %q = %d %s, and the store changed", rt.Op, body, w.Code, w.Body)
		}
	})
}
