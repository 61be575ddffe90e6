package http

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"time"

	"github.com/licensekit/license/portal"
)

// The histories (P5): an organization's, which its members and partners
// under delegation read, and the vendor's; and their pruning, which is the
// vendor's.

// historyPage is one page of a history.
type historyPage struct {
	Entries []portal.HistoryEntry `json:"entries"`
	Next    int64                 `json:"next,omitempty"` // the before of the next page; 0 on the last
}

// historyWith serves a history of the portal's, read through read.
func historyWith(c *call, read func(ctx context.Context, before int64, limit int) ([]portal.HistoryEntry, int64, error)) (historyPage, error) {
	before, err := c.before()
	if err != nil {
		return historyPage{}, err
	}
	limit, err := c.limit()
	if err != nil {
		return historyPage{}, err
	}
	entries, next, err := read(c.ctx(), before, limit)
	return historyPage{Entries: entries, Next: next}, err
}

func history(c *call, _ *none) (historyPage, error) { return historyWith(c, c.org().History) }

func vendorHistory(c *call, _ *none) (historyPage, error) {
	return historyWith(c, c.s.portal.VendorHistory)
}

// historyQuery is the query of a page of a history.
func historyQuery(before int64, limit int) url.Values {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if before != 0 {
		q.Set("before", strconv.FormatInt(before, 10))
	}
	return q
}

// History lists the organization's history, newest first, a page at a
// time, as portal.OrgScope.History does.
func (o *OrgClient) History(ctx context.Context, before int64, limit int) ([]portal.HistoryEntry, int64, error) {
	p, err := do[historyPage](ctx, o.c, "History", nil, historyQuery(before, limit), o.org)
	return p.Entries, p.Next, err
}

// VendorHistory lists the vendor's history, as portal.Portal.VendorHistory
// does. The vendor's only.
func (c *Client) VendorHistory(ctx context.Context, before int64, limit int) ([]portal.HistoryEntry, int64, error) {
	p, err := do[historyPage](ctx, c, "VendorHistory", nil, historyQuery(before, limit))
	return p.Entries, p.Next, err
}

type pruneRequest struct {
	Before time.Time `json:"before"` // entries recorded before this instant go
}

// pruned is what a prune removed: the count, and the entries themselves,
// which the caller keeps where it keeps its archives.
type pruned struct {
	Removed int                   `json:"removed"`
	Entries []portal.HistoryEntry `json:"entries"`
}

// pruneWith serves a prune: the portal writes the export into memory,
// where the organization's lock is not held up by the network, and the
// answer carries it.
func pruneWith(c *call, prune func(w io.Writer) (int, error)) (pruned, error) {
	var export pruneExport
	n, err := prune(&export)
	if err != nil {
		return pruned{}, err
	}
	entries, err := export.entries()
	return pruned{Removed: n, Entries: entries}, err
}

func pruneHistory(c *call, in *pruneRequest) (pruned, error) {
	return pruneWith(c, func(w io.Writer) (int, error) {
		return c.s.portal.PruneHistory(c.ctx(), c.path("org"), in.Before, w)
	})
}

func pruneVendorHistory(c *call, in *pruneRequest) (pruned, error) {
	return pruneWith(c, func(w io.Writer) (int, error) {
		return c.s.portal.PruneVendorHistory(c.ctx(), in.Before, w)
	})
}

// writeExport writes pruned entries to w as JSON Lines, as the portal
// writes them.
func writeExport(w io.Writer, p pruned) (int, error) {
	enc := json.NewEncoder(w)
	for _, e := range p.Entries {
		if err := enc.Encode(e); err != nil {
			return p.Removed, fmt.Errorf("http: writing the pruned history: %w", err)
		}
	}
	return p.Removed, nil
}

// PruneHistory removes organization org's history recorded before the
// instant before, writes it to w as JSON Lines, and returns how many
// entries it removed, as portal.Portal.PruneHistory does. The entries are
// removed on the server before w sees them: should writing to w fail, the
// error says so and they are gone. The vendor's only.
func (c *Client) PruneHistory(ctx context.Context, org string, before time.Time, w io.Writer) (int, error) {
	p, err := do[pruned](ctx, c, "PruneHistory", pruneRequest{Before: before}, nil, org)
	if err != nil {
		return 0, err
	}
	return writeExport(w, p)
}

// PruneVendorHistory is PruneHistory for the vendor's own history.
func (c *Client) PruneVendorHistory(ctx context.Context, before time.Time, w io.Writer) (int, error) {
	p, err := do[pruned](ctx, c, "PruneVendorHistory", pruneRequest{Before: before}, nil)
	if err != nil {
		return 0, err
	}
	return writeExport(w, p)
}
