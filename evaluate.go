package license

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/licensekit/license/internal/wording"
)

// Holding is one license an installation holds, and what happened to it
// there. A [Manager] keeps these; [Evaluate] reads them.
type Holding struct {
	License   *License  // the verified license
	Added     time.Time // when the installation took the key
	Activated time.Time // when a term license's term starts (L2); zero for others
	Reserve   bool      // held in reserve, not yet promoted (R1)
	Promoted  time.Time // when it was promoted from reserve (R4); zero if never
	Revoked   time.Time // when it was revoked (S8); zero if not
	Removed   time.Time // when it was removed; zero if it is held
	RenewalOf string    // the ID of the license this one renews (N1–N3)
	Code      string    // the activation code it came from, for automatic renewal (R5)
	// Activation is the ID of the activation certificate that carries
	// the license (A1); empty for a license key held on its own.
	Activation string
	// NotAfter is that certificate's NotAfter: the license grants until
	// then, then for the policy's CheckInGrace, then nothing (A4).
	NotAfter time.Time
}

// History is what happened to an installation apart from its licenses.
type History struct {
	TrialStarted     time.Time     // when the trial started (S1); zero if never
	AgreementRevoked time.Time     // when the end-user agreement was revoked (S8)
	Deleted          time.Time     // when the installation was deleted (S5): terminal
	LatestSeen       time.Time     // the latest instant evaluated (S9)
	SetBack          time.Duration // the clock's set-backs counted against the tolerance, not yet refilled (S9)
	Behind           time.Duration // how far the clock read behind LatestSeen when it was evaluated (S9)
	StateReset       time.Time     // when a state that could not be read was started again (S9); zero if never
	FirstActivated   time.Time     // the first activation, which starts the activation grace (S7)
	Usage            int           // current usage: devices, users… counted as the licenses count them (S7)
}

// Evaluation is the state of an installation at an instant, as [Evaluate]
// computes it.
type Evaluation struct {
	// At is the instant evaluated: the instant asked for, or the latest
	// instant seen when the clock is behind it (S9).
	At time.Time
	// State is the lifecycle state at At.
	State State
	// Reason says why the software may not run, or is nil when it may.
	// It matches one of ErrUnlicensed, ErrTrialEnded,
	// ErrInsufficientLicenses, ErrPending, ErrSuspended, ErrDeleted,
	// ErrRevoked, ErrAgreementRevoked, ErrCheckInLapsed or, under
	// RollbackDeny, ErrClockRollback.
	Reason error
	// Features are the features granted, sorted: the union of the valid
	// licenses' features (S11), or in Grace those of the licenses that
	// just expired.
	Features []string
	// AllFeatures is set during a trial started with StartTrial: full
	// functionality (S1).
	AllFeatures bool
	// Seats is the sum of the counted quantities of the valid licenses
	// (S11). Unmetered is set when a valid license counts nothing.
	Seats     int
	Unmetered bool
	// Expiry is the end of the unbroken run of validity (S11): the
	// instant the grant ends unless something is renewed. In Grace and
	// Suspended it is the expiry that passed. Zero if perpetual or none.
	Expiry time.Time
	// Events are the events of the installation's timeline up to At,
	// oldest first: the notices and state changes due so far.
	Events []Event
	// Next is the next instant at which anything changes; zero if
	// nothing ever will.
	Next time.Time
	// Rollback is set when the instant asked for was behind the latest
	// time seen, or behind a key's issue time, by more than the policy's
	// tolerance (S9).
	Rollback bool
	// SetBack and Behind are the history's SetBack and Behind after this
	// evaluation, for the caller to keep (S9).
	SetBack, Behind time.Duration
	// StateReset, when the installation's stored state could not be read
	// and was started again, is an error wrapping ErrCorrupt that says
	// when (S9). Nil otherwise.
	StateReset error
	// Promotions are the reserve keys promoted by At (R4), by license ID.
	Promotions map[string]time.Time
	// ExpiredReserves are reserve keys that expired unpromoted by At.
	ExpiredReserves []string
	// RenewalsDue are licenses from activation codes whose validity ended
	// by At and that nothing renews yet (R5).
	RenewalsDue []string
}

