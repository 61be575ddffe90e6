package main

import (
	"regexp"
	"strings"
	"testing"
)

// The demo must keep telling the story the README promises, step by step,
// on the days its fake clock sets.
func TestQuickstart(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`^2026-01-01T00:00:00Z keygen verifying key acme-2026$`,
		`^2026-01-01T00:00:00Z issued \d+-character key LK1\.acme-2026\+[0-9a-f]{8}\.`,
		`^2026-01-01T00:00:00Z verified SN-0001 acme-backup enterprise, 25 per-device seats, features dedup,encryption, expires 2027-01-01$`,
		`^2026-06-30T00:00:00Z allowed SN-0001 is in force$`,
		`^2026-12-31T23:59:59\.999999999Z allowed SN-0001 is in force$`,
		`^2027-01-01T00:00:00Z refused license: expired: ended 2027-01-01T00:00:00Z$`,
		`^2027-01-01T00:00:00Z rejected tampered key: license: bad signature$`,
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i, re := range want {
		if !regexp.MustCompile(re).MatchString(lines[i]) {
			t.Errorf("line %d = %q, want %s", i+1, lines[i], re)
		}
	}
}
