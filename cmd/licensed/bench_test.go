package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/licensekit/license"
	lkhttp "github.com/licensekit/license/http"
	"github.com/licensekit/license/portal"
	"github.com/licensekit/license/sqlite"
)

// activationServer is the license server as licensed serves it, in this
// process over loopback: a portal over store (nil: memory), with acme
// holding a per-device license of a million seats, of which the first
// seeded devices hold one each. It returns the server's URL and the key.
func activationServer(b *testing.B, store portal.PortalStore, seeded int) (string, string) {
	b.Helper()
	ctx := context.Background()
	signer, err := license.GenerateSigningKey("vendor", bytes.NewReader(make([]byte, 32)))
	if err != nil {
		b.Fatal(err)
	}
	p, err := portal.NewPortal(portal.PortalConfig{Signer: signer, Store: store})
	if err != nil {
		b.Fatal(err)
	}
	if err := p.CreateOrganization(ctx, "acme", "Acme"); err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	key, err := signer.Sign(&license.License{ID: "SITE", Product: "backup", Scheme: license.SchemePerDevice,
		Quantity: 1_000_000, IssuedAt: now, Expiry: now.AddDate(1, 0, 0)})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := p.Org(portal.Actor{ID: "ops", Org: "acme"}, "acme").AddKey(ctx, key, portal.KeyOptions{}); err != nil {
		b.Fatal(err)
	}
	for i := range seeded {
		if _, _, err := p.Activate(ctx, portal.ActivationRequest{Key: key, Fingerprint: fmt.Sprintf("seed-%06d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	certs, err := license.NewVerifier(signer.VerifyingKey())
	if err != nil {
		b.Fatal(err)
	}
	api, err := lkhttp.NewServer(lkhttp.ServerConfig{Portal: p, Auth: p, Verifier: certs})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(api)
	b.Cleanup(srv.Close)
	return srv.URL, key
}

// activate posts an activation of device fp and reads the answer.
func activate(b *testing.B, c *http.Client, url, key, fp string) []byte {
	body, _ := json.Marshal(portal.ActivationRequest{Key: key, Fingerprint: fp})
	resp, err := c.Post(url+"/v1/activations", "application/json", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("activate %s: %d %s %v", fp, resp.StatusCode, out, err)
	}
	return out
}

// BenchmarkActivate measures a device's activation over loopback (A1):
// POST /v1/activations with a license key, a new device each time, which
// takes a seat and gets a signed certificate. "sqlite" is durable, as
// licensed serves it (each activation committed to the SQLite file before
// the answer); "memory" is the same without a disk; both by the number of
// devices already activated. Compare with BenchmarkBareHandler in the
// same run.
func BenchmarkActivate(b *testing.B) {
	for _, durable := range []bool{true, false} {
		for _, seeded := range []int{10, 100, 1000} {
			name := "memory"
			if durable {
				name = "sqlite"
			}
			b.Run(fmt.Sprintf("%s/devices=%d", name, seeded), func(b *testing.B) {
				var store portal.PortalStore
				if durable {
					db, err := sqlite.Open(filepath.Join(b.TempDir(), "licensed.db"))
					if err != nil {
						b.Fatal(err)
					}
					b.Cleanup(func() { db.Close() })
					store = db
				}
				url, key := activationServer(b, store, seeded)
				c := &http.Client{}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					activate(b, c, url, key, fmt.Sprintf("device-%06d", i))
					i++
				}
			})
		}
	}
}

// BenchmarkBareHandler is the baseline of BenchmarkActivate: a bare
// net/http handler that reads the same request and writes an activation's
// answer, fixed, over loopback, so that the ratio of the two is what the
// server, the portal and the store add.
func BenchmarkBareHandler(b *testing.B) {
	url, key := activationServer(b, nil, 0)
	answer := activate(b, &http.Client{}, url, key, "model")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(answer)
	}))
	defer srv.Close()
	c := &http.Client{}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		activate(b, c, srv.URL, key, fmt.Sprintf("device-%06d", i))
		i++
	}
}
