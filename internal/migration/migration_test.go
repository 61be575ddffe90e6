package migration_test

import (
	"testing"
	"testing/fstest"

	"github.com/licensekit/license/internal/migration"
)

func TestLoad(t *testing.T) {
	ms, err := migration.Load(fstest.MapFS{
		"m/0002_b.sql": {Data: []byte("B")},
		"m/0001_a.sql": {Data: []byte("A")},
	}, "m/*.sql", "test")
	if err != nil || len(ms) != 2 || ms[0].Name != "0001_a.sql" || ms[0].SQL != "A" || ms[1].Version != 2 {
		t.Fatalf("Load = %+v, %v; want 0001_a.sql then version 2", ms, err)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"NoVersion": {"m/init.sql": {}},
		"Zero":      {"m/0000_x.sql": {}},
		"Twice":     {"m/0001_a.sql": {}, "m/1_b.sql": {}},
	} {
		if _, err := migration.Load(fsys, "m/*.sql", "test"); err == nil {
			t.Errorf("%s: Load succeeded", name)
		}
	}
}
