package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

var (
	sqlNewestSeq    = prepared("SELECT seq FROM history WHERE org = ? ORDER BY seq DESC LIMIT 1")
	sqlInsertEntry  = prepared("INSERT INTO history (org, seq, at, data) VALUES (?, ?, ?, ?)")
	sqlHistoryPage  = prepared("SELECT seq, data FROM history WHERE org = ? AND seq < ? ORDER BY seq DESC LIMIT ?")
	sqlOldestFirst  = prepared("SELECT seq, at, data FROM history WHERE org = ? ORDER BY seq")
	sqlPruneHistory = prepared("DELETE FROM history WHERE org = ? AND seq >= ? AND seq <= ?")
	sqlHistoryLeft  = prepared("SELECT count(*) FROM history WHERE org = ?")
	sqlOrgSeq       = prepared("UPDATE organizations SET history_seq = ? WHERE id = ?")
	sqlVendorSeq    = prepared("UPDATE vendor SET history_seq = ? WHERE id = 1")
)

// atFormat writes an entry's instant, in UTC, with a fixed width, so that
// the texts sort as the instants do.
const atFormat = "2006-01-02T15:04:05.000000000Z"

// given is the history an update was given: its n entries, the newest
// of which is numbered newest.
type given struct {
	n      int
	newest int64
}

// newestEntry returns an entry numbered as the newest of org's history ("" for
// the vendor's), with only its number, or none.
func newestEntry(t *tx, org string) ([]portal.HistoryEntry, given, error) {
	var seq int64
	ok, err := t.queryRow(sqlNewestSeq, []any{org}, &seq)
	if err != nil {
		return nil, given{}, fmt.Errorf("sqlite: read the history of %q: %w", org, err)
	}
	if !ok {
		return nil, given{}, nil
	}
	return []portal.HistoryEntry{{Seq: seq}}, given{1, seq}, nil
}

// appendNew saves the entries an update appended to h, which it was
// given as g; last is the number of the last entry a pruning removed, if
// it removed them all.
func appendNew(t *tx, org string, g given, last int64, h []portal.HistoryEntry) error {
	if len(h) <= g.n {
		return nil
	}
	_, err := appendHistory(t, org, max(g.newest, last), h[g.n:])
	return err
}

// appendHistory inserts entries into org's history, after entry number
// after. Entries numbered from 1 after a pruning removed every entry go on
// from the numbers the pruning removed, so that no number is given twice.
// It returns the number of the last entry.
func appendHistory(t *tx, org string, after int64, entries []portal.HistoryEntry) (int64, error) {
	var shift int64
	if len(entries) > 0 && entries[0].Seq <= after {
		shift = after + 1 - entries[0].Seq
	}
	for _, e := range entries {
		e.Seq += shift
		data, err := json.Marshal(e)
		if err != nil {
			return 0, fmt.Errorf("sqlite: history of %q: %w", org, err)
		}
		if _, err := t.exec(sqlInsertEntry, org, e.Seq, e.At.UTC().Format(atFormat), string(data)); err != nil {
			return 0, fmt.Errorf("sqlite: history of %q, entry %d: %w", org, e.Seq, err)
		}
		after = e.Seq
	}
	return after, nil
}

