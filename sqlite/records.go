package sqlite

import (
	"database/sql"
	"fmt"
	"reflect"

	"github.com/licensekit/license"
	"github.com/licensekit/license/internal/rowjson"
	"github.com/licensekit/license/portal"
)

// entity is a table of records of one kind: an organization's, keyed by
// organization and ID, or the vendor's, keyed by ID. Each row holds a
// record's JSON encoding.
type entity struct {
	name string
	org  bool // keyed by organization and ID
	// The statements that read one record, read them all, write one and
	// delete one; seats also read one license's seats.
	get, all, put, del, byLicense string
}

func orgEntity(name string) *entity {
	return &entity{
		name: name, org: true,
		get: prepared("SELECT data FROM " + name + " WHERE org = ? AND id = ?"),
		all: prepared("SELECT id, data FROM " + name + " WHERE org = ?"),
		put: prepared("INSERT INTO " + name + " (org, id, data) VALUES (?, ?, ?) " +
			"ON CONFLICT (org, id) DO UPDATE SET data = excluded.data"),
		del: prepared("DELETE FROM " + name + " WHERE org = ? AND id = ?"),
	}
}

// licensedEntity is an organization's table whose records each belong to
// a license, a column of their own with extra, whose IDs start with the
// license's ID and "|" (see portal.SeatSource and portal.LeaseSource): a
// license's records are one range of the table's key, and need no index
// of their own. The range may also hold the records of a license whose
// ID starts the same: the license column tells them apart.
func licensedEntity(name string, extra ...string) *entity {
	e := orgEntity(name)
	cols, vals, set := ", license", ", ?", ", license = excluded.license"
	for _, c := range extra {
		cols, vals, set = cols+", "+c, vals+", ?", set+", "+c+" = excluded."+c
	}
	e.put = prepared("INSERT INTO " + name + " (org, id, data" + cols + ") VALUES (?, ?, ?" + vals + ") " +
		"ON CONFLICT (org, id) DO UPDATE SET data = excluded.data" + set)
	e.byLicense = prepared("SELECT id, data FROM " + name + " WHERE org = ?1 AND id >= ?2 || '|' AND id < ?2 || '}' AND license = ?2")
	return e
}

func vendorEntity(name string) *entity {
	return &entity{
		name: name,
		get:  prepared("SELECT data FROM " + name + " WHERE id = ?"),
		all:  prepared("SELECT id, data FROM " + name),
		put:  prepared("INSERT INTO " + name + " (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data"),
		del:  prepared("DELETE FROM " + name + " WHERE id = ?"),
	}
}

// The tables of records. A seat's license and device are columns too,
// so that a license's usage reads only its seats.
var (
	orgKeys  = orgEntity("org_keys")
	devices  = orgEntity("devices")
	groups   = orgEntity("groups")
	redeemed = orgEntity("redeemed")
	levels   = orgEntity("levels")
	// A lease's license is a column too: a checkout reads the leases
	// of its license as one range of the key, as a license's seats are
	// read.
	leases = licensedEntity("leases")
	seats  = licensedEntity("seats", "device")

	owners      = vendorEntity("owners")
	lives       = vendorEntity("lives")
	codes       = vendorEntity("codes")
	vouchers    = vendorEntity("vouchers")
	serials     = vendorEntity("serials")
	upgrades    = vendorEntity("upgrades")
	vendorOrgs  = vendorEntity("vendor_orgs")
	tokens      = vendorEntity("tokens")
	webhooks    = vendorEntity("webhooks")
	codeLics    = vendorEntity("code_licenses")
	activs      = vendorEntity("activations")
	devActivs   = vendorEntity("device_activations")
	trials      = vendorEntity("trial_starts")
	revocations = vendorEntity("revocations")
)

// key returns the arguments that name a record of e: org, if e is an
// organization's, then rest.
func (e *entity) key(org string, rest ...any) []any {
	if e.org {
		return append([]any{org}, rest...)
	}
	return rest
}

// source is a [portal.Source] that reads the records of one table of one
// organization (or of the vendor) in a transaction. An error is kept in
// the transaction, and fails the operation.
type source[V any] struct {
	t   *tx
	e   *entity
	org string
}

