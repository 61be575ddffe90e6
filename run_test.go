package license_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
)

// Run follows a mock clock moved far ahead in one Set: it wakes at each
// instant at which something is due, not minute by minute, and reaches the
// state at the mock's instant at once (S3, S4, S5 driven by Run).
func TestManager_RunFollowsAMockMovedFarAhead(t *testing.T) {
	got := make(chan license.Event, 100)
	armed := make(chan struct{}, 1)
	var timers atomic.Int64
	h := newHarness(t, day("2026-01-01"), func(c *license.ManagerConfig) {
		c.OnEvent = func(e license.Event) { got <- e } // the default PollInterval
		c.Clock = armingClock{Mock: c.Clock.(*clock.Mock), armed: armed, calls: &timers}
	})
	h.add(license.License{Expiry: day("2026-02-01")})
	require.Equal(t, license.EventActivated, (<-got).Kind)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.m.Run(ctx) }()
	<-armed // Run waits on the mock's timer
	h.clk.Set(day("2026-06-01"))

	guard := time.After(20 * time.Second) // fails the test; never reached when Run keeps up
	var kinds []license.EventKind
	for e := range got {
		kinds = append(kinds, e.Kind)
		if e.Kind == license.EventDeleted {
			assert.Equal(t, day("2026-03-17"), e.At, "the end of grace and suspension")
			break
		}
		select {
		case <-guard:
			t.Fatalf("Run is still behind the mock clock after 20s; events so far: %v", kinds)
		default:
		}
	}
	assert.Equal(t, license.Deleted, h.state())
	// One wake per due instant: the 5 notices, grace, its halfway point,
	// suspension, the deletion notice and deletion; not one a minute.
	assert.LessOrEqual(t, timers.Load(), int64(2*len(kinds)+2), "timers armed on the mock")
	assert.Contains(t, kinds, license.EventGraceStarted)
	assert.Contains(t, kinds, license.EventSuspended)
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
}

// armingClock is a mock clock that says when a timer is armed on it.
type armingClock struct {
	*clock.Mock
	armed chan struct{}
	calls *atomic.Int64 // timers armed
}

func (c armingClock) After(d time.Duration) <-chan time.Time {
	ch := c.Mock.After(d)
	c.calls.Add(1)
	select {
	case c.armed <- struct{}{}:
	default:
	}
	return ch
}

// countingStore counts the writes of the Store it wraps.
type countingStore struct {
	license.Store
	saves atomic.Int64
}

func (s *countingStore) SaveInstallation(ctx context.Context, id string, st license.InstallationState) (int64, error) {
	s.saves.Add(1)
	return s.Store.SaveInstallation(ctx, id, st)
}

// An Advance at which nothing falls due writes nothing and evaluates once;
// a change evaluates at most twice. An application may call Advance on
// every request.
func TestManager_AdvanceWithNothingDueWritesNothing(t *testing.T) {
	store := &countingStore{Store: license.NewMemoryStore()}
	h := newHarness(t, day("2026-01-01"), func(c *license.ManagerConfig) { c.Store = store })
	h.add(license.License{Features: []string{"backup"}, Expiry: day("2027-01-01")})
	h.at(day("2026-01-02"))

	saves, evals := store.saves.Load(), h.m.Evaluations()
	for i := range 50 {
		require.NoError(t, h.m.Advance(h.ctx, day("2026-01-02").Add(time.Duration(i)*time.Second)))
	}
	assert.Equal(t, saves, store.saves.Load(), "nothing due: nothing written")
	assert.Equal(t, evals+50, h.m.Evaluations(), "one evaluation per Advance")

	// Once the latest time seen has moved a minute, it is saved (S9).
	require.NoError(t, h.m.Advance(h.ctx, day("2026-01-02").Add(2*time.Minute)))
	assert.Equal(t, saves+1, store.saves.Load())

	// An Advance with an event due, and an operation, evaluate at most
	// twice.
	evals = h.m.Evaluations()
	h.at(day("2026-12-02")) // the first expiry notice
	assert.LessOrEqual(t, h.m.Evaluations()-evals, 2)
	evals = h.m.Evaluations()
	h.add(license.License{Features: []string{"backup"}, Start: day("2027-01-01"), Expiry: day("2028-01-01")})
	assert.LessOrEqual(t, h.m.Evaluations()-evals, 2)
}

// monoClock reads the system's clock, shifted by an offset the test sets:
// its readings carry a monotonic reading, as the system clock's do.
type monoClock struct {
	mu   sync.Mutex
	base time.Time
	off  time.Duration
}

func (c *monoClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Add(c.off)
}

func (c *monoClock) After(time.Duration) <-chan time.Time { return make(chan time.Time) }

// S9: in a running process the latest time seen advances with the
// monotonic clock: a wall clock left behind the latest time seen does not
// freeze the evaluation there.
func TestManager_S9_LatestSeenAdvancesWithMonotonicClock(t *testing.T) {
	mono := &monoClock{base: time.Now()}
	wall := mono.base.Round(0).UTC()
	store := license.NewMemoryStore()
	// An earlier run saw a time 30 minutes ahead of the wall clock now.
	h := newHarness(t, wall.Add(30*time.Minute), func(c *license.ManagerConfig) { c.Store = store })
	latest := h.m.Status().At
	h.add(license.License{Features: []string{"backup"}, IssuedAt: wall.Add(-license.Day), Expiry: wall.Add(30 * license.Day)})

	h.cfg.Clock = mono
	h.reopen()
	assert.Equal(t, latest, h.m.Status().At, "a wall clock behind evaluates at the latest time seen")
	assert.True(t, h.m.Check("backup").Allowed, "within the tolerance")

	mono.mu.Lock()
	mono.off = 10 * time.Minute
	mono.mu.Unlock()
	require.NoError(t, h.m.Advance(h.ctx, mono.Now()))
	assert.Equal(t, latest.Add(10*time.Minute), h.m.Status().At, "ten minutes elapsed in this process")
	assert.True(t, h.m.Check("backup").Allowed)
}
