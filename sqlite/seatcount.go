package sqlite

import (
	"fmt"

	"github.com/licensekit/license/portal"
)

// The counts of each license's seats (see migrations/0005), which a seat
// operation reads instead of the license's seats.
var (
	sqlSeatCount = prepared("SELECT seats, units FROM seat_counts WHERE org = ? AND license = ?")
	sqlAddCount  = prepared("INSERT INTO seat_counts (org, license, seats, units) VALUES (?, ?, ?, ?) " +
		"ON CONFLICT (org, license) DO UPDATE SET seats = seat_counts.seats + excluded.seats, units = seat_counts.units + excluded.units")
	sqlClearCounts = prepared("DELETE FROM seat_counts WHERE org = ?")
	// sqlRecountSeats is what the migration that made the counts ran, for
	// one organization.
	sqlRecountSeats = prepared("INSERT INTO seat_counts (org, license, seats, units) " +
		"SELECT org, license, count(*), coalesce(sum(json_extract(data, '$.units')), 0) FROM seats WHERE org = ? GROUP BY org, license")
)

// CountLicense returns the count of license's seats as the file holds it.
func (s seatSource) CountLicense(license string) (seats, units int) {
	if _, err := s.t.queryRow(sqlSeatCount, []any{s.org, license}, &seats, &units); err != nil {
		s.t.fail(fmt.Errorf("sqlite: read the seat count of %q: %w", license, err))
		return 0, 0
	}
	return seats, units
}

// saveCounts moves the counts of the licenses whose seats the update
// changed, or, for a new organization, counts its seats. It counts the
// organization's seats again if the update changed a seat it had not
// read.
func saveCounts(t *tx, org string, tb *portal.SeatTable) error {
	d, ok := tb.CountChanges()
	if !ok {
		return recount(t, org)
	}
	return addCounts(t, org, d)
}

func addCounts(t *tx, org string, d map[string]portal.SeatCount) error {
	for lic, c := range d {
		if _, err := t.exec(sqlAddCount, org, lic, c.Seats, c.Units); err != nil {
			return fmt.Errorf("sqlite: count the seats of %q: %w", lic, err)
		}
	}
	return nil
}

func recount(t *tx, org string) error {
	if _, err := t.exec(sqlClearCounts, org); err != nil {
		return fmt.Errorf("sqlite: count the seats of %q: %w", org, err)
	}
	if _, err := t.exec(sqlRecountSeats, org); err != nil {
		return fmt.Errorf("sqlite: count the seats of %q: %w", org, err)
	}
	return nil
}
