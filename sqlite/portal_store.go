package sqlite

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// orgMaps are the small maps of an organization, kept as one JSON value
// on its row.
type orgMaps struct {
	Wallet        map[string]int                 `json:"wallet"`
	Subscriptions map[string]portal.Subscription `json:"subscriptions"`
	Delegations   map[string]portal.Delegation   `json:"delegations"`
}

// orgRow is an organization's row as an update read it.
type orgRow struct {
	name, created string
	maps          []byte
	historySeq    int64
	history       given
}

var (
	sqlCreateOrg = prepared("INSERT INTO organizations (id, version, name, created, data) VALUES (?, 1, ?, ?, ?) ON CONFLICT (id) DO NOTHING")
	sqlReadOrg   = prepared("SELECT name, created, data, history_seq FROM organizations WHERE id = ?")
	sqlUpdateOrg = prepared("UPDATE organizations SET version = version + 1, name = ?, created = ?, data = ? WHERE id = ?")
	sqlOrgExists = prepared("SELECT 1 FROM organizations WHERE id = ?")
)

// CreateOrganization saves a new organization, every record of it, and
// its history. It returns portal.ErrOrgExists if one with that ID exists,
// and an error matching license.ErrInvalidInput if o is nil or its ID is
// not valid (see [Store]).
func (s *Store) CreateOrganization(ctx context.Context, o *portal.Organization) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if o == nil {
		return fmt.Errorf("%w: nil organization", license.ErrInvalidInput)
	}
	if err := checkID(o.ID); err != nil {
		return err
	}
	maps, err := json.Marshal(orgMaps{o.Wallet, o.Subscriptions, o.Delegations})
	if err != nil {
		return fmt.Errorf("sqlite: create organization %q: %w", o.ID, err)
	}
	return s.write(ctx, func(t *tx) error {
		res, err := t.exec(sqlCreateOrg, o.ID, o.Name, formatTime(o.Created), string(maps))
		if err != nil {
			return fmt.Errorf("sqlite: create organization %q: %w", o.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return portal.ErrOrgExists
		}
		if err := writeOrgTables(t, o, true); err != nil {
			return err
		}
		_, err = appendHistory(t, o.ID, 0, o.History)
		return err
	})
}

// UpdateOrganization runs fn on the organization with that ID and saves
// what it changed, in one write transaction: fn reads the records it asks
// for from the file, in that transaction, and the store writes back only
// those it put or deleted, the organization's row if its own fields or
// small maps changed, and the history entries fn appended. fn's History
// holds only the newest entry (see [portal.HistoryStore]).
//
// The transaction holds the file's write lock from its start, so that
// the updates of every organization, from all processes, run one after
// the other, each on the state the one before it left. If fn returns an
// error or panics, nothing is saved, and the error is returned, or the
// panic raised again. fn may run again if the file stays busy longer than
// [BusyTimeout]; it must act on the organization only, and must not call
// the store to update anything.
//
// It returns license.ErrNotFound if there is no such organization, an
// error matching license.ErrCorrupt if a record it reads does not decode,
// and an error matching license.ErrInvalidInput for an invalid ID (see
// [Store]), a nil fn, or a fn that changes the organization's ID.
func (s *Store) UpdateOrganization(ctx context.Context, id string, fn func(*portal.Organization) error) error {
	if err := checkDocArgs(ctx, id, fn == nil); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		o, row, err := openOrg(t, id)
		if err != nil {
			return err
		}
		err = fn(o)
		if t.err != nil {
			return t.err // fn decided on records that failed to load
		}
		if err != nil {
			return err
		}
		if o.ID != id {
			return fmt.Errorf("%w: an update cannot change organization %q's ID to %q", license.ErrInvalidInput, id, o.ID)
		}
		return saveOrg(t, o, row)
	})
}

// ViewOrganization runs fn on the organization with that ID, as last
// committed, in a read transaction that runs beside the writers. fn must
// not change it, nor keep it. It returns the errors of
// [Store.UpdateOrganization].
func (s *Store) ViewOrganization(ctx context.Context, id string, fn func(*portal.Organization) error) error {
	if err := checkDocArgs(ctx, id, fn == nil); err != nil {
		return err
	}
	return s.read(ctx, func(t *tx) error {
		o, _, err := openOrg(t, id)
		if err != nil {
			return err
		}
		err = fn(o)
		if t.err != nil {
			return t.err
		}
		return err
	})
}

