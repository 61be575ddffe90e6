package license_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
)

// Tests of what an installation keeps and how it resists being reset or
// frozen into extra rights (L2, S6, S9, R7, N1, S3, S8).

// S6: a key with no Start added during suspension grants from the instant
// it was added, not since the beginning of time: restored is sent, and the
// grace and suspension already delivered stay in the timeline.
func TestManager_S6_KeyWithoutStartAddedInSuspensionRestores(t *testing.T) {
	h := newHarness(t, day("2026-01-01"))
	h.add(license.License{Features: []string{"backup"}, Expiry: day("2026-03-01")})
	walk(h, day("2026-03-20"))
	require.Equal(t, license.Suspended, h.state())
	h.events()

	h.add(license.License{Features: []string{"backup"}, Expiry: day("2027-03-01")})
	assert.Equal(t, license.Active, h.state())
	assert.Equal(t, []string{"2026-03-20T00:00:00Z restored", "2026-03-20T00:00:00Z activated"}, sortedKinds(h.events()))
	var kinds []string
	for _, e := range h.m.Status().Events {
		kinds = append(kinds, e.At.Format(time.DateOnly)+" "+string(e.Kind))
	}
	assert.Contains(t, kinds, "2026-03-01 grace-started")
	assert.Contains(t, kinds, "2026-03-15 suspended")
	assert.Contains(t, kinds, "2026-03-20 restored")
}

// S6: the same during grace.
func TestManager_S6_KeyWithoutStartAddedInGraceRestores(t *testing.T) {
	h := newHarness(t, day("2026-01-01"))
	h.add(license.License{Expiry: day("2026-03-01")})
	walk(h, day("2026-03-05"))
	require.Equal(t, license.Grace, h.state())
	h.events()
	h.add(license.License{Expiry: day("2027-03-01")})
	assert.Equal(t, []string{"2026-03-05T00:00:00Z restored", "2026-03-05T00:00:00Z activated"}, sortedKinds(h.events()))
}

