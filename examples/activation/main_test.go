package main

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The walk the README shows: activation with a code (A1), the
// certificate accepted offline (A2), a check-in a week before it ends,
// then with the server down the grant holds until NotAfter and the
// seven days of check-in grace, stops, and comes back at the first
// check-in once the server is back (A4).
func TestActivation(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"2026-01-01T00:00:00Z step activated with an activation code: activation act-2",
		"2026-01-01T00:00:00Z activated BK-1 acme-backup, valid until 2026-02-07T00:00:00Z",
		"2026-01-24T00:00:00Z revocation-list-loaded revocation list 1 loaded: 0 licenses, 0 activations, 0 signing keys revoked",
		"2026-01-24T00:00:00Z activation-refreshed activation certificate renewed; it holds until 2026-02-23T00:00:00Z",
		"2026-01-31T00:00:00Z status allowed=true state=active",
		"2026-01-31T00:00:00Z step the license server goes down",
		`2026-02-16T00:00:00Z checkin-failed license: check-in of activation "act-2": Service Unavailable; next attempt 2026-02-16T00:01:00Z; the activation grants until 2026-03-02T00:00:00Z`,
		"2026-02-16T00:00:00Z status allowed=true state=active",
		"2026-02-23T00:00:00Z checkin-grace-started the activation certificate reached its end with no check-in; it grants until 2026-03-02T00:00:00Z",
		`2026-02-23T00:00:00Z checkin-failed license: check-in of activation "act-2": Service Unavailable; next attempt 2026-02-23T00:02:00Z; the activation grants until 2026-03-02T00:00:00Z`,
		"2026-02-23T00:00:00Z status allowed=true state=active",
		`2026-03-01T23:59:59Z checkin-failed license: check-in of activation "act-2": Service Unavailable; next attempt 2026-03-02T00:03:59Z; the activation grants until 2026-03-02T00:00:00Z`,
		"2026-03-01T23:59:59Z status allowed=true state=active",
		"2026-03-02T00:00:00Z checkin-lapsed no check-in with the license server since the activation certificate ended 2026-02-23T00:00:00Z; nothing is granted until one succeeds",
		"2026-03-02T00:00:00Z status allowed=false state=unlicensed",
		"2026-03-02T00:00:00Z step the license server is back",
		"2026-03-02T01:00:00Z activation-refreshed activation certificate renewed; it holds until 2026-04-01T01:00:00Z",
		"2026-03-02T01:00:00Z status allowed=true state=active",
	}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}
