package license

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/benbjohnson/clock"
)

// Clock is the time source a [Manager] reads. github.com/benbjohnson/clock's
// Clock and Mock satisfy it, as does its maintained fork
// github.com/filecoin-project/go-clock; tests pass a mock and move it.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// ManagerConfig configures a [Manager]. Only Verifier is required; every
// other field's zero value is documented.
type ManagerConfig struct {
	// Verifier checks every license key added, and every key again when
	// the state is loaded: a key whose signer has since been retired
	// grants nothing. Required.
	Verifier *Verifier
	// Store keeps the installation's state. Nil keeps it in memory only.
	Store Store
	// Installation names the installation in the Store. Empty means
	// "default".
	Installation string
	// Clock is the time source. Nil means the system clock.
	Clock Clock
	// Policy holds the lifecycle's numbers; the zero Policy is
	// DefaultPolicy().
	Policy Policy
	// OnEvent receives each event once, in order. It is called after the
	// operation that caused the event has released the Manager, so it may
	// call any of the Manager's methods; the events those cause are
	// delivered after it returns, still in order. While one goroutine
	// delivers, an operation in another returns at once and leaves its
	// events to that delivery. Nil: events are recorded, not delivered.
	OnEvent func(Event)
	// Renewer renews licenses that came from activation codes (R5). Nil:
	// their renewal fails with a renewal-failed event.
	Renewer Renewer
	// Product, when set, refuses license keys for any other product.
	Product string
	// Software describes the application in renewal requests (N2).
	Software Software
	// PollInterval caps how long Run waits between two looks at the
	// clock, so that a wall clock moved, or a machine resumed from sleep,
	// is noticed that soon. Zero means one minute.
	PollInterval time.Duration
	// Fingerprint names this device, as the license server's activation
	// certificates do (A2); package fingerprint derives one. Empty: no
	// certificate is accepted.
	Fingerprint string
	// CheckIn reaches the license server to refresh activation
	// certificates before they end (A4); Run and [Manager.CheckIn] call
	// it. Nil: certificates are never refreshed, and lapse.
	CheckIn CheckInner
}

// Software identifies the application in a [RenewalRequest] (N2).
type Software struct {
	ID      string `json:"id"`      // the vendor's identifier of the application
	Version string `json:"version"` // the application's version
	Locale  string `json:"locale"`  // the user's locale, such as "fr-FR"
}

// Errors of the Manager's operations. An operation that fails changes
// nothing.
var (
	// ErrTrialUsed: the installation has already had its trial (S10).
	ErrTrialUsed = errors.New("license: the trial was already used")
	// ErrKeyHeld: a license with that ID is already held.
	ErrKeyHeld = errors.New("license: a license with that ID is already held")
	// ErrUnknownLicense: no license with that ID is held.
	ErrUnknownLicense = errors.New("license: no license with that ID is held")
	// ErrWrongProduct: the key is for another product than the
	// configured one.
	ErrWrongProduct = errors.New("license: key is for another product")
	// ErrNotReserve: the license is not a reserve key.
	ErrNotReserve = errors.New("license: not a reserve key")
	// ErrAlreadyRevoked: the license is already revoked.
	ErrAlreadyRevoked = errors.New("license: already revoked")
	// ErrInvalidUsage: usage is negative.
	ErrInvalidUsage = errors.New("license: usage must not be negative")
)

// Manager enforces the licenses of one installation: it holds the license
// keys, starts the trial, promotes reserve keys, renews, revokes, and sends
// each event of the lifecycle once, persisting what it did in a [Store].
//
// Check answers "may the application do this now?" from a snapshot that
// Advance, Run and every operation refresh: it takes no lock and makes no
// allocation, so it can guard every request. Between two refreshes it
// answers for the instant of the last one; call Advance with the current
// time, or run Run in a goroutine, to move the snapshot along.
//
// A Manager is safe for concurrent use.
type Manager struct {
	cfg    ManagerConfig
	id     string
	clock  Clock
	policy Policy

	mu         sync.Mutex // serializes operations and saves
	st         InstallationState
	license    map[string]*License     // by key text; nil when the key no longer verifies
	cert       map[string]*Certificate // by certificate text; nil when it no longer verifies or names another device
	revs       *loadedList             // the revocation list of m.st, or of the state being changed
	retry      map[string]checkInRetry // by activation ID: failed check-ins and when to try again (A4)
	sent       map[string]bool
	delivering bool // a goroutine is handing the outbox to OnEvent
	evals      int  // evaluations run, for tests of the cost of a change

	// The last evaluation's clock reading, as the Clock returned it, and
	// the instant evaluated: with monotonic readings, the latest time
	// seen advances by the time elapsed since, whatever the wall clock
	// says (S9).
	anchorRaw, anchorSeen time.Time

	snap atomic.Pointer[snapshot]
}

// NewManager opens the installation cfg.Installation in cfg.Store, or
// starts it at the current time if the store has none, and delivers the
// events a previous Manager recorded but may not have delivered.
func NewManager(ctx context.Context, cfg ManagerConfig) (*Manager, error) {
	if cfg.Verifier == nil {
		return nil, errors.New("license: NewManager: a Verifier is required")
	}
	if err := cfg.Policy.Validate(); err != nil {
		return nil, err
	}
	m := &Manager{cfg: cfg, id: cfg.Installation, clock: cfg.Clock, policy: cfg.Policy}
	if m.id == "" {
		m.id = "default"
	}
	if m.clock == nil {
		m.clock = clock.New()
	}
	if m.cfg.Store == nil {
		m.cfg.Store = NewMemoryStore()
	}
	st, err := m.open(ctx)
	if err != nil {
		return nil, err
	}
	m.load(st)
	m.publish(m.evaluate(m.st, m.st.History.LatestSeen))
	if err := m.deliver(ctx); err != nil {
		return nil, err
	}
	// A restarted application is at the current instant at once: what
	// fell due while it was stopped is delivered now.
	if err := m.Advance(ctx, m.now()); err != nil {
		return nil, err
	}
	return m, nil
}

