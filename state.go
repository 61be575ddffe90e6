package license

import (
	"errors"
	"strconv"
)

// State is where an installation stands in the license lifecycle at an
// instant. [Evaluate] computes it; [Manager.Check] reports it.
type State uint8

// The states. The software may run in Trial, Active, Expiring and Grace;
// it may not in the others.
const (
	// Unlicensed: nothing valid, no trial running (S1, S7).
	Unlicensed State = iota
	// Pending: licenses are held but none has started yet (L3).
	Pending
	// Trial: only a trial grants (S1).
	Trial
	// Active: a paid license grants, and the unbroken run of validity ends
	// more than the Expiring window from now, or never.
	Active
	// Expiring: the unbroken run of validity ends within the Expiring
	// window (S2); the license can be renewed.
	Expiring
	// Grace: the last license expired and nothing replaced it; everything
	// keeps working for the grace period (S3).
	Grace
	// Suspended: after grace, the software does not run but its data is
	// kept (S4).
	Suspended
	// Deleted: the data is deleted for good (S5). Nothing restores it.
	Deleted
	// Revoked: the end-user agreement or the last license was revoked
	// (S8).
	Revoked
)

var stateNames = [...]string{
	Unlicensed: "unlicensed",
	Pending:    "pending",
	Trial:      "trial",
	Active:     "active",
	Expiring:   "expiring",
	Grace:      "grace",
	Suspended:  "suspended",
	Deleted:    "deleted",
	Revoked:    "revoked",
}

// String returns the state's name in lower case, such as "grace".
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText writes the state's name.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Runs reports whether the software may run in this state: Trial, Active,
// Expiring and Grace.
func (s State) Runs() bool {
	return s == Trial || s == Active || s == Expiring || s == Grace
}

// Reasons a [Decision] or an [Evaluation] gives for refusing. Each is
// matched with errors.Is.
var (
	// ErrUnlicensed: no license is valid and no trial runs.
	ErrUnlicensed = errors.New("license: no valid license")
	// ErrTrialEnded: the trial ended with no license (S1, S10).
	ErrTrialEnded = errors.New("license: the trial has ended")
	// ErrInsufficientLicenses: at the end of the activation grace, usage
	// exceeds the licensed seats (S7).
	ErrInsufficientLicenses = errors.New("license: too few licenses for current usage")
	// ErrPending: licenses are held but none has started yet (L3).
	ErrPending = errors.New("license: no license has started yet")
	// ErrSuspended: the grace period is over (S4).
	ErrSuspended = errors.New("license: suspended after the grace period")
	// ErrDeleted: the installation's data is deleted (S5).
	ErrDeleted = errors.New("license: deleted")
	// ErrRevoked: the license that granted was revoked (S8).
	ErrRevoked = errors.New("license: revoked")
	// ErrAgreementRevoked: the end-user agreement was revoked (S8).
	ErrAgreementRevoked = errors.New("license: end-user agreement revoked")
	// ErrFeatureNotLicensed: the software runs, but no valid license
	// grants this feature.
	ErrFeatureNotLicensed = errors.New("license: feature not licensed")
	// ErrClockRollback: the clock is behind the latest time seen beyond
	// the policy's tolerance, and the policy denies (S9).
	ErrClockRollback = errors.New("license: clock set back")
	// ErrCheckInLapsed: the activation certificates that granted passed
	// their NotAfter and the check-in grace with no check-in (A4); a
	// successful check-in grants again.
	ErrCheckInLapsed = errors.New("license: no check-in with the license server before the activation lapsed")
)
