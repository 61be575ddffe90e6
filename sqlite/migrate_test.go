package sqlite_test

import (
	"os"
	"path/filepath"
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
