package postgres_test

import (
	"context"
	"testing"

	"github.com/licensekit/license/portal"
	"github.com/licensekit/license/postgres"
	"github.com/licensekit/license/storetest"
)

// R5: a schema that an earlier release left, whose codes were redeemed
// before the store kept the licenses of activation codes, is brought up
// to date on opening: those licenses renew through the portal.
func TestMigrate_R5_CodesRedeemedBeforeRenew(t *testing.T) {
	storetest.CodeLicensesMigrated(t, func(t *testing.T, records map[string]map[string]string) portal.PortalStore {
		return oldSchema(t, 2, records)
	})
}

// C1, C2: a schema that an earlier release left, with licenses revoked
// before the store kept a revocation list, puts them on the list.
func TestMigrate_C2_RevokedBeforeJoinTheList(t *testing.T) {
	storetest.RevocationsMigrated(t, func(t *testing.T, records map[string]map[string]string) portal.PortalStore {
		return oldSchema(t, 3, records)
	})
}

// oldSchema writes records, by table then ID, into a new schema migrated
// up to version, and returns the store that opening it gives.
func oldSchema(t *testing.T, version int, records map[string]map[string]string) portal.PortalStore {
	dsn, schema := DSN(t), NewSchema(t)
	if err := postgres.MigrateTo(context.Background(), dsn, schema, version); err != nil {
		t.Fatal(err)
	}
	for name, rows := range records {
		for id, data := range rows {
			if _, err := Exec(t, dsn, "INSERT INTO "+table(schema, name)+" (id, data) VALUES ($1, $2)", id, data); err != nil {
				t.Fatal(err)
			}
		}
	}
	return MustOpenSchema(t, schema)
}
