package postgres_test

import (
	"strings"
	"testing"

	"github.com/licensekit/license/postgres"
)

// A license's seats are looked up with a plan made for that license: the
// generic plan of a prepared statement, made for an average license,
// scanned all 100,000 seats of an organization whose one license holds
// them all to find the few of another, and BenchmarkSeatScale/devices=100000
// cost 11 times devices=100 (D1 costs the same whatever the organization
// holds). A DSN that sets plan_cache_mode itself keeps its setting.
func TestOpen_D1_PlansEachExecutionForItsParameters(t *testing.T) {
	s := MustOpen(t)
	got, err := s.Setting(t.Context(), "plan_cache_mode")
	if err != nil {
		t.Fatal(err)
	}
	if got != "force_custom_plan" {
		t.Fatalf("plan_cache_mode = %q, want force_custom_plan", got)
	}

	dsn := DSN(t)
	if strings.Contains(dsn, "?") {
		dsn += "&plan_cache_mode=auto"
	} else {
		dsn += "?plan_cache_mode=auto"
	}
	own, err := postgres.Open(t.Context(), dsn, postgres.WithSchema(NewSchema(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	if got, err := own.Setting(t.Context(), "plan_cache_mode"); err != nil || got != "auto" {
		t.Fatalf("with the DSN's own setting: %q, %v; want auto", got, err)
	}
}