// open loads the installation's state, or starts a new one. A state that
// cannot be read is deleted and started again as one whose trial was used
// (S9): deleting or corrupting the state must never extend a right, and
// must not stop the application either. The reset is recorded, reported
// by Status and sent as an event.
func (m *Manager) open(ctx context.Context) (InstallationState, error) {
	for range 3 { // another process may be doing the same
		st, err := m.cfg.Store.LoadInstallation(ctx, m.id)
		var fresh InstallationState
		switch {
		case err == nil:
			return st, nil
		case errors.Is(err, ErrNotFound):
			now := m.now().UTC()
			fresh = InstallationState{Created: now, History: History{LatestSeen: now}}
		case errors.Is(err, ErrCorrupt):
			// A corrupt document is deleted whatever the version given:
			// its version cannot be read (see Store).
			if err := m.cfg.Store.DeleteInstallation(ctx, m.id, 0); err != nil && !errors.Is(err, ErrNotFound) {
				if errors.Is(err, ErrConflict) {
					continue
				}
				return InstallationState{}, fmt.Errorf("license: deleting the unreadable state of installation %q: %w", m.id, err)
			}
			now := m.now().UTC()
			fresh = InstallationState{Created: now, Trials: 1, History: History{LatestSeen: now, StateReset: now}}
		default:
			return InstallationState{}, fmt.Errorf("license: loading installation %q: %w", m.id, err)
		}
		v, err := m.cfg.Store.SaveInstallation(ctx, m.id, fresh)
		switch {
		case err == nil:
			fresh.Version = v
			return fresh, nil
		case !errors.Is(err, ErrConflict):
			return InstallationState{}, fmt.Errorf("license: creating installation %q: %w", m.id, err)
		}
	}
	return InstallationState{}, fmt.Errorf("license: opening installation %q: %w", m.id, ErrConflict)
}

// load takes st as the current state and verifies its keys and
// certificates. Its revocation list goes to the Verifier first, so that
// the signing keys it revokes are retired before anything is verified
// (C3); the Manager judges the revocations of licenses and activations
// itself, from the instants it recorded.
func (m *Manager) load(st InstallationState) {
	m.st = st
	if ll := m.stateList(st); ll != nil {
		_, _ = m.cfg.Verifier.loadList(ll) // a newer one is adopted at the first change
	}
	m.license = make(map[string]*License, len(st.Keys))
	for _, k := range st.Keys {
		l, err := m.cfg.Verifier.verifyKey(k.Key)
		if err != nil {
			l = nil // grants nothing; kept so that it can be removed
		}
		m.license[k.Key] = l
	}
	m.cert = make(map[string]*Certificate, len(st.Certificates))
	for _, rec := range st.Certificates {
		m.cert[rec.Text] = m.loadCertificate(rec.Text)
	}
	m.retry = map[string]checkInRetry{}
	m.sent = make(map[string]bool, len(st.Sent))
	for _, id := range st.Sent {
		m.sent[id] = true
	}
}

// holdings returns the keys and certified licenses of st that verify, as
// Evaluate reads them, removed ones included: what they granted before
// their removal is the installation's history.
func (m *Manager) holdings(st InstallationState) []Holding {
	hs := make([]Holding, 0, len(st.Keys)+len(st.Certificates))
	for _, k := range st.Keys {
		if h, ok := m.holding(k); ok {
			hs = append(hs, h)
		}
	}
	return m.certHoldings(hs, st, true)
}

// held returns the holdings of the keys and certificates st holds now:
// not removed.
func (m *Manager) held(st InstallationState) []Holding {
	hs := make([]Holding, 0, len(st.Keys)+len(st.Certificates))
	for _, k := range st.Keys {
		if h, ok := m.holding(k); ok && k.Removed.IsZero() {
			hs = append(hs, h)
		}
	}
	return m.certHoldings(hs, st, false)
}

func (m *Manager) holding(k KeyRecord) (Holding, bool) {
	l := m.license[k.Key]
	if l == nil {
		return Holding{}, false
	}
	return Holding{
		License: l, Added: k.Added, Activated: k.Activated, Reserve: k.Reserve,
		Promoted: k.Promoted, Revoked: k.Revoked, Removed: k.Removed, RenewalOf: k.RenewalOf, Code: k.Code,
	}, true
}

func (m *Manager) evaluate(st InstallationState, t time.Time) Evaluation {
	m.evals++
	return Evaluate(m.holdings(st), st.History, m.policy, t)
}

// find returns the index in st.Keys of the held license with that ID, or
// -1.
func (m *Manager) find(st InstallationState, id string) int {
	return slices.IndexFunc(st.Keys, func(k KeyRecord) bool {
		l := m.license[k.Key]
		return l != nil && l.ID == id && k.Removed.IsZero()
	})
}

// change runs an operation. op validates its input against the state and
// the evaluation at the current instant, and returns an error without
// touching st when it refuses; otherwise it changes st and returns the
// events it causes beyond those of the timeline. The state is then
// settled, saved and its new events delivered.
//
// raw is the clock's reading as the Clock returned it: with a monotonic
// reading (the system clock's), the latest time seen advances by the time
// elapsed since the last evaluation, so setting the wall clock back in a
// running process gains nothing (S9).
//
// The events are delivered after the Manager is unlocked.
func (m *Manager) change(ctx context.Context, raw time.Time, op func(st *InstallationState, ev Evaluation) ([]Event, error)) error {
	err := m.changeLocked(ctx, raw, op)
	if err != nil {
		return err
	}
	return m.deliver(ctx)
}

