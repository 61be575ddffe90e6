package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// portalSQL is the SQL of the portal's tables (see migrations/0002).
type portalSQL struct {
	keys, devices, seats, groups, redeemed, levels, leases   rowTable
	owners, lives, codes, vouchers, serials, upgrades, vorgs rowTable
	tokens, webhooks, codeLicenses                           rowTable     // see migrations/0003
	activations, deviceActivations, trialStarts, revocations rowTable     // see migrations/0004
	counts                                                   seatCountSQL // see migrations/0007

	org, orgLock, insertOrg, updateOrg, orgExists  string
	vendor, vendorLock, vendorNoWait, updateVendor string
	newest, appendHistory, insertHistory, setHead  string
	page, pruneCut, pruneRows, pruneDelete         string
}

func newPortalSQL(schema string) portalSQL {
	tbl := func(name string) string { return pgx.Identifier{schema, name}.Sanitize() }
	orgs, vendor, history, heads := tbl("organizations"), tbl("vendor"), tbl("history"), tbl("history_heads")
	return portalSQL{
		keys: newRowTable(schema, "org_keys", true), devices: newRowTable(schema, "devices", true),
		seats: newRowTable(schema, "seats", true), groups: newRowTable(schema, "groups", true),
		redeemed: newRowTable(schema, "redeemed", true), levels: newRowTable(schema, "levels", true),
		owners: newRowTable(schema, "owners", false), lives: newRowTable(schema, "lives", false),
		codes: newRowTable(schema, "codes", false), vouchers: newRowTable(schema, "vouchers", false),
		serials: newRowTable(schema, "serials", false), upgrades: newRowTable(schema, "upgrades", false),
		vorgs: newRowTable(schema, "vendor_orgs", false), tokens: newRowTable(schema, "tokens", false),
		webhooks: newRowTable(schema, "webhooks", false), codeLicenses: newRowTable(schema, "code_licenses", false),
		leases: newRowTable(schema, "leases", true), activations: newRowTable(schema, "activations", false),
		deviceActivations: newRowTable(schema, "device_activations", false),
		trialStarts:       newRowTable(schema, "trial_starts", false), revocations: newRowTable(schema, "revocations", false),
		counts: newSeatCountSQL(schema),

		org:       "SELECT version, name, data FROM " + orgs + " WHERE id = $1",
		orgLock:   "SELECT version, name, data FROM " + orgs + " WHERE id = $1 FOR UPDATE",
		insertOrg: "INSERT INTO " + orgs + " (id, version, name, created, data) VALUES ($1, 1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
		updateOrg: "UPDATE " + orgs + " SET version = version + 1, name = $3, created = $4, data = $5 WHERE id = $1 AND version = $2",
		orgExists: "SELECT EXISTS (SELECT FROM " + orgs + " WHERE id = $1)",

		vendor:       "SELECT version, seq, customers, revocation_count FROM " + vendor + " WHERE id = 1",
		vendorLock:   "SELECT version, seq, customers, revocation_count FROM " + vendor + " WHERE id = 1 FOR UPDATE",
		vendorNoWait: "SELECT 1 FROM " + vendor + " WHERE id = 1 AND version = $1 FOR UPDATE NOWAIT",
		updateVendor: "UPDATE " + vendor + " SET version = version + 1, seq = $2, customers = $3, revocation_count = $4 WHERE id = 1 AND version = $1",

		newest: "SELECT seq, data FROM " + history + " WHERE org = $1 ORDER BY seq DESC LIMIT 1",
		// Entries appended by an update are numbered after the history's
		// head, whose row lock orders the appends of one history; the
		// head also keeps the numbers going after the entries are pruned.
		appendHistory: "WITH h AS (INSERT INTO " + heads + " AS h (org, seq) VALUES ($1, $2) " +
			"ON CONFLICT (org) DO UPDATE SET seq = h.seq + $2 RETURNING seq) " +
			"INSERT INTO " + history + " (org, seq, at, data) SELECT $1, h.seq - $2 + u.n, u.at, u.data::jsonb - 'seq' " +
			"FROM h, unnest($3::timestamptz[], $4::text[]) WITH ORDINALITY AS u(at, data, n)",
		insertHistory: "INSERT INTO " + history + " (org, seq, at, data) SELECT $1, u.seq, u.at, u.data::jsonb - 'seq' " +
			"FROM unnest($2::bigint[], $3::timestamptz[], $4::text[]) AS u(seq, at, data)",
		setHead: "INSERT INTO " + heads + " (org, seq) VALUES ($1, $2)",

		page:        "SELECT seq, data FROM " + history + " WHERE org = $1 AND ($2 = 0 OR seq < $2) ORDER BY seq DESC LIMIT $3",
		pruneCut:    "SELECT seq FROM " + history + " WHERE org = $1 AND at >= $2 ORDER BY seq LIMIT 1",
		pruneRows:   "SELECT seq, data FROM " + history + " WHERE org = $1 AND seq < $2 ORDER BY seq FOR UPDATE",
		pruneDelete: "DELETE FROM " + history + " WHERE org = $1 AND seq BETWEEN $2 AND $3",
	}
}