// sortedKinds orders "<instant> <kind>" lines by instant, restored before
// activated, so that tests need not depend on the order within an
// instant.
func sortedKinds(lines []string) []string {
	slices.SortStableFunc(lines, func(a, b string) int {
		if a[:20] != b[:20] {
			return compare(a[:20], b[:20])
		}
		return compare(b[21:], a[21:])
	})
	return lines
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// S9: a clock set back less than the tolerance, again and again, does not
// freeze time: the set-backs add up against the tolerance and the rollback
// is reported. The clock here is set back 55 minutes each time it has
// caught up, under the 1-hour tolerance.
func TestManager_S9_SmallSetBacksAddUp(t *testing.T) {
	start := day("2026-01-01")
	h := newHarness(t, start)
	h.add(license.License{Features: []string{"backup"}, Expiry: start.Add(30 * license.Day)})
	reported := false
	wall := start
	for range 24 * 60 { // sixty days of 55-minute steps back
		wall = wall.Add(55 * time.Minute)
		h.at(wall) // the clock has caught up with the latest time seen
		h.at(wall.Add(-55 * time.Minute))
		if slices.ContainsFunc(h.events(), func(s string) bool { return s[21:] == string(license.EventClockRollback) }) {
			reported = true
			break
		}
	}
	assert.True(t, reported, "the repeated set-backs were never reported")
	d := h.m.Check("backup")
	assert.False(t, d.Allowed)
	assert.ErrorIs(t, d.Reason, license.ErrClockRollback)

	h.at(start.Add(40 * license.Day))
	assert.Equal(t, license.Grace, h.state(), "moving the clock forward recovers")
	assert.NoError(t, h.m.Check("").Reason)
}

// S9: the same across restarts: the set-backs counted are persisted.
func TestManager_S9_SmallSetBacksAddUpAcrossRestarts(t *testing.T) {
	start := day("2026-01-01")
	h := newHarness(t, start)
	h.add(license.License{Features: []string{"backup"}, Expiry: start.Add(30 * license.Day)})
	h.at(start.Add(time.Hour))
	h.clk.Set(start.Add(5 * time.Minute)) // 55 minutes back, then restart
	h.reopen()
	require.True(t, h.m.Check("backup").Allowed, "one step within the tolerance is a routine correction")
	h.at(start.Add(time.Hour))
	h.clk.Set(start.Add(5 * time.Minute))
	h.reopen()
	assert.ErrorIs(t, h.m.Check("backup").Reason, license.ErrClockRollback, "the second step adds up to more than the tolerance")
}

// S9: the set-backs counted refill slowly: one tolerance per 30 days, so
// that an occasional correction never trips the check.
func TestManager_S9_SetBackToleranceRefills(t *testing.T) {
	start := day("2026-01-01")
	h := newHarness(t, start)
	h.add(license.License{Features: []string{"backup"}})
	for i := range 12 { // a 55-minute correction every month for a year
		t0 := start.Add(time.Duration(i+1) * 31 * license.Day)
		h.at(t0)
		h.at(t0.Add(-55 * time.Minute))
		require.True(t, h.m.Check("backup").Allowed, "month %d", i+1)
	}
	assert.NotContains(t, h.events(), "clock-rollback")
}

// failingLoadStore is a Store whose stored state is corrupt: Load fails
// with ErrCorrupt until the state is deleted.
type corruptStore struct {
	*license.MemoryStore
	mu      sync.Mutex
	corrupt bool
}

func (s *corruptStore) LoadInstallation(ctx context.Context, id string) (license.InstallationState, error) {
	s.mu.Lock()
	bad := s.corrupt
	s.mu.Unlock()
	if bad {
		return license.InstallationState{}, license.ErrCorrupt
	}
	return s.MemoryStore.LoadInstallation(ctx, id)
}

func (s *corruptStore) SaveInstallation(ctx context.Context, id string, st license.InstallationState) (int64, error) {
	s.mu.Lock()
	bad := s.corrupt
	s.mu.Unlock()
	if bad {
		return 0, license.ErrCorrupt
	}
	return s.MemoryStore.SaveInstallation(ctx, id, st)
}

func (s *corruptStore) DeleteInstallation(ctx context.Context, id string, version int64) error {
	s.mu.Lock()
	if s.corrupt {
		// A corrupt document is deleted whatever the version (its version
		// cannot be read), as the Store contract says.
		s.corrupt = false
		s.mu.Unlock()
		st, err := s.MemoryStore.LoadInstallation(ctx, id)
		if err != nil {
			return err
		}
		return s.MemoryStore.DeleteInstallation(ctx, id, st.Version)
	}
	s.mu.Unlock()
	return s.MemoryStore.DeleteInstallation(ctx, id, version)
}

// S9: a state that cannot be read does not stop the application: it is
// reported, and the installation starts again as one whose trial was used,
// its floor the newest issue time among the keys added again.
func TestManager_S9_CorruptStateStartsWithTrialUsed(t *testing.T) {
	store := &corruptStore{MemoryStore: license.NewMemoryStore()}
	h := newHarness(t, day("2026-01-01"), func(c *license.ManagerConfig) { c.Store = store })
	require.NoError(t, h.m.StartTrial(h.ctx))
	key := h.key(license.License{Features: []string{"backup"}, Expiry: day("2026-06-01")})
	h.at(day("2026-02-10"))
	h.events()

	store.mu.Lock()
	store.corrupt = true
	store.mu.Unlock()
	h.clk.Set(day("2026-01-15")) // and the clock set back, for good measure
	h.reopen()
	ev := h.m.Status()
	assert.ErrorIs(t, ev.StateReset, license.ErrCorrupt, "Status reports the unreadable state")
	assert.Contains(t, h.events(), "2026-01-15T00:00:00Z "+"state-reset")
	assert.ErrorIs(t, h.m.StartTrial(h.ctx), license.ErrTrialUsed, "no second trial")

	_, err := h.m.AddKey(h.ctx, key)
	require.NoError(t, err)
	assert.True(t, h.m.Check("backup").Allowed)

	h.reopen()
	assert.ErrorIs(t, h.m.StartTrial(h.ctx), license.ErrTrialUsed, "the reset state is saved")
	assert.ErrorIs(t, h.m.Status().StateReset, license.ErrCorrupt, "and still reported after a restart")
}

// R7: replacing the active key is one step: the reserve that expires before
// the new key's validity ends is removed, not promoted, whatever the order.
func TestManager_R7_ReplaceKeyRemovesReserveThatCannotTakeOver(t *testing.T) {
	h := newHarness(t, day("2026-01-01"))
	a := h.add(license.License{Edition: "standard", Expiry: day("2026-06-01")})
	h.at(day("2026-03-01"))
	b, err := h.m.AddReserve(h.ctx, h.key(license.License{Edition: "standard", Expiry: day("2026-09-01")}))
	require.NoError(t, err)
	h.events()

	c, err := h.m.ReplaceKey(h.ctx, a.ID, h.key(license.License{Edition: "standard", Expiry: day("2027-03-01")}))
	require.NoError(t, err)
	got := h.events()
	assert.Contains(t, got, "2026-03-01T00:00:00Z reserve-removed")
	assert.NotContains(t, got, "2026-03-01T00:00:00Z reserve-promoted")
	var ids []string
	for _, k := range h.m.Keys() {
		ids = append(ids, k.License.ID)
	}
	assert.Equal(t, []string{c.ID}, ids, "%s replaced %s; reserve %s removed", c.ID, a.ID, b.ID)

	// Another reserve can then be added.
	_, err = h.m.AddReserve(h.ctx, h.key(license.License{Edition: "standard", Expiry: day("2027-09-01")}))
	assert.NoError(t, err)
}

// R7: a reserve that outlasts the new active key stays in reserve behind
// it; R4 still applies.
func TestManager_R7_ReplaceKeyKeepsReserveThatOutlastsTheNewKey(t *testing.T) {
	h := newHarness(t, day("2026-01-01"))
	a := h.add(license.License{Edition: "standard", Expiry: day("2026-06-01")})
	h.at(day("2026-03-01"))
	b, err := h.m.AddReserve(h.ctx, h.key(license.License{Edition: "standard", Expiry: day("2027-09-01")}))
	require.NoError(t, err)
	_, err = h.m.ReplaceKey(h.ctx, a.ID, h.key(license.License{Edition: "standard", Expiry: day("2027-03-01")}))
	require.NoError(t, err)
	keys := h.m.Keys()
	require.Len(t, keys, 2)
	assert.Equal(t, b.ID, keys[0].License.ID, "held keys in the order added")
	assert.True(t, keys[0].Reserve)
	walk(h, day("2027-03-02"))
	assert.Contains(t, h.events(), "2027-03-01T00:00:00Z reserve-promoted")
}

// ReplaceKey refuses, changing nothing, an unknown old key or a bad new
// one.
func TestManager_R7_ReplaceKeyRefusals(t *testing.T) {
	h := newHarness(t, day("2026-01-01"))
	a := h.add(license.License{Edition: "standard", Expiry: day("2026-06-01")})
	before := h.m.Keys()
	_, err := h.m.ReplaceKey(h.ctx, "SN-999", h.key(license.License{Expiry: day("2027-01-01")}))
	assert.ErrorIs(t, err, license.ErrUnknownLicense)
	_, err = h.m.ReplaceKey(h.ctx, a.ID, "LK1.garbage")
	assert.ErrorIs(t, err, license.ErrMalformedKey)
	_, err = h.m.ReplaceKey(h.ctx, a.ID, h.key(license.License{ID: a.ID, Expiry: day("2027-01-01")}))
	assert.ErrorIs(t, err, license.ErrKeyHeld)
	assert.Equal(t, before, h.m.Keys())
}

// A restarted application adds its keys again: a key already held (same
// digest) is returned and changes nothing.
func TestManager_AddKeyAgainIsIdempotent(t *testing.T) {
	h := newHarness(t, day("2026-01-01"))
	key := h.key(yearLicense())
	l, err := h.m.AddKey(h.ctx, key)
	require.NoError(t, err)
	h.at(day("2026-02-01"))
	h.events()
	before := h.m.Keys()
	again, err := h.m.AddKey(h.ctx, key)
	require.NoError(t, err)
	assert.Equal(t, l, again)
	assert.Equal(t, before, h.m.Keys())
	assert.Empty(t, h.events())

	// Another key with the same license ID is still refused.
	other := yearLicense()
	other.ID = l.ID
	other.Quantity = 20
	_, err = h.m.AddKey(h.ctx, h.key(other))
	assert.ErrorIs(t, err, license.ErrKeyHeld)
}

// Keys lists each held key with its role and instants.
func TestManager_R4_KeysListsRolesAndInstants(t *testing.T) {
	h := newHarness(t, day("2026-01-01"))
	a := h.add(license.License{Edition: "standard", Expiry: day("2026-06-01")})
	h.at(day("2026-03-01"))
	r, err := h.m.AddReserve(h.ctx, h.key(license.License{Edition: "standard", Term: 365 * license.Day}))
	require.NoError(t, err)
	keys := h.m.Keys()
	require.Len(t, keys, 2)
	assert.Equal(t, a.ID, keys[0].License.ID)
	assert.False(t, keys[0].Reserve)
	assert.Equal(t, day("2026-01-01"), keys[0].Added)
	assert.Equal(t, r.ID, keys[1].License.ID)
	assert.True(t, keys[1].Reserve)
	assert.True(t, keys[1].Activated.IsZero())

	walk(h, day("2026-06-02"))
	keys = h.m.Keys()
	require.Len(t, keys, 2)
	assert.False(t, keys[1].Reserve)
	assert.Equal(t, day("2026-06-01"), keys[1].Promoted)
	assert.Equal(t, day("2026-06-01"), keys[1].Activated, "a term reserve starts its term when promoted")
}

// OnEvent runs with the Manager unlocked: a handler may call any method,
// and events still arrive in order.
func TestManager_OnEventMayCallTheManager(t *testing.T) {
	var h *harness
	var mu sync.Mutex
	var got []string
	h = newHarness(t, day("2026-01-01"), func(c *license.ManagerConfig) {
		c.OnEvent = func(e license.Event) {
			mu.Lock()
			got = append(got, string(e.Kind))
			mu.Unlock()
			if e.Kind == license.EventGraceStarted {
				// The handler renews at once.
				_, err := h.m.AddKey(context.Background(), h.key(license.License{Expiry: day("2027-01-01")}))
				if err != nil {
					t.Errorf("AddKey from OnEvent: %v", err)
				}
				_ = h.m.Keys()
			}
		}
	})
	h.add(license.License{Expiry: day("2026-02-01")})
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.at(day("2026-02-02"))
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("OnEvent calling the Manager deadlocked")
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"activated", "expiry-notice", "expiry-notice", "expiry-notice", "expiry-notice", "expiry-notice", "grace-started", "activated", "restored"}, got)
	assert.Equal(t, license.Active, h.state())
}