func (m *Manager) changeLocked(ctx context.Context, raw time.Time, op func(st *InstallationState, ev Evaluation) ([]Event, error)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := raw.UTC()
	st := m.st.clone()
	if seen := m.monotonicSeen(raw); seen.After(st.History.LatestSeen) {
		st.History.LatestSeen = seen
	}
	// A revocation list the Verifier was given, by LoadRevocationList or
	// by the host, takes effect here at the latest instant seen (C3).
	before := activeKeys(st)
	adopted := m.adoptRevocations(&st, maxTime(now, st.History.LatestSeen))
	if op == nil {
		return m.settle(ctx, st, raw, adopted, !slices.Equal(before, activeKeys(st)), len(adopted) > 0)
	}
	ev := m.evaluate(st, now)
	events, err := op(&st, ev)
	if err != nil {
		return err
	}
	return m.settle(ctx, st, raw, append(adopted, events...), !slices.Equal(before, activeKeys(st)), true)
}

// monotonicSeen returns the latest time seen advanced by the time elapsed
// since the last evaluation, when both clock readings are monotonic; zero
// otherwise. A mock clock's readings are not: its time moves only when the
// test moves it.
func (m *Manager) monotonicSeen(raw time.Time) time.Time {
	if !monotonic(raw) || !monotonic(m.anchorRaw) {
		return time.Time{}
	}
	return m.anchorSeen.Add(raw.Sub(m.anchorRaw))
}

// monotonic reports whether t carries a monotonic clock reading, which
// Round(0) strips.
func monotonic(t time.Time) bool { return t != t.Round(0) }

// activeKeys describes the keys of st that are not reserves, so that a
// change of the active keys can be seen.
func activeKeys(st InstallationState) []KeyRecord {
	var ks []KeyRecord
	for _, k := range st.Keys {
		if !k.Reserve && k.Removed.IsZero() {
			ks = append(ks, k)
		}
	}
	return ks
}

// settle brings st up to the clock reading raw: it promotes due reserves,
// drops expired ones, attempts due automatic renewals, records deletion,
// then saves st with every event from the last recorded instant on that
// was not sent yet, in the outbox for deliver. dirty says the operation
// changed st. When nothing changed and nothing fell due, it saves
// nothing: only the latest time seen moved, and that is saved once it
// has moved by seenSaveInterval.
func (m *Manager) settle(ctx context.Context, st InstallationState, raw time.Time, events []Event, activeChanged, dirty bool) error {
	now := raw.UTC()
	all := map[string]Event{}
	for _, e := range events {
		all[e.ID] = e
	}
	var ev Evaluation
	for range 8 { // each pass settles one generation of reserves and renewals
		ev = m.evaluate(st, now)
		before := activeKeys(st)
		more, again := m.housekeep(ctx, &st, ev, activeChanged)
		for _, e := range more {
			all[e.ID] = e
		}
		if !again {
			break
		}
		dirty = true
		activeChanged = !slices.Equal(before, activeKeys(st))
	}
	// The timeline is that of the settled state: an earlier pass's
	// events that housekeeping undid (the grace an automatic renewal
	// averted) never happened.
	for _, e := range ev.Events {
		all[e.ID] = e
	}
	if ev.Rollback {
		e := newEvent(EventClockRollback, ev.At, "", fmt.Sprintf("the clock reads %s, behind the latest time seen %s; the state stays %s", formatEnd(now), formatEnd(ev.At), ev.State))
		all[e.ID] = e
	}
	if errors.Is(ev.Reason, ErrInsufficientLicenses) && !errors.Is(m.snap.Load().reason, ErrInsufficientLicenses) {
		// S7 after its deadline: usage rose or seats fell. The deadline's
		// own event has the same ID when it is the deadline.
		e := newEvent(EventUnlicensed, ev.At, "", fmt.Sprintf("%d licenses for %d in use", ev.Seats, st.History.Usage))
		if _, dup := all[e.ID]; !dup {
			all[e.ID] = e
		}
	}
	if ev.State == Deleted && st.History.Deleted.IsZero() {
		dirty = true
		st.History.Deleted = ev.At
		for _, e := range ev.Events {
			if e.Kind == EventDeleted {
				st.History.Deleted = e.At
			}
		}
	}

	// Events from the last recorded instant on, not sent before. Older
	// ones that a change made appear (a notice for an expiry that moved
	// into the past) are history, not news.
	from := st.History.LatestSeen
	var out []Event
	for _, e := range all {
		if m.sent[e.ID] || e.At.Before(from) {
			continue
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Event) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return kindRank(a.Kind) - kindRank(b.Kind)
	})
	st.History.LatestSeen = ev.At
	st.History.SetBack, st.History.Behind = ev.SetBack, ev.Behind
	if !dirty && len(out) == 0 && !seenMoved(m.st.History, st.History) {
		m.anchor(raw, ev)
		m.publish(ev)
		return nil
	}
	for _, e := range out {
		st.Sent = append(st.Sent, e.ID)
	}
	slices.Sort(st.Sent)
	if m.cfg.OnEvent != nil {
		st.Outbox = append(st.Outbox, out...)
	}

	v, err := m.cfg.Store.SaveInstallation(ctx, m.id, st)
	if err != nil {
		return fmt.Errorf("license: saving installation %q: %w", m.id, err)
	}
	st.Version = v
	m.st = st
	for _, e := range out {
		m.sent[e.ID] = true
	}
	m.anchor(raw, ev)
	// The settled evaluation is what a new one would say: recording the
	// latest time seen and the deletion changes neither state nor grant.
	m.publish(ev)
	return nil
}

// seenSaveInterval is how far the latest time seen, or how far the clock
// is behind it, may move before an Advance with nothing else to record
// saves it. It bounds the writes of an application that calls Advance on
// every request, and what a restart can lose of the latest time seen.
const seenSaveInterval = time.Minute

