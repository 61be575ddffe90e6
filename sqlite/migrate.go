package sqlite

import (
	"context"
	"embed"
	"fmt"
	"slices"

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
	return migration.Load(migrationFiles, "migrations/*.sql", "sqlite")
}

// migrate applies the migrations the file lacks, all in one write
// transaction: it holds the file's write lock from its first read, so
// that of two processes opening a new file at once, the second finds the
// migrations the first applied.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		if _, err := t.sql.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)`); err != nil {
			return fmt.Errorf("sqlite: migrate: %w", err)
		}
		rows, err := t.sql.QueryContext(ctx, "SELECT version FROM schema_migrations")
		if err != nil {
			return fmt.Errorf("sqlite: migrate: %w", err)
		}
		var done []int
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return fmt.Errorf("sqlite: migrate: %w", err)
			}
			done = append(done, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("sqlite: migrate: %w", err)
		}
		for _, m := range ms {
			if slices.Contains(done, m.Version) {
				continue
			}
			if _, err := t.sql.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
			}
			if _, err := t.sql.ExecContext(ctx, "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", m.Version, m.Name); err != nil {
				return fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
			}
		}
		return nil
	})
}
