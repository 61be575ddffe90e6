package portal_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// seqs returns the Seq of each entry.
func seqs(entries []portal.HistoryEntry) []int64 {
	out := make([]int64, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.Seq)
	}
	return out
}

// TestHistory_P5_EntriesSayWhoDidWhatToWhatAndWhen: each entry carries the
// actor, the actor's organization, the action, its subject and the time of
// the portal's clock (P5).
func TestHistory_P5_EntriesSayWhoDidWhatToWhatAndWhen(t *testing.T) {
	h := newPortalHarness(t)
	t1 := day("2026-02-03").Add(9*time.Hour + 30*time.Minute)
	h.at(t1)
	mustAddKey(t, h, "acme", h.key(seatsLicense("SN-A1", 10)))
	t2 := t1.Add(25 * time.Hour)
	h.at(t2)
	require.NoError(t, h.as("acme").ShareKey(h.ctx, "SN-A1", "carol@acme"))

	assert.Equal(t, []portal.HistoryEntry{
		{Seq: 1, At: day("2026-01-01"), Actor: "vendor", Action: "organization.create", Subject: "acme", Detail: "acme Inc."},
		{Seq: 2, At: t1, Actor: "admin@acme", Org: "acme", Action: "key.add", Subject: "SN-A1", Detail: "SN-A1 acme-backup"},
		{Seq: 3, At: t2, Actor: "admin@acme", Org: "acme", Action: "key.share", Subject: "SN-A1", Detail: "carol@acme"},
	}, histAll(t, h, "acme"))
}

// TestHistory_P5_NewestFirstInPages: pages run newest first, each page's
// next is the cursor of the following one, and the last page's next is 0
// (P5).
func TestHistory_P5_NewestFirstInPages(t *testing.T) {
	h := newPortalHarness(t)
	mustAddKey(t, h, "acme", h.key(seatsLicense("SN-A1", 10))) // Seq 2
	for i := 3; i <= 10; i++ {
		h.at(day("2026-01-01").Add(time.Duration(i) * time.Hour))
		require.NoError(t, h.as("acme").ShareKey(h.ctx, "SN-A1", fmt.Sprintf("user%02d@acme", i)))
	}
	s := h.as("acme")

	type page struct {
		before int64
		limit  int
		want   []int64
		next   int64
	}
	for _, p := range []page{
		{0, 4, []int64{10, 9, 8, 7}, 7},
		{7, 4, []int64{6, 5, 4, 3}, 3},
		{3, 4, []int64{2, 1}, 0},
		{0, 10, []int64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 0},
		{0, 9, []int64{10, 9, 8, 7, 6, 5, 4, 3, 2}, 2},
		{0, 1000, []int64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 0},
		{5, 2, []int64{4, 3}, 3},
		{2, 1, []int64{1}, 0},
		{1, 5, []int64{}, 0},                                // nothing before the first
		{11, 3, []int64{10, 9, 8}, 8},                       // the newest is 10
		{1 << 40, 2, []int64{10, 9}, 9},                     // far beyond the newest
		{4, 1000, []int64{3, 2, 1}, 0},                      // a page larger than what is left
		{10, 1, []int64{9}, 9},                              // one at a time
		{9, 1, []int64{8}, 8},                               // …
		{3, 1, []int64{2}, 2},                               // …
		{11, 10, []int64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 0}, // exactly all
	} {
		got, next, err := s.History(h.ctx, p.before, p.limit)
		require.NoError(t, err, "before %d limit %d", p.before, p.limit)
		assert.Equal(t, p.want, seqs(got), "before %d limit %d", p.before, p.limit)
		assert.Equal(t, p.next, next, "next, before %d limit %d", p.before, p.limit)
	}

	// Walking the pages with next visits every entry once, newest first.
	var all []int64
	var before int64
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10, "paging does not end")
		got, next, err := s.History(h.ctx, before, 3)
		require.NoError(t, err)
		all = append(all, seqs(got)...)
		if next == 0 {
			break
		}
		before = next
	}
	assert.Equal(t, []int64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, all)

	got, _, err := s.History(h.ctx, 0, 2)
	require.NoError(t, err)
	assert.Equal(t, "user10@acme", got[0].Detail)
	assert.Equal(t, day("2026-01-01").Add(10*time.Hour), got[0].At)
	assert.Equal(t, day("2026-01-01").Add(9*time.Hour), got[1].At)
}

