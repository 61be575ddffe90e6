package license_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
)

// L2: a term license restarted by deleting the installation's state: with
// an activation deadline, it never runs past ActivateBy + Term, however
// often it is added again; after the deadline it is refused.
func TestManager_L2_TermNeverOutlivesActivateByAfterStateDeleted(t *testing.T) {
	h := newHarness(t, day("2026-01-01"))
	key := h.key(license.License{Features: []string{"backup"}, Term: 365 * license.Day, ActivateBy: day("2026-03-01")})
	_, err := h.m.AddKey(h.ctx, key)
	require.NoError(t, err)

	// Two months on, the user deletes the state and adds the key again:
	// the term restarts here, but ends at ActivateBy + Term at the latest.
	h.clk.Set(day("2026-02-20"))
	h.cfg.Store = license.NewMemoryStore()
	h.reopen()
	_, err = h.m.AddKey(h.ctx, key)
	require.NoError(t, err)
	exp := h.m.Status().Expiry
	assert.Equal(t, day("2027-02-20"), exp, "a new term from the new activation…")
	assert.False(t, exp.After(day("2027-03-01")), "…which ends by ActivateBy + Term")

	// A year on, the same again: refused, the deadline has passed.
	h.clk.Set(day("2027-01-10"))
	h.cfg.Store = license.NewMemoryStore()
	h.reopen()
	_, err = h.m.AddKey(h.ctx, key)
	assert.ErrorIs(t, err, license.ErrActivationClosed)
	assert.Empty(t, h.m.Keys())
	assert.False(t, h.m.Check("backup").Allowed)
}

// L2: without a deadline (the defect this guards against), deleting the
// state restarts the term: each re-activation is a new year. Period caps
// the term at ActivateBy + Term whatever activation instant it is given.
func TestLicense_L2_PeriodCappedByActivateBy(t *testing.T) {
	l := license.License{ID: "SN-1", Product: "p", IssuedAt: day("2026-01-01"), Term: 365 * license.Day, ActivateBy: day("2026-03-01")}
	require.NoError(t, l.Validate())
	for _, activated := range []string{"2026-01-01", "2026-02-28", "2026-03-01", "2027-05-01"} {
		from, until, ok := l.Period(day(activated))
		require.True(t, ok)
		assert.Equal(t, day(activated), from)
		assert.False(t, until.After(day("2027-03-01")), "activated %s: until %s", activated, until)
	}
	_, until, _ := l.Period(day("2026-01-01"))
	assert.Equal(t, day("2027-01-01"), until, "activated in time: a full term")
	assert.NoError(t, l.CanActivateAt(day("2026-03-01")), "the deadline is the latest instant allowed")
	assert.ErrorIs(t, l.CanActivateAt(day("2026-03-01").Add(time.Nanosecond)), license.ErrActivationClosed)
}

// L2: ActivateBy needs a term and lies between the issue (and start) and
// anything later.
func TestLicense_L2_ActivateByValidation(t *testing.T) {
	base := license.License{ID: "SN-1", Product: "p", IssuedAt: day("2026-01-01"), Term: 365 * license.Day}
	cases := map[string]func(l *license.License){
		"WithoutTerm":    func(l *license.License) { l.Term = 0; l.Expiry = day("2027-01-01"); l.ActivateBy = day("2026-06-01") },
		"BeforeIssue":    func(l *license.License) { l.ActivateBy = day("2025-12-31") },
		"BeforeStart":    func(l *license.License) { l.Start = day("2026-06-01"); l.ActivateBy = day("2026-05-01") },
		"OutOfNanoRange": func(l *license.License) { l.ActivateBy = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC) },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			l := base
			mutate(&l)
			err := l.Validate()
			assert.ErrorIs(t, err, license.ErrInvalidLicense)
			var le *license.LicenseError
			require.ErrorAs(t, err, &le)
			assert.Equal(t, "ActivateBy", le.Field)
		})
	}
}

// L2: ActivateBy survives signing, verification and JSON.
func TestLicense_L2_ActivateByRoundTrips(t *testing.T) {
	sk := MustSigningKey(t, "acme", "activate-by")
	l := license.License{ID: "SN-1", Product: "p", IssuedAt: day("2026-01-01"), Term: 365 * license.Day, ActivateBy: day("2026-04-01")}
	got, err := MustVerifier(t, sk).Verify(MustSign(t, sk, &l))
	require.NoError(t, err)
	assert.Equal(t, l.ActivateBy, got.ActivateBy)
	b, err := l.MarshalJSON()
	require.NoError(t, err)
	assert.Contains(t, string(b), `"activate_by":"2026-04-01T00:00:00Z"`)
	var back license.License
	require.NoError(t, back.UnmarshalJSON(b))
	assert.Equal(t, l.ActivateBy, back.ActivateBy)
}

// L2: a term license removed and added again goes on with its first term:
// removing and adding never restarts it, also after its deadline.
func TestManager_L2_TermKeyRemovedAndAddedAgainKeepsItsTerm(t *testing.T) {
	h := newHarness(t, day("2026-01-01"))
	key := h.key(license.License{Term: 365 * license.Day, ActivateBy: day("2026-02-01")})
	l, err := h.m.AddKey(h.ctx, key)
	require.NoError(t, err)
	h.at(day("2026-06-01"))
	require.NoError(t, h.m.RemoveKey(h.ctx, l.ID))
	assert.Equal(t, license.Unlicensed, h.state())
	h.at(day("2026-07-01"))
	_, err = h.m.AddKey(h.ctx, key)
	require.NoError(t, err, "activated before its deadline: adding it again is no new activation")
	assert.Equal(t, day("2027-01-01"), h.m.Status().Expiry)
	assert.Equal(t, day("2026-01-01"), h.m.Keys()[0].Activated)
}

// S6: removing a key keeps what it granted in the timeline: its activation
// stays, and removal is not an expiry, so no grace follows.
func TestManager_S6_RemovedKeyStaysInHistory(t *testing.T) {
	h := newHarness(t, day("2026-01-01"))
	a := h.add(license.License{Expiry: day("2027-01-01")})
	h.at(day("2026-02-01"))
	require.NoError(t, h.m.RemoveKey(h.ctx, a.ID))
	var kinds []string
	for _, e := range h.m.Status().Events {
		kinds = append(kinds, e.At.Format(time.DateOnly)+" "+string(e.Kind))
	}
	assert.Equal(t, []string{"2026-01-01 activated", "2026-02-01 key-removed"}, kinds)
	walk(h, day("2026-03-01"))
	assert.Equal(t, license.Unlicensed, h.state())
	assert.ErrorIs(t, h.m.Check("").Reason, license.ErrUnlicensed)
}
