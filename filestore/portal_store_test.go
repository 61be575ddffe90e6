//go:build unix && !solaris && !aix

package filestore_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/filestore"
	"github.com/licensekit/license/portal"
)

// MustSigningKey returns a signing key derived from seed.
func MustSigningKey(tb testing.TB, seed string) *license.SigningKey {
	tb.Helper()
	sum := sha256.Sum256([]byte(seed))
	k, err := license.GenerateSigningKey("vendor", bytes.NewReader(sum[:]))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// MustPortal returns a portal over s, signing with sk.
func MustPortal(tb testing.TB, sk *license.SigningKey, s *filestore.Store) *portal.Portal {
	tb.Helper()
	p, err := portal.NewPortal(portal.PortalConfig{Signer: sk, Store: s})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// seatLicense is a per-device license of n seats, valid for a year.
func seatLicense(id string, n int) license.License {
	now := time.Now().UTC()
	return license.License{ID: id, Product: "acme-backup", Scheme: license.SchemePerDevice, Quantity: n,
		Features: []string{"backup"}, IssuedAt: now, Expiry: now.AddDate(1, 0, 0)}
}

// TestPortalsShareDirectory: two portals, each over its own Store on one
// directory (as two server processes on one host would be), spend no
// seat and no activation code twice.
func TestPortalsShareDirectory(t *testing.T) {
	dir := t.TempDir()
	sk := MustSigningKey(t, "portal")
	p1, p2 := MustPortal(t, sk, MustOpen(t, dir)), MustPortal(t, sk, MustOpen(t, dir))
	if err := p1.CreateOrganization(ctx, "acme", "Acme Inc."); err != nil {
		t.Fatal(err)
	}
	if err := p2.CreateOrganization(ctx, "acme", "Acme again"); !errors.Is(err, portal.ErrOrgExists) {
		t.Fatalf("second CreateOrganization = %v, want ErrOrgExists", err)
	}
	admin := portal.Actor{ID: "admin@acme", Org: "acme"}
	const seats, devices = 5, 24
	l := seatLicense("SN-1", seats)
	key, err := sk.Sign(&l)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p1.Org(admin, "acme").AddKey(ctx, key, portal.KeyOptions{}); err != nil {
		t.Fatal(err)
	}
	for i := range devices {
		d := portal.Device{Fingerprint: fmt.Sprint("pc-", i), OS: license.TypeWorkstation}
		if _, err := p2.Org(admin, "acme").RegisterDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	codes, err := p1.IssueActivationCodes(ctx, license.License{Product: "acme-backup", Features: []string{"backup"}}, 1, 1)
	if err != nil {
		t.Fatal(err)
	}

	var (
		wg                 sync.WaitGroup
		mu                 sync.Mutex
		assigned, redeemed int
	)
	for i := range devices {
		p := []*portal.Portal{p1, p2}[i%2]
		fp := fmt.Sprint("pc-", i)
		wg.Go(func() {
			_, err := p.Org(admin, "acme").AssignSeat(ctx, "SN-1", fp)
			switch {
			case err == nil:
				mu.Lock()
				assigned++
				mu.Unlock()
			case !errors.Is(err, portal.ErrRestrictionExceeded):
				t.Errorf("AssignSeat(%s) = %v", fp, err)
			}
		})
		wg.Go(func() {
			_, _, err := p.Org(admin, "acme").RedeemCode(ctx, codes[0], fp)
			switch {
			case err == nil:
				mu.Lock()
				redeemed++
				mu.Unlock()
			case !errors.Is(err, portal.ErrCodeUsed):
				t.Errorf("RedeemCode(%s) = %v", fp, err)
			}
		})
	}
	wg.Wait()
	if assigned != seats || redeemed != 1 {
		t.Errorf("%d seats assigned, code redeemed %d times; want %d and 1", assigned, redeemed, seats)
	}
	usage, err := p2.Org(admin, "acme").Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range usage {
		if u.License.ID == "SN-1" && (u.Used != seats || u.Devices != seats) {
			t.Errorf("SN-1: %d used by %d devices, want %d", u.Used, u.Devices, seats)
		}
	}
}