// seenMoved reports whether the clock's history moved enough since saved
// to be worth a write.
func seenMoved(saved, now History) bool {
	abs := func(d time.Duration) time.Duration { return max(d, -d) }
	return now.LatestSeen.Sub(saved.LatestSeen) >= seenSaveInterval ||
		abs(now.Behind-saved.Behind) >= seenSaveInterval ||
		abs(now.SetBack-saved.SetBack) >= seenSaveInterval ||
		now.LatestSeen.Before(saved.LatestSeen)
}

// anchor records the clock reading of the evaluation ev, from which
// monotonicSeen measures.
func (m *Manager) anchor(raw time.Time, ev Evaluation) {
	m.anchorRaw, m.anchorSeen = raw, ev.At
}

// kindRank orders events of the same instant: what ends before what
// begins, and notices after the change they announce.
func kindRank(k EventKind) int {
	order := []EventKind{
		EventStateReset, EventClockRollback, EventRevocationListLoaded, EventKeyRemoved, EventRevoked, EventAgreementRevoked, EventReserveRemoved,
		EventTrialEnded, EventTrialStarted, EventCheckInFailed, EventRenewalFailed, EventRenewed, EventActivationRefreshed, EventReservePromoted,
		EventActivated, EventRestored, EventReserveAdded, EventExpiryNotice, EventGraceStarted, EventCheckInGraceStarted,
		EventGraceHalfway, EventSuspended, EventDeletionNotice, EventCheckInLapsed, EventUnlicensed, EventDeleted,
	}
	return slices.Index(order, k)
}

// housekeep applies what the evaluation says is due: promotions (R4),
// removal of reserves that expired or can no longer take over (R7), and
// automatic renewals (R5). It reports whether st changed.
func (m *Manager) housekeep(ctx context.Context, st *InstallationState, ev Evaluation, activeChanged bool) (events []Event, changed bool) {
	for i := range st.Keys {
		k := &st.Keys[i]
		l := m.license[k.Key]
		if l == nil || !k.Reserve {
			continue
		}
		if p, ok := ev.Promotions[l.ID]; ok && !p.After(ev.At) {
			k.Reserve, k.Promoted = false, p
			if l.Term > 0 {
				k.Activated = p
			}
			changed = true
		}
	}
	for _, id := range ev.ExpiredReserves {
		if i := m.find(*st, id); i >= 0 && st.Keys[i].Reserve {
			st.Keys = slices.Delete(st.Keys, i, i+1)
			// Its removal event goes with it: the settled timeline no
			// longer holds the reserve.
			for _, e := range ev.Events {
				if e.Kind == EventReserveRemoved && e.License == id {
					events = append(events, e)
				}
			}
			changed = true
		}
	}
	if activeChanged {
		// R7: a reserve that expires before the new active key's validity
		// ends could never take over; it goes, and another can be added.
		hs := m.holdings(*st)
		active := m.activeIntervals(hs)
		for i := len(st.Keys) - 1; i >= 0; i-- {
			k := st.Keys[i]
			l := m.license[k.Key]
			if l == nil || !k.Reserve || l.Term > 0 || l.Expiry.IsZero() {
				continue
			}
			j := slices.IndexFunc(hs, func(h Holding) bool { return h.License == l })
			if p := promotionInstant(hs, active, j); !l.Expiry.After(p) && l.Expiry.After(ev.At) {
				st.Keys = slices.Delete(st.Keys, i, i+1)
				events = append(events, newEvent(EventReserveRemoved, ev.At, l.ID,
					"reserve key expires "+formatEnd(l.Expiry)+", before the active key ends "+formatEnd(p)+"; add another reserve"))
				changed = true
			}
		}
	}
	for _, id := range ev.RenewalsDue {
		if slices.Contains(st.Renewed, id) {
			continue
		}
		st.Renewed = append(st.Renewed, id)
		changed = true
		if err := m.autoRenew(ctx, st, id, ev); err != nil {
			events = append(events, newEvent(EventRenewalFailed, ev.At, id,
				"automatic renewal failed, activate by hand: "+err.Error()))
		}
	}
	return events, changed
}

// activeIntervals returns the intervals of the holdings that are not
// reserves, as promotionInstant reads them.
func (m *Manager) activeIntervals(hs []Holding) []interval {
	e := evaluator{p: m.policy.normalized(), keys: hs}
	var ivs []interval
	for i, h := range hs {
		if !h.Reserve {
			if iv, ok := e.period(i); ok {
				ivs = append(ivs, iv)
			}
		}
	}
	return ivs
}

// autoRenew asks the Renewer for a renewal of license id and applies it.
func (m *Manager) autoRenew(ctx context.Context, st *InstallationState, id string, ev Evaluation) error {
	if m.cfg.Renewer == nil {
		return errors.New("no activation service configured")
	}
	i := m.find(*st, id)
	if i < 0 {
		return ErrUnknownLicense
	}
	key, err := m.cfg.Renewer.Renew(ctx, m.renewalRequest(m.license[st.Keys[i].Key]))
	if err != nil {
		return err
	}
	l, err := m.verify(key)
	if err != nil {
		return err
	}
	if err := m.applyRenewal(st, i, key, l, ev.At); err != nil {
		return err
	}
	m.license[key] = l
	return nil
}

// deliver hands the outbox to OnEvent, with the Manager unlocked, then
// records that it did; it goes on until the outbox is empty, so that the
// events of operations that OnEvent itself calls follow in order. A call
// while another goroutine delivers returns at once: that delivery takes
// the new events too.
func (m *Manager) deliver(ctx context.Context) (err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.delivering {
		return nil
	}
	m.delivering = true
	defer func() { m.delivering = false }()
	for len(m.st.Outbox) > 0 {
		batch := slices.Clone(m.st.Outbox)
		if m.cfg.OnEvent != nil {
			m.mu.Unlock()
			func() {
				defer m.mu.Lock() // also when OnEvent panics
				for _, e := range batch {
					m.cfg.OnEvent(e)
				}
			}()
		}
		// Only deliver takes events off the outbox, and operations
		// append: the batch is still its head.
		st := m.st.clone()
		st.Outbox = slices.Delete(st.Outbox, 0, len(batch))
		v, err := m.cfg.Store.SaveInstallation(ctx, m.id, st)
		if err != nil {
			// Delivered but not recorded: a restart delivers them again,
			// with the same IDs.
			return fmt.Errorf("license: recording delivered events of %q: %w", m.id, err)
		}
		st.Version = v
		m.st = st
	}
	return nil
}

