package license_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
)

// Tests of the pure evaluation, Evaluate(keys, history, policy, t). Every
// instant is fixed: no clock, no sleep. Most tests use one paid license
// issued on 2026-01-01 that expires at evalT, and walk the lifecycle of
// the default policy around it: Expiring from evalT-30d, Grace from evalT,
// Suspended from evalT+14d, Deleted at evalT+44d.

// evalT is the expiry of the license most tests use.
var evalT = day("2027-01-01")

// evalNS is one nanosecond, the step on either side of each boundary.
const evalNS = time.Nanosecond

// evalCmp compares Evaluations field by field, ignoring nothing: Reason is
// compared by identity (the reasons are sentinel errors), which is
// stricter than errors.Is.
var evalCmp = cmp.Comparer(func(a, b error) bool { return a == b })

// evalPaid returns a paid per-device license for 10 devices, issued on
// 2026-01-01, valid from start (zero: no start) until expiry (zero: never).
func evalPaid(id string, start, expiry time.Time, features ...string) *license.License {
	return &license.License{
		ID:       id,
		Product:  "acme-backup",
		Edition:  "standard",
		Scheme:   license.SchemePerDevice,
		Quantity: 10,
		Features: features,
		IssuedAt: day("2026-01-01"),
		Start:    start,
		Expiry:   expiry,
	}
}

// evalHold returns the holdings of ls, each added when it was issued. Each
// license must pass Validate.
func evalHold(tb testing.TB, ls ...*license.License) []license.Holding {
	tb.Helper()
	var keys []license.Holding
	for _, l := range ls {
		require.NoError(tb, l.Validate(), "license %s", l.ID)
		keys = append(keys, license.Holding{License: l, Added: l.IssuedAt})
	}
	return keys
}

// evalTimeline writes events as "<instant> <kind> <license>" lines.
func evalTimeline(evs []license.Event) []string {
	out := []string{}
	for _, e := range evs {
		out = append(out, strings.TrimSpace(e.At.Format(time.RFC3339Nano)+" "+string(e.Kind)+" "+e.License))
	}
	return out
}

// evalLine is one line of evalTimeline.
func evalLine(at time.Time, kind license.EventKind, lic string) string {
	return strings.TrimSpace(at.UTC().Format(time.RFC3339Nano) + " " + string(kind) + " " + lic)
}

// evalUpTo returns the lines of timeline whose instant is not after at.
func evalUpTo(timeline []string, at time.Time) []string {
	out := []string{}
	for _, line := range timeline {
		ts, _, _ := strings.Cut(line, " ")
		i, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			panic(err)
		}
		if !i.After(at) {
			out = append(out, line)
		}
	}
	return out
}

// evalKinds returns the kinds of evs, in order.
func evalKinds(evs []license.Event) []license.EventKind {
	var out []license.EventKind
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return out
}

