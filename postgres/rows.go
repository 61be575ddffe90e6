package postgres

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/licensekit/license"
	"github.com/licensekit/license/internal/rowjson"
	"github.com/licensekit/license/portal"
)

// rowTable is the SQL of a table that keeps records one a row, by ID: an
// organization's, keyed by (org, id), whose statements take the
// organization's ID first, or the vendor's, keyed by id.
type rowTable struct {
	name                    string // for errors
	get, getLock            string // (scope…, id) → data
	all, allLock            string // (scope…) → id, data
	ofLicense, ofLicenseLck string // seats only: (org, license) → id, data
	fewOfLicense, fewLck    string // seats only: those whose ID starts as the license's, at most prefetchSeats+1
	upsert, del             string // (scope…, ids, data[, licenses, devices]); (scope…, ids)
	seats                   bool
	leases                  bool // a license column, and ofLicense
}

func newRowTable(schema, name string, byOrg bool) rowTable {
	t := pgx.Identifier{schema, name}.Sanitize()
	r := rowTable{name: name, seats: name == "seats", leases: name == "leases"}
	where, many, scope, orgCol, conflict, n := "id = $1", "id = ANY($1::text[])", "", "", "id", 1
	if byOrg {
		where, many, scope, orgCol, conflict, n = "org = $1 AND id = $2", "org = $1 AND id = ANY($2::text[])", "$1, ", "org, ", "org, id", 2
	}
	r.get = "SELECT data FROM " + t + " WHERE " + where
	r.getLock = r.get + " FOR UPDATE"
	r.all = "SELECT id, data FROM " + t
	if byOrg {
		r.all += " WHERE org = $1"
	}
	r.allLock = r.all + " FOR UPDATE"
	// The records a large group's placement reads by the hundred
	// thousand are kept as json, whose text comes back as it went in:
	// printing jsonb costs the server more than the rows themselves.
	typ := "jsonb"
	if name == "seats" || name == "devices" || name == "groups" {
		typ = "json"
	}
	cols, sel, arrays := "id, data", "u.id, u.data::"+typ, fmt.Sprintf("$%d::text[], $%d::text[]", n, n+1)
	set := "data = excluded.data"
	if r.seats {
		cols, sel, arrays = "id, data, license, device", "u.id, u.data::"+typ+", u.license, u.device",
			"$2::text[], $3::text[], $4::text[], $5::text[]"
		set += ", license = excluded.license, device = excluded.device"
		// A seat's ID starts with its license's ID and "|" (see
		// portal.SeatSource): a license's seats are one range of the
		// primary key, which even a prepared statement's generic plan,
		// made for no license in particular, reads through the index.
		// By license alone, that plan scanned all 100,000 seats of an
		// organization whose one license held them, to find another's.
		r.ofLicense = "SELECT id, data FROM " + t + " WHERE org = $1 AND id >= $2 || '|' AND id < $2 || '}' AND license = $2"
		r.ofLicenseLck = r.ofLicense + " FOR UPDATE"
		// The prefetch reads every seat whose ID starts with the
		// license's ID and "|", whatever its license: when they are few,
		// a seat of the license that is not among them does not exist,
		// and reading it needs no round trip of its own.
		r.fewOfLicense = "SELECT id, data FROM " + t + " WHERE org = $1 AND id >= $2 || '|' AND id < $2 || '}'" +
			fmt.Sprintf(" LIMIT %d", prefetchSeats+1)
		r.fewLck = r.fewOfLicense + " FOR UPDATE"
	}
	if r.leases {
		cols, sel, arrays = "id, data, license", "u.id, u.data::"+typ+", u.license", "$2::text[], $3::text[], $4::text[]"
		set += ", license = excluded.license"
		// A lease's ID starts with its license's ID and "|", as a
		// seat's does: a checkout, which holds the license's key row
		// lock, reads and locks the license's leases as one range of
		// the primary key.
		r.ofLicense = "SELECT id, data FROM " + t + " WHERE org = $1 AND id >= $2 || '|' AND id < $2 || '}' AND license = $2"
		r.ofLicenseLck = r.ofLicense + " FOR UPDATE"
	}
	// The records come as arrays, their data as text that the column's
	// type parses: one statement, however many records.
	r.upsert = "INSERT INTO " + t + " (" + orgCol + cols + ") SELECT " + scope + sel +
		" FROM unnest(" + arrays + ") AS u(" + cols + ") ON CONFLICT (" + conflict + ") DO UPDATE SET " + set
	r.del = "DELETE FROM " + t + " WHERE " + many
	return r
}