// Advance brings the installation to instant now, normally the current
// time: it runs the transitions due by then, promotes reserve keys, tries
// due automatic renewals, and delivers the events due, each once. A now
// behind the latest instant seen evaluates at that instant instead (S9).
// The clock's set-backs add up against the policy's ClockTolerance, which
// refills by one tolerance per 30 days; past it, a clock rollback is
// reported. Pass the Clock's reading as it is: with a monotonic reading
// (the system clock's), the latest time seen also advances with the time
// elapsed in this process, whatever the wall clock says.
//
// An Advance at which nothing falls due saves nothing, unless the latest
// time seen has moved by a minute or more since last saved; it is cheap
// enough to call on every request.
func (m *Manager) Advance(ctx context.Context, now time.Time) error {
	return m.change(ctx, now, nil)
}

// Run advances the installation whenever something is due, and checks in
// each activation certificate when its check-in falls due, as CheckIn
// does (A4), until ctx is done; it returns ctx's error, or the first
// error of Advance. A failed check-in is not an error of Run: it sends
// its event and is tried again. It waits on the configured Clock's
// timers.
//
// With the system clock, whose readings carry a monotonic reading, Run
// also looks at the clock every PollInterval, to notice a wall clock that
// was moved or a machine that resumed from sleep. A mock clock's time
// moves only when the test moves it, and moving it fires the timers due
// on the way: Run then wakes at each instant at which something is due,
// and at no other, so that a mock moved a year ahead is followed in a few
// steps rather than minute by minute. Between two due instants, nothing
// changes but Status().At.
//
// In tests, the simplest way to drive a Manager is to move the mock clock
// and call Advance with its reading, or to step through Next:
//
//	for next := m.Next(); !next.IsZero() && !next.After(end); next = m.Next() {
//		mock.Set(next)
//		if err := m.Advance(ctx, next); err != nil { … }
//	}
func (m *Manager) Run(ctx context.Context) error {
	for {
		now := m.clock.Now()
		var wake <-chan time.Time
		wait, poll := m.cfg.PollInterval, monotonic(now)
		if wait <= 0 {
			wait = time.Minute
		}
		if next := m.snap.Load().next; !next.IsZero() && (!poll || next.Sub(now) < wait) {
			wait, poll = max(next.Sub(now), 0), true
		}
		if next := m.nextCheckIn(); !next.IsZero() && (!poll || next.Sub(now) < wait) {
			wait, poll = max(next.Sub(now), 0), true
		}
		if poll {
			wake = m.clock.After(wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		}
		if err := m.Advance(ctx, m.clock.Now()); err != nil {
			return err
		}
		// A failed check-in is reported by its event and tried again
		// later; it does not stop Run.
		if err := m.CheckIn(ctx); err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// StartTrial starts the installation's trial: full functionality for the
// policy's Trial period (S1). An installation has one trial, whether
// started here or by a trial key (S10): the second fails with
// ErrTrialUsed.
func (m *Manager) StartTrial(ctx context.Context) error {
	return m.change(ctx, m.now(), func(st *InstallationState, ev Evaluation) ([]Event, error) {
		if err := m.refuseIfGone(ev); err != nil {
			return nil, err
		}
		if st.Trials > 0 {
			return nil, ErrTrialUsed
		}
		st.Trials++
		st.History.TrialStarted = ev.At
		return nil, nil
	})
}

// now returns the clock's reading as it is, with its monotonic reading if
// it has one (see change).
func (m *Manager) now() time.Time { return m.clock.Now() }

// refuseIfGone refuses changes to a deleted installation (S5) or one whose
// end-user agreement was revoked (S8).
func (m *Manager) refuseIfGone(ev Evaluation) error {
	switch {
	case ev.State == Deleted:
		return ErrDeleted
	case errors.Is(ev.Reason, ErrAgreementRevoked):
		return ErrAgreementRevoked
	}
	return nil
}

// KeyOption qualifies a license key added with [Manager.AddKey].
type KeyOption func(*KeyRecord)

// WithActivationCode records that the key came from redeeming an
// activation code, so that the Manager asks the Renewer for its renewal
// when it ends (R5).
func WithActivationCode(code string) KeyOption {
	return func(k *KeyRecord) { k.Code = code }
}

// AddKey verifies a license key and adds it to the installation, which
// activates it: a term license starts its term now (L2); a license whose
// start is in the future grants from then (L3). A license grants nothing
// here before the instant it was added, so adding a valid license during
// Grace or Suspended returns to Active at once, with a restored event
// (S6), and what happened before stays in the timeline.
//
// Adding a key already held (the same license, by [License.Digest])
// returns its license and changes nothing, so that an application may add
// its keys at every start. Adding again a term license that was removed
// continues its term from its first activation here.
//
// It fails, adding nothing, with the error of [Verifier.Verify], or with
// ErrWrongProduct, ErrKeyHeld (another key for a license ID held),
// ErrActivationClosed (L2), ErrTrialUsed (a second trial, S10),
// ErrDeleted or ErrAgreementRevoked.
func (m *Manager) AddKey(ctx context.Context, key string, opts ...KeyOption) (*License, error) {
	var held *License
	l, err := m.changeWithKey(ctx, key, func(st *InstallationState, ev Evaluation, l *License) error {
		if i := m.find(*st, l.ID); i >= 0 && sameLicense(m.license[st.Keys[i].Key], l) {
			held = m.license[st.Keys[i].Key]
			return errUnchanged
		}
		rec, err := m.activate(st, key, l, ev.At)
		if err != nil {
			return err
		}
		for _, o := range opts {
			o(&rec)
		}
		st.Keys = append(st.Keys, rec)
		return nil
	})
	if held != nil {
		return held, nil
	}
	return l, err
}

// errUnchanged stops an operation that has nothing to change.
var errUnchanged = errors.New("license: nothing to change")

// sameLicense reports whether a and b are the same license, by digest.
func sameLicense(a, b *License) bool {
	da, errA := a.Digest()
	db, errB := b.Digest()
	return errA == nil && errB == nil && da == db
}

// activate returns the record of key, carrying license l, added to st at
// instant at as an active key, and counts its trial or first activation
// in st. It refuses a license ID held, an activation after the license's
// deadline (L2) and a second trial (S10).
func (m *Manager) activate(st *InstallationState, key string, l *License, at time.Time) (KeyRecord, error) {
	if err := m.checkNotHeld(st, l.ID); err != nil {
		return KeyRecord{}, err
	}
	rec := KeyRecord{Key: key, Added: at}
	if l.Term > 0 {
		rec.Activated = at
		// A term license removed and added again goes on with its first
		// term here; only a new activation is held to its deadline.
		if prev := m.removed(*st, l.ID); !prev.IsZero() {
			rec.Activated = prev
		} else if err := l.CanActivateAt(at); err != nil {
			return KeyRecord{}, err
		}
	}
	if l.Trial && st.Trials > 0 {
		return KeyRecord{}, ErrTrialUsed
	}
	if l.Trial {
		st.Trials++
	} else if st.History.FirstActivated.IsZero() {
		st.History.FirstActivated = at
	}
	return rec, nil
}

// removed returns the first activation of a removed key for license id,
// or zero.
func (m *Manager) removed(st InstallationState, id string) time.Time {
	for _, k := range st.Keys {
		if l := m.license[k.Key]; l != nil && l.ID == id && !k.Removed.IsZero() && !k.Activated.IsZero() {
			return k.Activated
		}
	}
	return time.Time{}
}

// changeWithKey verifies key for the installation's product, then runs op
// as change does, refusing first if the installation is deleted or its
// agreement revoked. When op succeeds the key's license is known to the
// Manager, and returned.
func (m *Manager) changeWithKey(ctx context.Context, key string, op func(st *InstallationState, ev Evaluation, l *License) error) (*License, error) {
	l, err := m.verify(key)
	if err != nil {
		return nil, err
	}
	err = m.change(ctx, m.now(), func(st *InstallationState, ev Evaluation) ([]Event, error) {
		if err := m.refuseIfGone(ev); err != nil {
			return nil, err
		}
		if err := op(st, ev, l); err != nil {
			return nil, err
		}
		m.license[key] = l
		return nil, nil
	})
	if errors.Is(err, errUnchanged) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return l, nil
}

// verify verifies a key for the installation's product.
func (m *Manager) verify(key string) (*License, error) {
	l, err := m.cfg.Verifier.Verify(key)
	if err != nil {
		return nil, err
	}
	if m.cfg.Product != "" && l.Product != m.cfg.Product {
		return nil, fmt.Errorf("%w: %q, not %q", ErrWrongProduct, l.Product, m.cfg.Product)
	}
	return l, nil
}

// checkNotHeld refuses a license whose ID the installation already holds.
func (m *Manager) checkNotHeld(st *InstallationState, id string) error {
	if m.find(*st, id) >= 0 {
		return fmt.Errorf("%w: %s", ErrKeyHeld, id)
	}
	return nil
}

// RemoveKey removes the license with that ID: it grants nothing from now
// on, and what it granted before stays in the installation's history. A
// reserve key standing behind it takes over at once (R4). Removing the
// last license leaves the installation unlicensed, with no grace: the
// license did not expire. It fails with ErrUnknownLicense.
func (m *Manager) RemoveKey(ctx context.Context, id string) error {
	return m.change(ctx, m.now(), func(st *InstallationState, ev Evaluation) ([]Event, error) {
		return nil, m.remove(st, id, ev.At)
	})
}

// remove removes the held license with that ID from st at instant at: a
// reserve is dropped, an active key ends its grant there. The reserve
// behind an active key takes over when the settled evaluation promotes it
// (R4), unless the key replacing it outlasts the reserve (R7).
func (m *Manager) remove(st *InstallationState, id string, at time.Time) error {
	i := m.find(*st, id)
	if i < 0 {
		return fmt.Errorf("%w: %s", ErrUnknownLicense, id)
	}
	if st.Keys[i].Reserve {
		st.Keys = slices.Delete(st.Keys, i, i+1)
		return nil
	}
	st.Keys[i].Removed = at
	return nil
}

// ReplaceKey replaces the active license with ID old by the license key
// key, in one step: the old key grants nothing from now on, the new one
// is added as AddKey adds it, and a reserve key that expires before the
// new key's validity ends is removed, with an event, so that another can
// be added (R7). A reserve that outlasts the new key stays behind it. It
// fails, changing nothing, with the errors of AddKey, or
// ErrUnknownLicense.
func (m *Manager) ReplaceKey(ctx context.Context, old, key string) (*License, error) {
	return m.changeWithKey(ctx, key, func(st *InstallationState, ev Evaluation, l *License) error {
		if i := m.find(*st, old); i < 0 || st.Keys[i].Reserve {
			return fmt.Errorf("%w: %s", ErrUnknownLicense, old)
		}
		rec, err := m.activate(st, key, l, ev.At)
		if err != nil {
			return err
		}
		if err := m.remove(st, old, ev.At); err != nil {
			return err
		}
		st.Keys = append(st.Keys, rec)
		return nil
	})
}

// HeldKey is a license key an installation holds, as [Manager.Keys] lists
// it.
type HeldKey struct {
	License   *License  // the verified license
	Key       string    // the license key's text
	Reserve   bool      // held in reserve (R1); false for an active key
	Added     time.Time // when the installation took the key
	Activated time.Time // when a term license's term started (L2); zero for others
	Promoted  time.Time // when it was promoted from reserve (R4); zero if never
	Revoked   time.Time // when it was revoked (S8); zero if not
	RenewalOf string    // the ID of the license it renews (N1–N3), if any
	// Activation is the ID of the activation certificate that carries
	// the license (A1), whose text is then Key; empty for a license key.
	Activation string
	// NotAfter is that certificate's NotAfter: the license grants until
	// then and during the check-in grace after it (A4).
	NotAfter time.Time
}

// Keys lists the license keys the installation holds, in the order they
// were added: active keys and reserves, not those removed; then the
// licenses of the activation certificates it holds, in the order their
// activations were accepted. A key or a certificate whose signer has been
// retired since it was added is not listed: it grants nothing, and
// RemoveKey cannot name it either.
func (m *Manager) Keys() []HeldKey {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ks []HeldKey
	for _, k := range m.st.Keys {
		l := m.license[k.Key]
		if l == nil || !k.Removed.IsZero() {
			continue
		}
		ks = append(ks, HeldKey{
			License: l, Key: k.Key, Reserve: k.Reserve, Added: k.Added, Activated: k.Activated,
			Promoted: k.Promoted, Revoked: k.Revoked, RenewalOf: k.RenewalOf,
		})
	}
	texts := make(map[string]string, len(m.st.Certificates))
	for _, rec := range m.st.Certificates {
		if rec.Removed.IsZero() {
			texts[rec.ID] = rec.Text
		}
	}
	for _, h := range m.certHoldings(nil, m.st, false) {
		ks = append(ks, HeldKey{
			License: h.License, Key: texts[h.Activation], Added: h.Added, Activated: h.Activated, Revoked: h.Revoked,
			Activation: h.Activation, NotAfter: h.NotAfter,
		})
	}
	return ks
}

// AddReserve adds a reserve key (R1): it takes over, with no gap, when the
// active key it matches expires (R4); a term reserve starts its term then.
// There is one reserve per type of machine (R3). It fails, adding nothing,
// with the error of [Verifier.Verify], ErrWrongProduct, or the refusals of
// R6: ErrNoActiveKey, ErrReserveMismatch, ErrReserveExpired,
// ErrReserveIsActive, ErrAlreadyReserve, ErrReserveTrial; or
// ErrReserveSlotTaken (R3).
func (m *Manager) AddReserve(ctx context.Context, key string) (*License, error) {
	return m.changeWithKey(ctx, key, func(st *InstallationState, ev Evaluation, l *License) error {
		if err := checkReserve(m.held(*st), l, ev.At); err != nil {
			return err
		}
		if err := m.checkNotHeld(st, l.ID); err != nil {
			return err
		}
		if err := l.CanActivateAt(ev.At); err != nil {
			return err
		}
		st.Keys = append(st.Keys, KeyRecord{Key: key, Added: ev.At, Reserve: true})
		return nil
	})
}

// RemoveReserve removes the reserve key with that ID; another can then be
// added. It fails with ErrUnknownLicense or ErrNotReserve.
func (m *Manager) RemoveReserve(ctx context.Context, id string) error {
	return m.change(ctx, m.now(), func(st *InstallationState, ev Evaluation) ([]Event, error) {
		i := m.find(*st, id)
		if i < 0 {
			return nil, fmt.Errorf("%w: %s", ErrUnknownLicense, id)
		}
		if !st.Keys[i].Reserve {
			return nil, fmt.Errorf("%w: %s", ErrNotReserve, id)
		}
		st.Keys = slices.Delete(st.Keys, i, i+1)
		return []Event{newEvent(EventReserveRemoved, ev.At, id, "reserve key removed")}, nil
	})
}

// Revoke revokes the license with that ID: it grants nothing from now on
// (S8). It fails with ErrUnknownLicense or ErrAlreadyRevoked.
func (m *Manager) Revoke(ctx context.Context, id string) error {
	return m.change(ctx, m.now(), func(st *InstallationState, ev Evaluation) ([]Event, error) {
		i := m.find(*st, id)
		if i < 0 {
			return nil, fmt.Errorf("%w: %s", ErrUnknownLicense, id)
		}
		if !st.Keys[i].Revoked.IsZero() {
			return nil, fmt.Errorf("%w: %s", ErrAlreadyRevoked, id)
		}
		st.Keys[i].Revoked = ev.At
		return nil, nil
	})
}

// RevokeAgreement records that the user revoked the end-user agreement:
// nothing is granted from now on, and no key can be added (S8).
func (m *Manager) RevokeAgreement(ctx context.Context) error {
	return m.change(ctx, m.now(), func(st *InstallationState, ev Evaluation) ([]Event, error) {
		if err := m.refuseIfGone(ev); err != nil {
			return nil, err
		}
		st.History.AgreementRevoked = ev.At
		return nil, nil
	})
}

// SetUsage records how many devices, users or other units the
// installation uses, counted as its licenses count them. At the end of the
// activation grace, usage above the licensed seats makes the software lose
// its license (S7).
func (m *Manager) SetUsage(ctx context.Context, n int) error {
	if n < 0 {
		return fmt.Errorf("%w: %d", ErrInvalidUsage, n)
	}
	return m.change(ctx, m.now(), func(st *InstallationState, ev Evaluation) ([]Event, error) {
		st.History.Usage = n
		return nil, nil
	})
}

// RenewalRequest returns the request that renews the license with that ID
// (N2), for the host to send to the vendor. It fails with
// ErrUnknownLicense, or ErrNotRenewable unless the license expires within
// the Expiring window or has expired (N1).
func (m *Manager) RenewalRequest(id string) (RenewalRequest, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := m.find(m.st, id)
	if i < 0 {
		return RenewalRequest{}, fmt.Errorf("%w: %s", ErrUnknownLicense, id)
	}
	at := m.now()
	if latest := m.snap.Load().at; at.Before(latest) {
		at = latest // never judge before the latest instant seen (S9)
	}
	k := m.st.Keys[i]
	if _, until, _ := m.license[k.Key].Period(k.Activated); k.Reserve || !renewable(until, at, m.policy.normalized().ExpiringWindow) {
		return RenewalRequest{}, fmt.Errorf("%w: %s %s", ErrNotRenewable, id, notRenewable(k, until))
	}
	return m.renewalRequest(m.license[m.st.Keys[i].Key]), nil
}

// notRenewable says why a license that ends at until cannot be renewed.
func notRenewable(k KeyRecord, until time.Time) string {
	if k.Reserve {
		return "is a reserve key: it takes over from the active key instead (R6)"
	}
	return "ends " + formatEnd(until)
}

func (m *Manager) renewalRequest(l *License) RenewalRequest {
	return RenewalRequest{
		SoftwareID:      m.cfg.Software.ID,
		SoftwareVersion: m.cfg.Software.Version,
		Locale:          m.cfg.Software.Locale,
		LicenseID:       l.ID,
		FromPartner:     l.Partner != "",
	}
}

// Renew applies a renewal key to the license with that ID (N1–N3). The
// license must expire within the Expiring window or have expired (N1);
// the renewal key must be for the same product. A term renewal starts
// where the policy's RenewFrom says: by default at the old expiry, so
// renewing early loses nothing (N3). It fails, changing nothing, with the
// error of [Verifier.Verify], ErrUnknownLicense, ErrNotRenewable,
// ErrRenewalMismatch or ErrKeyHeld.
func (m *Manager) Renew(ctx context.Context, id, key string) (*License, error) {
	return m.changeWithKey(ctx, key, func(st *InstallationState, ev Evaluation, l *License) error {
		i := m.find(*st, id)
		if i < 0 {
			return fmt.Errorf("%w: %s", ErrUnknownLicense, id)
		}
		return m.applyRenewal(st, i, key, l, ev.At)
	})
}

// applyRenewal adds key, which carries license l, to st as the renewal of
// the license at index i, renewed at instant at.
func (m *Manager) applyRenewal(st *InstallationState, i int, key string, l *License, at time.Time) error {
	old := st.Keys[i]
	oldL := m.license[old.Key]
	_, until, _ := oldL.Period(old.Activated)
	switch {
	case old.Reserve || !renewable(until, at, m.policy.normalized().ExpiringWindow):
		return fmt.Errorf("%w: %s %s", ErrNotRenewable, oldL.ID, notRenewable(old, until))
	case l.Product != oldL.Product:
		return fmt.Errorf("%w: %q renews %q", ErrRenewalMismatch, l.Product, oldL.Product)
	}
	if err := m.checkNotHeld(st, l.ID); err != nil {
		return err
	}
	if err := l.CanActivateAt(at); err != nil {
		return err
	}
	rec := KeyRecord{Key: key, Added: at, RenewalOf: oldL.ID, Code: old.Code}
	if l.Term > 0 {
		rec.Activated = renewalStart(m.policy.RenewFrom, until, at)
	}
	st.Keys = append(st.Keys, rec)
	return nil
}

// Decision is the answer of [Manager.Check].
type Decision struct {
	Allowed bool      // the application may go ahead
	State   State     // the installation's state
	Reason  error     // why not, when not allowed: see Evaluation.Reason and ErrFeatureNotLicensed
	Expiry  time.Time // the end of the unbroken run of validity (S11); zero if perpetual or none
}

// snapshot is what Check reads: the evaluation of the last refresh.
type snapshot struct {
	at       time.Time
	next     time.Time
	state    State
	reason   error
	expiry   time.Time
	all      bool
	features map[string]struct{} // a set: Check's cost does not grow with it
	eval     Evaluation
}

func (m *Manager) publish(ev Evaluation) {
	features := make(map[string]struct{}, len(ev.Features))
	for _, f := range ev.Features {
		features[f] = struct{}{}
	}
	m.snap.Store(&snapshot{
		at: ev.At, next: ev.Next, state: ev.State, reason: ev.Reason, expiry: ev.Expiry,
		all: ev.AllFeatures, features: features, eval: ev,
	})
}

// Check reports whether the application may use feature now; the empty
// feature asks whether it may run at all. It reads the snapshot of the
// last Advance or operation, takes no lock and makes no allocation.
func (m *Manager) Check(feature string) Decision {
	s := m.snap.Load()
	d := Decision{State: s.state, Reason: s.reason, Expiry: s.expiry}
	switch {
	case s.reason != nil:
	case feature == "" || s.all:
		d.Allowed = true
	default:
		_, d.Allowed = s.features[feature]
	}
	if !d.Allowed && d.Reason == nil {
		d.Reason = ErrFeatureNotLicensed
	}
	return d
}

// Status returns the evaluation of the last Advance or operation: state,
// features, seats, expiry, the events of the timeline so far and the next
// instant anything changes.
func (m *Manager) Status() Evaluation {
	ev := m.snap.Load().eval
	// The snapshot is shared by every reader: hand out copies.
	ev.Features = slices.Clone(ev.Features)
	ev.Events = slices.Clone(ev.Events)
	ev.Promotions = maps.Clone(ev.Promotions)
	ev.ExpiredReserves = slices.Clone(ev.ExpiredReserves)
	ev.RenewalsDue = slices.Clone(ev.RenewalsDue)
	return ev
}

// Next returns the next instant at which anything changes, or zero if
// nothing ever will: when to call Advance next.
func (m *Manager) Next() time.Time { return m.snap.Load().next }