// evalCount returns how many events of kind evs holds.
func evalCount(evs []license.Event, kind license.EventKind) int {
	n := 0
	for _, e := range evs {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// evalCheck is the expected state and reason at an instant.
type evalCheck struct {
	at     time.Time
	state  license.State
	reason error // nil: the software runs
}

// evalAssert evaluates at each check's instant and asserts its state and
// reason, and that the events listed are exactly those of timeline up to
// the instant.
func evalAssert(t *testing.T, keys []license.Holding, h license.History, p license.Policy, timeline []string, checks []evalCheck) {
	t.Helper()
	for _, c := range checks {
		ev := license.Evaluate(keys, h, p, c.at)
		assert.Equal(t, c.at.UTC(), ev.At, "At")
		assert.Equal(t, c.state, ev.State, "state at %s", c.at)
		if c.reason == nil {
			assert.NoError(t, ev.Reason, "reason at %s", c.at)
			assert.True(t, ev.State.Runs(), "%s runs, at %s", ev.State, c.at)
		} else {
			assert.ErrorIs(t, ev.Reason, c.reason, "reason at %s", c.at)
			assert.False(t, ev.State.Runs(), "%s does not run, at %s", ev.State, c.at)
		}
		if timeline != nil {
			assert.Empty(t, cmp.Diff(evalUpTo(timeline, c.at), evalTimeline(ev.Events)), "events at %s (-want +got)", c.at)
		}
	}
}

// S1: a trial started by History.TrialStarted runs for 30 days with full
// functionality; when it ends with no license the software is Unlicensed
// with ErrTrialEnded and a trial-ended event. S10: an expired trial gets no
// grace, suspension or deletion.
func TestEvaluate_S1_S10_TrialThenUnlicensedWithoutGrace(t *testing.T) {
	start := day("2026-03-01")
	end := start.Add(30 * license.Day)
	h := license.History{TrialStarted: start}
	timeline := []string{
		evalLine(start, license.EventTrialStarted, ""),
		evalLine(end, license.EventTrialEnded, ""),
	}
	evalAssert(t, nil, h, license.Policy{}, timeline, []evalCheck{
		{start, license.Trial, nil},
		{start.Add(evalNS), license.Trial, nil},
		{end.Add(-evalNS), license.Trial, nil},
		{end, license.Unlicensed, license.ErrTrialEnded},
		{end.Add(evalNS), license.Unlicensed, license.ErrTrialEnded},
		// Where a paid license would be in grace, suspended, deleted:
		{end.Add(7 * license.Day), license.Unlicensed, license.ErrTrialEnded},
		{end.Add(14 * license.Day), license.Unlicensed, license.ErrTrialEnded},
		{end.Add(44 * license.Day), license.Unlicensed, license.ErrTrialEnded},
		{end.Add(400 * license.Day), license.Unlicensed, license.ErrTrialEnded},
	})

	ev := license.Evaluate(nil, h, license.Policy{}, start.Add(10*license.Day))
	assert.True(t, ev.AllFeatures, "S1: full functionality")
	assert.Empty(t, ev.Features)
	assert.Equal(t, end, ev.Expiry)
	assert.Equal(t, end, ev.Next)

	ev = license.Evaluate(nil, h, license.Policy{}, end)
	assert.False(t, ev.AllFeatures)
	assert.Empty(t, ev.Features)
	assert.True(t, ev.Next.IsZero(), "S10: nothing follows an expired trial, Next = %s", ev.Next)

	// The trial's length is the policy's.
	p := license.Policy{Trial: 7 * license.Day}
	evalAssert(t, nil, h, p, nil, []evalCheck{
		{start.Add(7*license.Day - evalNS), license.Trial, nil},
		{start.Add(7 * license.Day), license.Unlicensed, license.ErrTrialEnded},
	})
}

// S10: with Policy.TrialGrace an expired trial gets the grace period,
// suspension and deletion of a paid license (S3, S4, S5).
func TestEvaluate_S10_S3_TrialGraceByPolicy(t *testing.T) {
	start := day("2026-03-01")
	end := start.Add(30 * license.Day)
	h := license.History{TrialStarted: start}
	p := license.Policy{TrialGrace: true}
	timeline := []string{
		evalLine(start, license.EventTrialStarted, ""),
		evalLine(end, license.EventGraceStarted, ""),
		evalLine(end.Add(7*license.Day), license.EventGraceHalfway, ""),
		evalLine(end.Add(14*license.Day), license.EventSuspended, ""),
		evalLine(end.Add(30*license.Day), license.EventDeletionNotice, ""),
		evalLine(end.Add(44*license.Day), license.EventDeleted, ""),
	}
	evalAssert(t, nil, h, p, timeline, []evalCheck{
		{end.Add(-evalNS), license.Trial, nil},
		{end, license.Grace, nil},
		{end.Add(14*license.Day - evalNS), license.Grace, nil},
		{end.Add(14 * license.Day), license.Suspended, license.ErrSuspended},
		{end.Add(44*license.Day - evalNS), license.Suspended, license.ErrSuspended},
		{end.Add(44 * license.Day), license.Deleted, license.ErrDeleted},
		{end.Add(400 * license.Day), license.Deleted, license.ErrDeleted},
	})
	// In grace the trial's grant goes on: full functionality.
	assert.True(t, license.Evaluate(nil, h, p, end).AllFeatures)
}

// S1, S10: a trial key (License.Trial) gives State Trial with its own
// features only, and when it ends the software is Unlicensed, with no
// grace unless the policy says so.
func TestEvaluate_S1_S10_TrialKeyGrantsItsOwnFeatures(t *testing.T) {
	tl := &license.License{
		ID:       "TRIAL-1",
		Product:  "acme-backup",
		Features: []string{"backup", "restore"},
		IssuedAt: day("2026-03-01"),
		Expiry:   day("2026-04-01"),
		Trial:    true,
	}
	keys := evalHold(t, tl)
	timeline := []string{
		evalLine(tl.IssuedAt, license.EventActivated, "TRIAL-1"),
		evalLine(tl.Expiry, license.EventTrialEnded, "TRIAL-1"),
	}
	evalAssert(t, keys, license.History{}, license.Policy{}, timeline, []evalCheck{
		{day("2026-03-01"), license.Trial, nil},
		// A trial key is never Expiring and gets no expiry notices.
		{tl.Expiry.Add(-license.Day), license.Trial, nil},
		{tl.Expiry.Add(-evalNS), license.Trial, nil},
		{tl.Expiry, license.Unlicensed, license.ErrTrialEnded},
		{tl.Expiry.Add(20 * license.Day), license.Unlicensed, license.ErrTrialEnded},
		{tl.Expiry.Add(50 * license.Day), license.Unlicensed, license.ErrTrialEnded},
	})
	ev := license.Evaluate(keys, license.History{}, license.Policy{}, day("2026-03-10"))
	assert.Equal(t, []string{"backup", "restore"}, ev.Features)
	assert.False(t, ev.AllFeatures, "a trial key grants its features, not everything")
	assert.True(t, ev.Unmetered)
	assert.Equal(t, tl.Expiry, ev.Expiry)

	// With TrialGrace the trial key gets grace.
	evalAssert(t, keys, license.History{}, license.Policy{TrialGrace: true}, nil, []evalCheck{
		{tl.Expiry, license.Grace, nil},
		{tl.Expiry.Add(14 * license.Day), license.Suspended, license.ErrSuspended},
	})
}

// S2: a license is Expiring when the end of its run is 30 days away or
// less: Active at T-30d-1ns, Expiring at T-30d and until T-1ns.
func TestEvaluate_S2_ExpiringWindowBoundary(t *testing.T) {
	keys := evalHold(t, evalPaid("A", time.Time{}, evalT, "backup"))
	window := evalT.Add(-30 * license.Day)
	evalAssert(t, keys, license.History{}, license.Policy{}, nil, []evalCheck{
		{day("2026-06-01"), license.Active, nil},
		{window.Add(-evalNS), license.Active, nil},
		{window, license.Expiring, nil},
		{window.Add(evalNS), license.Expiring, nil},
		{evalT.Add(-evalNS), license.Expiring, nil},
		{evalT, license.Grace, nil},
	})
	ev := license.Evaluate(keys, license.History{}, license.Policy{}, window.Add(-evalNS))
	assert.Equal(t, evalT, ev.Expiry)
	assert.Equal(t, window, ev.Next)
	assert.Equal(t, []string{"backup"}, ev.Features)

	// The window is the policy's.
	p := license.Policy{ExpiringWindow: 60 * license.Day}
	evalAssert(t, keys, license.History{}, p, nil, []evalCheck{
		{evalT.Add(-60*license.Day - evalNS), license.Active, nil},
		{evalT.Add(-60 * license.Day), license.Expiring, nil},
	})
}

// S2: expiry notices go out 30, 14, 7, 3 and 1 days before expiry, each
// exactly once, and each is listed from its instant on, not before.
func TestEvaluate_S2_ExpiryNoticesEachOnce(t *testing.T) {
	keys := evalHold(t, evalPaid("A", time.Time{}, evalT))
	days := []time.Duration{30, 14, 7, 3, 1}
	timeline := []string{evalLine(day("2026-01-01"), license.EventActivated, "A")}
	var checks []evalCheck
	for _, d := range days {
		n := evalT.Add(-d * license.Day)
		timeline = append(timeline, evalLine(n, license.EventExpiryNotice, "A"))
		before := license.Expiring
		if d == 30 {
			before = license.Active
		}
		checks = append(checks,
			evalCheck{n.Add(-evalNS), before, nil},
			evalCheck{n, license.Expiring, nil},
			evalCheck{n.Add(evalNS), license.Expiring, nil})
	}
	timeline = append(timeline, evalLine(evalT, license.EventGraceStarted, "A"))
	checks = append(checks, evalCheck{evalT.Add(-evalNS), license.Expiring, nil}, evalCheck{evalT, license.Grace, nil})
	evalAssert(t, keys, license.History{}, license.Policy{}, timeline, checks)

	// Each notice once, with a distinct ID, and the next notice is Next.
	ev := license.Evaluate(keys, license.History{}, license.Policy{}, evalT.Add(-evalNS))
	assert.Equal(t, 5, evalCount(ev.Events, license.EventExpiryNotice))
	ids := map[string]bool{}
	for _, e := range ev.Events {
		assert.False(t, ids[e.ID], "duplicate event %s", e.ID)
		ids[e.ID] = true
	}
	for i, d := range days[:len(days)-1] {
		ev := license.Evaluate(keys, license.History{}, license.Policy{}, evalT.Add(-d*license.Day))
		assert.Equal(t, evalT.Add(-days[i+1]*license.Day), ev.Next, "after the %d-day notice", d)
	}
}

// S2: the notices are the policy's, always with one at the start of the
// Expiring window; an empty non-nil list sends only that one.
func TestEvaluate_S2_CustomNotices(t *testing.T) {
	keys := evalHold(t, evalPaid("A", time.Time{}, evalT))
	notices := func(p license.Policy) []time.Time {
		var out []time.Time
		for _, e := range license.Evaluate(keys, license.History{}, p, evalT.Add(-evalNS)).Events {
			if e.Kind == license.EventExpiryNotice {
				out = append(out, e.At)
			}
		}
		return out
	}
	before := func(ds ...time.Duration) []time.Time {
		var out []time.Time
		for _, d := range ds {
			out = append(out, evalT.Add(-d*license.Day))
		}
		return out
	}
	for _, tc := range []struct {
		name string
		p    license.Policy
		want []time.Time
	}{
		{"Default", license.Policy{}, before(30, 14, 7, 3, 1)},
		{"TenAndTwo", license.Policy{Notices: []time.Duration{10 * license.Day, 2 * license.Day}}, before(30, 10, 2)},
		{"Unsorted", license.Policy{Notices: []time.Duration{2 * license.Day, 10 * license.Day}}, before(30, 10, 2)},
		{"Empty", license.Policy{Notices: []time.Duration{}}, before(30)},
		{"Window60", license.Policy{ExpiringWindow: 60 * license.Day}, before(60, 30, 14, 7, 3, 1)},
		{"Hours", license.Policy{Notices: []time.Duration{36 * time.Hour}}, []time.Time{evalT.Add(-30 * license.Day), evalT.Add(-36 * time.Hour)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, tc.p.Validate())
			assert.Equal(t, tc.want, notices(tc.p))
		})
	}
}

// S3: grace starts exactly at the expiry T (Expiring at T-1ns, Grace at
// T), with a notice then and at its halfway point T+7d; everything keeps
// working with the features of the license that just expired. S4:
// suspension starts at T+14d with ErrSuspended and no features.
func TestEvaluate_S3_S4_GraceBoundaries(t *testing.T) {
	a := evalPaid("A", time.Time{}, evalT, "dedup", "backup")
	b := evalPaid("B", time.Time{}, evalT.Add(-10*license.Day), "replication") // ended earlier
	keys := evalHold(t, a, b)
	half := evalT.Add(7 * license.Day)
	end := evalT.Add(14 * license.Day)
	evalAssert(t, keys, license.History{}, license.Policy{}, nil, []evalCheck{
		{evalT.Add(-evalNS), license.Expiring, nil},
		{evalT, license.Grace, nil},
		{evalT.Add(evalNS), license.Grace, nil},
		{end.Add(-evalNS), license.Grace, nil},
		{end, license.Suspended, license.ErrSuspended},
		{end.Add(evalNS), license.Suspended, license.ErrSuspended},
	})

	ev := license.Evaluate(keys, license.History{}, license.Policy{}, evalT)
	assert.Equal(t, []string{"backup", "dedup"}, ev.Features, "the features of the license that just expired, sorted")
	assert.Equal(t, 10, ev.Seats)
	assert.False(t, ev.AllFeatures)
	assert.Equal(t, evalT, ev.Expiry, "in grace Expiry is the expiry that passed")
	assert.Equal(t, evalLine(evalT, license.EventGraceStarted, "A"), evalTimeline(ev.Events)[len(ev.Events)-1])
	assert.Equal(t, half, ev.Next)

	grace := func(at time.Time) []license.EventKind {
		var out []license.EventKind
		for _, k := range evalKinds(license.Evaluate(keys, license.History{}, license.Policy{}, at).Events) {
			if k == license.EventGraceStarted || k == license.EventGraceHalfway || k == license.EventSuspended {
				out = append(out, k)
			}
		}
		return out
	}
	assert.Empty(t, grace(evalT.Add(-evalNS)))
	assert.Equal(t, []license.EventKind{license.EventGraceStarted}, grace(evalT))
	assert.Equal(t, []license.EventKind{license.EventGraceStarted}, grace(half.Add(-evalNS)))
	assert.Equal(t, []license.EventKind{license.EventGraceStarted, license.EventGraceHalfway}, grace(half))
	assert.Equal(t, []license.EventKind{license.EventGraceStarted, license.EventGraceHalfway}, grace(end.Add(-evalNS)))
	assert.Equal(t, []license.EventKind{license.EventGraceStarted, license.EventGraceHalfway, license.EventSuspended}, grace(end))

	ev = license.Evaluate(keys, license.History{}, license.Policy{}, end)
	assert.Empty(t, ev.Features, "S4: suspended software is not functional")
	assert.Zero(t, ev.Seats)
	assert.Equal(t, evalT, ev.Expiry)
}

// S3, S4, S5: the whole default lifecycle of one license, at each
// boundary: Expiring at T-30d, Grace at T, Suspended at T+14d, a deletion
// notice at T+30d (14 days before deletion), Deleted at T+44d, for good.
func TestEvaluate_S3_S4_S5_DefaultLifecycle(t *testing.T) {
	keys := evalHold(t, evalPaid("A", time.Time{}, evalT, "backup"))
	d := license.Day
	timeline := []string{
		evalLine(day("2026-01-01"), license.EventActivated, "A"),
		evalLine(evalT.Add(-30*d), license.EventExpiryNotice, "A"),
		evalLine(evalT.Add(-14*d), license.EventExpiryNotice, "A"),
		evalLine(evalT.Add(-7*d), license.EventExpiryNotice, "A"),
		evalLine(evalT.Add(-3*d), license.EventExpiryNotice, "A"),
		evalLine(evalT.Add(-1*d), license.EventExpiryNotice, "A"),
		evalLine(evalT, license.EventGraceStarted, "A"),
		evalLine(evalT.Add(7*d), license.EventGraceHalfway, "A"),
		evalLine(evalT.Add(14*d), license.EventSuspended, "A"),
		evalLine(evalT.Add(30*d), license.EventDeletionNotice, "A"),
		evalLine(evalT.Add(44*d), license.EventDeleted, "A"),
	}
	evalAssert(t, keys, license.History{}, license.Policy{}, timeline, []evalCheck{
		{day("2026-06-01"), license.Active, nil},
		{evalT.Add(-30*d - evalNS), license.Active, nil},
		{evalT.Add(-30 * d), license.Expiring, nil},
		{evalT.Add(-evalNS), license.Expiring, nil},
		{evalT, license.Grace, nil},
		{evalT.Add(evalNS), license.Grace, nil},
		{evalT.Add(14*d - evalNS), license.Grace, nil},
		{evalT.Add(14 * d), license.Suspended, license.ErrSuspended},
		{evalT.Add(30*d - evalNS), license.Suspended, license.ErrSuspended},
		{evalT.Add(30 * d), license.Suspended, license.ErrSuspended},
		{evalT.Add(30*d + evalNS), license.Suspended, license.ErrSuspended},
		{evalT.Add(44*d - evalNS), license.Suspended, license.ErrSuspended},
		{evalT.Add(44 * d), license.Deleted, license.ErrDeleted},
		{evalT.Add(44*d + evalNS), license.Deleted, license.ErrDeleted},
		{evalT.Add(10 * 365 * d), license.Deleted, license.ErrDeleted},
	})
	ev := license.Evaluate(keys, license.History{}, license.Policy{}, evalT.Add(44*d))
	assert.Empty(t, ev.Features)
	assert.True(t, ev.Expiry.IsZero(), "Deleted has no expiry")
	assert.True(t, ev.Next.IsZero(), "S5: nothing follows deletion, Next = %s", ev.Next)
}

// S5, alternative policy (Kaspersky Security Center Cloud Console): with
// DeleteAfterExpiry 90 days the data is deleted 90 days after the last
// license expired, whatever the suspension, with its notice 14 days
// before.
func TestEvaluate_S5_DeleteAfterExpiry90Days(t *testing.T) {
	keys := evalHold(t, evalPaid("A", time.Time{}, evalT))
	d := license.Day
	for _, p := range []license.Policy{
		{DeleteAfterExpiry: 90 * d},
		{DeleteAfterExpiry: 90 * d, Suspension: 10 * d},
		{DeleteAfterExpiry: 90 * d, Suspension: license.Off},
	} {
		t.Run(fmt.Sprintf("Suspension=%v", p.Suspension), func(t *testing.T) {
			require.NoError(t, p.Validate())
			timeline := []string{
				evalLine(evalT, license.EventGraceStarted, "A"),
				evalLine(evalT.Add(7*d), license.EventGraceHalfway, "A"),
				evalLine(evalT.Add(14*d), license.EventSuspended, "A"),
				evalLine(evalT.Add(76*d), license.EventDeletionNotice, "A"),
				evalLine(evalT.Add(90*d), license.EventDeleted, "A"),
			}
			ev := license.Evaluate(keys, license.History{}, p, evalT.Add(400*d))
			got := evalTimeline(ev.Events)
			assert.Equal(t, timeline, got[len(got)-len(timeline):])
			assert.Equal(t, 1, evalCount(ev.Events, license.EventDeleted))
			evalAssert(t, keys, license.History{}, p, nil, []evalCheck{
				{evalT.Add(14*d - evalNS), license.Grace, nil},
				{evalT.Add(14 * d), license.Suspended, license.ErrSuspended},
				{evalT.Add(44 * d), license.Suspended, license.ErrSuspended},
				{evalT.Add(76*d - evalNS), license.Suspended, license.ErrSuspended},
				{evalT.Add(90*d - evalNS), license.Suspended, license.ErrSuspended},
				{evalT.Add(90 * d), license.Deleted, license.ErrDeleted},
				{evalT.Add(90*d + evalNS), license.Deleted, license.ErrDeleted},
			})
		})
	}
}

// S2, L3: a license that starts within the Expiring window is Expiring
// from its start, and gets only the notices that fall after its start.
func TestEvaluate_S2_L3_NoNoticeBeforeTheStart(t *testing.T) {
	start := evalT.Add(-10 * license.Day)
	keys := evalHold(t, evalPaid("A", start, evalT, "backup"))
	evalAssert(t, keys, license.History{}, license.Policy{}, nil, []evalCheck{
		{start.Add(-evalNS), license.Pending, license.ErrPending},
		{start, license.Expiring, nil},
	})
	ev := license.Evaluate(keys, license.History{}, license.Policy{}, evalT.Add(-evalNS))
	assert.Equal(t, []string{
		evalLine(start, license.EventActivated, "A"),
		evalLine(evalT.Add(-7*license.Day), license.EventExpiryNotice, "A"),
		evalLine(evalT.Add(-3*license.Day), license.EventExpiryNotice, "A"),
		evalLine(evalT.Add(-1*license.Day), license.EventExpiryNotice, "A"),
	}, evalTimeline(ev.Events))
}

// S3, S4, S5: Off and custom periods. Grace: Off suspends at the expiry;
// Suspension: Off deletes when grace ends; DeletionNotice: Off sends no
// deletion notice; a custom grace moves its halfway point.
func TestEvaluate_S3_S4_S5_OffAndCustomPeriods(t *testing.T) {
	keys := evalHold(t, evalPaid("A", time.Time{}, evalT))
	d := license.Day
	after := func(ds time.Duration, kind license.EventKind) string { return evalLine(evalT.Add(ds), kind, "A") }
	for _, tc := range []struct {
		name     string
		p        license.Policy
		timeline []string // events from T on
		checks   []evalCheck
	}{
		{
			name: "GraceOff",
			p:    license.Policy{Grace: license.Off},
			timeline: []string{
				after(0, license.EventSuspended),
				after(16*d, license.EventDeletionNotice),
				after(30*d, license.EventDeleted),
			},
			checks: []evalCheck{
				{evalT.Add(-evalNS), license.Expiring, nil},
				{evalT, license.Suspended, license.ErrSuspended},
				{evalT.Add(30*d - evalNS), license.Suspended, license.ErrSuspended},
				{evalT.Add(30 * d), license.Deleted, license.ErrDeleted},
			},
		},
		{
			name: "SuspensionOff",
			p:    license.Policy{Suspension: license.Off},
			timeline: []string{
				after(0, license.EventGraceStarted),
				after(7*d, license.EventGraceHalfway),
				// The deletion notice would fall at the expiry itself: none.
				after(14*d, license.EventDeleted),
			},
			checks: []evalCheck{
				{evalT, license.Grace, nil},
				{evalT.Add(14*d - evalNS), license.Grace, nil},
				{evalT.Add(14 * d), license.Deleted, license.ErrDeleted},
			},
		},
		{
			name: "DeletionNoticeOff",
			p:    license.Policy{DeletionNotice: license.Off},
			timeline: []string{
				after(0, license.EventGraceStarted),
				after(7*d, license.EventGraceHalfway),
				after(14*d, license.EventSuspended),
				after(44*d, license.EventDeleted),
			},
			checks: []evalCheck{
				{evalT.Add(44*d - evalNS), license.Suspended, license.ErrSuspended},
				{evalT.Add(44 * d), license.Deleted, license.ErrDeleted},
			},
		},
		{
			name:     "GraceAndSuspensionOff",
			p:        license.Policy{Grace: license.Off, Suspension: license.Off},
			timeline: []string{after(0, license.EventDeleted)},
			checks: []evalCheck{
				{evalT.Add(-evalNS), license.Expiring, nil},
				{evalT, license.Deleted, license.ErrDeleted},
			},
		},
		{
			name: "Custom",
			p:    license.Policy{Grace: 10 * d, Suspension: 20 * d, DeletionNotice: 5 * d},
			timeline: []string{
				after(0, license.EventGraceStarted),
				after(5*d, license.EventGraceHalfway),
				after(10*d, license.EventSuspended),
				after(25*d, license.EventDeletionNotice),
				after(30*d, license.EventDeleted),
			},
			checks: []evalCheck{
				{evalT.Add(10*d - evalNS), license.Grace, nil},
				{evalT.Add(10 * d), license.Suspended, license.ErrSuspended},
				{evalT.Add(30*d - evalNS), license.Suspended, license.ErrSuspended},
				{evalT.Add(30 * d), license.Deleted, license.ErrDeleted},
			},
		},
		{
			name: "DeleteAfterExpiryEqualsGrace",
			p:    license.Policy{DeleteAfterExpiry: 14 * d},
			timeline: []string{
				after(0, license.EventGraceStarted),
				after(7*d, license.EventGraceHalfway),
				after(14*d, license.EventDeleted),
			},
			checks: []evalCheck{
				{evalT.Add(14*d - evalNS), license.Grace, nil},
				{evalT.Add(14 * d), license.Deleted, license.ErrDeleted},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, tc.p.Validate())
			ev := license.Evaluate(keys, license.History{}, tc.p, evalT.Add(400*d))
			var got []string
			for _, line := range evalTimeline(ev.Events) {
				if line >= evalT.Format(time.RFC3339Nano) {
					got = append(got, line)
				}
			}
			assert.Equal(t, tc.timeline, got)
			evalAssert(t, keys, license.History{}, tc.p, nil, tc.checks)
		})
	}
}

