package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// RevocationsMigrated checks that a store opening the data of a release
// that kept no revocation list puts the licenses revoked before on it
// (C1, C2): in the order they were revoked, each with the serial of the
// list that first names it, so that the list's serial counts them and the
// next revocation takes the one after.
//
// old is as for [CodeLicensesMigrated]; it is given the records of
// "lives" only.
func RevocationsMigrated(t *testing.T, old func(t *testing.T, records map[string]map[string]string) portal.PortalStore) {
	t.Helper()
	ctx := context.Background()
	s := old(t, map[string]map[string]string{"lives": {
		"SN-2": `{"state":"revoked","since":"2026-01-02T00:00:00Z"}`,
		"SN-1": `{"state":"revoked","since":"2026-01-01T00:00:00Z"}`,
		"SN-3": `{"state":"held","since":"2026-01-01T00:00:00Z"}`,
	}})
	_ = s.ViewVendor(ctx, func(v *portal.Vendor) error {
		one, two := v.Revocations.Peek("license:SN-1"), v.Revocations.Peek("license:SN-2")
		if v.RevocationCount != 2 || v.Revocations.Len() != 2 || one.Serial != 2 || two.Serial != 3 ||
			one.Kind != portal.RevokedLicense || !one.At.Equal(t0) {
			t.Errorf("after migrating: %d revocations counted, %d kept, SN-1 %+v, SN-2 %+v; want 2, SN-1 of serial 2, SN-2 of 3",
				v.RevocationCount, v.Revocations.Len(), one, two)
		}
		return nil
	})
	sk, err := license.GenerateSigningKey("vendor", nil)
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewMock()
	clk.Set(t0)
	p, err := portal.NewPortal(portal.PortalConfig{Signer: sk, Store: s, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Revoke(ctx, "SN-4", "refunded"); err != nil {
		t.Fatal(err)
	}
	text, serial, err := p.RevocationList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := license.NewVerifier(sk.VerifyingKey())
	r, err := v.VerifyRevocationList(text)
	if err != nil || serial != 4 || !slices.Equal(r.Licenses, []string{"SN-1", "SN-2", "SN-4"}) {
		t.Errorf("revocation list %+v, serial %d, %v; want SN-1, SN-2 and SN-4, serial 4", r, serial, err)
	}
}
