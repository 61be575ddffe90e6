package sqlite_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/licensekit/license"
)

// Exec runs query with args on a connection of its own to the store's
// file, as another program would, and returns the number of rows it
// changed.
func Exec(tb testing.TB, path, query string, args ...any) int64 {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	res, err := db.Exec(query, args...)
	if err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// A damaged installation is reported as corrupt, never read as a state,
// and DeleteInstallation removes it whatever version it is given, so that
// a Manager can start the installation again.
func TestInstallation_Corrupt(t *testing.T) {
	ctx := context.Background()
	notJSON := []byte("{not json")
	notJSONSum := sha256.Sum256(notJSON)
	for _, c := range []struct {
		name   string
		damage string
		args   []any
	}{
		{"ChecksumMismatch", "UPDATE installations SET data = CAST(? AS BLOB) WHERE id = 'app-1'", []any{[]byte(`{"created":"2030-01-01T00:00:00Z"}`)}},
		{"DoesNotDecode", "UPDATE installations SET data = ?, checksum = ? WHERE id = 'app-1'", []any{notJSON, notJSONSum[:]}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := MustOpen(t)
			if _, err := s.SaveInstallation(ctx, "app-1", license.InstallationState{}); err != nil {
				t.Fatal(err)
			}
			if n := Exec(t, s.Path(), c.damage, c.args...); n != 1 {
				t.Fatalf("damaged %d rows, want 1", n)
			}
			if _, err := s.LoadInstallation(ctx, "app-1"); !errors.Is(err, license.ErrCorrupt) {
				t.Fatalf("Load of a damaged state = %v, want ErrCorrupt", err)
			}
			if err := s.DeleteInstallation(ctx, "app-1", 42); err != nil {
				t.Fatalf("Delete of a damaged state with another version = %v, want it deleted", err)
			}
			if _, err := s.LoadInstallation(ctx, "app-1"); !errors.Is(err, license.ErrNotFound) {
				t.Fatalf("Load after Delete = %v, want ErrNotFound", err)
			}
		})
	}
	t.Run("IntactKeepsItsVersion", func(t *testing.T) {
		s := MustOpen(t)
		if _, err := s.SaveInstallation(ctx, "app-1", license.InstallationState{}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteInstallation(ctx, "app-1", 42); !errors.Is(err, license.ErrConflict) {
			t.Fatalf("Delete of an intact state with another version = %v, want ErrConflict", err)
		}
	})
}