// S6: a license that starts during Grace or Suspended returns the
// software to Active at once, with a restored event, and the grace,
// suspension and deletion of the old run are called off. Nothing restores
// Deleted: a license that starts at or after the deletion instant grants
// nothing.
func TestEvaluate_S6_RestoreFromGraceAndSuspension(t *testing.T) {
	d := license.Day
	a := evalPaid("A", time.Time{}, evalT, "backup")
	for _, tc := range []struct {
		name   string
		offset time.Duration // B starts at T+offset
		before license.State
	}{
		{"Grace", 5 * d, license.Grace},
		{"GraceLastInstant", 14*d - evalNS, license.Grace},
		{"Suspended", 20 * d, license.Suspended},
		{"SuspendedLastInstant", 44*d - evalNS, license.Suspended},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := evalT.Add(tc.offset)
			b := evalPaid("B", start, start.Add(365*d), "backup", "cloud")
			keys := evalHold(t, a, b)
			ev := license.Evaluate(keys, license.History{}, license.Policy{}, start.Add(-evalNS))
			assert.Equal(t, tc.before, ev.State)

			ev = license.Evaluate(keys, license.History{}, license.Policy{}, start)
			assert.Equal(t, license.Active, ev.State)
			assert.NoError(t, ev.Reason)
			assert.Equal(t, []string{"backup", "cloud"}, ev.Features)
			assert.Equal(t, start.Add(365*d), ev.Expiry)
			assert.Equal(t, evalLine(start, license.EventRestored, "B"), evalTimeline(ev.Events)[len(ev.Events)-1])

			// Later, nothing of the old run's timeline happens.
			ev = license.Evaluate(keys, license.History{}, license.Policy{}, start.Add(100*d))
			assert.Equal(t, license.Active, ev.State)
			assert.Equal(t, 1, evalCount(ev.Events, license.EventRestored))
			for _, e := range ev.Events {
				if e.Kind == license.EventGraceHalfway || e.Kind == license.EventSuspended ||
					e.Kind == license.EventDeletionNotice || e.Kind == license.EventDeleted {
					assert.True(t, e.At.Before(start), "%s after the restore", e.ID)
				}
			}
			assert.Zero(t, evalCount(ev.Events, license.EventDeleted))
		})
	}

	for _, offset := range []time.Duration{44 * d, 44*d + evalNS, 100 * d} {
		t.Run(fmt.Sprintf("AfterDeletion+%v", offset-44*d), func(t *testing.T) {
			start := evalT.Add(offset)
			b := evalPaid("B", start, start.Add(365*d), "backup")
			keys := evalHold(t, a, b)
			evalAssert(t, keys, license.History{}, license.Policy{}, nil, []evalCheck{
				{evalT.Add(44*d - evalNS), license.Suspended, license.ErrSuspended},
				{evalT.Add(44 * d), license.Deleted, license.ErrDeleted},
				{start, license.Deleted, license.ErrDeleted},
				{start.Add(evalNS), license.Deleted, license.ErrDeleted},
				{start.Add(100 * d), license.Deleted, license.ErrDeleted},
			})
			ev := license.Evaluate(keys, license.History{}, license.Policy{}, start.Add(100*d))
			assert.Empty(t, ev.Features)
			assert.Zero(t, evalCount(ev.Events, license.EventRestored))
			assert.Equal(t, 1, evalCount(ev.Events, license.EventDeleted))
			for _, e := range ev.Events {
				assert.False(t, e.At.After(evalT.Add(44*d)), "after deletion nothing happens: %s", e.ID)
			}
		})
	}
}

