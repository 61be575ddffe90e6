package portal

import (
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/internal/eventid"
)

// Portal event kinds, beside the lifecycle's.
const (
	// EventRestrictionExceeded: usage exceeds a license's quantity, or a
	// seat could not be placed (D4, G2).
	EventRestrictionExceeded license.EventKind = "restriction-exceeded"
	// EventUsageLevel: a license's usage entered another level (D6):
	// info 90–100 %, warning 100–110 %, critical above 110 %.
	EventUsageLevel license.EventKind = "usage-level"
)

// newEvent returns an event whose ID is built as the Manager builds its
// own, so that a handler deduplicates both alike.
func newEvent(kind license.EventKind, at time.Time, lic, detail string) license.Event {
	at = at.UTC()
	return license.Event{ID: eventid.New(string(kind), at, lic), Kind: kind, At: at, License: lic, Detail: detail}
}
