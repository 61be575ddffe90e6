package portal_test

import (
	"testing"

	"github.com/licensekit/license/portal"
	"github.com/licensekit/license/storetest"
)

// The in-memory store passes the conformance suite every portal store runs.
func TestMemoryPortalStore_Conformance(t *testing.T) {
	storetest.Portal(t, func(*testing.T) portal.PortalStore { return portal.NewMemoryPortalStore() })
	storetest.Server(t, func(*testing.T) portal.PortalStore { return portal.NewMemoryPortalStore() }, nil)
}
