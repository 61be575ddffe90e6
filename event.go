package license

import (
	"time"

	"github.com/licensekit/license/internal/eventid"
)

// Event is something an application tells its user or its vendor: a
// state change, a notice, a reserve key promoted, a renewal that failed.
// A [Manager] delivers each event once, also across restarts; ID is stable,
// so a handler that must survive a crash between delivery and the
// Manager's record of it can deduplicate on it.
type Event struct {
	ID         string    // stable identity, such as "grace-started/SN-1/2028-01-20T00:00:00Z"
	Kind       EventKind // what happened
	At         time.Time // the instant it belongs to, UTC
	License    string    // the license concerned, if any
	Detail     string    // a sentence for people
	Activation string    // the activation certificate concerned, if any (A4)
}

// EventKind says what an [Event] reports. Its text is lower case and
// hyphenated, such as "grace-started".
type EventKind string

// The event kinds.
const (
	EventTrialStarted     EventKind = "trial-started"     // a trial began (S1)
	EventTrialEnded       EventKind = "trial-ended"       // a trial ended with no license (S1, S10)
	EventActivated        EventKind = "activated"         // a license began to grant here (L2, L3)
	EventExpiryNotice     EventKind = "expiry-notice"     // the license expires soon (S2)
	EventGraceStarted     EventKind = "grace-started"     // the last license expired (S3)
	EventGraceHalfway     EventKind = "grace-halfway"     // half the grace period is gone (S3)
	EventSuspended        EventKind = "suspended"         // grace is over (S4)
	EventDeletionNotice   EventKind = "deletion-notice"   // deletion is near (S4)
	EventDeleted          EventKind = "deleted"           // the data is deleted for good (S5)
	EventRestored         EventKind = "restored"          // a license returned the software to work from grace or suspension (S6)
	EventUnlicensed       EventKind = "unlicensed"        // too few licenses at the end of the activation grace (S7)
	EventRevoked          EventKind = "revoked"           // a license was revoked (S8)
	EventAgreementRevoked EventKind = "agreement-revoked" // the end-user agreement was revoked (S8)
	EventClockRollback    EventKind = "clock-rollback"    // the clock is behind the latest time seen (S9)
	EventReserveAdded     EventKind = "reserve-added"     // a reserve key was added (R1)
	EventReservePromoted  EventKind = "reserve-promoted"  // the reserve became the active key (R4)
	EventReserveRemoved   EventKind = "reserve-removed"   // the reserve was removed, by hand, on expiry or by R7
	EventRenewed          EventKind = "renewed"           // a renewal key was applied (N1–N3)
	EventRenewalFailed    EventKind = "renewal-failed"    // automatic renewal failed: activate by hand (R5)
	EventKeyRemoved       EventKind = "key-removed"       // a license key was removed
	EventStateReset       EventKind = "state-reset"       // the stored state could not be read and was started again (S9)

	EventCheckInFailed        EventKind = "checkin-failed"         // a check-in with the license server failed; it is retried (A4)
	EventCheckInGraceStarted  EventKind = "checkin-grace-started"  // an activation certificate passed its NotAfter with no check-in (A4)
	EventCheckInLapsed        EventKind = "checkin-lapsed"         // the check-in grace is over: the activation grants nothing until a check-in succeeds (A4)
	EventActivationRefreshed  EventKind = "activation-refreshed"   // a newer certificate of an activation was accepted (A4)
	EventRevocationListLoaded EventKind = "revocation-list-loaded" // a newer revocation list was loaded (C2)
)

// newEvent returns an event whose ID is stable: the same kind, instant
// and license give the same ID.
func newEvent(kind EventKind, at time.Time, lic, detail string) Event {
	at = at.UTC()
	return Event{ID: eventid.New(string(kind), at, lic), Kind: kind, At: at, License: lic, Detail: detail}
}

// newActivationEvent returns an event about the activation certificate
// with ID act, whose ID is stable as newEvent's: one per kind, instant
// and activation, however many licenses the certificate carries.
func newActivationEvent(kind EventKind, at time.Time, act, detail string) Event {
	e := newEvent(kind, at, act, detail)
	e.License, e.Activation = "", act
	return e
}