// Evaluate computes the state of an installation at instant t: a pure
// function of its holdings, its history, the policy and t, with no clock
// inside (in the manner of rate.Limiter's AllowN(t, n)). Instants are
// UTC: a license valid until T is valid at T-1ns and expired at T (S12).
//
// The instant is never earlier than the latest time seen nor the newest
// issue time among the keys (S9): a clock set back evaluates at that
// floor. Each set-back counts against the policy's ClockTolerance, once:
// SetBack adds up how far the clock went back further than it already
// was (History.Behind), and refills by one tolerance per 30 days of the
// clock moving forward. While the clock is behind and SetBack exceeds the
// tolerance, Rollback is set; a clock moved forward again recovers.
//
// Evaluate does not check the policy; use [Policy.Validate].
func Evaluate(keys []Holding, h History, p Policy, t time.Time) Evaluation {
	p = p.normalized()
	// The evaluator rewrites reserves in its own copy while it works.
	e := evaluator{p: p, h: h, keys: slices.Clone(keys)}
	e.run(t.UTC())
	return e.ev
}

// Far instants stand for "no start" and "no end".
var (
	farPast   = minInstant.UTC()
	farFuture = maxInstant.UTC()
)

// interval is a period in which one license (or the trial) grants.
type interval struct {
	from, until time.Time
	key         int  // index in keys, or -1 for the trial started by StartTrial
	trial       bool // a trial: no grace by default (S10)
	revoked     bool // it ends because it was revoked (S8)
	removed     bool // it ends because its key was removed
	lapsed      bool // it ends because its activation certificate lapsed (A4)
}

// run is an unbroken run of validity: intervals that overlap or touch
// (S11).
type run struct {
	start, end time.Time
	members    []interval
	paid       bool // it ends with a license that is not a trial (S10)
	revoked    bool // it ends because of a revocation
	removed    bool // it ends because a key was removed
	lapsed     bool // it ends because an activation certificate lapsed (A4)
}

type evaluator struct {
	p    Policy
	h    History
	keys []Holding
	ev   Evaluation

	ivs       []interval
	runs      []run
	deletedAt time.Time // zero: the timeline never reaches deletion
	edges     []time.Time
}

func (e *evaluator) run(t time.Time) {
	at := e.clock(t)
	e.ev.At = at
	if !e.h.StateReset.IsZero() {
		e.ev.StateReset = fmt.Errorf("%w: the installation's state could not be read and was started again at %s, as one whose trial was used", ErrCorrupt, formatEnd(e.h.StateReset))
	}

	e.intervals()
	e.merge()
	e.timeline()
	e.state(at)

	// The timeline up to At, in a stable order.
	slices.SortStableFunc(e.ev.Events, func(a, b Event) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.ID, b.ID))
	})
	// One event per ID: the licenses of one certificate, or a license
	// held both as a key and in a certificate, report the same ones.
	e.ev.Events = slices.CompactFunc(e.ev.Events, func(a, b Event) bool { return a.ID == b.ID })
	final := e.final()
	var due []Event
	for _, ev := range e.ev.Events {
		e.edge(ev.At)
		if !final.IsZero() && ev.At.After(final) {
			continue // after deletion, or the agreement revoked, nothing happens
		}
		if !ev.At.After(at) {
			due = append(due, ev)
		}
	}
	e.ev.Events = due
	for _, x := range e.edges {
		if x.After(at) && x.Before(farFuture) && (e.ev.Next.IsZero() || x.Before(e.ev.Next)) &&
			(final.IsZero() || !x.After(final)) {
			e.ev.Next = x
		}
	}
	if e.ev.Rollback && e.p.OnRollback == RollbackDeny && e.ev.State.Runs() {
		e.ev.Reason = ErrClockRollback
	}
}