// HistoryPage returns at most limit entries of org's history ("" for the
// vendor's), newest first, those numbered below before, or the newest
// when before is 0, and the before of the next page, 0 when there is
// none. It reads the history's index only from where the page starts.
// It returns license.ErrNotFound if there is no such organization, and an
// error matching license.ErrInvalidInput for a negative before or a limit
// not between 1 and portal.MaxPage.
func (s *Store) HistoryPage(ctx context.Context, org string, before int64, limit int) ([]portal.HistoryEntry, int64, error) {
	if err := checkHistoryArgs(ctx, org); err != nil {
		return nil, 0, err
	}
	if before < 0 || limit < 1 || limit > portal.MaxPage {
		return nil, 0, fmt.Errorf("%w: history page before %d, of %d entries (1 to %d)", license.ErrInvalidInput, before, limit, portal.MaxPage)
	}
	if before == 0 {
		before = 1<<63 - 1
	}
	var page []portal.HistoryEntry
	var next int64
	err := s.read(ctx, func(t *tx) error {
		if err := orgExists(t, org); err != nil {
			return err
		}
		rows, err := t.query(sqlHistoryPage, org, before, limit+1)
		if err != nil {
			return fmt.Errorf("sqlite: read the history of %q: %w", org, err)
		}
		defer rows.Close()
		for rows.Next() {
			var seq int64
			var data []byte
			if err := rows.Scan(&seq, &data); err != nil {
				return fmt.Errorf("sqlite: read the history of %q: %w", org, err)
			}
			if len(page) == limit { // there is more
				next = page[limit-1].Seq
				break
			}
			var e portal.HistoryEntry
			if err := json.Unmarshal(data, &e); err != nil {
				return fmt.Errorf("%w: the history of %q, entry %d: %w", license.ErrCorrupt, org, seq, err)
			}
			page = append(page, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, err
	}
	return page, next, nil
}

// PruneHistory writes the entries of org's history ("" for the vendor's)
// recorded before instant before to w, as JSON Lines, oldest first, up to
// the first entry recorded at or after it, then removes them, all in one
// write transaction: if writing fails, nothing is removed. It returns how
// many it removed and the numbers of the first and last of them. It
// returns license.ErrNotFound if there is no such organization.
//
// The transaction holds the file's write lock while it writes to w: write
// to a local file, not to a slow network.
func (s *Store) PruneHistory(ctx context.Context, org string, before time.Time, w io.Writer) (n int, first, last int64, err error) {
	if err := checkHistoryArgs(ctx, org); err != nil {
		return 0, 0, 0, err
	}
	if w == nil {
		return 0, 0, 0, fmt.Errorf("%w: no writer for the pruned history", license.ErrInvalidInput)
	}
	limit := before.UTC().Format(atFormat)
	err = s.write(ctx, func(t *tx) error {
		n, first, last = 0, 0, 0
		if err := orgExists(t, org); err != nil {
			return err
		}
		if err := exportBefore(t, org, limit, w, &n, &first, &last); err != nil || n == 0 {
			return err
		}
		if _, err := t.exec(sqlPruneHistory, org, first, last); err != nil {
			return fmt.Errorf("sqlite: prune the history of %q: %w", org, err)
		}
		// Keep the last number if no entry is left to carry it.
		var left int64
		if _, err := t.queryRow(sqlHistoryLeft, []any{org}, &left); err != nil {
			return fmt.Errorf("sqlite: prune the history of %q: %w", org, err)
		}
		if left == 0 {
			q, args := sqlOrgSeq, []any{last, org}
			if org == "" {
				q, args = sqlVendorSeq, []any{last}
			}
			if _, err := t.exec(q, args...); err != nil {
				return fmt.Errorf("sqlite: prune the history of %q: %w", org, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, 0, err
	}
	return n, first, last, nil
}

// exportBefore writes the entries of org's history before the instant
// limit (in atFormat) to w, oldest first, and counts them.
func exportBefore(t *tx, org, limit string, w io.Writer, n *int, first, last *int64) error {
	rows, err := t.query(sqlOldestFirst, org)
	if err != nil {
		return fmt.Errorf("sqlite: read the history of %q: %w", org, err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var at string
		var data []byte
		if err := rows.Scan(&seq, &at, &data); err != nil {
			return fmt.Errorf("sqlite: read the history of %q: %w", org, err)
		}
		if at >= limit {
			break
		}
		if _, err := w.Write(append(data, '\n')); err != nil {
			return fmt.Errorf("sqlite: exporting the history of %q before pruning it: %w", org, err)
		}
		if *n == 0 {
			*first = seq
		}
		*n, *last = *n+1, seq
	}
	return rows.Err()
}

// orgExists returns license.ErrNotFound if org names no organization;
// the vendor ("") always exists.
func orgExists(t *tx, org string) error {
	if org == "" {
		return nil
	}
	var one int
	ok, err := t.queryRow(sqlOrgExists, []any{org}, &one)
	if err != nil {
		return fmt.Errorf("sqlite: read organization %q: %w", org, err)
	}
	if !ok {
		return license.ErrNotFound
	}
	return nil
}

func checkHistoryArgs(ctx context.Context, org string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if org == "" {
		return nil
	}
	return checkID(org)
}
