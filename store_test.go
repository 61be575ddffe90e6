package license_test

import (
	"testing"

	"github.com/licensekit/license"
	"github.com/licensekit/license/storetest"
)

// The in-memory store passes the conformance suite every store runs.
func TestMemoryStore_Conformance(t *testing.T) {
	storetest.Installations(t, func(*testing.T) license.Store { return license.NewMemoryStore() })
}