// orgData is the data column of an organization's row: what the portal
// changes whole, and the exact instant of its creation.
type orgData struct {
	Created       time.Time                      `json:"created"`
	Wallet        map[string]int                 `json:"wallet"`
	Subscriptions map[string]portal.Subscription `json:"subscriptions"`
	Delegations   map[string]portal.Delegation   `json:"delegations"`
}

func (d *orgData) makeMaps() {
	if d.Wallet == nil {
		d.Wallet = map[string]int{}
	}
	if d.Subscriptions == nil {
		d.Subscriptions = map[string]portal.Subscription{}
	}
	if d.Delegations == nil {
		d.Delegations = map[string]portal.Delegation{}
	}
}

func dataOf(o *portal.Organization) ([]byte, error) {
	return json.Marshal(orgData{Created: o.Created, Wallet: o.Wallet, Subscriptions: o.Subscriptions, Delegations: o.Delegations})
}

// CreateOrganization saves a new organization and every record it holds,
// in one transaction. It returns portal.ErrOrgExists if one with that ID
// exists, and an error matching license.ErrInvalidInput if o is nil or
// its ID is not valid (see [Store]).
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
	err := s.inTx(ctx, "BEGIN", func(conn *pgxpool.Conn) error {
		data, err := dataOf(o)
		if err != nil {
			return err
		}
		tag, err := conn.Exec(ctx, s.sql.portal.insertOrg, o.ID, o.Name, o.Created, data)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return portal.ErrOrgExists
		}
		b := new(pgx.Batch)
		q := &s.sql.portal
		if err := q.queueOrg(b, nil, o); err != nil {
			return err
		}
		if len(o.History) > 0 {
			seqs, ats, datas, err := entries(o.History)
			if err != nil {
				return err
			}
			b.Queue(q.insertHistory, o.ID, seqs, ats, datas)
			b.Queue(q.setHead, o.ID, o.History[len(o.History)-1].Seq)
		}
		return conn.SendBatch(ctx, b).Close()
	})
	if err != nil && !errors.Is(err, portal.ErrOrgExists) {
		return fmt.Errorf("postgres: create organization %q: %w", o.ID, err)
	}
	return err
}

// queueOrg queues, on b, the writes of organization o's records: those
// update t changed, or, for a new organization (t nil), every one.
func (q *portalSQL) queueOrg(b *pgx.Batch, t *txn, o *portal.Organization) error {
	scope := []any{o.ID}
	err := errors.Join(
		changes(b, t, &q.keys, scope, &o.Keys), changes(b, t, &q.devices, scope, &o.Devices),
		changes(b, t, &q.seats, scope, &o.Seats.Table), changes(b, t, &q.groups, scope, &o.Groups),
		changes(b, t, &q.redeemed, scope, &o.Redeemed), changes(b, t, &q.levels, scope, &o.Levels),
		changes(b, t, &q.leases, scope, &o.Leases.Table),
	)
	if err == nil { // after the seats: a count again reads them
		q.counts.queueCounts(b, o.ID, &o.Seats)
	}
	return err
}

