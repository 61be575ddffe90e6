package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
)

// Every lookup an operation makes searches an index: none scans a table,
// but the reads of a whole vendor table, which are asked for; and a
// license's seats are found by license, not among all of the
// organization's seats, so that one seat costs the same whatever the
// organization holds.
func TestQueryPlans_SearchAnIndex(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, q := range queries {
		if !strings.HasPrefix(q, "SELECT") {
			continue
		}
		args := make([]any, strings.Count(q, "?"))
		for i := range args {
			args[i] = "x"
		}
		rows, err := s.reader.db.Query("EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		all := strings.Join(plan, "; ")
		wholeTable := !strings.Contains(q, "WHERE")
		if strings.Contains(all, "SCAN") && !wholeTable {
			t.Errorf("%s\n\tscans: %s", q, all)
		}
		if q == seats.byLicense && !strings.Contains(all, "seats_by_license") {
			t.Errorf("%s\n\tdoes not use the license's index: %s", q, all)
		}
	}
}
