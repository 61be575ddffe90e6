package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// A license's seats are found through the seats' primary key even by the
// generic plan of a prepared statement, which PostgreSQL makes for no
// license in particular after a few executions: looked up by license
// alone, that plan scanned all 100,000 seats of an organization whose one
// license held them to find another license's few, and
// BenchmarkSeatScale/devices=100000 cost 11 times devices=100 (D1: a seat
// costs the same whatever the organization holds).
func TestSeatsOfALicense_D1_GenericPlanUsesThePrimaryKey(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	conn, err := pgx.Connect(ctx, DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// One organization's seats, nearly all on one license, as the
	// planner's statistics see them.
	seats := pgx.Identifier{s.Schema(), "seats"}.Sanitize()
	if _, err := conn.Exec(ctx, "INSERT INTO "+seats+" (org, id, license, device, data) "+
		"SELECT 'acme', 'BIG|device|pc-' || i, 'BIG', 'pc-' || i, '{}' FROM generate_series(1, 20000) i"); err != nil {
		t.Fatal(err)
	}
	countSeats(t, s.Schema())
	if _, err := conn.Exec(ctx, "ANALYZE "+seats); err != nil {
		t.Fatal(err)
	}
	q := s.SeatsOfLicenseQuery()
	if _, err := conn.Exec(ctx, "SET plan_cache_mode = force_generic_plan"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "PREPARE seats_of_license AS "+q); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(ctx, "EXPLAIN EXECUTE seats_of_license('acme', 'SN-1')")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(plan, "\n")
	if !strings.Contains(all, "Index Scan using seats_pkey") || strings.Contains(all, "Seq Scan") {
		t.Fatalf("the generic plan of\n\t%s\nis\n%s", q, all)
	}
}
