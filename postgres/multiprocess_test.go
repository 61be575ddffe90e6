package postgres_test

import (
	"os"
	"testing"

	"github.com/licensekit/license/portal"
	"github.com/licensekit/license/storetest"
)

// schemaEnv tells a process of TestMultiProcess or TestSeatThroughput the
// schema to open, in the database of dsnEnv.
const schemaEnv = "LICENSEKIT_TEST_SCHEMA"

// TestMultiProcess runs four processes of this test binary against one
// schema, at the same time: each spends the one activation code (K5) and
// the one voucher (K6), seats devices on one license and consumes the
// wallet's licenses (P1); the database must hold each spent once, with
// no update lost. See storetest.RunMultiProcess.
func TestMultiProcess(t *testing.T) {
	schema := NewSchema(t)
	storetest.RunMultiProcess(t, storetest.MultiProcess{
		Open:   func(t *testing.T) portal.PortalStore { return MustOpenSchema(t, schema) },
		Helper: "TestHelperProcess",
		Env:    []string{schemaEnv + "=" + schema},
	})
}

// TestHelperProcess is a process of TestMultiProcess; it is skipped when
// run otherwise.
func TestHelperProcess(t *testing.T) {
	storetest.MultiProcessChild(t, func(t *testing.T) portal.PortalStore {
		return MustOpenSchema(t, os.Getenv(schemaEnv))
	})
}
