package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
	lkhttp "github.com/licensekit/license/http"
	"github.com/licensekit/license/internal/licensetest"
)

// mwApp is an application guarded by RequireFeature: a Manager on a mock
// clock, and a handler that counts the requests that reach it.
type mwApp struct {
	t       *testing.T
	ctx     context.Context
	clk     *clock.Mock
	sk      *license.SigningKey
	m       *license.Manager
	reached int
}

func newMWApp(t *testing.T, start time.Time, policy license.Policy) *mwApp {
	t.Helper()
	a := &mwApp{t: t, ctx: context.Background(), clk: clock.NewMock()}
	a.clk.Set(start)
	a.sk = licensetest.SigningKey(t, "acme", "middleware")
	v, err := license.NewVerifier(a.sk.VerifyingKey())
	require.NoError(t, err)
	a.m, err = license.NewManager(a.ctx, license.ManagerConfig{Verifier: v, Clock: a.clk, Policy: policy})
	require.NoError(t, err)
	return a
}

// add adds a license key for l, issued now.
func (a *mwApp) add(l license.License) {
	a.t.Helper()
	l.Product, l.IssuedAt = "acme-backup", a.clk.Now()
	_, err := a.m.AddKey(a.ctx, licensetest.Sign(a.t, a.sk, &l))
	require.NoError(a.t, err)
}

// at moves the clock to t and advances the Manager, as Run would.
func (a *mwApp) at(t time.Time) {
	a.t.Helper()
	a.clk.Set(t)
	require.NoError(a.t, a.m.Advance(a.ctx, t))
}

// get sends a request through RequireFeature(feature) and returns the
// response.
func (a *mwApp) get(feature string) *http.Response {
	a.t.Helper()
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.reached++
		_, _ = io.WriteString(w, "backed up")
	})
	rec := httptest.NewRecorder()
	lkhttp.RequireFeature(a.m, feature)(next).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/backups", nil))
	return rec.Result()
}

// refusal is the 402 body, decoded strictly.
type refusal struct {
	Code    string    `json:"code"`
	Feature string    `json:"feature"`
	Reason  string    `json:"reason"`
	State   string    `json:"state"`
	Expiry  time.Time `json:"expiry"`
	Message string    `json:"message"`
}

// refused checks that res is a 402 with the refusal body, and returns it.
func refused(t *testing.T, res *http.Response) refusal {
	t.Helper()
	require.Equal(t, http.StatusPaymentRequired, res.StatusCode)
	assert.Equal(t, "application/json; charset=utf-8", res.Header.Get("Content-Type"))
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	dec := json.NewDecoder(res.Body)
	dec.DisallowUnknownFields()
	var body refusal
	require.NoError(t, dec.Decode(&body))
	assert.Equal(t, lkhttp.FeatureNotLicensed, body.Code)
	return body
}

func TestRequireFeature_LicensedPassesThrough(t *testing.T) {
	a := newMWApp(t, licensetest.Day("2026-01-01"), license.Policy{})
	a.add(license.License{ID: "SN-1", Features: []string{"backup", "replication"}, Expiry: licensetest.Day("2027-01-01")})
	for _, feature := range []string{"replication", "backup", ""} {
		res := a.get(feature)
		assert.Equal(t, http.StatusOK, res.StatusCode, feature)
		b, _ := io.ReadAll(res.Body)
		assert.Equal(t, "backed up", string(b))
	}
	assert.Equal(t, 3, a.reached)
}

func TestRequireFeature_FeatureMissingIs402(t *testing.T) {
	a := newMWApp(t, licensetest.Day("2026-01-01"), license.Policy{})
	a.add(license.License{ID: "SN-1", Features: []string{"backup"}, Expiry: licensetest.Day("2027-01-01")})
	body := refused(t, a.get("replication"))
	assert.Equal(t, refusal{
		Code: "feature_not_licensed", Feature: "replication", Reason: "feature_missing", State: "active",
		Expiry: licensetest.Day("2027-01-01"), Message: "replication is not licensed: license: feature not licensed",
	}, body)
	assert.Zero(t, a.reached, "the next handler is not called")
}

// S3, S4: an expired license keeps the feature through the grace period,
// then the software is suspended: 402 with the reason and the expiry that
// passed.
func TestRequireFeature_S3_S4_ExpiredIs402AfterGrace(t *testing.T) {
	expiry := licensetest.Day("2026-03-01")
	a := newMWApp(t, licensetest.Day("2026-01-01"), license.Policy{})
	a.add(license.License{ID: "SN-1", Features: []string{"replication"}, Expiry: expiry})

	a.at(expiry.Add(13 * license.Day))
	assert.Equal(t, http.StatusOK, a.get("replication").StatusCode, "in grace (S3)")

	a.at(expiry.Add(14 * license.Day))
	body := refused(t, a.get("replication"))
	assert.Equal(t, "suspended", body.Reason)
	assert.Equal(t, "suspended", body.State)
	assert.Equal(t, expiry, body.Expiry)
	assert.Equal(t, "replication is not licensed: license: suspended after the grace period", body.Message)
	assert.Equal(t, 1, a.reached)
}

