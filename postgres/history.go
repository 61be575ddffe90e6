package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// HistoryPage returns at most limit entries of organization org's history,
// or of the vendor's own if org is empty, newest first: those numbered
// below before, or the newest when before is 0; and the before of the
// next page, 0 when there is none. It reads one page of rows by the
// table's key, however long the history. It returns license.ErrNotFound
// if there is no such organization, and an error matching
// license.ErrInvalidInput for a negative before or a limit outside 1 to
// [portal.MaxPage].
func (s *Store) HistoryPage(ctx context.Context, org string, before int64, limit int) ([]portal.HistoryEntry, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	if before < 0 || limit < 1 || limit > portal.MaxPage {
		return nil, 0, fmt.Errorf("%w: history page before %d, of %d entries: want before ≥ 0 and 1 to %d entries", license.ErrInvalidInput, before, limit, portal.MaxPage)
	}
	var page []portal.HistoryEntry
	var next int64
	err := s.inTx(ctx, beginView, func(conn *pgxpool.Conn) error {
		if err := s.checkOrg(ctx, conn, org); err != nil {
			return err
		}
		// One more than asked, to know whether a next page exists.
		rows, err := conn.Query(ctx, s.sql.portal.page, org, before, limit+1)
		if err != nil {
			return err
		}
		var (
			seq  int64
			data []byte
		)
		_, err = pgx.ForEachRow(rows, []any{&seq, &data}, func() error {
			e, err := entry(seq, data)
			page = append(page, e)
			return err
		})
		return err
	})
	if err != nil {
		return nil, 0, historyErr(org, err)
	}
	if len(page) > limit {
		page = page[:limit]
		next = page[limit-1].Seq
	}
	return page, next, nil
}

// checkOrg returns license.ErrNotFound if there is no organization org;
// the vendor's, "", always exists.
func (s *Store) checkOrg(ctx context.Context, conn *pgxpool.Conn, org string) error {
	if org == "" {
		return nil
	}
	if err := checkID(org); err != nil {
		return err
	}
	var ok bool
	if err := conn.QueryRow(ctx, s.sql.portal.orgExists, org).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return license.ErrNotFound
	}
	return nil
}

// historyErr gives err the context of a history's operation, unless it is
// one that callers test for as is.
func historyErr(org string, err error) error {
	if errors.Is(err, license.ErrNotFound) || errors.Is(err, license.ErrInvalidInput) || errors.Is(err, license.ErrCorrupt) {
		return err
	}
	if org == "" {
		return fmt.Errorf("postgres: the vendor's history: %w", err)
	}
	return fmt.Errorf("postgres: history of organization %q: %w", org, err)
}

// PruneHistory writes the entries of organization org's history (the
// vendor's own if org is empty) recorded before instant before to w, as
// JSON Lines, oldest first, up to the first entry recorded at or after it,
// then deletes them, in one transaction: nothing is deleted if writing
// fails. The entries are locked while they are written, so that two
// prunes never export one entry twice. It returns how many it deleted and
// the numbers of the first and last, or license.ErrNotFound if there is
// no such organization. Instants compare to the microsecond, PostgreSQL's
// precision.
func (s *Store) PruneHistory(ctx context.Context, org string, before time.Time, w io.Writer) (n int, first, last int64, err error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, 0, err
	}
	if w == nil {
		return 0, 0, 0, fmt.Errorf("%w: no writer for the pruned history", license.ErrInvalidInput)
	}
	q := &s.sql.portal
	err = s.inTx(ctx, beginUpdate, func(conn *pgxpool.Conn) error {
		if err := s.checkOrg(ctx, conn, org); err != nil {
			return err
		}
		cut := int64(math.MaxInt64)
		if err := conn.QueryRow(ctx, q.pruneCut, org, before).Scan(&cut); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		rows, err := conn.Query(ctx, q.pruneRows, org, cut)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(w)
		var (
			seq  int64
			data []byte
		)
		_, err = pgx.ForEachRow(rows, []any{&seq, &data}, func() error {
			e, err := entry(seq, data)
			if err != nil {
				return err
			}
			if err := enc.Encode(e); err != nil {
				return fmt.Errorf("exporting the history before pruning it: %w", err)
			}
			if n == 0 {
				first = seq
			}
			n, last = n+1, seq
			return nil
		})
		if err != nil || n == 0 {
			return err
		}
		_, err = conn.Exec(ctx, q.pruneDelete, org, first, last)
		return err
	})
	if err != nil {
		return 0, 0, 0, historyErr(org, err)
	}
	return n, first, last, nil
}
