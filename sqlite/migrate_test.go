package sqlite_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/licensekit/license/portal"
	"github.com/licensekit/license/storetest"
)

// R5: a file that an earlier release left, whose codes were redeemed
// before the store kept the licenses of activation codes, is brought up
// to date on opening: those licenses renew through the portal.
func TestMigrate_R5_CodesRedeemedBeforeRenew(t *testing.T) {
	storetest.CodeLicensesMigrated(t, oldFile)
}

// C1, C2: a file that an earlier release left, with licenses revoked
// before the store kept a revocation list, puts them on the list.
func TestMigrate_C2_RevokedBeforeJoinTheList(t *testing.T) {
	storetest.RevocationsMigrated(t, oldFile)
}

// oldFile writes records, by table then ID, into a file of the first
// schema, and returns the store that opening it gives.
func oldFile(t *testing.T, records map[string]map[string]string) portal.PortalStore {
	path := filepath.Join(t.TempDir(), "old.db")
	first, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	Exec(t, path, string(first))
	Exec(t, path, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT '')")
	Exec(t, path, "INSERT INTO schema_migrations (version, name) VALUES (1, '0001_init.sql')")
	for table, rows := range records {
		for id, data := range rows {
			Exec(t, path, "INSERT INTO "+table+" (id, data) VALUES (?, ?)", id, data)
		}
	}
	return MustOpenPath(t, path)
}

// F1, F2: a file that an earlier release left, which kept the leases of a
// floating license as one record, keeps each on its own: heartbeats and
// checkouts go on as before.
func TestMigrate_F1_LeaseSetsToRows(t *testing.T) {
	storetest.LeaseSetsMigrated(t, func(t *testing.T) (portal.PortalStore, func(org, lic, set string) portal.PortalStore) {
		path := filepath.Join(t.TempDir(), "leases.db")
		return MustOpenPath(t, path), func(org, lic, set string) portal.PortalStore {
			old, err := os.ReadFile("migrations/0004_activations.sql")
			if err != nil {
				t.Fatal(err)
			}
			// The leases table as migration 0004 made it, and nothing
			// after 0005.
			Exec(t, path, "DELETE FROM schema_migrations WHERE version > 5")
			Exec(t, path, "DROP TABLE leases")
			create := regexp.MustCompile(`(?s)CREATE TABLE leases \(.*?\) WITHOUT ROWID;`).FindString(string(old))
			if create == "" {
				t.Fatal("migration 0004 creates no leases table")
			}
			Exec(t, path, create)
			Exec(t, path, "INSERT INTO leases (org, id, data) VALUES (?, ?, ?)", org, lic, set)
			return MustOpenPath(t, path)
		}
	})
}