// S1: with no license, the application is unlicensed; when its trial ends,
// the reason says so.
func TestRequireFeature_S1_NoLicenseAndTrialEnded(t *testing.T) {
	a := newMWApp(t, licensetest.Day("2026-01-01"), license.Policy{})
	body := refused(t, a.get(""))
	assert.Equal(t, refusal{Code: "feature_not_licensed", Reason: "unlicensed", State: "unlicensed",
		Message: "the application is not licensed: license: no valid license"}, body)

	require.NoError(t, a.m.StartTrial(a.ctx))
	assert.Equal(t, http.StatusOK, a.get("replication").StatusCode, "a trial grants every feature")
	a.at(licensetest.Day("2026-01-31"))
	body = refused(t, a.get("replication"))
	assert.Equal(t, "trial_ended", body.Reason)
	assert.Equal(t, "unlicensed", body.State)
}

// S8: a revoked license stops the grant at once.
func TestRequireFeature_S8_Revoked(t *testing.T) {
	a := newMWApp(t, licensetest.Day("2026-01-01"), license.Policy{})
	a.add(license.License{ID: "SN-1", Features: []string{"replication"}})
	a.at(licensetest.Day("2026-02-01"))
	assert.Equal(t, http.StatusOK, a.get("replication").StatusCode)
	require.NoError(t, a.m.Revoke(a.ctx, "SN-1"))
	body := refused(t, a.get("replication"))
	assert.Equal(t, "revoked", body.Reason)
	assert.Equal(t, "revoked", body.State)
}

// mwChecker is a FeatureChecker that gives one Decision.
type mwChecker license.Decision

func (c mwChecker) Check(string) license.Decision { return license.Decision(c) }

// Every reason a Decision gives has its own code, also when wrapped; a
// refusal without a reason is a missing feature.
func TestRequireFeature_EveryReasonHasItsCode(t *testing.T) {
	codes := map[error]string{
		license.ErrFeatureNotLicensed:   "feature_missing",
		license.ErrUnlicensed:           "unlicensed",
		license.ErrTrialEnded:           "trial_ended",
		license.ErrInsufficientLicenses: "insufficient_licenses",
		license.ErrPending:              "pending",
		license.ErrSuspended:            "suspended",
		license.ErrDeleted:              "deleted",
		license.ErrRevoked:              "revoked",
		license.ErrAgreementRevoked:     "agreement_revoked",
		license.ErrClockRollback:        "clock_rollback",
		nil:                             "feature_missing",
		fmt.Errorf("%w: since 2026-01-01", license.ErrSuspended): "suspended",
		fmt.Errorf("something else"):                             "not_licensed",
	}
	for err, want := range codes {
		rec := httptest.NewRecorder()
		h := lkhttp.RequireFeature(mwChecker{Reason: err, State: license.Suspended}, "x")(http.NotFoundHandler())
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		body := refused(t, rec.Result())
		assert.Equal(t, want, body.Reason, "%v", err)
		assert.True(t, strings.HasPrefix(body.Message, "x is not licensed: "), body.Message)
	}
}

func TestRequireFeature_NilCheckerPanics(t *testing.T) {
	assert.Panics(t, func() { lkhttp.RequireFeature(nil, "x") })
}

// The check on a licensed request allocates nothing beyond what the next
// handler does.
func TestRequireFeature_LicensedPathDoesNotAllocate(t *testing.T) {
	a := newMWApp(t, licensetest.Day("2026-01-01"), license.Policy{})
	a.add(license.License{ID: "SN-1", Features: []string{"replication"}})
	h := lkhttp.RequireFeature(a.m, "replication")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	w, r := httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil)
	assert.Zero(t, testing.AllocsPerRun(100, func() { h.ServeHTTP(w, r) }))
}

// BenchmarkRequireFeature measures the guard on a licensed request against
// the bare handler it wraps, in the same run; compare their ns/op. The
// goal is a few tens of nanoseconds more, and no allocation.
func BenchmarkRequireFeature(b *testing.B) {
	clk := clock.NewMock()
	clk.Set(licensetest.Day("2026-01-01"))
	sk := licensetest.SigningKey(b, "acme", "middleware")
	v, err := license.NewVerifier(sk.VerifyingKey())
	require.NoError(b, err)
	m, err := license.NewManager(context.Background(), license.ManagerConfig{Verifier: v, Clock: clk})
	require.NoError(b, err)
	l := &license.License{ID: "SN-1", Product: "p", IssuedAt: clk.Now(), Features: []string{"backup", "replication"}}
	_, err = m.AddKey(context.Background(), licensetest.Sign(b, sk, l))
	require.NoError(b, err)
	bare := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	w, r := httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil)
	for name, h := range map[string]http.Handler{"bare": bare, "guarded": lkhttp.RequireFeature(m, "replication")(bare)} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, r)
			}
		})
	}
}
