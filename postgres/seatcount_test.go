package postgres_test

import (
	"context"
	"slices"
	"testing"

	"github.com/licensekit/license/postgres"
)

// The migration that makes the seat counts counts the seats a database
// holds, by organization and license, with their units: a seat operation
// after it reads the usage the seats make.
func TestMigrateSeatCounts(t *testing.T) {
	ctx := context.Background()
	dsn, schema := DSN(t), NewSchema(t)
	if err := postgres.MigrateTo(ctx, dsn, schema, 6); err != nil {
		t.Fatal(err)
	}
	for _, s := range [][4]string{
		{"acme", "L|device|a", "L", `{"license":"L","units":1}`},
		{"acme", "L|device|b", "L", `{"license":"L","units":2}`},
		{"acme", "L|x|device|c", "L|x", `{"license":"L|x","units":4}`},
		{"globex", "L|device|d", "L", `{"license":"L","units":8}`},
	} {
		if _, err := Exec(t, dsn, "INSERT INTO "+table(schema, "seats")+" (org, id, license, device, data) VALUES ($1, $2, $3, '', $4)",
			s[0], s[1], s[2], s[3]); err != nil {
			t.Fatal(err)
		}
	}
	if err := postgres.MigrateTo(ctx, dsn, schema, 7); err != nil {
		t.Fatal(err)
	}
	counts := table(schema, "seat_counts")
	if got := QueryInt64s(t, "SELECT seats FROM "+counts+" ORDER BY org, license"); !slices.Equal(got, []int64{2, 1, 1}) {
		t.Errorf("seats counted (acme L, acme L|x, globex L) = %v, want [2 1 1]", got)
	}
	if got := QueryInt64s(t, "SELECT units FROM "+counts+" ORDER BY org, license"); !slices.Equal(got, []int64{3, 4, 8}) {
		t.Errorf("units counted (acme L, acme L|x, globex L) = %v, want [3 4 8]", got)
	}
}
