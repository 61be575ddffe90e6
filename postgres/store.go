package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/licensekit/license"
	"github.com/licensekit/license/internal/sealed"
	"github.com/licensekit/license/portal"
)

// Store keeps installations ([license.Store]) and a portal's
// organizations and vendor data ([portal.HistoryStore]) in a
// PostgreSQL database. Open one with [Open] and close it with
// [Store.Close]; in between it is safe for concurrent use, by any number
// of goroutines, and by any number of processes sharing the database.
//
// IDs of installations and organizations are any text PostgreSQL can
// hold: valid UTF-8 with no NUL byte. Others, and empty ones, are refused
// with an error matching license.ErrInvalidInput.
//
// A portal's data is kept one record a row (see the package's
// documentation): an operation reads, locks and writes only the records
// it touches, and reads histories only in pages.
type Store struct {
	pool   *pgxpool.Pool
	schema string
	sql    statements
}

var (
	_ license.Store         = (*Store)(nil)
	_ portal.HistoryStore   = (*Store)(nil)
	_ portal.ReadAheadStore = (*Store)(nil)
)

// Option configures [Open].
type Option func(*options)

type options struct {
	schema    string
	configure []func(*pgxpool.Config)
}

// WithSchema keeps the store's tables in the named schema, which Open
// creates if it does not exist; its name is any text of at most 63 bytes
// (it is quoted), with no NUL. Without it they go to the connection's
// current schema: the first schema of its search_path that exists,
// usually "public". A schema per store lets one database hold several
// stores: a test each, or a tenant each.
func WithSchema(name string) Option {
	return func(o *options) { o.schema = name }
}

// WithPoolConfig lets fn adjust the connection pool's configuration, as
// parsed from the DSN, before Open connects: its size (MaxConns; the DSN
// can also set it with pool_max_conns), its connection lifetime, or a
// hook run on each new connection.
func WithPoolConfig(fn func(*pgxpool.Config)) Option {
	return func(o *options) { o.configure = append(o.configure, fn) }
}

