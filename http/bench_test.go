package http_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// get sends req and reads the answer to its end, so that the connection
// is reused, as a client polling the server does.
func get(b *testing.B, c *http.Client, req *http.Request) int {
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("%s: %d, %v", req.URL, resp.StatusCode, err)
	}
	return int(n)
}

// checkInHarness is acme with three keys and devices registered, devices
// of them holding seats.
func checkInHarness(b *testing.B, devices int) (*harness, *http.Request) {
	h := newHarness(b)
	acme := h.p.Org(portal.Actor{ID: "alice@acme", Org: "acme"}, "acme")
	for i, n := range []int{devices, 10, 5} {
		if _, err := acme.AddKey(h.ctx, h.key(seats(fmt.Sprintf("LK-%d", i), n)), portal.KeyOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	for i := range devices {
		fp := fmt.Sprintf("device-%05d", i)
		if _, err := acme.RegisterDevice(h.ctx, portal.Device{Fingerprint: fp, OS: license.TypeWorkstation}); err != nil {
			b.Fatal(err)
		}
		if _, err := acme.AssignSeat(h.ctx, "LK-0", fp); err != nil {
			b.Fatal(err)
		}
	}
	req, err := http.NewRequest("GET", h.srv.URL+"/v1/orgs/acme/keys", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", h.bearer(acmeToken))
	return h, req
}

// BenchmarkCheckIn measures what an administrator's or a service's poll
// of an organization's license status costs over loopback: an
// authenticated GET of its keys with their usage, against the memory
// store, by the number of devices holding seats. Compare with
// BenchmarkBareHandler, the same answer from a handler that does nothing.
func BenchmarkCheckIn(b *testing.B) {
	for _, devices := range []int{10, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("devices=%d", devices), func(b *testing.B) {
			h, req := checkInHarness(b, devices)
			c := h.srv.Client()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				get(b, c, req)
			}
		})
	}
}

// BenchmarkBareHandler is the baseline of BenchmarkCheckIn: a bare
// net/http handler that writes the same JSON answer, fixed, over
// loopback, so that the ratio of the two is what the server adds.
func BenchmarkBareHandler(b *testing.B) {
	h, req := checkInHarness(b, 10)
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer srv.Close()
	bare, _ := http.NewRequest("GET", srv.URL+"/v1/orgs/acme/keys", nil)
	bare.Header = req.Header.Clone()
	c := srv.Client()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		get(b, c, bare)
	}
}

// BenchmarkHeartbeat measures a device's lease heartbeat over loopback
// (F2): PUT /v1/leases/{lease} authenticated by its activation
// certificate, which the server verifies, against the memory store, by
// the number of live leases of the floating license. Compare with
// BenchmarkBareHandler in the same run.
func BenchmarkHeartbeat(b *testing.B) {
	for _, leases := range []int{10, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("leases=%d", leases), func(b *testing.B) {
			h := newHarness(b)
			key := h.key(license.License{ID: "LK-F", Scheme: license.SchemeFloating, Quantity: leases, Expiry: h.clk.Now().Add(365 * license.Day)})
			if _, err := h.p.Org(portal.Actor{ID: "alice@acme", Org: "acme"}, "acme").AddKey(h.ctx, key, portal.KeyOptions{}); err != nil {
				b.Fatal(err)
			}
			var cert, lease string
			for i := range leases {
				fp := fmt.Sprintf("device-%05d", i)
				text, a, err := h.p.Activate(h.ctx, portal.ActivationRequest{Key: key, Fingerprint: fp})
				if err != nil {
					b.Fatal(err)
				}
				l, err := h.p.Checkout(h.ctx, a.ID, fp, "LK-F")
				if err != nil {
					b.Fatal(err)
				}
				cert, lease = text, l.ID
			}
			req, err := http.NewRequest("PUT", h.srv.URL+"/v1/leases/"+url.PathEscape(lease), nil)
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Authorization", "Activation "+cert)
			c := h.srv.Client()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				get(b, c, req)
			}
		})
	}
}
