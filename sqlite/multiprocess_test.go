package sqlite_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/licensekit/license/portal"
	"github.com/licensekit/license/storetest"
)

// pathEnv tells a process of TestMultiProcess the database file to open.
const pathEnv = "LICENSEKIT_TEST_DB"

// TestMultiProcess runs four processes of this test binary against one
// database file, at the same time: each spends the one activation code
// (K5) and the one voucher (K6), seats devices on one license and
// consumes the wallet's licenses (P1); the file must hold each spent
// once, with no update lost. See storetest.RunMultiProcess.
func TestMultiProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	storetest.RunMultiProcess(t, storetest.MultiProcess{
		Open:   func(t *testing.T) portal.PortalStore { return MustOpenPath(t, path) },
		Helper: "TestHelperProcess",
		Env:    []string{pathEnv + "=" + path},
	})
}

// TestHelperProcess is a process of TestMultiProcess; it is skipped when
// run otherwise.
func TestHelperProcess(t *testing.T) {
	storetest.MultiProcessChild(t, func(t *testing.T) portal.PortalStore {
		return MustOpenPath(t, os.Getenv(pathEnv))
	})
}