// TestHistory_P5_PageLimits: the page size is 1 to MaxHistoryPage and the
// cursor is not negative; anything else gets ErrInvalidInput (P5).
func TestHistory_P5_PageLimits(t *testing.T) {
	h := newPortalHarness(t)
	s := h.as("acme")
	for _, c := range []struct {
		before int64
		limit  int
	}{{0, 0}, {0, -1}, {0, portal.MaxHistoryPage + 1}, {0, 1 << 40}, {-1, 10}, {-1 << 62, 10}} {
		got, next, err := s.History(h.ctx, c.before, c.limit)
		require.ErrorIs(t, err, license.ErrInvalidInput, "before %d limit %d", c.before, c.limit)
		assert.Nil(t, got)
		assert.Zero(t, next)
	}
	assert.Equal(t, 1000, portal.MaxHistoryPage)
	got, next, err := s.History(h.ctx, 0, portal.MaxHistoryPage)
	require.NoError(t, err)
	assert.Equal(t, []int64{1}, seqs(got))
	assert.Zero(t, next)
}

// TestHistory_P5_MoreThanOnePageOfTheMaximum: a history longer than
// MaxHistoryPage is read in full pages, with exact cursors (P5).
func TestHistory_P5_MoreThanOnePageOfTheMaximum(t *testing.T) {
	h := newPortalHarness(t)
	mustAddKey(t, h, "acme", h.key(seatsLicense("SN-A1", 10))) // Seq 2
	s := h.as("acme")
	for i := 3; i <= 1200; i++ { // set and change one entry: one record each
		require.NoError(t, s.SetCustomData(h.ctx, "SN-A1", "counter", fmt.Sprint(i)))
	}
	got, next, err := s.History(h.ctx, 0, portal.MaxHistoryPage)
	require.NoError(t, err)
	require.Len(t, got, 1000)
	assert.Equal(t, int64(1200), got[0].Seq)
	assert.Equal(t, int64(201), got[999].Seq)
	assert.Equal(t, int64(201), next)
	got, next, err = s.History(h.ctx, next, portal.MaxHistoryPage)
	require.NoError(t, err)
	require.Len(t, got, 200)
	assert.Equal(t, int64(200), got[0].Seq)
	assert.Equal(t, int64(1), got[199].Seq)
	assert.Zero(t, next)
}

// TestHistory_P5_FailedOperationsAppendNothing: an operation that fails,
// for whatever reason, records nothing, and one that changes nothing
// records nothing either (P5).
func TestHistory_P5_FailedOperationsAppendNothing(t *testing.T) {
	h := newPortalHarness(t)
	key := h.key(seatsLicense("SN-A1", 10))
	mustAddKey(t, h, "acme", key)
	require.NoError(t, h.as("acme").ShareKey(h.ctx, "SN-A1", "carol@acme"))
	require.NoError(t, h.as("acme").SetCustomData(h.ctx, "SN-A1", "po", "PO-1"))
	mustDelegate(t, h, "acme", "reseller")
	globexKey := h.key(seatsLicense("SN-G1", 10))
	mustAddKey(t, h, "globex", globexKey)
	before := histAll(t, h, "acme")
	h.at(day("2026-03-01"))

	s := h.as("acme")
	for name, op := range map[string]func() error{
		"AddKeyTwice": func() error { _, err := s.AddKey(h.ctx, key, portal.KeyOptions{}); return err },
		"AddKeyOfGlobex": func() error {
			_, err := s.AddKey(h.ctx, globexKey, portal.KeyOptions{})
			return err
		},
		"AddKeyMalformed":        func() error { _, err := s.AddKey(h.ctx, "not a key", portal.KeyOptions{}); return err },
		"RemoveUnknownKey":       func() error { return s.RemoveKey(h.ctx, "SN-NONE") },
		"ShareUnknownKey":        func() error { return s.ShareKey(h.ctx, "SN-NONE", "x@acme") },
		"ShareBadRecipient":      func() error { return s.ShareKey(h.ctx, "SN-A1", "x\n@acme") },
		"UnshareUnknownKey":      func() error { return s.UnshareKey(h.ctx, "SN-NONE", "carol@acme") },
		"SetCustomBadKey":        func() error { return s.SetCustomData(h.ctx, "SN-A1", "", "v") },
		"SetCustomUnknownKey":    func() error { return s.SetCustomData(h.ctx, "SN-NONE", "po", "v") },
		"DeleteCustomUnknown":    func() error { return s.DeleteCustomData(h.ctx, "SN-NONE", "po") },
		"DelegateToItself":       func() error { return s.Delegate(h.ctx, "acme") },
		"UndelegateNotDelegated": func() error { return s.Undelegate(h.ctx, "globex") },
		"PartnerDelegates":       func() error { return asPartner(h, "acme").Delegate(h.ctx, "globex") },
		"PartnerUndelegates":     func() error { return asPartner(h, "acme").Undelegate(h.ctx, "reseller") },
		"OtherOrgShares": func() error {
			return h.p.Org(portal.Actor{ID: "m@globex", Org: "globex"}, "acme").ShareKey(h.ctx, "SN-A1", "m@globex")
		},
		"HistoryBadLimit": func() error { _, _, err := s.History(h.ctx, 0, 0); return err },
	} {
		require.Error(t, op(), name)
		assert.Equal(t, before, histAll(t, h, "acme"), "%s recorded something", name)
	}

	// Operations that change nothing record nothing.
	for name, op := range map[string]func() error{
		"ShareAgain":        func() error { return s.ShareKey(h.ctx, "SN-A1", "carol@acme") },
		"UnshareNotShared":  func() error { return s.UnshareKey(h.ctx, "SN-A1", "dave@acme") },
		"SetSameValue":      func() error { return s.SetCustomData(h.ctx, "SN-A1", "po", "PO-1") },
		"DeleteMissingData": func() error { return s.DeleteCustomData(h.ctx, "SN-A1", "cost") },
		"DelegateAgain":     func() error { return s.Delegate(h.ctx, "reseller") },
		"Reads": func() error {
			_, err := s.Keys(h.ctx)
			if err == nil {
				_, _, err = s.History(h.ctx, 0, 5)
			}
			return err
		},
	} {
		require.NoError(t, op(), name)
		assert.Equal(t, before, histAll(t, h, "acme"), "%s recorded something", name)
	}
}