// S5, S6: History.Deleted makes the installation Deleted whatever its
// licenses and trial.
func TestEvaluate_S5_S6_HistoryDeletedIsFinal(t *testing.T) {
	keys := evalHold(t,
		evalPaid("A", time.Time{}, time.Time{}, "backup"),
		evalPaid("B", day("2026-07-01"), day("2030-01-01"), "cloud"))
	h := license.History{Deleted: day("2026-06-01"), TrialStarted: day("2026-06-10")}
	for _, at := range []time.Time{day("2026-06-01"), day("2026-06-15"), day("2026-07-01"), day("2029-01-01")} {
		ev := license.Evaluate(keys, h, license.Policy{}, at)
		assert.Equal(t, license.Deleted, ev.State, "at %s", at)
		assert.ErrorIs(t, ev.Reason, license.ErrDeleted)
		assert.Empty(t, ev.Features)
		assert.False(t, ev.AllFeatures)
		assert.Zero(t, ev.Seats)
	}
}

// S7: after the first activation the customer has 30 days to redeem
// enough licenses for current usage; with too few seats the software is
// Unlicensed (ErrInsufficientLicenses) exactly at FirstActivated+30d, with
// an unlicensed event.
func TestEvaluate_S7_ActivationGrace(t *testing.T) {
	d := license.Day
	first := day("2026-02-01")
	deadline := first.Add(30 * d)
	five := evalPaid("A", time.Time{}, day("2028-01-01"), "backup")
	five.Quantity = 5
	three := evalPaid("B", time.Time{}, day("2028-01-01"), "backup")
	three.Quantity = 3
	three.Scheme = license.SchemePerUser

	t.Run("TooFew", func(t *testing.T) {
		keys := evalHold(t, five)
		h := license.History{FirstActivated: first, Usage: 8}
		evalAssert(t, keys, h, license.Policy{}, nil, []evalCheck{
			{first, license.Active, nil},
			{deadline.Add(-evalNS), license.Active, nil},
			{deadline, license.Unlicensed, license.ErrInsufficientLicenses},
			{deadline.Add(evalNS), license.Unlicensed, license.ErrInsufficientLicenses},
			{deadline.Add(300 * d), license.Unlicensed, license.ErrInsufficientLicenses},
		})
		ev := license.Evaluate(keys, h, license.Policy{}, deadline.Add(-evalNS))
		assert.Equal(t, deadline, ev.Next)
		assert.Zero(t, evalCount(ev.Events, license.EventUnlicensed))
		ev = license.Evaluate(keys, h, license.Policy{}, deadline)
		assert.Equal(t, 5, ev.Seats)
		assert.Equal(t, evalLine(deadline, license.EventUnlicensed, ""), evalTimeline(ev.Events)[len(ev.Events)-1])
		ev = license.Evaluate(keys, h, license.Policy{}, deadline.Add(300*d))
		assert.Equal(t, 1, evalCount(ev.Events, license.EventUnlicensed))
	})
	t.Run("EnoughSeatsSummed", func(t *testing.T) {
		keys := evalHold(t, five, three)
		for _, usage := range []int{0, 7, 8} {
			h := license.History{FirstActivated: first, Usage: usage}
			ev := license.Evaluate(keys, h, license.Policy{}, deadline.Add(10*d))
			assert.Equal(t, license.Active, ev.State, "usage %d", usage)
			assert.Equal(t, 8, ev.Seats)
			assert.Zero(t, evalCount(ev.Events, license.EventUnlicensed))
		}
		h := license.History{FirstActivated: first, Usage: 9}
		assert.Equal(t, license.Unlicensed, license.Evaluate(keys, h, license.Policy{}, deadline).State, "usage 9 > 8 seats")
	})
	t.Run("UnmeteredNeverTriggers", func(t *testing.T) {
		un := evalPaid("U", time.Time{}, day("2028-01-01"), "backup")
		un.Scheme, un.Quantity = license.SchemeUnmetered, 0
		for _, keys := range [][]license.Holding{evalHold(t, un), evalHold(t, five, un)} {
			h := license.History{FirstActivated: first, Usage: 1000}
			ev := license.Evaluate(keys, h, license.Policy{}, deadline.Add(10*d))
			assert.Equal(t, license.Active, ev.State)
			assert.True(t, ev.Unmetered)
			assert.Zero(t, evalCount(ev.Events, license.EventUnlicensed))
		}
	})
	t.Run("CustomPeriod", func(t *testing.T) {
		keys := evalHold(t, five)
		h := license.History{FirstActivated: first, Usage: 8}
		p := license.Policy{ActivationGrace: 10 * d}
		evalAssert(t, keys, h, p, nil, []evalCheck{
			{first.Add(10*d - evalNS), license.Active, nil},
			{first.Add(10 * d), license.Unlicensed, license.ErrInsufficientLicenses},
		})
	})
	t.Run("RedeemingMoreLater", func(t *testing.T) {
		more := evalPaid("C", deadline.Add(5*d), day("2028-01-01"), "backup")
		keys := evalHold(t, five, more)
		h := license.History{FirstActivated: first, Usage: 8}
		evalAssert(t, keys, h, license.Policy{}, nil, []evalCheck{
			{deadline.Add(5*d - evalNS), license.Unlicensed, license.ErrInsufficientLicenses},
			{deadline.Add(5 * d), license.Active, nil},
		})
	})
}