// N1, R6: a reserve key is not renewed, even a fixed-expiry one inside its
// renewal window; it takes over from the active key instead.
func TestRenew_N1_R6_FixedExpiryReserveInItsWindowIsNotRenewable(t *testing.T) {
	h := newHarness(t, day("2026-01-01"))
	h.add(license.License{Edition: "standard", Expiry: day("2026-06-01")})
	h.at(day("2026-05-15"))
	r, err := h.m.AddReserve(h.ctx, h.key(license.License{Edition: "standard", Expiry: day("2026-06-10")}))
	require.NoError(t, err)
	_, err = h.m.RenewalRequest(r.ID)
	assert.ErrorIs(t, err, license.ErrNotRenewable)
	_, err = h.m.Renew(h.ctx, r.ID, h.key(license.License{Edition: "standard", Expiry: day("2027-06-10")}))
	assert.ErrorIs(t, err, license.ErrNotRenewable)
}

// S3: a one-day grace period still has its notices: at its start and at
// its halfway point.
func TestManager_S3_OneDayGraceHasItsNotices(t *testing.T) {
	h := newHarness(t, day("2026-01-01"), func(c *license.ManagerConfig) { c.Policy.Grace = license.Day })
	h.add(license.License{Expiry: day("2026-02-01")})
	h.at(day("2026-02-01"))
	h.at(day("2026-02-01").Add(12 * time.Hour))
	h.at(day("2026-02-02"))
	got := h.events()
	assert.Contains(t, got, "2026-02-01T00:00:00Z grace-started")
	assert.Contains(t, got, "2026-02-01T12:00:00Z grace-halfway")
	assert.Contains(t, got, "2026-02-02T00:00:00Z suspended")
}

// S8: a revoked license and a valid one that end at the same instant: the
// valid one expired, so grace follows; the revocation does not take it
// away.
func TestManager_S8_RevokedAndValidEndingTogetherIsGrace(t *testing.T) {
	for _, order := range []string{"valid first", "revoked first"} {
		t.Run(order, func(t *testing.T) {
			h := newHarness(t, day("2026-01-01"))
			valid := license.License{Features: []string{"backup"}, Expiry: day("2026-03-01")}
			other := license.License{Features: []string{"backup"}, Expiry: day("2026-09-01")}
			if order == "valid first" {
				h.add(valid)
				h.at(day("2026-01-02"))
				other.ID = "SN-R"
				h.add(other)
			} else {
				other.ID = "SN-R"
				h.add(other)
				h.at(day("2026-01-02"))
				h.add(valid)
			}
			h.at(day("2026-03-01"))
			require.NoError(t, h.m.Revoke(h.ctx, "SN-R"))
			d := h.m.Check("backup")
			assert.Equal(t, license.Grace, d.State)
			assert.True(t, d.Allowed)
		})
	}
}

// errorsIs is errors.Is, for table tests that keep a reason as any.
var _ = errors.Is
