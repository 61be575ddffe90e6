package license

import (
	"context"
	"fmt"
	"sort"
)

// MaxHistoryPage is the most history entries [OrgScope.History] returns
// at once.
const MaxHistoryPage = 1000

// History lists the organization's history (P5), newest first, one page
// at a time: who did what, to what, and when. Each entry carries the
// actor's ID and organization (a partner's, for an action under
// delegation, V4), the action, its subject and the time from the portal's
// clock. Entries are numbered 1, 2, 3… in the order they were recorded.
// The history is append-only: no method edits or removes an entry, and an
// operation that fails records nothing.
//
// History returns at most limit entries, those numbered below before, or
// the newest when before is 0. next is the before of the following page,
// or 0 when there is none:
//
//	var before int64
//	for {
//		page, next, err := scope.History(ctx, before, 100)
//		if err != nil {
//			return err
//		}
//		show(page)
//		if next == 0 {
//			break
//		}
//		before = next
//	}
//
// Both the organization's members and partners acting under delegation
// may read it. History returns an error wrapping ErrInvalidInput when
// before is negative or limit is not between 1 and [MaxHistoryPage], and
// ErrNoAccess when the actor may not reach the organization.
func (s *OrgScope) History(ctx context.Context, before int64, limit int) (entries []HistoryEntry, next int64, err error) {
	if before < 0 {
		return nil, 0, fmt.Errorf("%w: history cursor %d is negative", ErrInvalidInput, before)
	}
	if limit < 1 || limit > MaxHistoryPage {
		return nil, 0, fmt.Errorf("%w: history page size %d, want 1 to %d", ErrInvalidInput, limit, MaxHistoryPage)
	}
	err = s.view(ctx, func(o *Organization) error {
		h := o.History
		end := len(h)
		if before > 0 {
			// Entries are in ascending order of Seq.
			end = sort.Search(len(h), func(i int) bool { return h[i].Seq >= before })
		}
		start := max(end-limit, 0)
		entries = make([]HistoryEntry, 0, end-start)
		for i := end - 1; i >= start; i-- {
			entries = append(entries, h[i])
		}
		if start > 0 {
			next = h[start].Seq
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return entries, next, nil
}