// txn is one attempt at an update, or a view, of an organization or of
// the vendor: a connection in a transaction, that its tables' sources
// read through, and the first error they met.
type txn struct {
	ctx  context.Context
	conn *pgxpool.Conn
	lock bool   // read rows FOR UPDATE: an update
	what string // "organization \"acme\"", for errors
	err  error

	// The rows the update read ahead, by table then ID (see
	// Store.UpdateOrganizationAhead).
	ahead map[*rowTable]map[string]prefetched
	// What a read of a key brought along, for the reads that follow it
	// (see keySource): the usage levels by license ID, and the seats of
	// licenses that have few, by license ID then seat ID.
	levels map[string]prefetched
	seats  map[string]map[string][]byte
	counts map[string]portal.SeatCount
}

// prefetched is a row read ahead: its data, if there is one.
type prefetched struct {
	data  []byte
	found bool
}

// prefetchSeats is how many seats a license may have for a read of its
// key to bring them along.
const prefetchSeats = 128

func (t *txn) fail(err error) {
	if t.err == nil {
		t.err = err
	}
}

// source is the [portal.Source] of a table of records, in t's
// transaction. A failure is remembered in t, and reads as no record.
type source[V any] struct {
	t     *txn
	tb    *rowTable
	scope []any // the organization's ID; nothing for the vendor's tables
}

// Load reads the record with that ID, and locks it in an update, unless
// the update read it ahead.
func (s source[V]) Load(id string) (V, bool) {
	var v V
	if s.t.err != nil {
		return v, false
	}
	if v, ok, ahead := s.ahead(id); ahead {
		return v, ok
	}
	data, found, err := s.t.get(s.tb, s.scope, id)
	if err != nil {
		s.t.fail(fmt.Errorf("postgres: read %s: %s %q: %w", s.t.what, s.tb.name, id, err))
		return v, false
	}
	if !found {
		return v, false
	}
	return s.decode(id, data)
}

// ahead returns the record with that ID, and whether there is one, if
// the update read it ahead (see [Store.UpdateOrganizationAhead]).
func (s source[V]) ahead(id string) (v V, ok, ahead bool) {
	p, ahead := s.t.ahead[s.tb][id]
	if !ahead || !p.found {
		return v, false, ahead
	}
	v, ok = s.decode(id, p.data)
	return v, ok, true
}

// locking returns the statement of a read: in an update, locked, the one
// that locks the rows it reads (SELECT … FOR UPDATE).
func (t *txn) locking(plain, locked string) string {
	if t.lock {
		return locked
	}
	return plain
}

// queueGet queues, on b, the read of the row of table tb with that ID,
// locked in an update, into *p.
func (t *txn) queueGet(b *pgx.Batch, tb *rowTable, scope []any, id string, p *prefetched) {
	b.Queue(t.locking(tb.get, tb.getLock), append(scope[:len(scope):len(scope)], id)...).QueryRow(scanPrefetched(p))
}

// scanPrefetched scans a row's data into *p, if there is a row.
func scanPrefetched(p *prefetched) func(pgx.Row) error {
	return func(row pgx.Row) error {
		err := row.Scan(&p.data)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		p.found = err == nil
		return err
	}
}

// get reads the data of the row of table tb with that ID, and locks it
// in an update.
func (t *txn) get(tb *rowTable, scope []any, id string) (data []byte, found bool, err error) {
	err = t.conn.QueryRow(t.ctx, t.locking(tb.get, tb.getLock), append(scope[:len(scope):len(scope)], id)...).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	return data, err == nil, err
}

// decode decodes the record with that ID from its row's data.
func (s source[V]) decode(id string, data []byte) (V, bool) {
	var v V
	if err := rowjson.Decode(data, &v); err != nil {
		s.t.fail(fmt.Errorf("%w: %s: %s %q does not decode: %w", license.ErrCorrupt, s.t.what, s.tb.name, id, err))
		return v, false
	}
	return v, true
}