// TestHistory_P5_PagesAreCopies: changing a page returned by History
// changes no entry: the history is append-only (P5).
func TestHistory_P5_PagesAreCopies(t *testing.T) {
	h := newPortalHarness(t)
	mustAddKey(t, h, "acme", h.key(seatsLicense("SN-A1", 10)))
	page, _, err := h.as("acme").History(h.ctx, 0, 10)
	require.NoError(t, err)
	want := histAll(t, h, "acme")
	page[0].Action, page[0].Actor, page[1].Seq = "key.forged", "mallory", 99
	assert.Equal(t, want, histAll(t, h, "acme"))

	// Entries appended later do not show through a page read before.
	old, _, err := h.as("acme").History(h.ctx, 0, 10)
	require.NoError(t, err)
	oldCopy := append([]portal.HistoryEntry(nil), old...)
	require.NoError(t, h.as("acme").ShareKey(h.ctx, "SN-A1", "carol@acme"))
	assert.Equal(t, oldCopy, old)
	assert.Len(t, histAll(t, h, "acme"), 3)
}

// TestHistory_P5_KeptPerOrganization: an organization's history holds its
// own actions only, numbered from 1 (P5, P4).
func TestHistory_P5_KeptPerOrganization(t *testing.T) {
	h := newPortalHarness(t)
	mustAddKey(t, h, "acme", h.key(seatsLicense("SN-A1", 10)))
	mustAddKey(t, h, "globex", h.key(seatsLicense("SN-G1", 10)))
	mustAddKey(t, h, "globex", h.key(seatsLicense("SN-G2", 10)))

	acme, globex := histAll(t, h, "acme"), histAll(t, h, "globex")
	assert.Equal(t, []int64{1, 2}, seqs(acme))
	assert.Equal(t, []int64{1, 2, 3}, seqs(globex))
	for _, e := range acme {
		assert.NotEqual(t, "globex", e.Org)
	}
	assert.Equal(t, "SN-G2", globex[2].Subject)
}

// TestHistory_P5_ConcurrentChangesNumberedInOrder: concurrent changes each
// get their own entry, numbered 1, 2, 3… without gaps or repeats (P5).
func TestHistory_P5_ConcurrentChangesNumberedInOrder(t *testing.T) {
	h := newPortalHarness(t)
	mustAddKey(t, h, "acme", h.key(seatsLicense("SN-A1", 10)))
	mustDelegate(t, h, "acme", "reseller")
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s := h.as("acme")
			if i%2 == 1 {
				s = asPartner(h, "acme")
			}
			assert.NoError(t, s.SetCustomData(h.ctx, "SN-A1", fmt.Sprintf("k%02d", i), "v"))
		})
	}
	wg.Wait()
	hist := histAll(t, h, "acme")
	require.Len(t, hist, 4+n) // created, key added, invited, accepted
	seen := map[string]bool{}
	for i, e := range hist {
		assert.Equal(t, int64(i+1), e.Seq)
		if i >= 4 {
			assert.Equal(t, "key.custom.set", e.Action)
			seen[e.Detail] = true
		}
	}
	assert.Len(t, seen, n)
}