// clock returns the instant to evaluate for the clock reading t: never
// earlier than the latest time seen nor the newest issue time among the
// keys (S9). It counts the set-backs and sets Rollback.
func (e *evaluator) clock(t time.Time) time.Time {
	ref := e.h.LatestSeen.UTC()
	for _, k := range e.keys {
		if k.License.IssuedAt.After(ref) {
			ref = k.License.IssuedAt.UTC()
		}
	}
	at, behind := t, time.Duration(0)
	if t.Before(ref) {
		at, behind = ref, ref.Sub(t)
	}
	tol := e.p.ClockTolerance
	setBack := e.h.SetBack
	if moved := at.Sub(e.h.LatestSeen); !e.h.LatestSeen.IsZero() && moved > 0 && setBack > 0 {
		// One tolerance per 30 days, so that routine corrections never
		// add up to a rollback.
		setBack -= time.Duration(float64(tol) * (float64(moved) / float64(30*Day)))
	}
	if behind > e.h.Behind {
		setBack += behind - e.h.Behind
	}
	// Beyond twice the tolerance more counts for nothing: it only makes
	// the refill longer after the clock is put right.
	setBack = min(max(setBack, 0), 2*tol)
	e.ev.SetBack, e.ev.Behind = setBack, behind
	e.ev.Rollback = behind > 0 && setBack > tol
	return at
}

func (e *evaluator) edge(t time.Time) { e.edges = append(e.edges, t) }

// final returns the instant after which nothing more happens: deletion
// (S5) or the revocation of the end-user agreement (S8), whichever comes
// first; zero if neither will.
func (e *evaluator) final() time.Time {
	f := e.deletedAt
	if r := e.h.AgreementRevoked.UTC(); !e.h.AgreementRevoked.IsZero() && (f.IsZero() || r.Before(f)) {
		f = r
	}
	if d := e.h.Deleted.UTC(); !e.h.Deleted.IsZero() && (f.IsZero() || d.Before(f)) {
		f = d
	}
	return f
}

func (e *evaluator) add(kind EventKind, at time.Time, lic, detail string) {
	e.ev.Events = append(e.ev.Events, newEvent(kind, at, lic, detail))
}

// period returns the interval in which key i grants, ignoring reserves.
func (e *evaluator) period(i int) (interval, bool) {
	k := e.keys[i]
	from, until, ok := k.License.Period(k.Activated)
	if !ok {
		return interval{}, false // a term license never activated grants nothing (L2)
	}
	iv := interval{from: from.UTC(), until: until.UTC(), key: i, trial: k.License.Trial}
	if from.IsZero() {
		iv.from = farPast
	}
	if until.IsZero() {
		iv.until = farFuture
	}
	if !k.Added.IsZero() && k.Added.After(iv.from) {
		iv.from = k.Added.UTC() // nothing is granted here before the key was (S6)
	}
	if !k.Promoted.IsZero() && k.Promoted.After(iv.from) {
		iv.from = k.Promoted.UTC() // a promoted reserve grants from its promotion
	}
	if lapse := e.lapse(k); !lapse.IsZero() && lapse.Before(iv.until) {
		iv.until, iv.lapsed = lapse, true
	}
	if !k.Revoked.IsZero() && k.Revoked.Before(iv.until) {
		iv.until, iv.revoked, iv.lapsed = k.Revoked.UTC(), true, false
	}
	if !k.Removed.IsZero() && k.Removed.Before(iv.until) {
		iv.until, iv.revoked, iv.removed, iv.lapsed = k.Removed.UTC(), false, true, false
	}
	return iv, iv.from.Before(iv.until)
}

// lapse returns when the activation certificate that carries k stops
// granting, its check-in grace over (A4); zero for a license key.
func (e *evaluator) lapse(k Holding) time.Time {
	if k.Activation == "" {
		return time.Time{}
	}
	return k.NotAfter.UTC().Add(e.p.CheckInGrace)
}