// S8: a revoked license stops granting at the instant of its revocation,
// with no grace, suspension or deletion after it.
func TestEvaluate_S8_RevokedLicense(t *testing.T) {
	d := license.Day
	revoked := day("2026-06-01")
	for _, expiry := range []time.Time{{}, evalT} {
		t.Run("Expiry="+expiry.Format(time.DateOnly), func(t *testing.T) {
			keys := evalHold(t, evalPaid("A", time.Time{}, expiry, "backup"))
			keys[0].Revoked = revoked
			timeline := []string{
				evalLine(day("2026-01-01"), license.EventActivated, "A"),
				evalLine(revoked, license.EventRevoked, "A"),
			}
			evalAssert(t, keys, license.History{}, license.Policy{}, timeline, []evalCheck{
				// A run that ends by revocation is not Expiring before
				// it: no notice, no renewal can help.
				{revoked.Add(-10 * d), license.Active, nil},
				{revoked.Add(-evalNS), license.Active, nil},
				{revoked, license.Revoked, license.ErrRevoked},
				{revoked.Add(evalNS), license.Revoked, license.ErrRevoked},
				{revoked.Add(14 * d), license.Revoked, license.ErrRevoked},
				{revoked.Add(44 * d), license.Revoked, license.ErrRevoked},
				{evalT.Add(100 * d), license.Revoked, license.ErrRevoked},
			})
			ev := license.Evaluate(keys, license.History{}, license.Policy{}, revoked.Add(-evalNS))
			assert.Equal(t, revoked, ev.Next)
			ev = license.Evaluate(keys, license.History{}, license.Policy{}, revoked)
			assert.Empty(t, ev.Features)
			assert.True(t, ev.Next.IsZero(), "nothing follows a revocation, Next = %s", ev.Next)
		})
	}

	t.Run("OtherLicenseGoesOn", func(t *testing.T) {
		keys := evalHold(t,
			evalPaid("A", time.Time{}, evalT, "backup"),
			evalPaid("B", time.Time{}, day("2028-01-01"), "cloud"))
		keys[0].Revoked = revoked
		ev := license.Evaluate(keys, license.History{}, license.Policy{}, revoked)
		assert.Equal(t, license.Active, ev.State)
		assert.Equal(t, []string{"cloud"}, ev.Features)
		assert.Equal(t, 10, ev.Seats)
	})
}

// S8: a revoked end-user agreement stops the grant at once, whatever the
// licenses, including one that starts later.
func TestEvaluate_S8_AgreementRevoked(t *testing.T) {
	revoked := day("2026-06-01")
	keys := evalHold(t,
		evalPaid("A", time.Time{}, time.Time{}, "backup"),
		evalPaid("B", day("2026-07-01"), day("2028-01-01"), "cloud"))
	h := license.History{AgreementRevoked: revoked}
	evalAssert(t, keys, h, license.Policy{}, nil, []evalCheck{
		{revoked.Add(-evalNS), license.Active, nil},
		{revoked, license.Revoked, license.ErrAgreementRevoked},
		{revoked.Add(evalNS), license.Revoked, license.ErrAgreementRevoked},
		{day("2026-07-01"), license.Revoked, license.ErrAgreementRevoked},
	})
	ev := license.Evaluate(keys, h, license.Policy{}, revoked.Add(-evalNS))
	assert.Equal(t, revoked, ev.Next)
	ev = license.Evaluate(keys, h, license.Policy{}, revoked)
	assert.Empty(t, ev.Features)
	assert.Equal(t, evalLine(revoked, license.EventAgreementRevoked, ""), evalTimeline(ev.Events)[len(ev.Events)-1])
	assert.False(t, errors.Is(ev.Reason, license.ErrRevoked), "the agreement's reason, not a license's")
}

// S11: several valid licenses at once grant the sorted union of their
// features and the sum of their seats; the expiry is the end of the
// unbroken run, so the license that ends first is neither Expiring nor
// noticed.
func TestEvaluate_S11_UnionSumAndRun(t *testing.T) {
	a := evalPaid("A", time.Time{}, evalT, "dedup", "backup")
	b := evalPaid("B", day("2026-06-01"), day("2027-06-01"), "cloud", "backup")
	b.Scheme, b.Quantity = license.SchemePerUser, 5
	keys := evalHold(t, a, b)

	ev := license.Evaluate(keys, license.History{}, license.Policy{}, day("2026-07-01"))
	assert.Equal(t, license.Active, ev.State)
	assert.Equal(t, []string{"backup", "cloud", "dedup"}, ev.Features)
	assert.Equal(t, 15, ev.Seats)
	assert.False(t, ev.Unmetered)
	assert.Equal(t, day("2027-06-01"), ev.Expiry)

	// A ends within 30 days, but the run goes on.
	ev = license.Evaluate(keys, license.History{}, license.Policy{}, evalT.Add(-evalNS))
	assert.Equal(t, license.Active, ev.State)
	ev = license.Evaluate(keys, license.History{}, license.Policy{}, evalT)
	assert.Equal(t, license.Active, ev.State)
	assert.Equal(t, []string{"backup", "cloud"}, ev.Features)
	assert.Equal(t, 5, ev.Seats)
	for _, e := range license.Evaluate(keys, license.History{}, license.Policy{}, day("2027-06-01").Add(-evalNS)).Events {
		if e.Kind == license.EventExpiryNotice {
			assert.Equal(t, "B", e.License)
			assert.True(t, e.At.After(evalT), "notice %s is for the end of the run", e.ID)
		}
		assert.NotEqual(t, license.EventGraceStarted, e.Kind)
	}

	// An unmetered license adds its features, not seats.
	c := evalPaid("C", day("2026-06-01"), day("2026-09-01"), "audit")
	c.Scheme, c.Quantity = license.SchemeUnmetered, 0
	ev = license.Evaluate(evalHold(t, a, b, c), license.History{}, license.Policy{}, day("2026-07-01"))
	assert.Equal(t, []string{"audit", "backup", "cloud", "dedup"}, ev.Features)
	assert.Equal(t, 15, ev.Seats)
	assert.True(t, ev.Unmetered)
}

// S11: a future-dated license that starts exactly when the current one
// ends closes the gap: no Expiring state, no expiry notice and no grace
// for the first license's end. With a 1ns gap there are notices and
// grace, and the second license restores (S6).
func TestEvaluate_S11_S2_FutureLicenseClosesTheGap(t *testing.T) {
	d := license.Day
	a := evalPaid("A", time.Time{}, evalT, "backup")

	t.Run("Touching", func(t *testing.T) {
		b := evalPaid("B", evalT, evalT.Add(365*d), "backup", "cloud")
		keys := evalHold(t, a, b)
		evalAssert(t, keys, license.History{}, license.Policy{}, nil, []evalCheck{
			{evalT.Add(-30 * d), license.Active, nil},
			{evalT.Add(-evalNS), license.Active, nil},
			{evalT, license.Active, nil},
			{evalT.Add(evalNS), license.Active, nil},
			{evalT.Add(335*d - evalNS), license.Active, nil},
			{evalT.Add(335 * d), license.Expiring, nil},
		})
		ev := license.Evaluate(keys, license.History{}, license.Policy{}, evalT.Add(-evalNS))
		assert.Equal(t, evalT.Add(365*d), ev.Expiry, "the end of the unbroken run")
		assert.Equal(t, []string{"backup"}, ev.Features)
		ev = license.Evaluate(keys, license.History{}, license.Policy{}, evalT.Add(10*d))
		assert.Equal(t, []string{"backup", "cloud"}, ev.Features)
		assert.Equal(t, []string{
			evalLine(day("2026-01-01"), license.EventActivated, "A"),
			evalLine(evalT, license.EventActivated, "B"),
		}, evalTimeline(ev.Events), "no notice, grace or restore at A's end")
	})
	t.Run("OneNanosecondGap", func(t *testing.T) {
		b := evalPaid("B", evalT.Add(evalNS), evalT.Add(365*d), "backup", "cloud")
		keys := evalHold(t, a, b)
		evalAssert(t, keys, license.History{}, license.Policy{}, nil, []evalCheck{
			{evalT.Add(-30*d - evalNS), license.Active, nil},
			{evalT.Add(-30 * d), license.Expiring, nil},
			{evalT.Add(-evalNS), license.Expiring, nil},
			{evalT, license.Grace, nil},
			{evalT.Add(evalNS), license.Active, nil},
		})
		ev := license.Evaluate(keys, license.History{}, license.Policy{}, evalT.Add(evalNS))
		assert.Equal(t, 5, evalCount(ev.Events, license.EventExpiryNotice))
		assert.Equal(t, 1, evalCount(ev.Events, license.EventGraceStarted))
		assert.Zero(t, evalCount(ev.Events, license.EventGraceHalfway))
		assert.Equal(t, evalLine(evalT.Add(evalNS), license.EventRestored, "B"), evalTimeline(ev.Events)[len(ev.Events)-1])
	})
}

