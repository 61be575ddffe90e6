package license

import (
	"context"
	"errors"
	"time"
)

// RenewalRequest is what an application sends to renew a license (N2): the
// software, its version, the user's locale, the license and whether it came
// from a partner. Nothing else: no device, user or usage data. The host
// sends it however it likes (a web form, a URL, a support mail).
type RenewalRequest struct {
	SoftwareID      string `json:"software_id"`
	SoftwareVersion string `json:"software_version"`
	Locale          string `json:"locale"`
	LicenseID       string `json:"license_id"`
	FromPartner     bool   `json:"from_partner"`
}

// Renewer asks the vendor's activation service for a renewal key (R5). A
// [Manager] calls it when a license that came from an activation code
// reaches the end of its validity; the host implements it over whatever
// transport it uses. An error makes the Manager send a renewal-failed
// event: the user must then activate by hand.
type Renewer interface {
	Renew(ctx context.Context, req RenewalRequest) (key string, err error)
}

// Errors of renewal.
var (
	// ErrNotRenewable: the license expires later than the Expiring window,
	// or never, so it cannot be renewed yet (N1).
	ErrNotRenewable = errors.New("license: not renewable yet")
	// ErrRenewalMismatch: the renewal key is for another product.
	ErrRenewalMismatch = errors.New("license: renewal key is for another product")
)

// renewable reports whether a license that ends at until can be renewed at
// instant at: it expires within the window, or has expired (N1).
func renewable(until, at time.Time, window time.Duration) bool {
	return !until.IsZero() && until.Sub(at) <= window
}

// renewalStart returns where the term of a renewal of a license that ends
// at oldEnd starts, renewed at instant at (N3).
func renewalStart(basis RenewalBasis, oldEnd, at time.Time) time.Time {
	switch {
	case basis == RenewFromNow:
		return at
	case basis == RenewFromNowIfExpired && !at.Before(oldEnd):
		return at
	}
	return oldEnd
}
