package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/licensekit/license"
	"github.com/licensekit/license/internal/licensetest"
	"github.com/licensekit/license/portal"
	"github.com/licensekit/license/sqlite"
	"github.com/licensekit/license/storetest"
)

// MustOpen opens a store in a new database file of the test's own,
// closed when the test ends.
func MustOpen(tb testing.TB) *sqlite.Store {
	tb.Helper()
	return MustOpenPath(tb, filepath.Join(tb.TempDir(), "licensekit.db"))
}

// MustOpenPath opens the store at path, closed when the test ends.
func MustOpenPath(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(path)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	t.Run("Installations", func(t *testing.T) {
		storetest.Installations(t, func(t *testing.T) license.Store { return MustOpen(t) })
	})
	t.Run("Portal", func(t *testing.T) {
		storetest.Portal(t, func(t *testing.T) portal.PortalStore { return MustOpen(t) })
	})
	t.Run("Server", func(t *testing.T) {
		storetest.Server(t, func(t *testing.T) portal.PortalStore { return MustOpen(t) },
			func(t *testing.T, s portal.PortalStore) portal.PortalStore {
				return MustOpenPath(t, s.(*sqlite.Store).Path())
			})
	})
}

// vendorKey returns a portal's signing key, the same in every process.
func vendorKey(tb testing.TB) *license.SigningKey {
	tb.Helper()
	return licensetest.SigningKey(tb, "vendor", "licensekit sqlite multi-process test")
}