// intervals lists the intervals of the keys, the trial, and the reserves
// promoted at the end of the run of active keys they stand behind (R4).
func (e *evaluator) intervals() {
	for i, k := range e.keys {
		if k.Reserve {
			continue
		}
		if iv, ok := e.period(i); ok {
			e.ivs = append(e.ivs, iv)
		}
	}
	if !e.h.TrialStarted.IsZero() {
		start := e.h.TrialStarted.UTC()
		e.ivs = append(e.ivs, interval{from: start, until: start.Add(e.p.Trial), key: -1, trial: true})
	}
	active := slices.Clone(e.ivs)
	for i, k := range e.keys {
		if !k.Reserve {
			continue
		}
		e.add(EventReserveAdded, k.Added, k.License.ID, describe(k.License)+" in reserve")
		p := promotionInstant(e.keys, active, i)
		if p.Equal(farFuture) {
			continue // the active key never ends: nothing to take over
		}
		r := k
		r.Reserve, r.Promoted = false, p
		if r.License.Term > 0 {
			r.Activated = p
		}
		e.keys[i] = r
		iv, ok := e.period(i)
		e.keys[i] = k
		if !ok {
			if until := iv.until; until.After(k.Added) && !until.After(p) {
				e.add(EventReserveRemoved, until, k.License.ID, k.License.ID+" expired in reserve, before it could take over")
				if !until.After(e.ev.At) { // by At, as documented: not one that will expire later
					e.ev.ExpiredReserves = append(e.ev.ExpiredReserves, k.License.ID)
				}
				e.edge(until)
			}
			continue
		}
		e.ivs = append(e.ivs, iv)
		e.add(EventReservePromoted, p, k.License.ID, promoted(k.License, iv.until))
		if p.After(e.ev.At) {
			continue // promoted later, not by At
		}
		if e.ev.Promotions == nil {
			e.ev.Promotions = map[string]time.Time{}
		}
		e.ev.Promotions[k.License.ID] = p
	}
}

// promotionInstant returns when reserve key r takes over: the end of the
// unbroken run of active keys it matches (R2) that holds the instant it was
// added.
func promotionInstant(keys []Holding, active []interval, r int) time.Time {
	added := keys[r].Added.UTC()
	var matching []interval
	for _, iv := range active {
		if iv.key >= 0 && reserveMatches(keys[iv.key].License, keys[r].License) {
			matching = append(matching, iv)
		}
	}
	for _, run := range mergeIntervals(matching) {
		if !added.Before(run.start) && added.Before(run.end) {
			return run.end
		}
	}
	return added // nothing to stand behind any more: take over at once
}

// mergeIntervals joins intervals that overlap or touch into runs, in order.
func mergeIntervals(ivs []interval) []run {
	slices.SortStableFunc(ivs, func(a, b interval) int {
		return cmp.Or(a.from.Compare(b.from), a.until.Compare(b.until))
	})
	var runs []run
	for _, iv := range ivs {
		if n := len(runs); n > 0 && !iv.from.After(runs[n-1].end) {
			r := &runs[n-1]
			switch c := iv.until.Compare(r.end); {
			case c > 0:
				r.end, r.revoked, r.removed, r.lapsed, r.paid = iv.until, iv.revoked, iv.removed, iv.lapsed, !iv.trial
			case c == 0:
				r.revoked = r.revoked && iv.revoked
				r.removed = r.removed && iv.removed
				r.lapsed = r.lapsed && iv.lapsed
				r.paid = r.paid || !iv.trial
			}
			r.members = append(r.members, iv)
			continue
		}
		runs = append(runs, run{start: iv.from, end: iv.until, members: []interval{iv}, paid: !iv.trial,
			revoked: iv.revoked, removed: iv.removed, lapsed: iv.lapsed})
	}
	return runs
}

func (e *evaluator) merge() {
	e.runs = mergeIntervals(e.ivs)
	for _, iv := range e.ivs {
		e.edge(iv.from)
		e.edge(iv.until)
	}
}

// graced reports whether the end of r starts grace, suspension and
// deletion: a paid run, or a trial when the policy says so, that expired:
// it did not end by revocation, removal or a lapsed activation.
func (e *evaluator) graced(r run) bool {
	return r.expires() && (r.paid || e.p.TrialGrace)
}

// expires reports whether r ends by expiring, so that notices announce
// its end. A run that ends when an activation certificate lapses does
// not: a check-in moves that end, and the check-in grace has notices of
// its own (A4).
func (r run) expires() bool { return !r.revoked && !r.removed && !r.lapsed }

