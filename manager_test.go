package license_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
)

// yearLicense is a one-year term license of acme-backup.
func yearLicense() license.License {
	return license.License{Edition: "standard", Scheme: license.SchemePerDevice, Quantity: 10,
		Features: []string{"backup"}, Term: 365 * license.Day}
}

// walk advances h day by day from its clock's instant to end, inclusive,
// as a host calling Advance daily would, then sets the clock to end.
// (Setting the mock clock costs a millisecond each time, so it is set
// once.)
func walk(h *harness, end time.Time) {
	h.tb.Helper()
	for t := h.clk.Now().Add(license.Day); !t.After(end); t = t.Add(license.Day) {
		if err := h.m.Advance(h.ctx, t); err != nil {
			h.tb.Fatalf("Advance(%s): %v", t, err)
		}
	}
	h.clk.Set(end)
}

// The lifecycle's events over a year and a half, in order, each once (S1,
// S2, S3, S4, S5).
func lifecycleEvents() []string {
	return []string{
		"2026-01-01T00:00:00Z trial-started",
		"2026-01-10T00:00:00Z activated",
		"2026-12-11T00:00:00Z expiry-notice",
		"2026-12-27T00:00:00Z expiry-notice",
		"2027-01-03T00:00:00Z expiry-notice",
		"2027-01-07T00:00:00Z expiry-notice",
		"2027-01-09T00:00:00Z expiry-notice",
		"2027-01-10T00:00:00Z grace-started",
		"2027-01-17T00:00:00Z grace-halfway",
		"2027-01-24T00:00:00Z suspended",
		"2027-02-09T00:00:00Z deletion-notice",
		"2027-02-23T00:00:00Z deleted",
	}
}

func runLifecycle(t *testing.T, restartAt time.Time) *harness {
	h := newHarness(t, day("2026-01-01"))
	require.NoError(t, h.m.StartTrial(h.ctx))
	walk(h, day("2026-01-10"))
	h.add(yearLicense())
	if !restartAt.IsZero() {
		walk(h, restartAt)
		h.reopen()
	}
	walk(h, day("2027-03-31"))
	return h
}

// S1–S5: every event of the lifecycle is delivered once, in order, on its
// day.
func TestManager_S1_S5_LifecycleEventsOnce(t *testing.T) {
	h := runLifecycle(t, time.Time{})
	assert.Equal(t, lifecycleEvents(), h.events())
	assert.Equal(t, license.Deleted, h.state())
}

// A restart in the middle of the year sends nothing twice and misses
// nothing: a new Manager over the same store goes on where the first
// stopped.
func TestManager_RestartMidYearSendsNothingTwice(t *testing.T) {
	for _, restart := range []string{"2026-06-30", "2026-12-11", "2027-01-10", "2027-02-23"} {
		t.Run(restart, func(t *testing.T) {
			h := runLifecycle(t, day(restart))
			assert.Equal(t, lifecycleEvents(), h.events())
		})
	}
}

// A restarted application catches up: the events that fell due while it
// was stopped are delivered when it starts again, each once.
func TestManager_RestartAfterDowntimeCatchesUp(t *testing.T) {
	h := newHarness(t, day("2026-01-01"))
	require.NoError(t, h.m.StartTrial(h.ctx))
	h.at(day("2026-01-10"))
	h.add(yearLicense())
	h.clk.Set(day("2027-01-20")) // stopped from 2026-01-10 to 2027-01-20
	h.reopen()
	walk(h, day("2027-03-31"))
	assert.Equal(t, lifecycleEvents(), h.events())
}

// failingStore fails every save after the first n.
type failingStore struct {
	license.Store
	mu sync.Mutex
	n  int
}

func (s *failingStore) SaveInstallation(ctx context.Context, id string, st license.InstallationState) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		return 0, errors.New("disk full")
	}
	s.n--
	return s.Store.SaveInstallation(ctx, id, st)
}

