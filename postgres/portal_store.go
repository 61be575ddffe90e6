package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// CreateOrganization saves a new organization. It returns
// portal.ErrOrgExists if one with that ID exists, and an error matching
// license.ErrInvalidInput if o is nil or its ID is not valid (see
// [Store]).
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
	data, sum, err := encode(o)
	if err != nil {
		return fmt.Errorf("postgres: create organization %q: %w", o.ID, err)
	}
	tag, err := s.pool.Exec(ctx, s.sql.createOrg, o.ID, data, sum)
	if err != nil {
		return fmt.Errorf("postgres: create organization %q: %w", o.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return portal.ErrOrgExists
	}
	return nil
}

// UpdateOrganization runs fn on the organization with that ID and saves
// what it leaves, atomically: in a transaction that holds the
// organization's row lock from the read to the commit, so that the
// updates of one organization, from all processes, run one after the
// other, each on the state the one before it left. The updates of one
// organization that a Store receives at the same time share a
// transaction, and are committed together: each still runs on the state
// the one before it left, and is saved whole or not at all.
//
// If fn returns an error or panics, its changes are discarded, and the
// error is returned as is, or the panic raised again, once the
// transaction has ended. fn runs again if the database aborts the
// transaction to resolve a conflict, so it must act on the organization
// only; it must not keep the organization once it returns, nor update
// the same organization itself.
//
// It returns license.ErrNotFound if there is no such organization, an
// error matching license.ErrCorrupt if its document fails its checksum or
// does not decode, and an error matching license.ErrInvalidInput for an
// invalid ID (see [Store]), a nil fn, or a fn that changes the
// organization's ID.
func (s *Store) UpdateOrganization(ctx context.Context, id string, fn func(*portal.Organization) error) error {
	if err := checkDocArgs(ctx, id, fn == nil); err != nil {
		return err
	}
	return update(ctx, s, s.orgDoc(id), fn)
}

// ViewOrganization runs fn on the organization with that ID, as last
// committed. fn must not change it, nor keep it. It returns
// license.ErrNotFound if there is none, and the errors of
// [Store.UpdateOrganization] otherwise.
func (s *Store) ViewOrganization(ctx context.Context, id string, fn func(*portal.Organization) error) error {
	if err := checkDocArgs(ctx, id, fn == nil); err != nil {
		return err
	}
	return view(ctx, s, s.orgDoc(id), fn)
}

// UpdateVendor runs fn on the vendor's document and saves what it
// leaves, atomically, as [Store.UpdateOrganization] does an
// organization. A database with no vendor document yet gives fn an empty
// one, with its maps made. It returns an error matching
// license.ErrCorrupt if the stored document fails its checksum or does
// not decode, and fn's error, as is, if fn fails.
func (s *Store) UpdateVendor(ctx context.Context, fn func(*portal.Vendor) error) error {
	if err := checkDocArgs(ctx, "vendor", fn == nil); err != nil {
		return err
	}
	return update(ctx, s, s.vendorDoc(), fn)
}

