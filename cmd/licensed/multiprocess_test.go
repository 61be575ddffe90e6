package main_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// Four licensed processes on one PostgreSQL database, with no balancer:
// clients spread over them register 60 devices, redeem one code of 40
// activations and take seats on one license of 25. Exactly 40 redemptions
// and 25 seats come out, whichever process served them: none spent twice
// (K5, D1, W1).
func TestLicensed_FourProcessesOnOnePostgreSQL_NothingSpentTwice(t *testing.T) {
	const (
		processes = 4
		devices   = 60
		codeLimit = 40
		seats     = 25
	)
	ctx := context.Background()
	servers, data := startOnPostgreSQL(t, processes)
	vendor := client(t, servers[0], testVendorToken)
	if err := vendor.CreateOrganization(ctx, "acme", "Acme"); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	tmpl := license.License{Product: "backup", Scheme: license.SchemePerDevice, Quantity: 1, IssuedAt: now, Expiry: now.AddDate(1, 0, 0)}
	codes, err := vendor.IssueActivationCodes(ctx, tmpl, 1, codeLimit)
	if err != nil {
		t.Fatal(err)
	}
	signer := signingKey(t, data)
	site := license.License{ID: "SITE-25", Product: "backup", Scheme: license.SchemePerDevice, Quantity: seats, IssuedAt: now, Expiry: now.AddDate(1, 0, 0)}
	siteKey, err := signer.Sign(&site)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vendor.Org("acme").AddKey(ctx, siteKey, portal.KeyOptions{}); err != nil {
		t.Fatal(err)
	}

	var redeemed, seated atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 2*devices)
	for i := range devices {
		wg.Add(1)
		go func() {
			defer wg.Done()
			org := client(t, servers[i%processes], testVendorToken).Org("acme")
			fp := fmt.Sprintf("pc-%03d", i)
			if _, err := org.RegisterDevice(ctx, portal.Device{Fingerprint: fp, OS: license.TypeWorkstation, CPUs: 1, Cores: 4}); err != nil {
				errs <- fmt.Errorf("register %s: %w", fp, err)
				return
			}
			// Another process than the one that registered it redeems
			// and seats it.
			org = client(t, servers[(i+1)%processes], testVendorToken).Org("acme")
			switch _, _, err := org.RedeemCode(ctx, codes[0], fp); {
			case err == nil:
				redeemed.Add(1)
			case !errors.Is(err, portal.ErrCodeUsed):
				errs <- fmt.Errorf("redeem for %s: %w", fp, err)
			}
			switch _, err := org.AssignSeat(ctx, site.ID, fp); {
			case err == nil:
				seated.Add(1)
			case !errors.Is(err, portal.ErrRestrictionExceeded):
				errs <- fmt.Errorf("seat %s: %w", fp, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if redeemed.Load() != codeLimit || seated.Load() != seats {
		t.Fatalf("%d redemptions of a code of %d, %d seats of a license of %d", redeemed.Load(), codeLimit, seated.Load(), seats)
	}
	usage, err := client(t, servers[3], testVendorToken).Org("acme").Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range usage {
		if u.License.ID == site.ID && u.Used != seats {
			t.Fatalf("the server counts %d seats of %s, want %d", u.Used, site.ID, seats)
		}
	}
	acs, _, err := vendor.ActivationCodes(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(acs) != 1 || len(acs[0].Redemptions) != codeLimit {
		t.Fatalf("the code records %d redemptions, want %d", len(acs[0].Redemptions), codeLimit)
	}
	t.Logf("%d processes: %d devices registered, %d redemptions of a code of %d, %d seats of %d", processes, devices, redeemed.Load(), codeLimit, seated.Load(), seats)
}

// testVendorToken is the vendor's token of the processes
// startOnPostgreSQL starts.
const testVendorToken = "vendor-token-for-tests"

// startOnPostgreSQL starts n licensed processes on one new schema of the
// PostgreSQL database of LICENSEKIT_POSTGRES_DSN, with the vendor's token
// testVendorToken and the extra serve flags args, and returns them and
// their data directory, which holds the signing key. It skips the test
// when the variable is not set. The schema is dropped when the test ends.
func startOnPostgreSQL(t *testing.T, n int, args ...string) ([]*server, string) {
	t.Helper()
	dsn := os.Getenv("LICENSEKIT_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("set LICENSEKIT_POSTGRES_DSN=postgres://user:password@127.0.0.1:5432/db?sslmode=disable to run the PostgreSQL tests; .ci/run does")
	}
	data := t.TempDir()
	schema := fmt.Sprintf("licensed_test_%d", time.Now().UnixNano())
	args = append([]string{"-data", data, "-postgres", dsn, "-postgres-schema", schema}, args...)
	env := []string{"LICENSED_VENDOR_TOKEN=" + testVendorToken}
	t.Cleanup(func() { dropSchema(t, dsn, schema) }) // after the processes stop
	servers := []*server{start(t, env, args...)}     // makes the schema and the signing key
	for range n - 1 {
		servers = append(servers, start(t, env, args...))
	}
	return servers, data
}

// signingKey reads the vendor's signing key that licensed made in data.
func signingKey(t *testing.T, data string) *license.SigningKey {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(data, "signing.key"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := license.ParseSigningKey(strings.TrimSpace(string(text)))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// dropSchema drops a schema a test made, with everything in it.
func dropSchema(t *testing.T, dsn, schema string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
	}
}