// inTx runs fn in a transaction that begin starts, on a connection of its
// own, and commits it if fn succeeds.
func (s *Store) inTx(ctx context.Context, begin string, fn func(*pgxpool.Conn) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	defer rollback(conn) // unless committed
	if _, err := conn.Exec(ctx, begin); err != nil {
		return err
	}
	if err := fn(conn); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "COMMIT")
	return err
}

// entries returns the columns of history entries: their numbers, instants
// and JSON encodings.
func entries(h []portal.HistoryEntry) (seqs []int64, ats []time.Time, datas []string, err error) {
	for _, e := range h {
		d, err := json.Marshal(e)
		if err != nil {
			return nil, nil, nil, err
		}
		seqs, ats, datas = append(seqs, e.Seq), append(ats, e.At), append(datas, string(d))
	}
	return seqs, ats, datas, nil
}

// UpdateOrganization runs fn on the organization with that ID and saves
// what it changes, in one transaction.
//
// fn gets the organization's own fields, its small maps (wallet,
// subscriptions, delegations) and, in History, its newest history entry
// only (see [portal.HistoryStore]); its tables read their records from the
// database as fn asks for them, each locked (SELECT … FOR UPDATE) until
// the transaction ends. So an update locks the records it reads: a seat's
// assignment locks its license's key and seats, and updates of other
// licenses, devices or groups of the organization run in parallel. The
// organization's row is not locked: if fn changed its name or small maps,
// it is written only if no other update wrote it since it was read, and
// otherwise the transaction runs again, with the row locked from the
// start. What fn changed is then written, record by record, with the
// history entries it appended, numbered after the newest.
//
// If fn returns an error or panics, nothing is saved, and the error is
// returned as is, or the panic raised again, once the transaction has
// ended. fn runs again if the database aborts the transaction to resolve
// a conflict (a deadlock between row locks, or a write of the
// organization's row since it was read), so it must act on the
// organization only; it must not keep the organization once it returns,
// nor update the same organization itself.
//
// It returns license.ErrNotFound if there is no such organization, an
// error matching license.ErrCorrupt if a row fn reads does not decode,
// and an error matching license.ErrInvalidInput for an invalid ID (see
// [Store]), a nil fn, or a fn that changes the organization's ID.
func (s *Store) UpdateOrganization(ctx context.Context, id string, fn func(*portal.Organization) error) error {
	if err := checkDocArgs(ctx, id, fn == nil); err != nil {
		return err
	}
	return s.retry(ctx, func(locked bool) error { return s.updateOrg(ctx, id, fn, locked) })
}

// ViewOrganization runs fn on the organization with that ID, as last
// committed, in a read-only transaction: fn's reads see one snapshot. fn
// must not change it, nor keep it. It returns license.ErrNotFound if
// there is none, and the errors of [Store.UpdateOrganization] otherwise.
func (s *Store) ViewOrganization(ctx context.Context, id string, fn func(*portal.Organization) error) error {
	if err := checkDocArgs(ctx, id, fn == nil); err != nil {
		return err
	}
	return s.runOrg(ctx, id, fn, false, false, portal.ReadAhead{})
}