// keySource is the source of an organization's keys. Reading a key, in
// one round trip to the database, also reads the license's usage level
// and count of seats, and, if it has at most prefetchSeats, its seats,
// each locked in an update as their own reads would lock them: an
// operation on a license's seats reads them next, while it holds the
// key's lock, and that lock is what orders the operations on the
// license's seats. The count, read after the key's lock is taken, is
// the one the operation before left; it needs no lock of its own.
type keySource struct {
	source[portal.OrgKey]
	levels, seats *rowTable
	counts        *seatCountSQL
}

// Load reads the key with that ID, and what goes with it, unless the
// update read them ahead.
func (s keySource) Load(id string) (portal.OrgKey, bool) {
	t := s.t
	if t.err != nil {
		return portal.OrgKey{}, false
	}
	if v, ok, ahead := s.ahead(id); ahead {
		return v, ok
	}
	b := new(pgx.Batch)
	read := s.queue(b, id)
	if err := t.conn.SendBatch(t.ctx, b).Close(); err != nil {
		t.fail(fmt.Errorf("postgres: read %s: %s %q: %w", t.what, s.tb.name, id, err))
		return portal.OrgKey{}, false
	}
	key := read()
	if !key.found {
		return portal.OrgKey{}, false
	}
	return s.decode(id, key.data)
}

// queue queues, on b, the reads of the key with that ID and of what goes
// with it; once b is sent, read keeps what goes with it in the
// transaction and returns the key's row.
func (s keySource) queue(b *pgx.Batch, id string) (read func() prefetched) {
	t := s.t
	seats := t.locking(s.seats.fewOfLicense, s.seats.fewLck)
	var (
		key   prefetched
		level prefetched
		few   = map[string][]byte{}
	)
	t.queueGet(b, s.tb, s.scope, id, &key)
	t.queueGet(b, s.levels, s.scope, id, &level)
	args := append(s.scope[:len(s.scope):len(s.scope)], id)
	b.Queue(seats, args...).Query(func(rows pgx.Rows) error {
		var (
			sid  string
			data []byte
		)
		_, err := pgx.ForEachRow(rows, []any{&sid, &data}, func() error {
			few[sid] = data
			return nil
		})
		return err
	})
	var count portal.SeatCount
	b.Queue(s.counts.get, args...).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&count.Seats, &count.Units)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	return func() prefetched {
		if t.levels == nil {
			t.levels, t.seats, t.counts = map[string]prefetched{}, map[string]map[string][]byte{}, map[string]portal.SeatCount{}
		}
		t.levels[id], t.counts[id] = level, count
		if len(few) <= prefetchSeats {
			t.seats[id] = few
		}
		return key
	}
}

// levelSource is the source of an organization's usage levels, which
// reading a key may have read already.
type levelSource struct{ source[string] }

// Load reads the level of the license with that ID.
func (s levelSource) Load(id string) (string, bool) {
	p, ok := s.t.levels[id]
	if !ok || s.t.err != nil {
		return s.source.Load(id)
	}
	if !p.found {
		return "", false
	}
	return s.decode(id, p.data)
}

// LoadAll reads every record, and locks them in an update.
func (s source[V]) LoadAll() map[string]V {
	return s.query(s.t.locking(s.tb.all, s.tb.allLock), s.scope...)
}

// query returns the records that q, which selects id and data, reads.
func (s source[V]) query(q string, args ...any) map[string]V {
	m := map[string]V{}
	if s.t.err != nil {
		return m
	}
	rows, err := s.t.conn.Query(s.t.ctx, q, args...)
	if err != nil {
		s.t.fail(fmt.Errorf("postgres: read %s: %s: %w", s.t.what, s.tb.name, err))
		return m
	}
	defer rows.Close()
	var (
		id   string
		data []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &data}, func() error {
		var v V
		if err := rowjson.Decode(data, &v); err != nil {
			return fmt.Errorf("%w: %s: %s %q does not decode: %w", license.ErrCorrupt, s.t.what, s.tb.name, id, err)
		}
		m[id] = v
		return nil
	})
	if err != nil {
		if !errors.Is(err, license.ErrCorrupt) {
			err = fmt.Errorf("postgres: read %s: %s: %w", s.t.what, s.tb.name, err)
		}
		s.t.fail(err)
		return map[string]V{}
	}
	return m
}

