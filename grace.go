package license

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Day is 24 hours. Policies count in days; instants are UTC, so a day is
// always exactly 24 hours long.
const Day = 24 * time.Hour

// Off disables a period of a [Policy] whose zero value means "the default":
// Grace: Off gives no grace period, Suspension: Off deletes at the end of
// grace, and so on. Only the fields whose documentation says so accept it.
const Off time.Duration = -1

// Policy holds the numbers of the lifecycle: how long a trial lasts, when
// notices go out, how long grace and suspension last, how renewals count
// and how a clock set back is handled. Every field's zero value means the
// default, taken from the vendors' documentation the rules come from, so
// the zero Policy is [DefaultPolicy]. A Policy is a plain value; pass it
// to [Evaluate] or [ManagerConfig].
type Policy struct {
	// Trial is the length of a trial started with [Manager.StartTrial]
	// (S1). Default 30 days.
	Trial time.Duration
	// TrialGrace gives an expired trial the grace period, suspension and
	// deletion of a paid license. By default an expired trial is simply
	// unlicensed (S10).
	TrialGrace bool
	// ExpiringWindow is how long before its expiry a license is Expiring
	// and can be renewed (S2, N1). Default 30 days.
	ExpiringWindow time.Duration
	// Notices are how long before expiry each expiry notice goes out (S2).
	// Default 30, 14, 7, 3 and 1 days. An empty non-nil slice sends none
	// but the one at the start of the Expiring window.
	Notices []time.Duration
	// Grace is the grace period after the last license expires (S3).
	// Default 14 days; Off for none. Its start and halfway point each
	// have a notice.
	Grace time.Duration
	// Suspension is how long the software stays suspended, its data kept,
	// after grace (S4). Default 30 days; Off to delete when grace ends.
	Suspension time.Duration
	// DeleteAfterExpiry, when set, replaces the end of suspension as the
	// moment of deletion: the data is deleted this long after the last
	// license expired (S5, Kaspersky Security Center Cloud Console: 90
	// days). Zero keeps deletion at the end of suspension.
	DeleteAfterExpiry time.Duration
	// DeletionNotice is how long before deletion its notice goes out (S4).
	// Default 14 days; Off for none.
	DeletionNotice time.Duration
	// ActivationGrace is how long after the first activation the customer
	// has to redeem enough licenses for current usage (S7). Default 30
	// days.
	ActivationGrace time.Duration
	// RenewFrom says where a renewal's term starts (N3). Default
	// RenewFromExpiry.
	RenewFrom RenewalBasis
	// ClockTolerance is how far the clock may go back behind the latest
	// time seen, or lag behind a key's issue time, before it counts as
	// tampering (S9). Default 1 hour.
	ClockTolerance time.Duration
	// OnRollback says what a clock set back beyond the tolerance does
	// (S9). Default RollbackDeny.
	OnRollback RollbackHandling
	// CheckInGrace is how long an activation certificate keeps granting
	// after its NotAfter while the license server cannot be reached (A4):
	// a notice goes out at NotAfter, and when it ends nothing is granted
	// until a check-in succeeds. Default 7 days; Off for none.
	CheckInGrace time.Duration
	// CheckInWindow is how long before a certificate's NotAfter the
	// Manager checks in for a fresh one (A4). A certificate that lives
	// less than twice the window is checked in at half its life instead.
	// Default 7 days.
	CheckInWindow time.Duration
}

// RenewalBasis says where a renewal's term starts (N3).
type RenewalBasis uint8

// The renewal bases.
const (
	// RenewFromExpiry extends from the old expiry, not from the day of
	// purchase: renewing early loses nothing, renewing late loses the
	// days since expiry.
	RenewFromExpiry RenewalBasis = iota
	// RenewFromNow starts the new term at the renewal.
	RenewFromNow
	// RenewFromNowIfExpired extends from the old expiry, or from the
	// renewal if the license has already expired, so a customer renewing
	// three months late still gets a full term.
	RenewFromNowIfExpired
)

// RollbackHandling says what a clock set back beyond the tolerance does
// (S9). Either way the library evaluates at the latest time it has seen,
// so setting the clock back never extends a right.
type RollbackHandling uint8

// The rollback handlings.
const (
	// RollbackDeny refuses every feature until the clock is right again.
	RollbackDeny RollbackHandling = iota
	// RollbackUseLatest keeps granting what was granted at the latest
	// time seen, and reports the rollback.
	RollbackUseLatest
)

// ErrInvalidPolicy is matched by every error of [Policy.Validate].
var ErrInvalidPolicy = errors.New("license: invalid policy")

// PolicyError reports a Policy field that cannot be used.
type PolicyError struct {
	Field  string // the Policy field, such as "Grace"
	Detail string // what is wrong with it
}