// UpdateOrganizationAhead is [Store.UpdateOrganization], told which
// records fn is about to read: the keys of ahead.Keys, each with its
// license's usage level, seat count and, when it has few, its seats, and
// the devices of ahead.Devices are read, and locked, in the round trip
// that begins the transaction and reads the organization, rather than one
// round trip each as fn asks for them. They are locked, in the order
// fn's reads would lock them, before fn checks what the actor may do:
// an update refused for want of access has held them for one round trip.
// IDs that [Store.UpdateOrganization] would refuse are not read ahead.
func (s *Store) UpdateOrganizationAhead(ctx context.Context, id string, ahead portal.ReadAhead, fn func(*portal.Organization) error) error {
	if err := checkDocArgs(ctx, id, fn == nil); err != nil {
		return err
	}
	return s.retry(ctx, func(locked bool) error { return s.runOrg(ctx, id, fn, true, locked, ahead) })
}

func (s *Store) updateOrg(ctx context.Context, id string, fn func(*portal.Organization) error, locked bool) error {
	return s.runOrg(ctx, id, fn, true, locked, portal.ReadAhead{})
}

// beginUpdate and beginView start the transaction of an update and of a
// view.
const (
	beginUpdate = "BEGIN ISOLATION LEVEL READ COMMITTED"
	beginView   = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
)

// runOrg runs fn on an organization once: in an update if write, with
// the organization's row locked from the start if locked; in a view
// otherwise. The records of ahead are read with the organization.
func (s *Store) runOrg(ctx context.Context, id string, fn func(*portal.Organization) error, write, locked bool, ahead portal.ReadAhead) error {
	q := &s.sql.portal
	t, done, err := s.begin(ctx, fmt.Sprintf("organization %q", id), write)
	if err != nil {
		return err
	}
	defer done()

	// Two round trips, with the commit's: BEGIN goes with the reads of
	// the organization's row, of its newest history entry and of the
	// records read ahead, the writes with the COMMIT.
	var (
		version int64
		name    string
		raw     []byte
		found   bool
		newest  []portal.HistoryEntry
	)
	b := new(pgx.Batch)
	b.Queue(t.beginSQL())
	read := q.org
	if locked {
		read = q.orgLock
	}
	b.Queue(read, id).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&version, &name, &raw)
		found = err == nil
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	queueNewest(b, q.newest, id, &newest)
	scope := []any{id}
	keys := keySource{source[portal.OrgKey]{t, &q.keys, scope}, &q.levels, &q.seats, &q.counts}
	devices := source[portal.Device]{t, &q.devices, scope}
	readAhead := t.queueAhead(b, keys, devices, ahead)
	if err := t.conn.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("postgres: read %s: %w", t.what, err)
	}
	if !found {
		return license.ErrNotFound
	}
	readAhead()
	var d orgData
	if err := json.Unmarshal(raw, &d); err != nil {
		return fmt.Errorf("%w: %s: its row does not decode: %w", license.ErrCorrupt, t.what, err)
	}
	d.makeMaps()
	o := &portal.Organization{ID: id, Name: name, Created: d.Created,
		Wallet: d.Wallet, Subscriptions: d.Subscriptions, Delegations: d.Delegations, History: newest}
	o.Keys.SetSource(keys)
	o.Devices.SetSource(devices)
	o.Seats.SetSource(seatSource{source[portal.Seat]{t, &q.seats, scope}, &q.counts})
	o.Groups.SetSource(source[portal.Group]{t, &q.groups, scope})
	o.Redeemed.SetSource(source[portal.WalletRedemption]{t, &q.redeemed, scope})
	o.Levels.SetSource(levelSource{source[string]{t, &q.levels, scope}})
	o.Leases.SetSource(leaseSource{source[portal.Lease]{t, &q.leases, scope}})
	before, err := dataOf(o)
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", t.what, err)
	}

	err = fn(o)
	if t.err != nil {
		return t.err // whatever fn made of the failed read
	}
	if err != nil || !write {
		return err
	}
	if o.ID != id {
		return fmt.Errorf("%w: an update cannot change organization %q's ID to %q", license.ErrInvalidInput, id, o.ID)
	}

	after, err := dataOf(o)
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", t.what, err)
	}
	if o.Name != name || !bytes.Equal(before, after) {
		// A round trip of its own, so that the writes that follow are
		// never committed if it fails.
		tag, err := t.conn.Exec(ctx, q.updateOrg, id, version, o.Name, o.Created, after)
		if err != nil {
			return fmt.Errorf("postgres: update %s: %w", t.what, err)
		}
		if tag.RowsAffected() == 0 {
			return errConflict
		}
	}
	b = new(pgx.Batch)
	if err := q.queueOrg(b, t, o); err != nil {
		return err
	}
	if err := queueAppend(b, q.appendHistory, id, newest, o.History); err != nil {
		return err
	}
	return t.commit(b)
}

