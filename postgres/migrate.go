package postgres

import (
	"context"
	"embed"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/licensekit/license/internal/migration"
)

// The schema migrations, applied in order of their number by Open. A
// migration is never edited once released: a change of the schema is a
// new file, numbered after the last.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations returns the embedded migrations, by version.
func migrations() ([]migration.Migration, error) {
	return migration.Load(migrationFiles, "migrations/*.sql", "postgres")
}

// migrationLock is the key of the advisory lock that Open holds while it
// migrates a schema: "licensek" in ASCII. One key for every schema keeps
// two Opens of one new schema from both creating it.
const migrationLock int64 = 0x6c6963656e73656b

// migrate creates schema if it is not empty and does not exist, and
// applies the migrations it lacks, up to version last, all in one
// transaction under migrationLock, so that concurrent Opens, in this
// process or others, apply each migration once. An empty schema means
// the connection's current schema (the first of its search_path that
// exists). It returns the schema.
func migrate(ctx context.Context, conn interface {
	Begin(context.Context) (pgx.Tx, error)
}, schema string, last int) (string, error) {
	ms, err := migrations()
	if err != nil {
		return "", err
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return "", fmt.Errorf("postgres: migrate: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit it does nothing
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
		return "", fmt.Errorf("postgres: migrate: lock: %w", err)
	}
	if schema == "" {
		var current *string
		if err := tx.QueryRow(ctx, "SELECT current_schema()").Scan(&current); err != nil {
			return "", fmt.Errorf("postgres: migrate: %w", err)
		}
		if current == nil {
			return "", fmt.Errorf("postgres: no schema of the search_path exists: create one, or use WithSchema")
		}
		schema = *current
	} else if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+quote(schema)); err != nil {
		return "", fmt.Errorf("postgres: create schema %s: %w", quote(schema), err)
	}
	// The migrations name their tables without a schema: they go to this
	// one, for this transaction only.
	if _, err := tx.Exec(ctx, "SET LOCAL search_path TO "+quote(schema)); err != nil {
		return "", fmt.Errorf("postgres: migrate: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    integer PRIMARY KEY,
	name       text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`); err != nil {
		return "", fmt.Errorf("postgres: migrate: %w", err)
	}
	rows, err := tx.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return "", fmt.Errorf("postgres: migrate: %w", err)
	}
	done, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return "", fmt.Errorf("postgres: migrate: %w", err)
	}
	for _, m := range ms {
		if m.Version > last {
			break
		}
		if slices.Contains(done, int32(m.Version)) {
			continue
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return "", fmt.Errorf("postgres: migration %s: %w", m.Name, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
			return "", fmt.Errorf("postgres: migration %s: %w", m.Name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return "", fmt.Errorf("postgres: migrate: commit: %w", err)
	}
	return schema, nil
}

// quote returns name as an SQL identifier, quoted.
func quote(name string) string { return pgx.Identifier{name}.Sanitize() }
