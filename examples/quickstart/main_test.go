package main

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The demo walks the lifecycle the README promises, one line per event,
// each on its day: trial (S1), activation of a term license (L2), a reserve
// that closes the gap so no notice is due for the first year (S11, R1, R4),
// the notices of the second year (S2), grace (S3), suspension (S4), a
// clock set back and caught (S9), and deletion (S5).
func TestQuickstart(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"2026-01-01T00:00:00Z trial-started trial ends 2026-01-31T00:00:00Z",
		"2026-01-20T00:00:00Z activated SN-2026-0001 acme-backup enterprise, valid until 2027-01-20T00:00:00Z",
		"2026-12-01T00:00:00Z reserve-added SN-2027-0001 acme-backup enterprise in reserve",
		"2027-01-20T00:00:00Z reserve-promoted SN-2027-0001 is now the active key, valid until 2028-01-20T00:00:00Z",
		"2027-12-21T00:00:00Z expiry-notice SN-2027-0001 expires 2028-01-20T00:00:00Z, in 30 days",
		"2028-01-06T00:00:00Z expiry-notice SN-2027-0001 expires 2028-01-20T00:00:00Z, in 14 days",
		"2028-01-13T00:00:00Z expiry-notice SN-2027-0001 expires 2028-01-20T00:00:00Z, in 7 days",
		"2028-01-17T00:00:00Z expiry-notice SN-2027-0001 expires 2028-01-20T00:00:00Z, in 3 days",
		"2028-01-19T00:00:00Z expiry-notice SN-2027-0001 expires 2028-01-20T00:00:00Z, in 1 day",
		"2028-01-20T00:00:00Z grace-started SN-2027-0001 expired; everything works until 2028-02-03T00:00:00Z",
		"2028-01-27T00:00:00Z grace-halfway half the grace period is gone; suspension at 2028-02-03T00:00:00Z",
		"2028-02-03T00:00:00Z suspended suspended: data kept until 2028-03-04T00:00:00Z",
		"2028-02-10T00:00:00Z clock-rollback the clock reads 2027-06-01T00:00:00Z, behind the latest time seen 2028-02-10T00:00:00Z; the state stays suspended",
		"2028-02-19T00:00:00Z deletion-notice data will be deleted 2028-03-04T00:00:00Z",
		"2028-03-04T00:00:00Z deleted data deleted for good",
	}
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("demo output (-want +got):\n%s", diff)
	}
}