// ViewVendor runs fn on the vendor's document, as last committed, or on
// an empty one if there is none yet. fn must not change it, nor keep it.
func (s *Store) ViewVendor(ctx context.Context, fn func(*portal.Vendor) error) error {
	if err := checkDocArgs(ctx, "vendor", fn == nil); err != nil {
		return err
	}
	return view(ctx, s, s.vendorDoc(), fn)
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

// document describes where a document of type T is kept and how it is
// read: the statements that lock it, read it, insert it and update it, the
// arguments naming its row, which come last, and what stands for a
// missing row.
type document[T any] struct {
	what                       string // for errors
	cacheKey                   string
	key                        []any
	lock, view, insert, update string
	// missing returns the document a missing row stands for, or an
	// error: license.ErrNotFound.
	missing func() (*T, error)
	// loaded completes a document decoded from its row, or reports that
	// it is not the row's; saving checks a document before it is saved.
	// Either may be nil.
	loaded, saving func(*T) error
	// clone returns a copy of a document that shares nothing fn changes.
	clone func(*T) *T
}

func (s *Store) orgDoc(id string) document[portal.Organization] {
	return document[portal.Organization]{
		what:     fmt.Sprintf("organization %q", id),
		cacheKey: orgKey(id),
		key:      []any{id},
		lock:     s.sql.lockOrg, view: s.sql.viewOrg, update: s.sql.updateOrg,
		missing: func() (*portal.Organization, error) { return nil, license.ErrNotFound },
		loaded: func(o *portal.Organization) error {
			if o.ID != id {
				return fmt.Errorf("%w: organization %q: the document's ID is %q", license.ErrCorrupt, id, o.ID)
			}
			return nil
		},
		saving: func(o *portal.Organization) error {
			if o.ID != id {
				return fmt.Errorf("%w: an update cannot change organization %q's ID to %q", license.ErrInvalidInput, id, o.ID)
			}
			return nil
		},
		clone: (*portal.Organization).Clone,
	}
}

func orgKey(id string) string { return "org/" + id }

func (s *Store) vendorDoc() document[portal.Vendor] {
	return document[portal.Vendor]{
		what:     "vendor document",
		cacheKey: "vendor",
		lock:     s.sql.lockVendor, view: s.sql.viewVendor, insert: s.sql.insertVendor, update: s.sql.updateVendor,
		missing: func() (*portal.Vendor, error) {
			v := new(portal.Vendor)
			makeMaps(v)
			return v, nil
		},
		loaded: func(v *portal.Vendor) error {
			makeMaps(v)
			return nil
		},
		clone: (*portal.Vendor).Clone,
	}
}

// makeMaps makes each nil map field of the struct v points to, so that a
// vendor document decoded from a row, or standing for a missing one, can
// be written to: the portal adds to its maps without checking them.
func makeMaps(v any) {
	rv := reflect.ValueOf(v).Elem()
	for i := range rv.NumField() {
		if f := rv.Field(i); f.Kind() == reflect.Map && f.IsNil() && f.CanSet() {
			f.Set(reflect.MakeMap(f.Type()))
		}
	}
}

// maxAttempts is how many times update runs a transaction that the
// database aborts to resolve a conflict (a deadlock, a serialization
// failure, or two first writes of the vendor's document).
const maxAttempts = 10

// errRace: two transactions both found a document missing, and the other
// one created it first.
var errRace = errors.New("postgres: concurrent creation")

// update runs fn on the document d in a read-modify-write transaction,
// which it may share with other updates of d (see combiner), and again
// when the database aborts it to resolve a conflict.
func update[T any](ctx context.Context, s *Store, d document[T], fn func(*T) error) error {
	o := newOp(ctx, func(doc any) error { return fn(doc.(*T)) })
	lead, err := s.queue.join(d.cacheKey, o)
	if err != nil {
		return err
	}
	if lead {
		if ops := s.queue.take(d.cacheKey, o); len(ops) > 0 {
			run(s, d, ops)
			for _, f := range ops {
				if f != o {
					f.wake <- false // answered
				}
			}
		}
		s.queue.handOff(d.cacheKey)
	}
	if o.panicked != nil {
		panic(o.panicked)
	}
	return o.err
}

// run runs ops in one transaction, again when the database aborts it to
// resolve a conflict, and sets their results.
func run[T any](s *Store, d document[T], ops []*op) {
	ctx, cancel := batchContext(ops)
	defer cancel()
	err := runOnce(ctx, s, d, ops)
	for attempt := 2; err != nil && attempt <= maxAttempts && retryable(err); attempt++ {
		// Back off a little, at random, so that the transactions that
		// collided do not collide again.
		t := time.NewTimer(time.Duration(rand.Int64N(int64(attempt) * int64(time.Millisecond))))
		select {
		case <-ctx.Done():
			t.Stop()
			err = ctx.Err()
		case <-t.C:
			err = runOnce(ctx, s, d, ops)
		}
	}
	if err == nil {
		return
	}
	for _, o := range ops {
		o.err, o.panicked = err, nil
		if ctx.Err() != nil && o.ctx.Err() != nil {
			o.err = o.ctx.Err() // the caller's reason, such as a deadline
		}
	}
}

// runOnce runs ops, one after the other, in one read-modify-write
// transaction, and sets their results; it returns the transaction's
// error.
//
// It takes two round trips to the database, not four: BEGIN goes with the
// SELECT … FOR UPDATE, and the UPDATE with the COMMIT. The row lock is
// held from the first to the second, so that is also the time that other
// processes' updates of the document wait.
func runOnce[T any](ctx context.Context, s *Store, d document[T], ops []*op) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: update %s: %w", d.what, err)
	}
	defer conn.Release()
	defer rollback(conn) // unless committed
	hit, have := s.cached(d.cacheKey)
	var r stored
	b := new(pgx.Batch)
	b.Queue("BEGIN")
	b.Queue(d.lock, slices.Concat([]any{have}, d.key)...).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&r.version, &r.sum, &r.data)
		if errors.Is(err, pgx.ErrNoRows) {
			r.missing, err = true, nil
		}
		return err
	})
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("postgres: read %s: %w", d.what, err)
	}
	doc, err := load(s, d, hit, r)
	if err != nil {
		return err
	}
	changed := false
	for _, o := range ops {
		next := doc
		if len(ops) > 1 {
			next = d.clone(doc) // so that a failed update leaves doc as it was
		}
		o.err, o.panicked = o.call(next)
		if o.err == nil && o.panicked == nil && d.saving != nil {
			o.err = d.saving(next)
		}
		if o.err == nil && o.panicked == nil {
			doc, changed = next, true
		}
	}
	if !changed {
		return nil
	}
	data, sum, err := encode(doc)
	if err != nil {
		return fmt.Errorf("postgres: update %s: %w", d.what, err)
	}
	b = new(pgx.Batch)
	var write *pgx.QueuedQuery
	if r.missing {
		write = b.Queue(d.insert, slices.Concat([]any{data, sum}, d.key)...)
	} else {
		write = b.Queue(d.update, slices.Concat([]any{r.version, data, sum}, d.key)...)
	}
	write.Exec(func(tag pgconn.CommandTag) error {
		if tag.RowsAffected() != 1 {
			return errRace // the COMMIT that follows commits nothing
		}
		return nil
	})
	b.Queue("COMMIT")
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		// Unless the UPDATE failed, the COMMIT may have been applied: the
		// cache is right either way, as it names its copy by checksum.
		return fmt.Errorf("postgres: update %s: %w", d.what, err)
	}
	// doc is the last successful fn's now, as the document a
	// MemoryPortalStore keeps is; it is cloned before any other fn sees
	// it.
	s.cache.put(d.cacheKey, sum, len(data), doc)
	return nil
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