// seatSource is the [portal.SeatSource] and [portal.SeatCounter] of an
// organization's seats. Those of a license whose key was read, and its
// count, may be there already (see keySource).
type seatSource struct {
	source[portal.Seat]
	counts *seatCountSQL
}

// Load reads the seat with that ID.
func (s seatSource) Load(id string) (portal.Seat, bool) {
	if s.t.err == nil {
		for lic, few := range s.t.seats {
			if data, ok := few[id]; ok {
				return s.decode(id, data)
			}
			// The prefetch holds every seat whose ID starts with lic
			// and "|": one that is not there does not exist.
			if strings.HasPrefix(id, lic+"|") {
				return portal.Seat{}, false
			}
		}
	}
	return s.source.Load(id)
}

// LoadLicense reads the seats of one license, and locks them in an
// update.
func (s seatSource) LoadLicense(lic string) map[string]portal.Seat {
	if few, ok := s.t.seats[lic]; ok && s.t.err == nil {
		m := make(map[string]portal.Seat, len(few))
		for id, data := range few {
			st, ok := s.decode(id, data)
			if !ok {
				return map[string]portal.Seat{}
			}
			if st.License == lic { // not another license's whose ID starts as lic's
				m[id] = st
			}
		}
		return m
	}
	return s.query(s.t.locking(s.tb.ofLicense, s.tb.ofLicenseLck), s.scope[0], lic)
}

// leaseSource is the [portal.LeaseSource] of an organization's leases.
type leaseSource struct{ source[portal.Lease] }

// LoadLicense reads the leases of one license, and locks them in an
// update: the checkout that reads them holds the license's key row lock,
// and a heartbeat that locked its lease first is waited for.
func (s leaseSource) LoadLicense(lic string) map[string]portal.Lease {
	return s.query(s.t.locking(s.tb.ofLicense, s.tb.ofLicenseLck), s.scope[0], lic)
}

// queueWrites queues, on b, the statements that save the records ids of a
// table, as get gives them: an upsert of those that exist, a delete of
// the others. Each is one statement, whatever the number of records.
func queueWrites[V any](b *pgx.Batch, tb *rowTable, scope []any, ids []string, get func(string) (V, bool)) error {
	var put, data, del, licenses, devices []string
	for _, id := range ids {
		v, ok := get(id)
		if !ok {
			del = append(del, id)
			continue
		}
		d, err := rowjson.Encode(v)
		if err != nil {
			return fmt.Errorf("postgres: encode %s %q: %w", tb.name, id, err)
		}
		put, data = append(put, id), append(data, string(d))
		switch r := any(v).(type) {
		case portal.Seat:
			licenses, devices = append(licenses, r.License), append(devices, r.Device)
		case portal.Lease:
			licenses = append(licenses, r.License)
		}
	}
	if len(put) > 0 {
		args := append(scope[:len(scope):len(scope)], put, data)
		switch {
		case tb.seats:
			args = append(args, licenses, devices)
		case tb.leases:
			args = append(args, licenses)
		}
		b.Queue(tb.upsert, args...)
	}
	if len(del) > 0 {
		b.Queue(tb.del, append(scope[:len(scope):len(scope)], del)...)
	}
	return nil
}

// changes queues the writes of what update tx changed in t, or, if tx is
// nil, of every record of t, for a new organization. A record put back as
// it was read is not written: a placement run of a large group puts every
// seat it keeps.
func changes[V any](b *pgx.Batch, tx *txn, tb *rowTable, scope []any, t *portal.Table[V]) error {
	if tx == nil {
		return queueWrites(b, tb, scope, t.IDs(), func(id string) (V, bool) { return t.Peek(id), true })
	}
	ids := slices.DeleteFunc(t.Changed(), func(id string) bool {
		was, had, known := t.Original(id)
		is, ok := t.Current(id)
		return known && had && ok && reflect.DeepEqual(was, is)
	})
	return queueWrites(b, tb, scope, ids, t.Current)
}