// Open connects to the PostgreSQL database that dsn names, as a URL
// ("postgres://user:password@host:5432/db?sslmode=verify-full") or as
// key=value pairs ("host=… user=… dbname=…"), and brings the store's
// schema up to date: in one transaction, under an advisory lock, it
// applies the migrations the schema lacks, so that many processes may
// open one database at once. The role needs to create tables in the
// schema (and the schema, with [WithSchema], if it does not exist) the
// first time, and after an upgrade that adds a migration.
//
// It returns an error matching license.ErrInvalidInput for a bad schema
// name, or the driver's error when the DSN does not parse, the database
// cannot be reached or a migration fails.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.schema != "" && (len(o.schema) > 63 || checkID(o.schema) != nil) {
		return nil, fmt.Errorf("%w: schema name %q: want UTF-8 text of at most 63 bytes, no NUL", license.ErrInvalidInput, o.schema)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	for _, fn := range o.configure {
		fn(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	schema, err := migrate(ctx, pool, o.schema, math.MaxInt)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{pool: pool, schema: schema, sql: newStatements(schema)}, nil
}

// Close closes the store's connections, waiting for those in use to be
// returned. The store must not be used afterwards.
func (s *Store) Close() { s.pool.Close() }

// Schema returns the schema that holds the store's tables.
func (s *Store) Schema() string { return s.schema }

// statements are the store's SQL, with its tables' names qualified by the
// schema, so that no search_path can send them elsewhere.
type statements struct {
	loadInstallation, insertInstallation, updateInstallation, deleteInstallation string

	portal portalSQL
}

func newStatements(schema string) statements {
	inst := pgx.Identifier{schema, "installations"}.Sanitize()
	return statements{
		loadInstallation:   "SELECT version, data, checksum FROM " + inst + " WHERE id = $1",
		insertInstallation: "INSERT INTO " + inst + " (id, version, data, checksum) VALUES ($1, 1, $2, $3) ON CONFLICT (id) DO NOTHING",
		updateInstallation: "UPDATE " + inst + " SET version = version + 1, data = $3, checksum = $4, updated_at = now() WHERE id = $1 AND version = $2",
		// The CTE's SELECT sees the table as it was before the DELETE: the
		// row's version if it exists, whether or not it was deleted.
		deleteInstallation: "WITH d AS (DELETE FROM " + inst + " WHERE id = $1 AND version = $2 RETURNING 1) " +
			"SELECT (SELECT count(*) FROM d), (SELECT version FROM " + inst + " WHERE id = $1)",

		portal: newPortalSQL(schema),
	}
}

// LoadInstallation returns the state saved under id. It returns
// license.ErrNotFound if there is none, and an error matching
// license.ErrCorrupt if it fails its checksum or does not decode.
func (s *Store) LoadInstallation(ctx context.Context, id string) (license.InstallationState, error) {
	if err := sealed.CheckArgs(ctx, id, 0, checkID); err != nil {
		return license.InstallationState{}, err
	}
	var (
		version   int64
		data, sum []byte
	)
	err := s.pool.QueryRow(ctx, s.sql.loadInstallation, id).Scan(&version, &data, &sum)
	if errors.Is(err, pgx.ErrNoRows) {
		return license.InstallationState{}, license.ErrNotFound
	}
	if err != nil {
		return license.InstallationState{}, fmt.Errorf("postgres: load installation %q: %w", id, err)
	}
	var st license.InstallationState
	if err := sealed.Decode(data, sum, &st); err != nil {
		return license.InstallationState{}, fmt.Errorf("%w: installation %q: %w", license.ErrCorrupt, id, err)
	}
	st.Version = version
	return st, nil
}

// SaveInstallation saves st under id if the stored version is st.Version
// (0: nothing is stored under id), in one conditional statement, and
// returns the new version. It returns license.ErrConflict, saving
// nothing, if another writer changed or created it first.
func (s *Store) SaveInstallation(ctx context.Context, id string, st license.InstallationState) (int64, error) {
	if err := sealed.CheckArgs(ctx, id, st.Version, checkID); err != nil {
		return 0, err
	}
	base := st.Version
	st.Version = base + 1
	data, sum, err := sealed.Encode(st)
	if err != nil {
		return 0, fmt.Errorf("postgres: save installation %q: %w", id, err)
	}
	var n int64
	if base == 0 {
		tag, err := s.pool.Exec(ctx, s.sql.insertInstallation, id, data, sum)
		if err != nil {
			return 0, fmt.Errorf("postgres: save installation %q: %w", id, err)
		}
		n = tag.RowsAffected()
	} else {
		tag, err := s.pool.Exec(ctx, s.sql.updateInstallation, id, base, data, sum)
		if err != nil {
			return 0, fmt.Errorf("postgres: save installation %q: %w", id, err)
		}
		n = tag.RowsAffected()
	}
	if n == 0 {
		return 0, license.ErrConflict
	}
	return base + 1, nil
}

// DeleteInstallation deletes the state saved under id if its version is
// version, or if the stored state is corrupt (its version cannot be
// trusted, and deleting it is how a Manager starts the installation
// again). It returns license.ErrNotFound if there is none, and
// license.ErrConflict if its version differs.
func (s *Store) DeleteInstallation(ctx context.Context, id string, version int64) error {
	if err := sealed.CheckArgs(ctx, id, version, checkID); err != nil {
		return err
	}
	var (
		deleted int64
		current *int64
	)
	if err := s.pool.QueryRow(ctx, s.sql.deleteInstallation, id, version).Scan(&deleted, &current); err != nil {
		return fmt.Errorf("postgres: delete installation %q: %w", id, err)
	}
	switch {
	case deleted == 1:
		return nil
	case current == nil:
		return license.ErrNotFound
	}
	if _, err := s.LoadInstallation(ctx, id); !errors.Is(err, license.ErrCorrupt) {
		return license.ErrConflict
	}
	// Damaged: delete the row read, unless a writer replaced it since.
	if err := s.pool.QueryRow(ctx, s.sql.deleteInstallation, id, *current).Scan(&deleted, &current); err != nil {
		return fmt.Errorf("postgres: delete installation %q: %w", id, err)
	}
	if deleted != 1 {
		return license.ErrConflict
	}
	return nil
}

// checkID checks an ID: any text that PostgreSQL can store, which is
// valid UTF-8 with no NUL byte, and not empty.
func checkID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty ID", license.ErrInvalidInput)
	case !utf8.ValidString(id) || strings.IndexByte(id, 0) >= 0:
		return fmt.Errorf("%w: ID %q: not valid UTF-8 text, or holds a NUL byte", license.ErrInvalidInput, id)
	}
	return nil
}
