// Package eventid builds the stable IDs of events, the same way for an
// installation's Manager and for the portal, so that a handler can
// deduplicate the events of both.
package eventid

import (
	"time"

	"github.com/licensekit/license/internal/wording"
)

// New returns the ID of an event of kind at instant at about license lic
// (which may be empty): "kind/lic/instant", the instant in UTC as RFC 3339
// with nanoseconds.
func New(kind string, at time.Time, lic string) string {
	id := kind
	if lic != "" {
		id += "/" + lic
	}
	return id + "/" + wording.Instant(at)
}
