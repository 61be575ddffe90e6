package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/internal/textfield"
)

// PruneHistory keeps an organization's history bounded (P5): it writes
// the entries recorded before instant before to w, as JSON Lines (one
// [HistoryEntry] a line, oldest first), then removes them, and records
// the pruning itself as the entry "history.prune", whose detail says how
// many entries went and up to when. Entries keep their numbers, so the
// cursors of [OrgScope.History] stay valid for what is left.
//
// Only the entries before the first one recorded at or after before go:
// the history is kept in the order it was recorded. If writing to w fails,
// nothing is removed; an export that was written but whose removal failed
// is exported again by the next call. It returns the number of entries
// removed, or an error matching ErrInvalidInput for a zero instant or a
// nil writer, or ErrNoAccess for an organization that does not exist.
//
// PruneHistory is the vendor's: it takes no actor. The export is written
// while the organization is locked; write it to a local file, not to a
// slow network.
func (p *Portal) PruneHistory(ctx context.Context, org string, before time.Time, w io.Writer) (int, error) {
	if err := checkPrune(before, w); err != nil {
		return 0, err
	}
	var n int
	var err error
	if hs, ok := p.store.(HistoryStore); ok {
		n, err = p.pruneApart(ctx, hs, org, before, w, func(fn func(h *[]HistoryEntry)) error {
			return p.store.UpdateOrganization(ctx, org, func(o *Organization) error { fn(&o.History); return nil })
		})
	} else {
		err = p.store.UpdateOrganization(ctx, org, func(o *Organization) error {
			var err error
			o.History, n, err = pruneHistory(o.History, before, w, p.now(), vendorActor(ctx))
			return err
		})
	}
	if errors.Is(err, license.ErrNotFound) {
		return 0, fmt.Errorf("%w: %s", ErrNoAccess, textfield.QuoteShort(org))
	}
	if err != nil {
		return 0, err
	}
	return n, nil
}

// PruneVendorHistory is [Portal.PruneHistory] for the vendor's own
// history ([Portal.VendorHistory]).
func (p *Portal) PruneVendorHistory(ctx context.Context, before time.Time, w io.Writer) (int, error) {
	if err := checkPrune(before, w); err != nil {
		return 0, err
	}
	if hs, ok := p.store.(HistoryStore); ok {
		return p.pruneApart(ctx, hs, "", before, w, func(fn func(h *[]HistoryEntry)) error {
			return p.store.UpdateVendor(ctx, func(v *Vendor) error { fn(&v.History); return nil })
		})
	}
	var n int
	err := p.store.UpdateVendor(ctx, func(v *Vendor) error {
		var err error
		v.History, n, err = pruneHistory(v.History, before, w, p.now(), vendorActor(ctx))
		return err
	})
	return n, err
}

// pruneApart prunes a history that a HistoryStore keeps apart, then
// records the pruning in it through update, an update of its document.
func (p *Portal) pruneApart(ctx context.Context, hs HistoryStore, org string, before time.Time, w io.Writer, update func(func(h *[]HistoryEntry)) error) (int, error) {
	n, first, last, err := hs.PruneHistory(ctx, org, before, w)
	if err != nil || n == 0 {
		return n, err
	}
	actor, now := vendorActor(ctx), p.now()
	return n, update(func(h *[]HistoryEntry) {
		*h = appendHistory(*h, actor, now, "history.prune", pruned(first, last), prunedDetail(n, before))
	})
}

func pruned(first, last int64) string { return fmt.Sprintf("#%d to #%d", first, last) }

func prunedDetail(n int, before time.Time) string {
	return fmt.Sprintf("%d entries before %s, exported", n, before.UTC().Format(time.RFC3339))
}

func checkPrune(before time.Time, w io.Writer) error {
	switch {
	case before.IsZero():
		return fmt.Errorf("%w: prune the history before which instant?", license.ErrInvalidInput)
	case w == nil:
		return fmt.Errorf("%w: no writer for the pruned history", license.ErrInvalidInput)
	}
	return nil
}

// pruneHistory writes the entries of h before instant before to w and
// returns what is left, with the pruning recorded by actor at now.
func pruneHistory(h []HistoryEntry, before time.Time, w io.Writer, now time.Time, actor Actor) ([]HistoryEntry, int, error) {
	n := slices.IndexFunc(h, func(e HistoryEntry) bool { return !e.At.Before(before) })
	if n < 0 {
		n = len(h)
	}
	if n == 0 {
		return h, 0, nil
	}
	enc := json.NewEncoder(w)
	for _, e := range h[:n] {
		if err := enc.Encode(e); err != nil {
			return h, 0, fmt.Errorf("portal: exporting the history before pruning it: %w", err)
		}
	}
	// A new array, so that the pruned entries' memory can go. The
	// pruning's own entry goes on with the numbers, even when nothing
	// else is left.
	rest := make([]HistoryEntry, len(h)-n, len(h)-n+1)
	copy(rest, h[n:])
	rest = append(rest, HistoryEntry{
		Seq: h[len(h)-1].Seq + 1, At: now, Actor: actor.ID, Org: actor.Org, Action: "history.prune",
		Subject: pruned(h[0].Seq, h[n-1].Seq), Detail: prunedDetail(n, before),
	})
	return rest, n, nil
}