// Events recorded but not yet known to be delivered when the application
// dies are delivered again on restart, with the same IDs, so a handler can
// deduplicate; events are never lost.
func TestManager_CrashBetweenDeliveryAndRecordRedelivers(t *testing.T) {
	mem := license.NewMemoryStore()
	store := &failingStore{Store: mem, n: 1 << 30}
	h := newHarness(t, day("2026-01-01"), func(c *license.ManagerConfig) { c.Store = store })
	h.add(yearLicense())
	h.events()

	// The save that records the notice goes through; the one that
	// records its delivery fails.
	store.n = 1
	h.clk.Set(day("2026-12-11"))
	err := h.m.Advance(h.ctx, day("2026-12-11"))
	require.Error(t, err)
	first := h.evs
	require.Len(t, first, 1)

	store.n = 1 << 30
	h.reopen()
	again := h.evs[1:]
	require.Len(t, again, 1, "redelivered on restart")
	assert.Equal(t, first[0].ID, again[0].ID)

	h.events()
	h.reopen()
	walk(h, day("2026-12-31"))
	assert.Equal(t, []string{"2026-12-18T00:00:00Z expiry-notice", "2026-12-25T00:00:00Z expiry-notice",
		"2026-12-29T00:00:00Z expiry-notice", "2026-12-31T00:00:00Z expiry-notice"}, h.events(), "then nothing twice")
}

// A failed save changes nothing: the operation reports the error and the
// Manager keeps its state.
func TestManager_FailedSaveChangesNothing(t *testing.T) {
	store := &failingStore{Store: license.NewMemoryStore(), n: 1 << 30}
	h := newHarness(t, day("2026-01-01"), func(c *license.ManagerConfig) { c.Store = store })
	store.n = 0
	_, err := h.m.AddKey(h.ctx, h.key(yearLicense()))
	require.Error(t, err)
	assert.Equal(t, license.Unlicensed, h.state())
	store.n = 1 << 30
	h.reopen()
	assert.Equal(t, license.Unlicensed, h.state())
	assert.Empty(t, h.events())
}

// S10: a trial starts once per installation, whether by StartTrial or by a
// trial key; an expired trial gets no grace period.
func TestManager_S10_TrialOnce(t *testing.T) {
	h := newHarness(t, day("2026-01-01"))
	require.NoError(t, h.m.StartTrial(h.ctx))
	assert.Equal(t, license.Trial, h.state())
	assert.True(t, h.m.Check("anything").Allowed, "S1: full functionality")
	assert.ErrorIs(t, h.m.StartTrial(h.ctx), license.ErrTrialUsed)
	_, err := h.m.AddKey(h.ctx, h.key(license.License{Trial: true, Term: 30 * license.Day}))
	assert.ErrorIs(t, err, license.ErrTrialUsed)

	h.at(day("2026-01-31").Add(-time.Nanosecond))
	assert.Equal(t, license.Trial, h.state())
	h.at(day("2026-01-31"))
	d := h.m.Check("")
	assert.Equal(t, license.Unlicensed, d.State)
	assert.ErrorIs(t, d.Reason, license.ErrTrialEnded)
	walk(h, day("2026-04-30"))
	assert.Equal(t, []string{"2026-01-01T00:00:00Z trial-started", "2026-01-31T00:00:00Z trial-ended"}, h.events(),
		"no grace, suspension or deletion after a trial")

	// The trial survives a restart: deleting nothing, it cannot be had
	// again.
	h.reopen()
	assert.ErrorIs(t, h.m.StartTrial(h.ctx), license.ErrTrialUsed)

	// A trial key counts as the trial too.
	k := newHarness(t, day("2026-01-01"))
	k.add(license.License{Trial: true, Term: 30 * license.Day, Features: []string{"backup"}})
	assert.ErrorIs(t, k.m.StartTrial(k.ctx), license.ErrTrialUsed)
}

// S8: revoking a license, or the end-user agreement, stops the grant at
// once; after the agreement is revoked no key can be added.
func TestManager_S8_Revocation(t *testing.T) {
	h := newHarness(t, day("2026-01-01"))
	a := h.add(yearLicense())
	h.at(day("2026-02-01"))
	require.NoError(t, h.m.Revoke(h.ctx, a.ID))
	d := h.m.Check("backup")
	assert.False(t, d.Allowed)
	assert.Equal(t, license.Revoked, d.State)
	assert.ErrorIs(t, d.Reason, license.ErrRevoked)
	assert.ErrorIs(t, h.m.Revoke(h.ctx, a.ID), license.ErrAlreadyRevoked)
	assert.ErrorIs(t, h.m.Revoke(h.ctx, "SN-404"), license.ErrUnknownLicense)

	h.add(yearLicense())
	assert.True(t, h.m.Check("backup").Allowed, "a new license grants again")
	require.NoError(t, h.m.RevokeAgreement(h.ctx))
	d = h.m.Check("backup")
	assert.False(t, d.Allowed)
	assert.ErrorIs(t, d.Reason, license.ErrAgreementRevoked)
	_, err := h.m.AddKey(h.ctx, h.key(yearLicense()))
	assert.ErrorIs(t, err, license.ErrAgreementRevoked)
	assert.Equal(t, []string{
		"2026-01-01T00:00:00Z activated",
		"2026-02-01T00:00:00Z revoked",
		"2026-02-01T00:00:00Z activated",
		"2026-02-01T00:00:00Z agreement-revoked",
	}, h.events())
}