// timeline lists the events of every run: notices, grace, suspension,
// deletion, restoration; and of every key. It stops at deletion.
func (e *evaluator) timeline() {
	p := e.p
	for i, r := range e.runs {
		next := farFuture
		if i+1 < len(e.runs) {
			next = e.runs[i+1].start
		}
		if i > 0 {
			prev := e.runs[i-1]
			if e.graced(prev) && r.start.Before(prev.end.Add(p.deletionDelay())) {
				e.add(EventRestored, r.start, intervalLicense(e.keys, r.members[0]), "a license is valid again; nothing was lost")
			}
		}
		if r.end.Equal(farFuture) {
			break
		}
		lic := lastEnding(e.keys, r)
		if r.paid && r.expires() {
			notices := append([]time.Duration{p.ExpiringWindow}, p.Notices...)
			seen := map[int64]bool{}
			for _, d := range notices {
				n := r.end.Add(-d)
				if !n.After(r.start) || seen[n.UnixNano()] {
					continue
				}
				seen[n.UnixNano()] = true
				e.add(EventExpiryNotice, n, lic, fmt.Sprintf("%s expires %s, in %s", orTrial(lic), formatEnd(r.end), days(d)))
			}
			e.edge(r.end.Add(-p.ExpiringWindow))
		}
		if !e.graced(r) {
			if !r.paid && r.expires() {
				e.add(EventTrialEnded, r.end, lic, "the trial ended with no license")
			}
			continue
		}
		del := r.end.Add(p.deletionDelay())
		graceEnd := r.end.Add(p.Grace)
		if p.Grace > 0 {
			e.addBefore(next, EventGraceStarted, r.end, lic, orTrial(lic)+" expired; everything works until "+formatEnd(graceEnd))
			e.addBefore(next, EventGraceHalfway, r.end.Add(p.Grace/2), lic, "half the grace period is gone; suspension at "+formatEnd(graceEnd))
		}
		if graceEnd.Before(del) {
			e.addBefore(next, EventSuspended, graceEnd, lic, "suspended: data kept until "+formatEnd(del))
		}
		if p.DeletionNotice > 0 && del.Add(-p.DeletionNotice).After(r.end) {
			e.addBefore(next, EventDeletionNotice, del.Add(-p.DeletionNotice), lic, "data will be deleted "+formatEnd(del))
		}
		if !next.Before(del) {
			e.add(EventDeleted, del, lic, "data deleted for good")
			e.deletedAt = del
			e.edge(del)
			break
		}
	}
	e.keyEvents()
}

func (e *evaluator) addBefore(limit time.Time, kind EventKind, at time.Time, lic, detail string) {
	if at.Before(limit) {
		e.add(kind, at, lic, detail)
	}
}

// keyEvents adds the events of each key and of the history.
func (e *evaluator) keyEvents() {
	for i, k := range e.keys {
		l := k.License
		if k.Activation != "" {
			e.checkInEvents(i)
		}
		if !k.Revoked.IsZero() {
			e.add(EventRevoked, k.Revoked, l.ID, "license revoked; it grants nothing more")
		}
		if !k.Removed.IsZero() {
			e.add(EventKeyRemoved, k.Removed, l.ID, describe(l)+" removed")
		}
		if k.Reserve {
			continue // see intervals
		}
		iv, ok := e.period(i)
		switch {
		case !k.Promoted.IsZero():
			e.add(EventReserveAdded, k.Added, l.ID, describe(l)+" in reserve")
			e.add(EventReservePromoted, k.Promoted, l.ID, promoted(l, iv.until))
		case k.RenewalOf != "":
			e.add(EventRenewed, k.Added, l.ID, fmt.Sprintf("renews %s: %s", k.RenewalOf, describe(l)))
		case ok:
			start := iv.from
			if k.Added.After(start) {
				start = k.Added.UTC()
			}
			if start.Before(iv.until) {
				e.add(EventActivated, start, l.ID, describe(l)+", valid until "+formatEnd(iv.until))
			}
		}
	}
	if t := e.h.TrialStarted; !t.IsZero() {
		e.add(EventTrialStarted, t, "", "trial ends "+formatEnd(t.Add(e.p.Trial)))
	}
	if t := e.h.StateReset; !t.IsZero() {
		e.add(EventStateReset, t, "", "the installation's state could not be read; started again, with the trial used")
	}
	if t := e.h.AgreementRevoked; !t.IsZero() {
		e.add(EventAgreementRevoked, t, "", "end-user agreement revoked; nothing is granted")
		e.edge(t.UTC())
	}
	if t := e.h.FirstActivated; !t.IsZero() {
		deadline := t.UTC().Add(e.p.ActivationGrace)
		e.edge(deadline)
		if g := e.grantAt(deadline); g.paid && !g.unmetered && g.seats < e.h.Usage {
			e.add(EventUnlicensed, deadline, "", fmt.Sprintf("%d licenses for %d in use at the end of the activation grace", g.seats, e.h.Usage))
		}
	}
}

