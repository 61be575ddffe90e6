package http

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/licensekit/license"
)

// FeatureChecker answers whether the application may use a feature now.
// [*license.Manager] satisfies it: its Check reads the snapshot of the
// last Advance, takes no lock and makes no allocation, so it can guard
// every request.
type FeatureChecker interface {
	// Check reports whether feature is licensed now; the empty feature
	// asks whether the application may run at all.
	Check(feature string) license.Decision
}

// FeatureNotLicensed is the code of the JSON body with which
// [RequireFeature] refuses a request.
const FeatureNotLicensed = "feature_not_licensed"

// The reasons RequireFeature gives, by the error of the Decision they
// stand for. Their text is part of the API: clients may act on it.
var featureReasons = []struct {
	err  error
	code string
}{
	{license.ErrFeatureNotLicensed, "feature_missing"},
	{license.ErrSuspended, "suspended"},
	{license.ErrTrialEnded, "trial_ended"},
	{license.ErrUnlicensed, "unlicensed"},
	{license.ErrPending, "pending"},
	{license.ErrInsufficientLicenses, "insufficient_licenses"},
	{license.ErrDeleted, "deleted"},
	{license.ErrRevoked, "revoked"},
	{license.ErrAgreementRevoked, "agreement_revoked"},
	{license.ErrClockRollback, "clock_rollback"},
}

// featureReason returns the reason code for a refusal's error, or
// "not_licensed" for one it does not know.
func featureReason(err error) string {
	for _, r := range featureReasons {
		if errors.Is(err, r.err) {
			return r.code
		}
	}
	return "not_licensed"
}

// featureRefusal is the JSON body of a request RequireFeature refuses.
type featureRefusal struct {
	Code    string    `json:"code"`
	Feature string    `json:"feature"`
	Reason  string    `json:"reason"`
	State   string    `json:"state"`
	Expiry  time.Time `json:"expiry,omitzero"`
	Message string    `json:"message"`
}

// RequireFeature returns middleware that passes a request on to the next
// handler only while c.Check(feature) allows it; the empty feature
// requires only that the application may run. Otherwise it answers 402
// Payment Required, without calling the next handler, with a JSON body
// such as
//
//	{"code": "feature_not_licensed", "feature": "replication",
//	 "reason": "suspended", "state": "suspended",
//	 "expiry": "2027-01-15T00:00:00Z",
//	 "message": "replication is not licensed: license: suspended after the grace period"}
//
// where code is always [FeatureNotLicensed]; reason is one of
// "feature_missing" (the software runs but no valid license grants the
// feature), "unlicensed", "trial_ended", "suspended" (a license expired and
// its grace period is over), "pending", "insufficient_licenses",
// "deleted", "revoked", "agreement_revoked" or "clock_rollback", after the
// Decision's Reason (see [license.Evaluation]); state is the lifecycle
// state; expiry, when known, is when the license ran or runs out; and
// message is for people.
//
// With a [*license.Manager], the answer is that of the Manager's last
// Advance: run [license.Manager.Run] in a goroutine to keep it current.
// RequireFeature panics if c is nil.
func RequireFeature(c FeatureChecker, feature string) func(http.Handler) http.Handler {
	if c == nil {
		panic("http.RequireFeature: nil FeatureChecker")
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			d := c.Check(feature)
			if d.Allowed {
				next.ServeHTTP(w, r)
				return
			}
			refuseFeature(w, feature, d)
		})
	}
}

// refuseFeature writes the 402 answer for a refused feature.
func refuseFeature(w http.ResponseWriter, feature string, d license.Decision) {
	what := "the application"
	if feature != "" {
		what = feature
	}
	reason := d.Reason
	if reason == nil { // a checker that refuses without saying why
		reason = license.ErrFeatureNotLicensed
	}
	body, err := json.Marshal(featureRefusal{
		Code:    FeatureNotLicensed,
		Feature: feature,
		Reason:  featureReason(reason),
		State:   d.State.String(),
		Expiry:  d.Expiry,
		Message: what + " is not licensed: " + reason.Error(),
	})
	if err != nil { // cannot happen: every field marshals
		http.Error(w, http.StatusText(http.StatusPaymentRequired), http.StatusPaymentRequired)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusPaymentRequired)
	_, _ = w.Write(append(body, '\n'))
}