// S6: a license added during grace or suspension returns the installation
// to Active at once; nothing restores a deleted one.
func TestManager_S6_RestoreButNeverFromDeleted(t *testing.T) {
	for _, tc := range []struct {
		when  string
		state license.State
	}{{"2027-01-12", license.Grace}, {"2027-02-01", license.Suspended}} {
		t.Run(tc.state.String(), func(t *testing.T) {
			h := newHarness(t, day("2026-01-10"))
			h.add(yearLicense())
			walk(h, day(tc.when))
			require.Equal(t, tc.state, h.state())
			h.events()
			h.add(yearLicense())
			assert.Equal(t, license.Active, h.state())
			assert.Equal(t, []string{tc.when + "T00:00:00Z activated", tc.when + "T00:00:00Z restored"}, h.events())
		})
	}
	h := newHarness(t, day("2026-01-10"))
	h.add(yearLicense())
	walk(h, day("2027-02-23"))
	require.Equal(t, license.Deleted, h.state())
	_, err := h.m.AddKey(h.ctx, h.key(yearLicense()))
	assert.ErrorIs(t, err, license.ErrDeleted)
	h.reopen()
	assert.Equal(t, license.Deleted, h.state(), "deletion survives a restart")
}

// S7: activating starts a 30-day activation grace; with fewer seats than
// devices in use at its end, the software loses its license.
func TestManager_S7_ActivationGrace(t *testing.T) {
	h := newHarness(t, day("2026-01-01"))
	h.add(yearLicense()) // 10 seats
	require.NoError(t, h.m.SetUsage(h.ctx, 12))
	assert.ErrorIs(t, h.m.SetUsage(h.ctx, -1), license.ErrInvalidUsage)
	h.at(day("2026-01-31").Add(-time.Nanosecond))
	assert.Equal(t, license.Active, h.state())
	h.at(day("2026-01-31"))
	d := h.m.Check("backup")
	assert.Equal(t, license.Unlicensed, d.State)
	assert.ErrorIs(t, d.Reason, license.ErrInsufficientLicenses)

	h.add(license.License{Edition: "standard", Scheme: license.SchemePerDevice, Quantity: 5, Term: 365 * license.Day})
	assert.True(t, h.m.Check("backup").Allowed, "15 seats for 12 devices")
	assert.Contains(t, h.events(), "2026-01-31T00:00:00Z unlicensed")

	// After the deadline, usage rising above the seats loses the license
	// at once, with its event; a restart keeps it.
	h.at(day("2026-03-01"))
	require.NoError(t, h.m.SetUsage(h.ctx, 16))
	assert.ErrorIs(t, h.m.Check("").Reason, license.ErrInsufficientLicenses)
	h.reopen()
	assert.ErrorIs(t, h.m.Check("").Reason, license.ErrInsufficientLicenses)
	require.NoError(t, h.m.SetUsage(h.ctx, 15))
	assert.True(t, h.m.Check("backup").Allowed)
	assert.Equal(t, []string{"2026-03-01T00:00:00Z unlicensed"}, h.events())
}