func (s source[V]) Load(id string) (V, bool) {
	var v V
	var data []byte
	ok, err := s.t.queryRow(s.e.get, s.e.key(s.org, id), &data)
	if err != nil {
		s.t.fail(fmt.Errorf("sqlite: read %s %q: %w", s.e.name, id, err))
		return v, false
	}
	if !ok {
		return v, false
	}
	if err := decodeRecord(s.t, s.e, s.org, id, data, &v); err != nil {
		s.t.fail(fmt.Errorf("%w: %s %q of %q: %w", license.ErrCorrupt, s.e.name, id, s.org, err))
		var zero V
		return zero, false
	}
	return v, true
}

func (s source[V]) LoadAll() map[string]V { return s.rows(s.e.all, s.e.key(s.org)) }

// rows returns the records query selects, as (id, data) rows.
func (s source[V]) rows(query string, args []any) map[string]V {
	out := map[string]V{}
	rows, err := s.t.query(query, args...)
	if err != nil {
		s.t.fail(fmt.Errorf("sqlite: read %s: %w", s.e.name, err))
		return out
	}
	defer rows.Close()
	var (
		id   string
		data sql.RawBytes // decoded before the next row: no copy
	)
	for rows.Next() {
		if err := rows.Scan(&id, &data); err != nil {
			s.t.fail(fmt.Errorf("sqlite: read %s: %w", s.e.name, err))
			return out
		}
		var v V
		if err := decodeRecord(s.t, s.e, s.org, id, data, &v); err != nil {
			s.t.fail(fmt.Errorf("%w: %s %q of %q: %w", license.ErrCorrupt, s.e.name, id, s.org, err))
			return out
		}
		out[id] = v
	}
	if err := rows.Err(); err != nil {
		s.t.fail(fmt.Errorf("sqlite: read %s: %w", s.e.name, err))
	}
	return out
}

// seatSource is the source of an organization's seats, which also reads
// one license's seats alone.
type seatSource struct{ source[portal.Seat] }

func (s seatSource) LoadLicense(license string) map[string]portal.Seat {
	return s.rows(s.e.byLicense, []any{s.org, license})
}

// leaseSource is the source of an organization's leases, which also
// reads one license's leases alone.
type leaseSource struct{ source[portal.Lease] }

func (s leaseSource) LoadLicense(license string) map[string]portal.Lease {
	return s.rows(s.e.byLicense, []any{s.org, license})
}

// put writes record v of e with that ID.
func put[V any](t *tx, e *entity, org, id string, v V) error {
	data, err := rowjson.Encode(v)
	if err != nil {
		return fmt.Errorf("sqlite: write %s %q: %w", e.name, id, err)
	}
	args := e.key(org, id, string(data))
	switch r := any(v).(type) {
	case portal.Seat:
		args = append(args, r.License, r.Device)
	case portal.Lease:
		args = append(args, r.License)
	}
	if _, err := t.exec(e.put, args...); err != nil {
		return fmt.Errorf("sqlite: write %s %q: %w", e.name, id, err)
	}
	return nil
}

// save writes back what an update changed in table tb, whose source was
// e's: each record it put, and the deletion of each it deleted. A record
// put back as it was read is not written: a placement run of a large
// group puts every seat it keeps.
func save[V any](t *tx, e *entity, org string, tb *portal.Table[V]) error {
	for _, id := range tb.Changed() {
		if v, ok := tb.Current(id); ok {
			if was, had, known := tb.Original(id); known && had && reflect.DeepEqual(was, v) {
				continue
			}
			if err := put(t, e, org, id, v); err != nil {
				return err
			}
		} else if _, err := t.exec(e.del, e.key(org, id)...); err != nil {
			return fmt.Errorf("sqlite: delete %s %q: %w", e.name, id, err)
		}
	}
	return nil
}

// insert writes every record of table tb, one that has no source.
func insert[V any](t *tx, e *entity, org string, tb *portal.Table[V]) error {
	for id, v := range tb.All() {
		if err := put(t, e, org, id, v); err != nil {
			return err
		}
	}
	return nil
}
