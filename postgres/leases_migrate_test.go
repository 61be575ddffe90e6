package postgres_test

import (
	"os"
	"regexp"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/licensekit/license/portal"
	"github.com/licensekit/license/storetest"
)

// F1, F2: a database that an earlier release left, which kept the leases
// of a floating license as one row, keeps each on its own: heartbeats and
// checkouts go on as before.
func TestMigrate_F1_LeaseSetsToRows(t *testing.T) {
	dsn := DSN(t)
	storetest.LeaseSetsMigrated(t, func(t *testing.T) (portal.PortalStore, func(org, lic, set string) portal.PortalStore) {
		schema := NewSchema(t)
		return MustOpenSchema(t, schema), func(org, lic, set string) portal.PortalStore {
			old, err := os.ReadFile("migrations/0004_activations.sql")
			if err != nil {
				t.Fatal(err)
			}
			create := regexp.MustCompile(`CREATE TABLE leases \(.*\);`).FindString(string(old))
			if create == "" {
				t.Fatal("migration 0004 creates no leases table")
			}
			// The leases table as migration 0004 made it, and nothing
			// after 0007.
			for _, q := range []string{
				"DELETE FROM " + table(schema, "schema_migrations") + " WHERE version > 7",
				"DROP TABLE " + table(schema, "leases"),
				"SET search_path TO " + pgx.Identifier{schema}.Sanitize() + "; " + create,
			} {
				if _, err := Exec(t, dsn, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			if _, err := Exec(t, dsn, "INSERT INTO "+table(schema, "leases")+" (org, id, data) VALUES ($1, $2, $3)", org, lic, set); err != nil {
				t.Fatal(err)
			}
			return MustOpenSchema(t, schema)
		}
	})
}