// S12: instants are UTC; a license valid until T is valid at T-1ns and
// expired at T; the same instant in another time zone gives the same
// evaluation, and every instant it reports is UTC.
func TestEvaluate_S12_InstantsAreUTC(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	newYork := time.FixedZone("EST", -5*3600)
	l := evalPaid("A", time.Time{}, evalT.In(paris), "backup")
	l.IssuedAt = l.IssuedAt.In(newYork)
	keys := evalHold(t, l)
	keys[0].Added = keys[0].Added.In(paris)
	h := license.History{
		TrialStarted:     day("2026-01-02").In(paris),
		FirstActivated:   day("2026-01-02").In(newYork),
		AgreementRevoked: evalT.Add(3 * license.Day).In(paris),
		Usage:            3,
	}
	utc := func(tb testing.TB, what string, t time.Time) {
		tb.Helper()
		if !t.IsZero() {
			assert.True(tb, t.Location() == time.UTC, "%s %s is not UTC", what, t)
		}
	}
	for _, tc := range []struct {
		at    time.Time
		state license.State
	}{
		{evalT.Add(-evalNS), license.Expiring},
		{evalT, license.Grace},
		{evalT.Add(evalNS), license.Grace},
		{evalT.Add(3 * license.Day), license.Revoked},
	} {
		want := license.Evaluate(keys, h, license.Policy{}, tc.at)
		assert.Equal(t, tc.state, want.State, "at %s", tc.at)
		for _, zone := range []*time.Location{paris, newYork, time.Local} {
			got := license.Evaluate(keys, h, license.Policy{}, tc.at.In(zone))
			assert.Empty(t, cmp.Diff(want, got, evalCmp), "at %s in %s", tc.at, zone)
			utc(t, "At", got.At)
			utc(t, "Expiry", got.Expiry)
			utc(t, "Next", got.Next)
			for _, e := range got.Events {
				utc(t, e.ID, e.At)
			}
		}
	}
	// Grace is Next from T-1ns; the revocation of the agreement (given in
	// Paris time) is Next from T, reported in UTC.
	ev := license.Evaluate(keys, h, license.Policy{}, evalT.Add(evalNS).In(paris))
	assert.Equal(t, evalT.Add(3*license.Day), ev.Next)
	utc(t, "Next", ev.Next)
	assert.Equal(t, evalT, license.Evaluate(keys, h, license.Policy{}, evalT.Add(-evalNS)).Next)
}

// L3: a license whose start is in the future grants nothing (Pending,
// ErrPending) until its start, and its start is Next. With L2, a term
// license activated before its start starts its term at its start.
func TestEvaluate_L3_PendingUntilStart(t *testing.T) {
	start := day("2026-03-01")
	keys := evalHold(t, evalPaid("A", start, day("2027-03-01"), "backup"))
	evalAssert(t, keys, license.History{}, license.Policy{}, nil, []evalCheck{
		{day("2026-01-01"), license.Pending, license.ErrPending},
		{start.Add(-evalNS), license.Pending, license.ErrPending},
		{start, license.Active, nil},
		{start.Add(evalNS), license.Active, nil},
	})
	ev := license.Evaluate(keys, license.History{}, license.Policy{}, start.Add(-evalNS))
	assert.Equal(t, start, ev.Next)
	assert.Empty(t, ev.Features)
	assert.Zero(t, ev.Seats)
	assert.Empty(t, ev.Events, "nothing has happened yet")
	ev = license.Evaluate(keys, license.History{}, license.Policy{}, start)
	assert.Equal(t, []string{"backup"}, ev.Features)
	assert.Equal(t, []string{evalLine(start, license.EventActivated, "A")}, evalTimeline(ev.Events))

	// L2 + L3: a term license activated before its start.
	sub := termLicense() // 365 days from activation
	sub.Start = start
	require.NoError(t, sub.Validate())
	tk := []license.Holding{{License: sub, Added: day("2026-02-01"), Activated: day("2026-02-01")}}
	evalAssert(t, tk, license.History{}, license.Policy{}, nil, []evalCheck{
		{start.Add(-evalNS), license.Pending, license.ErrPending},
		{start, license.Active, nil},
		{start.Add(335*license.Day - evalNS), license.Active, nil},
		{start.Add(335 * license.Day), license.Expiring, nil},
		{start.Add(365 * license.Day), license.Grace, nil},
	})
	assert.Equal(t, start, license.Evaluate(tk, license.History{}, license.Policy{}, day("2026-02-01")).Next)

	// L2: a term license never activated grants nothing and is not
	// pending.
	tk[0].Activated = time.Time{}
	ev = license.Evaluate(tk, license.History{}, license.Policy{}, day("2026-04-01"))
	assert.Equal(t, license.Unlicensed, ev.State)
	assert.ErrorIs(t, ev.Reason, license.ErrUnlicensed)
}

// Next is the next instant at which anything changes: walking from Next
// to Next visits every notice and transition of the default lifecycle
// (S2, S3, S4, S5) and ends with zero, and nothing changes in between.
func TestEvaluate_S2_S3_S4_S5_NextWalksTheTimeline(t *testing.T) {
	d := license.Day
	keys := evalHold(t, evalPaid("A", time.Time{}, evalT, "backup"))
	want := []time.Time{
		evalT.Add(-30 * d), evalT.Add(-14 * d), evalT.Add(-7 * d), evalT.Add(-3 * d), evalT.Add(-1 * d),
		evalT, evalT.Add(7 * d), evalT.Add(14 * d), evalT.Add(30 * d), evalT.Add(44 * d),
	}
	var got []time.Time
	at := day("2026-06-01")
	for range 100 {
		ev := license.Evaluate(keys, license.History{}, license.Policy{}, at)
		if ev.Next.IsZero() {
			break
		}
		require.True(t, ev.Next.After(at), "Next %s not after %s", ev.Next, at)
		// Nothing changes up to Next.
		before := license.Evaluate(keys, license.History{}, license.Policy{}, ev.Next.Add(-evalNS))
		before.At = ev.At
		assert.Empty(t, cmp.Diff(ev, before, evalCmp), "between %s and Next %s", at, ev.Next)
		got = append(got, ev.Next)
		at = ev.Next
	}
	assert.Equal(t, want, got)

	// A perpetual license: nothing will ever change.
	perpetual := evalHold(t, evalPaid("P", time.Time{}, time.Time{}, "backup"))
	for _, at := range []time.Time{day("2026-01-01"), day("2026-06-01"), day("2200-01-01")} {
		ev := license.Evaluate(perpetual, license.History{}, license.Policy{}, at)
		assert.Equal(t, license.Active, ev.State)
		assert.True(t, ev.Expiry.IsZero())
		assert.True(t, ev.Next.IsZero(), "at %s Next = %s", at, ev.Next)
	}
}

// S9 at the pure level: a clock behind the latest time seen evaluates at
// the latest time seen; beyond the tolerance (1h by default: 1h is not a
// rollback, 1h+1ns is) Rollback is set, and RollbackDeny refuses with
// ErrClockRollback while the state stays the one at LatestSeen.
func TestEvaluate_S9_ClockRollback(t *testing.T) {
	latest := day("2026-06-01")
	keys := evalHold(t, evalPaid("A", time.Time{}, evalT, "backup"))
	h := license.History{LatestSeen: latest}
	for _, tc := range []struct {
		name     string
		t        time.Time
		p        license.Policy
		at       time.Time
		rollback bool
	}{
		{"AtLatest", latest, license.Policy{}, latest, false},
		{"Forward", latest.Add(time.Hour), license.Policy{}, latest.Add(time.Hour), false},
		{"HalfHourBack", latest.Add(-30 * time.Minute), license.Policy{}, latest, false},
		{"ToleranceExactly", latest.Add(-time.Hour), license.Policy{}, latest, false},
		{"BeyondTolerance", latest.Add(-time.Hour - evalNS), license.Policy{}, latest, true},
		{"FarBack", latest.Add(-300 * license.Day), license.Policy{}, latest, true},
		{"CustomToleranceExactly", latest.Add(-time.Minute), license.Policy{ClockTolerance: time.Minute}, latest, false},
		{"CustomToleranceBeyond", latest.Add(-time.Minute - evalNS), license.Policy{ClockTolerance: time.Minute}, latest, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := license.Evaluate(keys, h, tc.p, tc.t)
			assert.Equal(t, tc.at, ev.At)
			assert.Equal(t, tc.rollback, ev.Rollback)
			assert.Equal(t, license.Active, ev.State)
			assert.Equal(t, []string{"backup"}, ev.Features)
			if tc.rollback {
				assert.ErrorIs(t, ev.Reason, license.ErrClockRollback, "RollbackDeny by default")
			} else {
				assert.NoError(t, ev.Reason)
			}

			p := tc.p
			p.OnRollback = license.RollbackUseLatest
			ev = license.Evaluate(keys, h, p, tc.t)
			assert.Equal(t, tc.rollback, ev.Rollback)
			assert.NoError(t, ev.Reason, "RollbackUseLatest keeps granting")
			assert.Equal(t, license.Active, ev.State)
		})
	}

	t.Run("StateAtLatestSeen", func(t *testing.T) {
		// The clock set back to when the license was valid: the state is
		// the one at the latest time seen, never an earlier, better one.
		h := license.History{LatestSeen: evalT.Add(3 * license.Day)}
		ev := license.Evaluate(keys, h, license.Policy{}, evalT.Add(-10*license.Day))
		assert.True(t, ev.Rollback)
		assert.Equal(t, license.Grace, ev.State)
		assert.ErrorIs(t, ev.Reason, license.ErrClockRollback)
		ev = license.Evaluate(keys, h, license.Policy{OnRollback: license.RollbackUseLatest}, evalT.Add(-10*license.Day))
		assert.Equal(t, license.Grace, ev.State)
		assert.NoError(t, ev.Reason)

		// In a state that refuses anyway, its own reason stays.
		h = license.History{LatestSeen: evalT.Add(20 * license.Day)}
		ev = license.Evaluate(keys, h, license.Policy{}, evalT.Add(-10*license.Day))
		assert.True(t, ev.Rollback)
		assert.Equal(t, license.Suspended, ev.State)
		assert.ErrorIs(t, ev.Reason, license.ErrSuspended)
	})

	t.Run("IssuedInTheFuture", func(t *testing.T) {
		now := day("2026-06-01")
		for _, tc := range []struct {
			ahead    time.Duration
			rollback bool
		}{
			{time.Minute, false},
			{time.Hour, false},
			{time.Hour + evalNS, true},
			{30 * license.Day, true},
		} {
			b := evalPaid("B", time.Time{}, day("2028-01-01"), "cloud")
			b.IssuedAt = now.Add(tc.ahead)
			keys := evalHold(t, evalPaid("A", time.Time{}, evalT, "backup"), b)
			ev := license.Evaluate(keys, license.History{}, license.Policy{}, now)
			assert.Equal(t, b.IssuedAt, ev.At, "the floor is the newest issue time")
			assert.Equal(t, tc.rollback, ev.Rollback, "issued %s ahead", tc.ahead)
		}
	})

	t.Run("FloorWithoutHistory", func(t *testing.T) {
		// The persisted state deleted: a key issued after A's expiry (a
		// term key never activated, that grants nothing) keeps the floor,
		// so setting the clock back does not revive A.
		later := termLicense()
		later.ID, later.IssuedAt = "SUB-2", evalT.Add(20*license.Day)
		keys := evalHold(t, evalPaid("A", time.Time{}, evalT, "backup"), later)
		ev := license.Evaluate(keys, license.History{}, license.Policy{}, evalT.Add(-10*license.Day))
		assert.Equal(t, later.IssuedAt, ev.At)
		assert.True(t, ev.Rollback)
		assert.Equal(t, license.Suspended, ev.State)
	})
}

