// Package wording writes instants and licenses the same way in every
// message, event and history entry, whichever package writes them.
package wording

import "time"

// Instant writes t in UTC as RFC 3339 with nanoseconds.
func Instant(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// License names a license for people: its ID, product and edition, if
// any, such as "SN-1 acme-backup enterprise".
func License(id, product, edition string) string {
	s := id + " " + product
	if edition != "" {
		s += " " + edition
	}
	return s
}