// queueAhead queues, on b, the reads of the keys and devices of ahead
// whose IDs are valid, in the order an update reads them, keys first;
// once b is sent, read keeps them in t for the sources.
func (t *txn) queueAhead(b *pgx.Batch, keys keySource, devices source[portal.Device], ahead portal.ReadAhead) (read func()) {
	var reads []func()
	for _, id := range ahead.Keys {
		if checkID(id) != nil {
			continue
		}
		key := keys.queue(b, id)
		reads = append(reads, func() { t.keepAhead(keys.tb, id, key()) })
	}
	for _, fp := range ahead.Devices {
		if checkID(fp) != nil {
			continue
		}
		var p prefetched
		t.queueGet(b, devices.tb, devices.scope, fp, &p)
		reads = append(reads, func() { t.keepAhead(devices.tb, fp, p) })
	}
	return func() {
		for _, read := range reads {
			read()
		}
	}
}

// keepAhead keeps p, the row with that ID of table tb, read ahead.
func (t *txn) keepAhead(tb *rowTable, id string, p prefetched) {
	if t.ahead == nil {
		t.ahead = map[*rowTable]map[string]prefetched{}
	}
	if t.ahead[tb] == nil {
		t.ahead[tb] = map[string]prefetched{}
	}
	t.ahead[tb][id] = p
}

// begin acquires a connection for a transaction of an update (write) or a
// view, whose BEGIN the caller sends; done ends the transaction, unless
// committed, and releases the connection.
func (s *Store) begin(ctx context.Context, what string, write bool) (*txn, func(), error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: %s: %w", what, err)
	}
	t := &txn{ctx: ctx, conn: conn, lock: write, what: what}
	return t, func() {
		rollback(conn)
		conn.Release()
	}, nil
}

func (t *txn) beginSQL() string {
	if t.lock {
		return beginUpdate
	}
	return beginView
}

// commit sends b, the writes of an update, with the COMMIT.
func (t *txn) commit(b *pgx.Batch) error {
	b.Queue("COMMIT")
	if err := t.conn.SendBatch(t.ctx, b).Close(); err != nil {
		return fmt.Errorf("postgres: update %s: %w", t.what, err)
	}
	return nil
}

// queueNewest queues the read of the newest entry of history org into
// *h.
func queueNewest(b *pgx.Batch, sql, org string, h *[]portal.HistoryEntry) {
	b.Queue(sql, org).QueryRow(func(row pgx.Row) error {
		var (
			seq  int64
			data []byte
		)
		err := row.Scan(&seq, &data)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		e, err := entry(seq, data)
		if err != nil {
			return err
		}
		*h = []portal.HistoryEntry{e}
		return nil
	})
}

// entry decodes a history entry's row.
func entry(seq int64, data []byte) (portal.HistoryEntry, error) {
	var e portal.HistoryEntry
	if err := json.Unmarshal(data, &e); err != nil {
		return e, fmt.Errorf("%w: history entry #%d does not decode: %w", license.ErrCorrupt, seq, err)
	}
	e.Seq = seq
	return e, nil
}