// checkInEvents adds the events of the check-in grace of the activation
// certificate carrying key i (A4): its start at NotAfter, when the
// license still grants then, and its end when it ends the license's
// grant. The certificate's other licenses add the same events, with the
// same IDs, which run keeps once.
func (e *evaluator) checkInEvents(i int) {
	k := e.keys[i]
	iv, ok := e.period(i)
	notAfter := k.NotAfter.UTC()
	e.edge(notAfter)
	if !ok {
		return
	}
	// Only the events due are built: a certificate is refreshed long
	// before they are, and their instants are edges anyway.
	lapse := e.lapse(k)
	if start := maxTime(notAfter, iv.from); iv.until.After(notAfter) && !start.After(e.ev.At) {
		e.ev.Events = append(e.ev.Events, newActivationEvent(EventCheckInGraceStarted, start, k.Activation,
			"the activation certificate reached its end with no check-in; it grants until "+formatEnd(lapse)))
	}
	if iv.lapsed && !iv.until.After(e.ev.At) {
		e.ev.Events = append(e.ev.Events, newActivationEvent(EventCheckInLapsed, iv.until, k.Activation,
			"no check-in with the license server since the activation certificate ended "+formatEnd(notAfter)+"; nothing is granted until one succeeds"))
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// grant is what the intervals valid at an instant give.
type grant struct {
	features    []string
	all         bool
	seats       int
	unmetered   bool
	paid, trial bool
}

func (e *evaluator) grantAt(t time.Time) grant {
	var g grant
	for _, iv := range e.ivs {
		if t.Before(iv.from) || !t.Before(iv.until) {
			continue
		}
		if iv.key < 0 {
			g.all, g.trial = true, true
			continue
		}
		l := e.keys[iv.key].License
		g.features = append(g.features, l.Features...)
		if l.Scheme.Counted() {
			g.seats += l.Quantity
		} else {
			g.unmetered = true
		}
		if l.Trial {
			g.trial = true
		} else {
			g.paid = true
		}
	}
	slices.Sort(g.features)
	g.features = slices.Compact(g.features)
	return g
}

// state sets the state at instant at, with its grant, expiry and reason.
func (e *evaluator) state(at time.Time) {
	ev := &e.ev
	set := func(s State, reason error, g grant, expiry time.Time) {
		ev.State, ev.Reason = s, reason
		ev.Features, ev.AllFeatures, ev.Seats, ev.Unmetered = g.features, g.all, g.seats, g.unmetered
		if expiry.Before(farFuture) {
			ev.Expiry = expiry
		}
	}
	e.renewalsDue(at)
	revoked := e.h.AgreementRevoked
	switch {
	case !e.h.Deleted.IsZero():
		set(Deleted, ErrDeleted, grant{}, time.Time{})
		return
	case !revoked.IsZero() && !at.Before(revoked) && (e.deletedAt.IsZero() || revoked.Before(e.deletedAt)):
		// Revoked before any deletion: that is the end of the story.
		set(Revoked, ErrAgreementRevoked, grant{}, time.Time{})
		return
	case !e.deletedAt.IsZero() && !at.Before(e.deletedAt):
		set(Deleted, ErrDeleted, grant{}, time.Time{})
		return
	}
	for i, r := range e.runs {
		if at.Before(r.start) {
			if i == 0 {
				set(Pending, ErrPending, grant{}, time.Time{})
				return
			}
			break
		}
		if at.Before(r.end) {
			g := e.grantAt(at)
			switch {
			case !g.paid:
				set(Trial, nil, g, r.end)
			case !e.h.FirstActivated.IsZero() && !at.Before(e.h.FirstActivated.Add(e.p.ActivationGrace)) &&
				!g.unmetered && g.seats < e.h.Usage:
				set(Unlicensed, ErrInsufficientLicenses, g, r.end)
			case r.paid && r.expires() && r.end.Sub(at) <= e.p.ExpiringWindow: // a run ended by revocation is not Expiring (S8): no notice, no renewal
				set(Expiring, nil, g, r.end)
			default:
				set(Active, nil, g, r.end)
			}
			return
		}
		if i+1 < len(e.runs) && !at.Before(e.runs[i+1].start) {
			continue
		}
		// In the gap after r.
		switch {
		case r.revoked:
			set(Revoked, ErrRevoked, grant{}, r.end)
		case r.removed:
			set(Unlicensed, ErrUnlicensed, grant{}, time.Time{})
		case r.lapsed:
			set(Unlicensed, ErrCheckInLapsed, grant{}, r.end)
		case !e.graced(r):
			set(Unlicensed, ErrTrialEnded, grant{}, r.end)
		case at.Before(r.end.Add(e.p.Grace)):
			set(Grace, nil, e.grantAt(r.end.Add(-time.Nanosecond)), r.end)
		default:
			set(Suspended, ErrSuspended, grant{}, r.end)
		}
		return
	}
	set(Unlicensed, ErrUnlicensed, grant{}, time.Time{})
}

// renewalsDue lists the licenses from activation codes that have ended and
// that nothing renews yet (R5).
func (e *evaluator) renewalsDue(at time.Time) {
	for i, k := range e.keys {
		if k.Code == "" || k.Reserve || !k.Revoked.IsZero() || !k.Removed.IsZero() {
			continue
		}
		iv, ok := e.period(i)
		if !ok || iv.until.After(at) || iv.until.Equal(farFuture) {
			continue
		}
		renewed := slices.ContainsFunc(e.keys, func(o Holding) bool { return o.RenewalOf == k.License.ID })
		if !renewed && !e.reserveTakesOver(i, iv.until) {
			e.ev.RenewalsDue = append(e.ev.RenewalsDue, k.License.ID)
		}
	}
}

// reserveTakesOver reports whether a reserve key matching key i grants at
// instant t, the end of key i: it is the new active key, so key i needs no
// renewal (R4 before R5).
func (e *evaluator) reserveTakesOver(i int, t time.Time) bool {
	for _, iv := range e.ivs {
		if iv.key < 0 || iv.key == i || t.Before(iv.from) || !t.Before(iv.until) {
			continue
		}
		o := e.keys[iv.key]
		if (o.Reserve || !o.Promoted.IsZero()) && reserveMatches(e.keys[i].License, o.License) {
			return true
		}
	}
	return false
}

// lastEnding returns the ID of the license whose validity ends a run, or
// "" when the trial does.
func lastEnding(keys []Holding, r run) string {
	id := ""
	for _, m := range r.members {
		if m.until.Equal(r.end) && m.key >= 0 {
			id = keys[m.key].License.ID
		}
	}
	return id
}

// intervalLicense returns the ID of the license behind an interval, or "" for the
// trial.
func intervalLicense(keys []Holding, iv interval) string {
	if iv.key < 0 {
		return ""
	}
	return keys[iv.key].License.ID
}

func promoted(l *License, until time.Time) string {
	return l.ID + " is now the active key, valid until " + formatEnd(until)
}

func orTrial(id string) string {
	if id == "" {
		return "the trial"
	}
	return id
}

func describe(l *License) string { return wording.License(l.ID, l.Product, l.Edition) }

func formatEnd(t time.Time) string {
	if t.IsZero() || !t.Before(farFuture) {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

func days(d time.Duration) string {
	if d%Day == 0 {
		if d == Day {
			return "1 day"
		}
		return fmt.Sprintf("%d days", d/Day)
	}
	return d.String()
}
