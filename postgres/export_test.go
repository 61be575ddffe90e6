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

// SeatsOfLicenseQuery returns the statement that reads one license's
// seats.
func (s *Store) SeatsOfLicenseQuery() string { return s.sql.portal.seats.ofLicense }