// view runs fn on the document d as last committed.
func view[T any](ctx context.Context, s *Store, d document[T], fn func(*T) error) error {
	hit, have := s.cached(d.cacheKey)
	var r stored
	err := s.pool.QueryRow(ctx, d.view, slices.Concat([]any{have}, d.key)...).Scan(&r.version, &r.sum, &r.data)
	if errors.Is(err, pgx.ErrNoRows) {
		r.missing, err = true, nil
	}
	if err != nil {
		return fmt.Errorf("postgres: read %s: %w", d.what, err)
	}
	doc, err := load(s, d, hit, r)
	if err != nil {
		return err
	}
	return fn(doc)
}

// stored is a document's row as read: its version and checksum, and its
// data unless it has the checksum of the cached copy.
type stored struct {
	version   int64
	sum, data []byte
	missing   bool // no row
}

// cached returns the cache's copy of a document, and its checksum, to
// send with the query that reads it; nil if there is none.
func (s *Store) cached(key string) (cached, []byte) {
	hit, ok := s.cache.get(key)
	if !ok {
		return cached{}, nil
	}
	return hit, hit.sum
}

// load returns the document d read as r, a copy that the caller may
// change. hit is the cache's copy the read was made with.
//
// The data comes from the database only if its checksum differs from
// that of the copy in the store's cache, or does not match it: a document
// is decoded once per change, and not at all in the process that made
// the change.
func load[T any](s *Store, d document[T], hit cached, r stored) (*T, error) {
	if r.missing {
		return d.missing()
	}
	if r.data == nil {
		// The stored document matches its checksum, which is the cached
		// copy's: it is the same, byte for byte.
		return d.clone(hit.doc.(*T)), nil
	}
	if err := checkSum(r.data, r.sum); err != nil {
		s.cache.drop(d.cacheKey)
		return nil, fmt.Errorf("%w: %s: %w", license.ErrCorrupt, d.what, err)
	}
	// Another goroutine may have cached the stored document meanwhile.
	if hit, ok := s.cache.get(d.cacheKey); ok && bytes.Equal(hit.sum, r.sum) {
		return d.clone(hit.doc.(*T)), nil
	}
	doc := new(T)
	if err := json.Unmarshal(r.data, doc); err != nil {
		s.cache.drop(d.cacheKey)
		return nil, fmt.Errorf("%w: %s: does not decode: %w", license.ErrCorrupt, d.what, err)
	}
	if d.loaded != nil {
		if err := d.loaded(doc); err != nil {
			s.cache.drop(d.cacheKey)
			return nil, err
		}
	}
	if !s.cache.put(d.cacheKey, r.sum, len(r.data), doc) {
		return doc, nil
	}
	return d.clone(doc), nil
}

// retryable reports whether err is the database aborting a transaction to
// resolve a conflict, which running it again may not meet.
func retryable(err error) bool {
	if errors.Is(err, errRace) {
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