// evalPolicies are valid policies the property test draws from.
var evalPolicies = []license.Policy{
	{},
	license.DefaultPolicy(),
	{TrialGrace: true},
	{DeleteAfterExpiry: 90 * license.Day},
	{Grace: license.Off},
	{Suspension: license.Off},
	{Grace: license.Off, Suspension: license.Off},
	{Notices: []time.Duration{}, DeletionNotice: license.Off},
	{Grace: 3 * license.Day, Suspension: 5 * license.Day, ExpiringWindow: 60 * license.Day, Trial: 10 * license.Day, ActivationGrace: 7 * license.Day},
	{OnRollback: license.RollbackUseLatest, ClockTolerance: time.Minute},
}

// evalRandomInstallation returns random holdings (fixed, term, perpetual,
// trial, revoked, reserve keys, keys from activation codes) and history
// (trial, activation with usage, revoked agreement, deletion) over a
// four-year span from 2026-01-01.
func evalRandomInstallation(r *rand.Rand) ([]license.Holding, license.History) {
	base := day("2026-01-01")
	const span = 4 * 365
	// Instants fall on whole days mostly, so that licenses often touch,
	// and sometimes a few nanoseconds off.
	instant := func(from time.Time, maxDays int) time.Time {
		t := from.Add(time.Duration(r.IntN(maxDays)) * license.Day)
		if r.IntN(4) == 0 {
			t = t.Add(time.Duration(r.IntN(3)-1) * evalNS)
		}
		return t
	}
	features := []string{"audit", "backup", "cloud", "dedup"}
	var keys []license.Holding
	for i := range 1 + r.IntN(5) {
		l := &license.License{
			ID:       fmt.Sprintf("P-%d", i),
			Product:  "acme-backup",
			IssuedAt: instant(base, span),
		}
		for _, f := range features {
			if r.IntN(2) == 0 {
				l.Features = append(l.Features, f)
			}
		}
		if r.IntN(3) > 0 {
			l.Scheme, l.Quantity = license.SchemePerDevice, 1+r.IntN(10)
		}
		h := license.Holding{License: l, Added: l.IssuedAt}
		switch r.IntN(10) {
		case 0, 1, 2, 3, 4: // fixed expiry, maybe a start
			if r.IntN(2) == 0 {
				l.Start = instant(l.IssuedAt, 200)
			}
			from := l.IssuedAt
			if l.Start.After(from) {
				from = l.Start
			}
			l.Expiry = from.Add(evalNS).Add(time.Duration(r.IntN(500)) * license.Day)
		case 5, 6, 7: // a term, activated or not
			l.Term = time.Duration(1+r.IntN(400)) * license.Day
			if r.IntN(5) > 0 {
				h.Activated = instant(l.IssuedAt, 100)
			}
		default: // perpetual
			if r.IntN(2) == 0 {
				l.Start = instant(l.IssuedAt, 100)
			}
		}
		if (!l.Expiry.IsZero() || l.Term > 0) && r.IntN(6) == 0 {
			l.Trial = true
		}
		if r.IntN(7) == 0 {
			h.Revoked = instant(l.IssuedAt, 600)
		}
		if r.IntN(10) == 0 {
			h.Code = "CODE-" + l.ID
		}
		if i > 0 && !l.Trial && r.IntN(5) == 0 {
			h.Reserve = true // R1: it takes over when the keys it matches end
		}
		keys = append(keys, h)
	}
	var hist license.History
	if r.IntN(3) == 0 {
		hist.TrialStarted = instant(base, span)
	}
	if r.IntN(3) == 0 {
		hist.FirstActivated = instant(base, span)
		hist.Usage = r.IntN(25)
	}
	if r.IntN(20) == 0 {
		hist.AgreementRevoked = instant(base, span)
	}
	if r.IntN(30) == 0 {
		hist.Deleted = instant(base, span)
	}
	return keys, hist
}

// evalSame reports the differences between two evaluations, apart from
// the instant evaluated and the rollback flag.
func evalSame(a, b license.Evaluation) string {
	a.At, b.At = time.Time{}, time.Time{}
	a.Rollback, b.Rollback = false, false
	return evalDiff(a, b)
}

// evalDiff is cmp.Diff with evalCmp, ignoring nothing, with a fast path
// for values that are deeply equal (reflect.DeepEqual is stricter than
// cmp here): the property test compares many evaluations.
func evalDiff(a, b any) string {
	if reflect.DeepEqual(a, b) {
		return ""
	}
	return cmp.Diff(a, b, evalCmp)
}

