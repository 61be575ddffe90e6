package http_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
	lkhttp "github.com/licensekit/license/http"
)

// An application guards the routes of a paid feature with RequireFeature;
// a request for a feature its license does not grant gets 402 Payment
// Required and a JSON body that says why.
func ExampleRequireFeature() {
	ctx := context.Background()
	// A mock clock keeps the example's output fixed; an application
	// leaves Clock nil and runs m.Run(ctx) in a goroutine.
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))

	vendor, err := license.GenerateSigningKey("acme-2026", bytes.NewReader(bytes.Repeat([]byte{1}, 32)))
	if err != nil {
		panic(err)
	}
	key, err := vendor.Sign(&license.License{
		ID: "SN-0001", Product: "acme-backup", Features: []string{"backup"},
		IssuedAt: clk.Now(), Expiry: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		panic(err)
	}

	v, err := license.NewVerifier(vendor.VerifyingKey())
	if err != nil {
		panic(err)
	}
	m, err := license.NewManager(ctx, license.ManagerConfig{Verifier: v, Clock: clk})
	if err != nil {
		panic(err)
	}
	if _, err := m.AddKey(ctx, key); err != nil {
		panic(err)
	}

	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "done\n") })
	mux := http.NewServeMux()
	mux.Handle("POST /backups", lkhttp.RequireFeature(m, "backup")(ok))
	mux.Handle("POST /replicas", lkhttp.RequireFeature(m, "replication")(ok))

	for _, path := range []string{"/backups", "/replicas"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, nil))
		fmt.Print(path, " ", rec.Code, " ", rec.Body)
	}
	// Output:
	// /backups 200 done
	// /replicas 402 {"code":"feature_not_licensed","feature":"replication","reason":"feature_missing","state":"active","expiry":"2027-01-01T00:00:00Z","message":"replication is not licensed: license: feature not licensed"}
}
