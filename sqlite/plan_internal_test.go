package sqlite

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// numbered matches the numbered parameters of a statement: ?1, ?2…
var numbered = regexp.MustCompile(`\?[0-9]+`)

// Every lookup an operation makes searches an index: none scans a table,
// but the reads of a whole vendor table, which are asked for; and a
// license's seats are one range of the seats' key, not all of the
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
		n := strings.Count(q, "?")
		if m := numbered.FindAllString(q, -1); len(m) > 0 {
			n = len(slices.Compact(slices.Sorted(slices.Values(m))))
		}
		args := make([]any, n)
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
		if q == seats.byLicense && !strings.Contains(all, "PRIMARY KEY (org=? AND id>? AND id<?)") {
			t.Errorf("%s\n\tdoes not read a range of the seats' key: %s", q, all)
		}
	}
}