// openOrg reads the row of organization id, and returns the organization
// with its tables reading from t.
func openOrg(t *tx, id string) (*portal.Organization, *orgRow, error) {
	row := new(orgRow)
	ok, err := t.queryRow(sqlReadOrg, []any{id}, &row.name, &row.created, &row.maps, &row.historySeq)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: read organization %q: %w", id, err)
	}
	if !ok {
		return nil, nil, license.ErrNotFound
	}
	created, err := time.Parse(time.RFC3339Nano, row.created)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: organization %q: created: %w", license.ErrCorrupt, id, err)
	}
	var m orgMaps
	if err := json.Unmarshal(row.maps, &m); err != nil {
		return nil, nil, fmt.Errorf("%w: organization %q: %w", license.ErrCorrupt, id, err)
	}
	o := &portal.Organization{
		ID: id, Name: row.name, Created: created,
		Wallet: m.Wallet, Subscriptions: m.Subscriptions, Delegations: m.Delegations,
	}
	// The portal adds to the maps without checking them.
	if o.Wallet == nil {
		o.Wallet = map[string]int{}
	}
	if o.Subscriptions == nil {
		o.Subscriptions = map[string]portal.Subscription{}
	}
	if o.Delegations == nil {
		o.Delegations = map[string]portal.Delegation{}
	}
	o.Keys.SetSource(source[portal.OrgKey]{t, orgKeys, id})
	o.Devices.SetSource(source[portal.Device]{t, devices, id})
	o.Seats.SetSource(seatSource{source[portal.Seat]{t, seats, id}})
	o.Groups.SetSource(source[portal.Group]{t, groups, id})
	o.Redeemed.SetSource(source[portal.WalletRedemption]{t, redeemed, id})
	o.Levels.SetSource(source[string]{t, levels, id})
	o.Leases.SetSource(leaseSource{source[portal.Lease]{t, leases, id}})
	if o.History, row.history, err = newestEntry(t, id); err != nil {
		return nil, nil, err
	}
	return o, row, nil
}

// saveOrg writes back what an update changed in o, read as row.
func saveOrg(t *tx, o *portal.Organization, row *orgRow) error {
	maps, err := json.Marshal(orgMaps{o.Wallet, o.Subscriptions, o.Delegations})
	if err != nil {
		return fmt.Errorf("sqlite: save organization %q: %w", o.ID, err)
	}
	if created := formatTime(o.Created); o.Name != row.name || created != row.created || !bytes.Equal(maps, row.maps) {
		if _, err := t.exec(sqlUpdateOrg, o.Name, created, string(maps), o.ID); err != nil {
			return fmt.Errorf("sqlite: save organization %q: %w", o.ID, err)
		}
	}
	if err := writeOrgTables(t, o, false); err != nil {
		return err
	}
	return appendNew(t, o.ID, row.history, row.historySeq, o.History)
}

// writeOrgTables writes an organization's record tables and its seat
// counts: every record of a new organization (fresh), or what an update
// changed. One list serves both, so that a table added to the one is not
// forgotten by the other.
func writeOrgTables(t *tx, o *portal.Organization, fresh bool) error {
	for _, err := range []error{
		writeTable(t, orgKeys, o.ID, &o.Keys, fresh),
		writeTable(t, devices, o.ID, &o.Devices, fresh),
		writeTable(t, seats, o.ID, &o.Seats.Table, fresh),
		saveCounts(t, o.ID, &o.Seats),
		writeTable(t, groups, o.ID, &o.Groups, fresh),
		writeTable(t, redeemed, o.ID, &o.Redeemed, fresh),
		writeTable(t, levels, o.ID, &o.Levels, fresh),
		writeTable(t, leases, o.ID, &o.Leases.Table, fresh),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// writeTable inserts every record of tb (fresh) or saves what changed.
func writeTable[V any](t *tx, e *entity, org string, tb *portal.Table[V], fresh bool) error {
	if fresh {
		return insert(t, e, org, tb)
	}
	return save(t, e, org, tb)
}

// formatTime writes an instant as the organization's row keeps it.
func formatTime(at time.Time) string { return at.Format(time.RFC3339Nano) }

// checkDocArgs checks what every portal method receives: a live context,
// an ID and a function.
func checkDocArgs(ctx context.Context, id string, noFn bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkID(id); err != nil {
		return err
	}
	if noFn {
		return fmt.Errorf("%w: nil function", license.ErrInvalidInput)
	}
	return nil
}
