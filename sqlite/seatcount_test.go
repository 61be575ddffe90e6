package sqlite_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The migration that makes the seat counts counts the seats a file
// holds, by organization and license, with their units: a seat operation
// after it reads the usage the seats make.
func TestMigrateSeatCounts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	Exec(t, path, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT '')")
	for v, name := range []string{"0001_init.sql", "0002_server.sql", "0003_seats_by_key.sql", "0004_activations.sql"} {
		m, err := os.ReadFile(filepath.Join("migrations", name))
		if err != nil {
			t.Fatal(err)
		}
		Exec(t, path, string(m))
		Exec(t, path, "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", v+1, name)
	}
	for _, s := range [][4]string{
		{"acme", "L|device|a", "L", `{"license":"L","units":1}`},
		{"acme", "L|device|b", "L", `{"license":"L","units":2}`},
		{"acme", "L|x|device|c", "L|x", `{"license":"L|x","units":4}`},
		{"globex", "L|device|d", "L", `{"license":"L","units":8}`},
	} {
		Exec(t, path, "INSERT INTO seats (org, id, license, device, data) VALUES (?, ?, ?, '', ?)", s[0], s[1], s[2], s[3])
	}
	MustOpenPath(t, path) // migrates
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT org, license, seats, units FROM seat_counts ORDER BY org, license")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var org, lic string
		var seats, units int
		if err := rows.Scan(&org, &lic, &seats, &units); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %s %d %d", org, lic, seats, units))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"acme L 2 3", "acme L|x 1 4", "globex L 1 8"}; !slices.Equal(got, want) {
		t.Errorf("seat counts (org, license, seats, units) = %q, want %q", got, want)
	}
}
