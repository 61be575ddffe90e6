package postgres

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/licensekit/license/portal"
)

// seatCountSQL is the SQL of the counts of each license's seats (see
// migrations/0007), which a seat operation reads instead of the license's
// seats.
type seatCountSQL struct {
	get     string // (org, license) → seats, units
	add     string // (org, licenses, seats, units): adds to the counts
	clear   string // (org)
	recount string // (org): counts the organization's seats again
}

func newSeatCountSQL(schema string) seatCountSQL {
	t := pgx.Identifier{schema, "seat_counts"}.Sanitize()
	return seatCountSQL{
		get: "SELECT seats, units FROM " + t + " WHERE org = $1 AND license = $2",
		// The deltas are added to the row as it is when the statement
		// runs: two updates that move the same license's count in turn
		// both count.
		add: "INSERT INTO " + t + " (org, license, seats, units) SELECT $1, u.license, u.seats, u.units " +
			"FROM unnest($2::text[], $3::int[], $4::int[]) AS u(license, seats, units) " +
			"ON CONFLICT (org, license) DO UPDATE SET seats = " + t + ".seats + excluded.seats, units = " + t + ".units + excluded.units",
		clear: "DELETE FROM " + t + " WHERE org = $1",
		recount: "INSERT INTO " + t + " (org, license, seats, units) SELECT org, license, count(*), coalesce(sum((data->>'units')::int), 0) " +
			"FROM " + pgx.Identifier{schema, "seats"}.Sanitize() + " WHERE org = $1 GROUP BY org, license",
	}
}

// CountLicense returns the count of license's seats as the database holds
// it, which reading its key may have read already (see keySource).
func (s seatSource) CountLicense(lic string) (seats, units int) {
	if s.t.err != nil {
		return 0, 0
	}
	if c, ok := s.t.counts[lic]; ok {
		return c.Seats, c.Units
	}
	err := s.t.conn.QueryRow(s.t.ctx, s.counts.get, s.scope[0], lic).Scan(&seats, &units)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, 0
	}
	if err != nil {
		s.t.fail(fmt.Errorf("postgres: read %s: the seat count of %q: %w", s.t.what, lic, err))
		return 0, 0
	}
	return seats, units
}

// queueCounts queues, on b, the writes that move the seat counts of
// organization org as an update changed its seats, or that count the
// seats of a new organization. If the update changed a seat it had not
// read, the organization's seats are counted again.
func (q *seatCountSQL) queueCounts(b *pgx.Batch, org string, tb *portal.SeatTable) {
	d, ok := tb.CountChanges()
	if !ok {
		b.Queue(q.clear, org)
		b.Queue(q.recount, org)
		return
	}
	if len(d) == 0 {
		return
	}
	// In order, so that two updates that move the same counts lock
	// their rows in the same order.
	lics := slices.Sorted(maps.Keys(d))
	seats, units := make([]int, len(lics)), make([]int, len(lics))
	for i, lic := range lics {
		seats[i], units[i] = d[lic].Seats, d[lic].Units
	}
	b.Queue(q.add, org, lics, seats, units)
}
