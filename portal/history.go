package portal

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/licensekit/license"
)

// MaxPage is the most entries one page of a listing returns: a history
// ([OrgScope.History], [Portal.VendorHistory]) or one of the vendor's
// listings (see [Portal.Organizations]).
const MaxPage = 1000

// MaxHistoryPage is the most history entries [OrgScope.History] returns
// at once.
const MaxHistoryPage = MaxPage

// checkPageSize checks a listing's page size.
func checkPageSize(limit int) error {
	if limit < 1 || limit > MaxPage {
		return fmt.Errorf("%w: page size %d, want 1 to %d", license.ErrInvalidInput, limit, MaxPage)
	}
	return nil
}

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
	if err := checkHistoryPage(before, limit); err != nil {
		return nil, 0, err
	}
	err = s.view(ctx, func(o *Organization) error {
		if _, apart := s.p.store.(HistoryStore); !apart {
			entries, next = historyPage(o.History, before, limit)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	if hs, ok := s.p.store.(HistoryStore); ok {
		return hs.HistoryPage(ctx, s.org, before, limit)
	}
	return entries, next, nil
}

// checkHistoryPage checks the cursor and page size of a history's page.
func checkHistoryPage(before int64, limit int) error {
	if before < 0 {
		return fmt.Errorf("%w: history cursor %d is negative", license.ErrInvalidInput, before)
	}
	return checkPageSize(limit)
}

// historyPage returns a page of history h, which is in ascending order of
// Seq, as [OrgScope.History] documents it.
func historyPage(h []HistoryEntry, before int64, limit int) ([]HistoryEntry, int64) {
	end := len(h)
	if before > 0 {
		end = sort.Search(len(h), func(i int) bool { return h[i].Seq >= before })
	}
	start := max(end-limit, 0)
	entries := make([]HistoryEntry, 0, end-start)
	for i := end - 1; i >= start; i-- {
		entries = append(entries, h[i])
	}
	var next int64
	if start > 0 {
		next = h[start].Seq
	}
	return entries, next
}

// appendHistory appends an entry to history h, numbered after the last.
func appendHistory(h []HistoryEntry, a Actor, at time.Time, action, subject, detail string) []HistoryEntry {
	seq := int64(1)
	if len(h) > 0 {
		seq = h[len(h)-1].Seq + 1 // the entries before the first may have been pruned
	}
	return append(h, HistoryEntry{
		Seq: seq, At: at, Actor: a.ID, Org: a.Org,
		Action: action, Subject: subject, Detail: detail,
	})
}