// S9: a clock set back beyond the tolerance is reported once, evaluated
// at the latest time seen and denied; moving the clock forward recovers.
func TestManager_S9_ClockRollbackDenied(t *testing.T) {
	h := newHarness(t, day("2026-01-01"))
	h.add(license.License{Features: []string{"backup"}, Expiry: day("2026-06-01")})
	walk(h, day("2026-06-10"))
	require.Equal(t, license.Grace, h.state())
	h.events()

	h.at(day("2026-06-10").Add(-time.Hour)) // within tolerance
	d := h.m.Check("backup")
	assert.True(t, d.Allowed)
	assert.Equal(t, license.Grace, d.State)
	assert.Empty(t, h.events())

	h.at(day("2026-03-01")) // back while the license was valid
	d = h.m.Check("backup")
	assert.False(t, d.Allowed)
	assert.ErrorIs(t, d.Reason, license.ErrClockRollback)
	assert.Equal(t, license.Grace, d.State, "evaluated at the latest time seen, never earlier")
	h.at(day("2026-03-02"))
	assert.Equal(t, []string{"2026-06-10T00:00:00Z clock-rollback"}, h.events(), "reported once")

	h.reopen()
	assert.False(t, h.m.Check("backup").Allowed, "the latest time seen is persisted")
	h.at(day("2026-06-10"))
	assert.True(t, h.m.Check("backup").Allowed, "moving the clock forward recovers")
	assert.Empty(t, h.events())
}

// S9: with RollbackUseLatest the grant of the latest time seen stands, and
// the rollback is still reported.
func TestManager_S9_ClockRollbackUseLatest(t *testing.T) {
	h := newHarness(t, day("2026-01-01"), func(c *license.ManagerConfig) {
		c.Policy.OnRollback = license.RollbackUseLatest
	})
	h.add(license.License{Features: []string{"backup"}, Expiry: day("2026-06-01")})
	walk(h, day("2026-07-01"))
	require.Equal(t, license.Suspended, h.state())
	h.events()
	h.at(day("2026-03-01"))
	d := h.m.Check("backup")
	assert.Equal(t, license.Suspended, d.State, "setting the clock back does not bring the license back")
	assert.ErrorIs(t, d.Reason, license.ErrSuspended)
	assert.Equal(t, []string{"2026-07-01T00:00:00Z clock-rollback"}, h.events())
}

// S9: deleting or replacing the stored state never extends a right: the
// floor is the newest issue time among the keys held.
func TestManager_S9_FreshStateFloorIsNewestIssueTime(t *testing.T) {
	h := newHarness(t, day("2026-05-01"))
	key := h.key(license.License{Features: []string{"backup"}, IssuedAt: day("2026-05-01"), Expiry: day("2026-06-01")})

	// A fresh installation on a machine whose clock reads before the
	// key was issued: the key says the clock is wrong.
	fresh := newHarness(t, day("2026-01-01"))
	fresh.sk, fresh.cfg.Verifier = h.sk, h.cfg.Verifier
	fresh.reopen()
	_, err := fresh.m.AddKey(fresh.ctx, key)
	require.NoError(t, err)
	d := fresh.m.Check("backup")
	assert.False(t, d.Allowed)
	assert.ErrorIs(t, d.Reason, license.ErrClockRollback)
	assert.Equal(t, day("2026-05-01"), fresh.m.Status().At, "evaluated at the key's issue time")

	// An issue time within the tolerance ahead of the clock is drift,
	// not tampering.
	drift := newHarness(t, day("2026-05-01").Add(-30*time.Minute))
	drift.sk, drift.cfg.Verifier = h.sk, h.cfg.Verifier
	drift.reopen()
	_, err = drift.m.AddKey(drift.ctx, key)
	require.NoError(t, err)
	assert.True(t, drift.m.Check("backup").Allowed)
}

// Bad input gets a typed error and changes nothing.
func TestManager_BadInputChangesNothing(t *testing.T) {
	h := newHarness(t, day("2026-01-01"), func(c *license.ManagerConfig) { c.Product = "acme-backup" })
	h.add(yearLicense())
	h.events()
	before := h.m.Status()
	other := MustSigningKey(t, "globex", "other")
	held := h.key(license.License{ID: "SN-001", Term: 30 * license.Day})
	for name, tc := range map[string]struct {
		do   func() error
		want error
	}{
		"Malformed": {func() error { _, err := h.m.AddKey(h.ctx, "LK1.nonsense"); return err }, license.ErrMalformedKey},
		"UnknownSigner": {func() error {
			_, err := h.m.AddKey(h.ctx, MustSign(t, other, fullLicense()))
			return err
		}, license.ErrUnknownSigner},
		"WrongProduct": {func() error {
			_, err := h.m.AddKey(h.ctx, h.key(license.License{Product: "acme-mail"}))
			return err
		}, license.ErrWrongProduct},
		"Held":          {func() error { _, err := h.m.AddKey(h.ctx, held); return err }, license.ErrKeyHeld},
		"RemoveUnknown": {func() error { return h.m.RemoveKey(h.ctx, "SN-404") }, license.ErrUnknownLicense},
		"RenewUnknown": {func() error {
			_, err := h.m.Renew(h.ctx, "SN-404", h.key(yearLicense()))
			return err
		}, license.ErrUnknownLicense},
		"NegativeUsage": {func() error { return h.m.SetUsage(h.ctx, -3) }, license.ErrInvalidUsage},
	} {
		t.Run(name, func(t *testing.T) {
			assert.ErrorIs(t, tc.do(), tc.want)
			if diff := cmp.Diff(before, h.m.Status(), cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
				t.Errorf("status changed (-before +after):\n%s", diff)
			}
			assert.Empty(t, h.events())
		})
	}
}