// queueAppend queues the insertion of the entries an update appended to
// history org, which held newest when it started.
func queueAppend(b *pgx.Batch, sql, org string, newest, h []portal.HistoryEntry) error {
	if len(h) <= len(newest) {
		return nil
	}
	added := h[len(newest):]
	_, ats, datas, err := entries(added)
	if err != nil {
		return fmt.Errorf("postgres: encode history: %w", err)
	}
	b.Queue(sql, org, int64(len(added)), ats, datas)
	return nil
}

// UpdateVendor runs fn on the vendor's data and saves what it changes,
// as [Store.UpdateOrganization] does an organization's: its codes,
// vouchers, serial numbers, upgrades, license owners and lives,
// organization list, tokens, webhooks, code licenses, activations and
// revocations are read, and
// locked, record by record as fn asks for them, and its own row (the last number handed out, the index of
// customers) is written only if no other update wrote it since. It
// returns fn's error, as is, if fn fails.
func (s *Store) UpdateVendor(ctx context.Context, fn func(*portal.Vendor) error) error {
	if err := checkDocArgs(ctx, "vendor", fn == nil); err != nil {
		return err
	}
	return s.retry(ctx, func(locked bool) error { return s.runVendor(ctx, fn, true, locked) })
}

// ViewVendor runs fn on the vendor's data, as last committed, in a
// read-only transaction. fn must not change it, nor keep it.
func (s *Store) ViewVendor(ctx context.Context, fn func(*portal.Vendor) error) error {
	if err := checkDocArgs(ctx, "vendor", fn == nil); err != nil {
		return err
	}
	return s.runVendor(ctx, fn, false, false)
}

func (s *Store) runVendor(ctx context.Context, fn func(*portal.Vendor) error, write, locked bool) error {
	q := &s.sql.portal
	t, done, err := s.begin(ctx, "vendor", write)
	if err != nil {
		return err
	}
	defer done()
	var (
		version int64
		seq     int64
		revoked int64
		raw     []byte
		newest  []portal.HistoryEntry
	)
	b := new(pgx.Batch)
	b.Queue(t.beginSQL())
	read := q.vendor
	if locked {
		read = q.vendorLock
	}
	b.Queue(read).QueryRow(func(row pgx.Row) error { return row.Scan(&version, &seq, &raw, &revoked) })
	queueNewest(b, q.newest, "", &newest)
	if err := t.conn.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("postgres: read the vendor's data: %w", err)
	}
	var customers map[string][]string
	if err := json.Unmarshal(raw, &customers); err != nil {
		return fmt.Errorf("%w: the vendor's customers do not decode: %w", license.ErrCorrupt, err)
	}
	if customers == nil {
		customers = map[string][]string{}
	}
	v := &portal.Vendor{Seq: seq, RevocationCount: uint64(revoked), Customers: customers, History: newest}
	v.Owners.SetSource(source[string]{t, &q.owners, nil})
	v.Lives.SetSource(source[portal.LicenseLife]{t, &q.lives, nil})
	v.Codes.SetSource(source[portal.ActivationCode]{t, &q.codes, nil})
	v.Vouchers.SetSource(source[portal.Voucher]{t, &q.vouchers, nil})
	v.Serials.SetSource(source[portal.Serial]{t, &q.serials, nil})
	v.Upgrades.SetSource(source[portal.UpgradeNotice]{t, &q.upgrades, nil})
	v.Organizations.SetSource(source[portal.OrgSummary]{t, &q.vorgs, nil})
	v.Tokens.SetSource(source[portal.Token]{t, &q.tokens, nil})
	v.Webhooks.SetSource(source[portal.Webhook]{t, &q.webhooks, nil})
	v.CodeLicenses.SetSource(source[portal.CodeLicense]{t, &q.codeLicenses, nil})
	v.Activations.SetSource(source[portal.Activation]{t, &q.activations, nil})
	v.DeviceActivations.SetSource(source[portal.ActivationRef]{t, &q.deviceActivations, nil})
	v.TrialStarts.SetSource(source[portal.ActivationRef]{t, &q.trialStarts, nil})
	v.Revocations.SetSource(source[portal.Revocation]{t, &q.revocations, nil})

	err = fn(v)
	if t.err != nil {
		return t.err
	}
	if err != nil || !write {
		return err
	}
	after, err := json.Marshal(v.Customers)
	if err != nil {
		return fmt.Errorf("postgres: encode the vendor's customers: %w", err)
	}
	if v.Seq != seq || v.RevocationCount != uint64(revoked) || !jsonEqual(raw, after) {
		if !locked {
			// Read without its lock, the vendor's row may be held by an
			// update that read it locked and now waits for a row this
			// one holds, such as a code's: waiting for it would be a
			// deadlock. Give way at once, and run again locked.
			if _, err := t.conn.Exec(ctx, q.vendorNoWait, version); err != nil {
				var pe *pgconn.PgError
				if errors.As(err, &pe) && pe.Code == "55P03" { // lock_not_available
					return errConflict
				}
				return fmt.Errorf("postgres: lock the vendor's data: %w", err)
			}
		}
		tag, err := t.conn.Exec(ctx, q.updateVendor, version, v.Seq, after, int64(v.RevocationCount))
		if err != nil {
			return fmt.Errorf("postgres: update the vendor's data: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return errConflict
		}
	}
	b = new(pgx.Batch)
	if err := errors.Join(
		changes(b, t, &q.owners, nil, &v.Owners), changes(b, t, &q.lives, nil, &v.Lives),
		changes(b, t, &q.codes, nil, &v.Codes), changes(b, t, &q.vouchers, nil, &v.Vouchers),
		changes(b, t, &q.serials, nil, &v.Serials), changes(b, t, &q.upgrades, nil, &v.Upgrades),
		changes(b, t, &q.vorgs, nil, &v.Organizations),
		changes(b, t, &q.tokens, nil, &v.Tokens), changes(b, t, &q.webhooks, nil, &v.Webhooks),
		changes(b, t, &q.codeLicenses, nil, &v.CodeLicenses),
		changes(b, t, &q.activations, nil, &v.Activations), changes(b, t, &q.deviceActivations, nil, &v.DeviceActivations),
		changes(b, t, &q.trialStarts, nil, &v.TrialStarts), changes(b, t, &q.revocations, nil, &v.Revocations),
	); err != nil {
		return err
	}
	if err := queueAppend(b, q.appendHistory, "", newest, v.History); err != nil {
		return err
	}
	return t.commit(b)
}