// Error names the field and the problem.
func (e *PolicyError) Error() string {
	return "license: invalid policy: " + e.Field + ": " + e.Detail
}

// Unwrap lets errors.Is match [ErrInvalidPolicy].
func (e *PolicyError) Unwrap() error { return ErrInvalidPolicy }

// DefaultPolicy returns the policy with the seeds' numbers: trial 30 days;
// Expiring 30 days before expiry, with notices 30, 14, 7, 3 and 1 days
// before; grace 14 days; suspension 30 days with a deletion notice 14 days
// before deletion; activation grace 30 days; renewals from the old expiry;
// a clock tolerance of one hour, beyond which a clock set back is denied;
// activation certificates checked in 7 days before they end, and granting
// 7 days past their end while the license server is away.
func DefaultPolicy() Policy {
	return Policy{
		Trial:           30 * Day,
		ExpiringWindow:  30 * Day,
		Notices:         []time.Duration{30 * Day, 14 * Day, 7 * Day, 3 * Day, 1 * Day},
		Grace:           14 * Day,
		Suspension:      30 * Day,
		DeletionNotice:  14 * Day,
		ActivationGrace: 30 * Day,
		RenewFrom:       RenewFromExpiry,
		ClockTolerance:  time.Hour,
		OnRollback:      RollbackDeny,
		CheckInGrace:    7 * Day,
		CheckInWindow:   7 * Day,
	}
}

// Validate reports whether the policy can be used. Periods must be
// positive, zero (the default) or, where documented, Off; DeleteAfterExpiry
// must not end before the grace period; enumerations must be known values.
// Errors are [*PolicyError] values matching [ErrInvalidPolicy].
func (p Policy) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &PolicyError{Field: field, Detail: fmt.Sprintf(format, args...)})
	}
	period := func(field string, d time.Duration, offOK bool) {
		switch {
		case d == Off && offOK:
		case d < 0:
			bad(field, "%v is negative", d)
		}
	}
	period("Trial", p.Trial, false)
	period("ExpiringWindow", p.ExpiringWindow, false)
	period("Grace", p.Grace, true)
	period("Suspension", p.Suspension, true)
	period("DeleteAfterExpiry", p.DeleteAfterExpiry, false)
	period("DeletionNotice", p.DeletionNotice, true)
	period("ActivationGrace", p.ActivationGrace, false)
	period("ClockTolerance", p.ClockTolerance, false)
	period("CheckInGrace", p.CheckInGrace, true)
	period("CheckInWindow", p.CheckInWindow, false)
	for i, d := range p.Notices {
		if d <= 0 {
			bad(fmt.Sprintf("Notices[%d]", i), "%v is not positive", d)
		}
	}
	if p.RenewFrom > RenewFromNowIfExpired {
		bad("RenewFrom", "unknown basis %d", p.RenewFrom)
	}
	if p.OnRollback > RollbackUseLatest {
		bad("OnRollback", "unknown handling %d", p.OnRollback)
	}
	if len(errs) == 0 {
		n := p.normalized()
		if n.DeleteAfterExpiry > 0 && n.DeleteAfterExpiry < n.Grace {
			bad("DeleteAfterExpiry", "%v ends before the %v grace period", n.DeleteAfterExpiry, n.Grace)
		}
	}
	return errors.Join(errs...)
}

// normalized returns the policy with defaults in place of zero values and
// zero in place of Off, which is what evaluation reads.
func (p Policy) normalized() Policy {
	d := DefaultPolicy()
	or := func(v, def time.Duration) time.Duration {
		switch v {
		case 0:
			return def
		case Off:
			return 0
		}
		return v
	}
	p.Trial = or(p.Trial, d.Trial)
	p.ExpiringWindow = or(p.ExpiringWindow, d.ExpiringWindow)
	p.Grace = or(p.Grace, d.Grace)
	p.Suspension = or(p.Suspension, d.Suspension)
	p.DeletionNotice = or(p.DeletionNotice, d.DeletionNotice)
	p.ActivationGrace = or(p.ActivationGrace, d.ActivationGrace)
	p.ClockTolerance = or(p.ClockTolerance, d.ClockTolerance)
	p.CheckInGrace = or(p.CheckInGrace, d.CheckInGrace)
	p.CheckInWindow = or(p.CheckInWindow, d.CheckInWindow)
	if p.Notices == nil {
		p.Notices = d.Notices
	}
	p.Notices = slices.Clone(p.Notices)
	return p
}

// deletionDelay is how long after a run of paid licenses ends its data is
// deleted, unless a license starts again before.
func (p Policy) deletionDelay() time.Duration {
	if p.DeleteAfterExpiry > 0 {
		return p.DeleteAfterExpiry
	}
	return p.Grace + p.Suspension
}
