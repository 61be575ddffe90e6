package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// BusyTimeout is how long a connection waits for another process's write
// transaction to end before SQLite reports the file busy; the store then
// starts the transaction again, up to busyRetries times.
const BusyTimeout = 10 * time.Second

// busyRetries is how many more times a transaction that found the file
// busy starts again.
const busyRetries = 5

// Store keeps installations ([license.Store]) and a portal's
// organizations, vendor records and histories ([portal.HistoryStore]) in
// one SQLite database file, each record on a row of its own: an
// operation reads and writes only the records it touches. Open one with [Open] and close it with
// [Store.Close]; in between it is safe for concurrent use, by any number
// of goroutines, and by any number of processes opening the same file on
// a local disk (SQLite's WAL mode does not work over a network file
// system).
//
// IDs of installations and organizations are any valid UTF-8 text with no
// NUL byte; others, and empty ones, are refused with an error matching
// license.ErrInvalidInput.
type Store struct {
	path   string
	writer *pool // one connection: every write transaction, in turn
	reader *pool // several: the views, which run beside the writer
	keys   keyCache
}

var (
	_ license.Store       = (*Store)(nil)
	_ portal.HistoryStore = (*Store)(nil)
)

// Open opens the database file at path, creating it if it does not exist,
// and brings its schema up to date: it applies the migrations the file
// lacks in one write transaction, so that processes opening one file at
// once apply each migration once.
//
// The file is in WAL mode, with synchronous=FULL: a write is on the disk
// when its method returns, and survives a crash of the process or of the
// machine. It returns an error matching license.ErrInvalidInput for an
// empty path, and SQLite's error when the file cannot be opened or a
// migration fails.
func Open(path string) (*Store, error) {
	if path == "" || strings.IndexByte(path, 0) >= 0 {
		return nil, fmt.Errorf("%w: database path %q", license.ErrInvalidInput, path)
	}
	// A URI, so that the driver's options are not read as part of the
	// name: the path is escaped, and nothing in it is an option.
	name := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" +
		"_pragma=busy_timeout(" + fmt.Sprint(BusyTimeout.Milliseconds()) + ")" +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(ON)"
	// The writer begins its transactions with BEGIN IMMEDIATE: it takes
	// the file's write lock before it reads, so that two writers never
	// both read and then wait on each other to write.
	w, err := newPool(name+"&_txlock=immediate", 1)
	if err != nil {
		return nil, err
	}
	r, err := newPool(name+"&_pragma=query_only(ON)", max(4, runtime.GOMAXPROCS(0)))
	if err != nil {
		w.db.Close()
		return nil, err
	}
	s := &Store{path: path, writer: w, reader: r}
	if err := s.migrate(context.Background()); err != nil {
		s.Close()
		return nil, err
	}
	// The statements name the tables the migrations made.
	for _, p := range []*pool{w, r} {
		if err := p.prepare(); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// Close closes the store's connections. The store must not be used
// afterwards.
func (s *Store) Close() error {
	s.reader.close()
	return s.writer.close()
}

// Path returns the path of the store's database file.
func (s *Store) Path() string { return s.path }

// pool is a connection pool and the statements prepared on it.
type pool struct {
	db    *sql.DB
	stmts map[string]*sql.Stmt // read-only once the store is open
}

func newPool(name string, conns int) (*pool, error) {
	db, err := sql.Open("sqlite", name)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	return &pool{db: db, stmts: map[string]*sql.Stmt{}}, nil
}

func (p *pool) close() error {
	for _, st := range p.stmts {
		st.Close()
	}
	return p.db.Close()
}

// queries are the statements that every pool prepares when the store
// opens: a statement prepared on a pool's connections is parsed once, not
// at each use. They are prepared then, outside any transaction, because
// preparing one on the pool needs a free connection, which the writer's
// only one is not while a transaction runs.
var queries []string

// prepared adds query to the statements every pool prepares, and returns
// it.
func prepared(query string) string {
	queries = append(queries, query)
	return query
}

// prepare prepares queries on the pool.
func (p *pool) prepare() error {
	for _, q := range queries {
		if _, ok := p.stmts[q]; ok {
			continue
		}
		st, err := p.db.Prepare(q)
		if err != nil {
			return fmt.Errorf("sqlite: prepare %q: %w", q, err)
		}
		p.stmts[q] = st
	}
	return nil
}

// stmt returns query as a statement of t: the pool's prepared one, which
// database/sql prepares again only on a connection that has not prepared
// it yet, or one prepared for t alone.
func (t *tx) stmt(query string) (*sql.Stmt, error) {
	if st, ok := t.p.stmts[query]; ok {
		return t.sql.StmtContext(t.ctx, st), nil
	}
	return t.sql.PrepareContext(t.ctx, query)
}

// tx is one transaction of an operation. The first error of a read a
// table made on its own (see portal.Source) is kept in err, and fails
// the operation.
type tx struct {
	ctx  context.Context
	sql  *sql.Tx
	p    *pool
	keys *keyCache // nil in the migrations
	err  error
}

func (t *tx) fail(err error) {
	if t.err == nil {
		t.err = err
	}
}

func (t *tx) exec(query string, args ...any) (sql.Result, error) {
	st, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(t.ctx, args...)
}

func (t *tx) query(query string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(t.ctx, args...)
}

// queryRow scans the one row of query into dest, and reports whether
// there was one.
func (t *tx) queryRow(query string, args []any, dest ...any) (bool, error) {
	st, err := t.stmt(query)
	if err != nil {
		return false, err
	}
	err = st.QueryRowContext(t.ctx, args...).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// write runs fn in a write transaction, begun with BEGIN IMMEDIATE, and
// commits it if fn returns nil. It starts again, fn included, when the
// file stayed busy longer than BusyTimeout (fn's changes are then rolled
// back, so it runs on the state it finds). If fn panics, the transaction
// is rolled back and the panic goes on.
func (s *Store) write(ctx context.Context, fn func(*tx) error) error {
	return s.run(ctx, s.writer, fn)
}

// read runs fn in a read transaction: fn sees one state of the file.
func (s *Store) read(ctx context.Context, fn func(*tx) error) error {
	return s.run(ctx, s.reader, fn)
}

func (s *Store) run(ctx context.Context, p *pool, fn func(*tx) error) error {
	for attempt := 0; ; attempt++ {
		err := s.once(ctx, p, fn)
		if !isBusy(err) || attempt == busyRetries {
			return err
		}
		// Back off a little, differently for each attempt, before taking
		// the lock again.
		t := time.NewTimer(time.Duration(attempt+1) * 10 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (s *Store) once(ctx context.Context, p *pool, fn func(*tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	stx, err := p.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	defer stx.Rollback() //nolint:errcheck // after Commit it does nothing
	t := &tx{ctx: ctx, sql: stx, p: p, keys: &s.keys}
	if err := fn(t); err != nil {
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// isBusy reports whether err is SQLite's "database is busy" or "locked".
func isBusy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	c := se.Code() & 0xff
	return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
}

// checkID checks an ID: valid UTF-8 text with no NUL byte, not empty.
func checkID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty ID", license.ErrInvalidInput)
	case !utf8.ValidString(id) || strings.IndexByte(id, 0) >= 0:
		return fmt.Errorf("%w: ID %q: not valid UTF-8 text, or holds a NUL byte", license.ErrInvalidInput, id)
	}
	return nil
}