// S5 and the lifecycle's determinism, as properties of random
// installations (S: "evaluation is deterministic"; S5: "Deleted is
// terminal"; S12: the zone of the instant does not matter; S9: At never
// goes below the floor). For each installation and random sorted
// instants: Evaluate twice gives identical results and changes none of
// its inputs; once Deleted, every later instant is Deleted; the events
// at an instant are those at a later instant up to the earlier one,
// sorted and each once; the reason is nil exactly when the state runs;
// each state lies where the policy puts it relative to Expiry;
// the software runs again after Grace or Suspended only through a restore
// (S6); and nothing changes between an instant and its Next.
func TestEvaluate_S5_S12_PropertyDeterministicAndDeletedIsFinal(t *testing.T) {
	r := rand.New(rand.NewPCG(2026, 44))
	paris := time.FixedZone("CET", 3600)
	from, to := day("2025-12-01"), day("2030-06-01")
	const installations, instants = 500, 16
	states := map[license.State]int{}
	for n := range installations {
		keys, hist := evalRandomInstallation(r)
		for _, k := range keys {
			require.NoError(t, k.License.Validate(), "installation %d", n)
		}
		pol := evalPolicies[r.IntN(len(evalPolicies))]
		require.NoError(t, pol.Validate())
		norm := evalNormalized(pol)

		keysBefore := evalCopyHoldings(keys)
		var ts []time.Time
		for range instants {
			ts = append(ts, from.Add(time.Duration(r.Int64N(int64(to.Sub(from))))))
		}
		// And instants around the end of one license, where grace,
		// suspension and deletion happen.
		k := keys[r.IntN(len(keys))]
		if _, until, ok := k.License.Period(k.Activated); ok && !until.IsZero() {
			for _, d := range []time.Duration{-evalNS, 0, 7 * license.Day, 20 * license.Day, 50 * license.Day} {
				ts = append(ts, until.Add(d))
			}
		}
		slices.SortFunc(ts, time.Time.Compare)

		var prev *license.Evaluation
		var down time.Time // the last instant seen in Grace or Suspended
		for _, at := range ts {
			ev := license.Evaluate(keys, hist, pol, at)
			again := license.Evaluate(keys, hist, pol, at)
			require.Empty(t, evalDiff(ev, again), "installation %d at %s: not deterministic", n, at)
			require.Empty(t, evalDiff(keysBefore, keys), "installation %d: Evaluate changed its input", n)
			require.Empty(t, evalDiff(ev, license.Evaluate(keys, hist, pol, at.In(paris))), "S12: installation %d at %s", n, at)
			states[ev.State]++

			require.False(t, ev.At.Before(at), "At %s before %s", ev.At, at)
			if prev != nil && prev.State == license.Deleted {
				require.Equal(t, license.Deleted, ev.State, "installation %d: Deleted at %s, %s at %s", n, prev.At, ev.State, ev.At)
			}

			// Events: sorted, each once, none after At, and a prefix of
			// those of any later instant.
			ids := map[string]bool{}
			for i, e := range ev.Events {
				require.False(t, ids[e.ID], "installation %d: event %s twice", n, e.ID)
				ids[e.ID] = true
				require.False(t, e.At.After(ev.At), "event %s after %s", e.ID, ev.At)
				if i > 0 {
					require.False(t, e.At.Before(ev.Events[i-1].At), "events out of order")
				}
			}
			if prev != nil {
				var upTo []license.Event
				for _, e := range ev.Events {
					if !e.At.After(prev.At) {
						upTo = append(upTo, e)
					}
				}
				require.Empty(t, evalDiff(prev.Events, upTo), "installation %d: the timeline up to %s changed at %s", n, prev.At, ev.At)
			}

			// The reason is nil exactly when the software runs.
			denied := ev.Rollback && norm.OnRollback == license.RollbackDeny
			require.Equal(t, ev.State.Runs() && !denied, ev.Reason == nil, "installation %d at %s: %s with reason %v", n, ev.At, ev.State, ev.Reason)
			if !ev.State.Runs() && ev.State != license.Unlicensed {
				require.Empty(t, ev.Features, "%s grants nothing", ev.State)
				require.Zero(t, ev.Seats)
			}
			evalCheckStateAgainstExpiry(t, n, ev, norm, keys, hist)

			// S6: from Grace or Suspended the software runs again only
			// through a restore.
			switch ev.State {
			case license.Grace, license.Suspended:
				down = ev.At
			case license.Active, license.Expiring, license.Trial:
				if !down.IsZero() {
					restored := slices.ContainsFunc(ev.Events, func(e license.Event) bool {
						return e.Kind == license.EventRestored && e.At.After(down)
					})
					require.True(t, restored, "installation %d: %s at %s after grace or suspension at %s, with no restore\n%s", n, ev.State, ev.At, down, evalDescribe(keys, hist, pol))
				}
				down = time.Time{}
			}

			// Nothing changes between At and Next.
			base := license.Evaluate(keys, hist, pol, ev.At)
			require.False(t, base.Rollback)
			if !base.Next.IsZero() {
				require.True(t, base.Next.After(base.At), "Next %s not after %s", base.Next, base.At)
				before := license.Evaluate(keys, hist, pol, base.Next.Add(-evalNS))
				require.Empty(t, evalSame(base, before), "installation %d: change between %s and Next %s\n%s", n, base.At, base.Next, evalDescribe(keys, hist, pol))
			}
			prev = &ev
		}
	}
	// The random installations reach every state.
	for s := license.Unlicensed; s <= license.Revoked; s++ {
		assert.Positive(t, states[s], "no installation reached %s", s)
	}
	t.Logf("states reached: %v", states)
}

// evalPolicyNumbers are the numbers of a policy, with defaults in place
// of zero and zero in place of Off.
type evalPolicyNumbers struct {
	Trial, ExpiringWindow, Grace, Deletion time.Duration
	OnRollback                             license.RollbackHandling
}

func evalNormalized(p license.Policy) evalPolicyNumbers {
	d := license.DefaultPolicy()
	or := func(v, def time.Duration) time.Duration {
		switch v {
		case 0:
			return def
		case license.Off:
			return 0
		}
		return v
	}
	n := evalPolicyNumbers{
		Trial:          or(p.Trial, d.Trial),
		ExpiringWindow: or(p.ExpiringWindow, d.ExpiringWindow),
		Grace:          or(p.Grace, d.Grace),
		OnRollback:     p.OnRollback,
	}
	n.Deletion = n.Grace + or(p.Suspension, d.Suspension)
	if p.DeleteAfterExpiry > 0 {
		n.Deletion = p.DeleteAfterExpiry
	}
	return n
}

// evalCheckStateAgainstExpiry checks that the state lies where the policy
// puts it relative to the expiry that Evaluation reports (S2, S3, S4).
func evalCheckStateAgainstExpiry(t *testing.T, n int, ev license.Evaluation, p evalPolicyNumbers, keys []license.Holding, h license.History) {
	t.Helper()
	left := ev.Expiry.Sub(ev.At) // time left; negative once expired
	// A run that ends by a revocation is never Expiring (S8), nor one
	// that ends with a trial (S10).
	revocation := slices.ContainsFunc(keys, func(k license.Holding) bool { return k.Revoked.Equal(ev.Expiry) })
	trialEnd := !h.TrialStarted.IsZero() && h.TrialStarted.Add(p.Trial).Equal(ev.Expiry) ||
		slices.ContainsFunc(keys, func(k license.Holding) bool {
			_, until, ok := k.License.Period(k.Activated)
			return k.License.Trial && ok && until.Equal(ev.Expiry)
		})
	switch ev.State {
	case license.Active:
		require.True(t, ev.Expiry.IsZero() || left > p.ExpiringWindow || revocation || trialEnd, "installation %d: Active with %s left", n, left)
	case license.Expiring:
		require.True(t, left > 0 && left <= p.ExpiringWindow, "installation %d: Expiring with %s left", n, left)
	case license.Trial:
		require.True(t, ev.Expiry.IsZero() || ev.Expiry.After(ev.At), "installation %d: Trial past its expiry", n)
	case license.Grace:
		require.True(t, left <= 0 && -left < p.Grace, "installation %d: Grace %s after expiry", n, -left)
	case license.Suspended:
		require.True(t, -left >= p.Grace && -left < p.Deletion, "installation %d: Suspended %s after expiry", n, -left)
	}
}

// evalCopyHoldings copies holdings deeply, to check that Evaluate changes
// none.
func evalCopyHoldings(keys []license.Holding) []license.Holding {
	out := slices.Clone(keys)
	for i, k := range out {
		l := *k.License
		l.Features = slices.Clone(l.Features)
		out[i].License = &l
	}
	return out
}

// evalDescribe writes an installation for a failure message.
func evalDescribe(keys []license.Holding, h license.History, p license.Policy) string {
	var b strings.Builder
	f := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	for _, k := range keys {
		l := k.License
		fmt.Fprintf(&b, "%s issued %s start %s expiry %s term %s trial %t scheme %s×%d features %v; added %s activated %s revoked %s code %q\n",
			l.ID, f(l.IssuedAt), f(l.Start), f(l.Expiry), l.Term, l.Trial, l.Scheme, l.Quantity, l.Features,
			f(k.Added), f(k.Activated), f(k.Revoked), k.Code)
	}
	fmt.Fprintf(&b, "history: trial %s agreement revoked %s deleted %s latest %s first activated %s usage %d\n",
		f(h.TrialStarted), f(h.AgreementRevoked), f(h.Deleted), f(h.LatestSeen), f(h.FirstActivated), h.Usage)
	fmt.Fprintf(&b, "policy: %+v", p)
	return b.String()
}

// S10: when the trial outlasts a paid license, the run ends with the
// trial, and an expired trial is not a paid license: no expiry notices,
// no grace, no deletion, just unlicensed when the trial ends.
func TestEvaluate_S10_TrialOutlastingPaidLicenseGetsNoGrace(t *testing.T) {
	keys := evalHold(t, evalPaid("A", time.Time{}, day("2026-01-10"), "backup"))
	h := license.History{TrialStarted: day("2026-01-01")} // ends 2026-01-31
	evalAssert(t, keys, h, license.Policy{}, nil, []evalCheck{
		{day("2026-01-09"), license.Active, nil},
		{day("2026-01-10"), license.Trial, nil},
		{day("2026-01-31").Add(-evalNS), license.Trial, nil},
		{day("2026-01-31"), license.Unlicensed, license.ErrTrialEnded},
		{day("2026-06-01"), license.Unlicensed, license.ErrTrialEnded},
	})
	ev := license.Evaluate(keys, h, license.Policy{}, day("2026-06-01"))
	assert.Equal(t, []license.EventKind{license.EventActivated, license.EventTrialStarted, license.EventTrialEnded}, evalKinds(ev.Events))
	assert.True(t, ev.Next.IsZero())
}

// S8: an end-user agreement revoked before deletion is the end of the
// story: no grace, suspension or deletion follows, and nothing is next.
func TestEvaluate_S8_AgreementRevokedIsFinal(t *testing.T) {
	keys := evalHold(t, evalPaid("A", time.Time{}, day("2026-09-01"), "backup"))
	h := license.History{AgreementRevoked: day("2026-06-01")}
	evalAssert(t, keys, h, license.Policy{}, nil, []evalCheck{
		{day("2026-09-02"), license.Revoked, license.ErrAgreementRevoked},
		{day("2027-06-01"), license.Revoked, license.ErrAgreementRevoked},
	})
	ev := license.Evaluate(keys, h, license.Policy{}, day("2027-06-01"))
	assert.Equal(t, []license.EventKind{license.EventActivated, license.EventAgreementRevoked}, evalKinds(ev.Events))
	assert.True(t, ev.Next.IsZero(), "nothing changes after the agreement is revoked")

	// Revoked after deletion, the installation stays deleted.
	h = license.History{AgreementRevoked: day("2027-06-01")}
	ev = license.Evaluate(keys, h, license.Policy{}, day("2027-07-01"))
	assert.Equal(t, license.Deleted, ev.State)
	assert.True(t, ev.Next.IsZero())
}