func TestNewManager_Errors(t *testing.T) {
	_, err := license.NewManager(context.Background(), license.ManagerConfig{})
	assert.Error(t, err)
	v := MustVerifier(t, MustSigningKey(t, "acme", "x"))
	_, err = license.NewManager(context.Background(), license.ManagerConfig{Verifier: v, Policy: license.Policy{Grace: -2 * license.Day}})
	assert.ErrorIs(t, err, license.ErrInvalidPolicy)
}

// RemoveKey drops a license; the installation's state follows, with an
// event.
func TestManager_RemoveKey(t *testing.T) {
	h := newHarness(t, day("2026-01-01"))
	a := h.add(yearLicense())
	h.at(day("2026-02-01"))
	require.NoError(t, h.m.RemoveKey(h.ctx, a.ID))
	assert.Equal(t, license.Unlicensed, h.state())
	assert.Equal(t, []string{"2026-01-01T00:00:00Z activated", "2026-02-01T00:00:00Z key-removed"}, h.events())
}

// Run advances the installation on the clock's timers: the host only
// starts it.
func TestManager_RunAdvancesOnTimers(t *testing.T) {
	got := make(chan license.Event, 100)
	h := newHarness(t, day("2026-01-01"), func(c *license.ManagerConfig) {
		c.OnEvent = func(e license.Event) { got <- e }
		c.PollInterval = 12 * time.Hour // each timer the mock fires costs it a millisecond
	})
	_, err := h.m.AddKey(h.ctx, h.key(license.License{Expiry: day("2026-01-05")}))
	require.NoError(t, err)
	require.Equal(t, license.EventActivated, (<-got).Kind)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.m.Run(ctx) }()
	// Move the mock clock a day at a time until Run has seen the expiry;
	// Run's timer may be armed after any given move.
	var e license.Event
	for e.Kind != license.EventGraceStarted {
		select {
		case e = <-got:
		default:
			h.clk.Add(license.Day)
		}
	}
	assert.Equal(t, day("2026-01-05"), e.At)
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
}

// Check is safe for concurrent use while the installation changes, and
// makes no allocation.
func TestManager_CheckConcurrentAndAllocationFree(t *testing.T) {
	h := newHarness(t, day("2026-01-01"))
	h.add(yearLicense())
	allocs := testing.AllocsPerRun(1000, func() {
		if !h.m.Check("backup").Allowed {
			t.Fatal("denied")
		}
	})
	assert.Zero(t, allocs)

	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20000 {
				d := h.m.Check("backup")
				if d.Allowed != d.State.Runs() {
					t.Errorf("state %s, allowed %v", d.State, d.Allowed)
				}
			}
		})
	}
	wg.Go(func() {
		for t := day("2026-12-01"); t.Before(day("2027-02-01")); t = t.Add(license.Day) {
			_ = h.m.Advance(h.ctx, t)
		}
	})
	wg.Wait()
	assert.Equal(t, license.Suspended, h.state())
}

// Check answers for features: granted ones allowed, others refused with
// ErrFeatureNotLicensed; the empty feature asks whether the software runs.
func TestManager_CheckFeatures(t *testing.T) {
	h := newHarness(t, day("2026-01-01"))
	assert.ErrorIs(t, h.m.Check("").Reason, license.ErrUnlicensed)
	h.add(yearLicense())
	d := h.m.Check("backup")
	assert.Equal(t, license.Decision{Allowed: true, State: license.Active, Expiry: day("2027-01-01")}, d)
	d = h.m.Check("replication")
	assert.False(t, d.Allowed)
	assert.ErrorIs(t, d.Reason, license.ErrFeatureNotLicensed)
	assert.True(t, h.m.Check("").Allowed)
}
