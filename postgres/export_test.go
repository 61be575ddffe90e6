package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// MigrateTo brings schema to version last of the migrations, and no
// further, as Open brings it to the newest: a test makes a database as an
// older release left it, then opens it.
func MigrateTo(ctx context.Context, dsn, schema string, last int) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = migrate(ctx, conn, schema, last)
	return err
}

// Setting returns the value of a run-time parameter on one of the store's
// connections.
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&v)
	return v, err
}