// jsonEqual reports whether two JSON encodings hold the same value: a
// jsonb column gives its own spacing and key order back.
func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

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

// maxAttempts is how many times an update runs a transaction that the
// database aborts to resolve a conflict.
const maxAttempts = 10

// errConflict: another update wrote the organization's or the vendor's
// row since this one read it.
var errConflict = errors.New("postgres: concurrent update")

// retry runs once, again when the database aborts it to resolve a
// conflict, with the row of the organization or vendor locked from the
// start, so that the next attempt meets no write of it.
func (s *Store) retry(ctx context.Context, once func(locked bool) error) error {
	err := once(false)
	for attempt := 2; err != nil && attempt <= maxAttempts && retryable(err); attempt++ {
		// Back off a little, at random, so that the transactions that
		// collided do not collide again.
		t := time.NewTimer(time.Duration(rand.Int64N(int64(attempt) * int64(time.Millisecond))))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		err = once(true)
	}
	return err
}

// rollback ends the transaction conn is in, if any. Should that fail,
// the pool closes conn when it is released, which ends it too.
func rollback(conn *pgxpool.Conn) {
	if conn.Conn().PgConn().TxStatus() == 'I' || conn.Conn().IsClosed() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = conn.Exec(ctx, "ROLLBACK")
}

// retryable reports whether err is the database aborting a transaction to
// resolve a conflict, which running it again may not meet.
func retryable(err error) bool {
	if errors.Is(err, errConflict) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return true
		}
	}
	return false
}
