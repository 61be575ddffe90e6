package license_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
)

// DefaultPolicy has the seeds' numbers: S1 trial 30 days; S2 Expiring 30
// days before expiry with notices 30, 14, 7, 3 and 1 days before; S3 grace
// 14 days; S4 suspension 30 days with a deletion notice 14 days before
// deletion; S5 deletion at the end of suspension; S7 activation grace 30
// days; N3 renewals from the old expiry; S9 a one-hour clock tolerance,
// beyond which a clock set back is denied; S10 no grace for a trial.
func TestDefaultPolicy_S1_S2_S3_S4_S5_S7_S9_S10_N3_SeedNumbers(t *testing.T) {
	d := license.Day
	assert.Equal(t, 24*time.Hour, d)
	want := license.Policy{
		Trial:             30 * d,
		TrialGrace:        false,
		ExpiringWindow:    30 * d,
		Notices:           []time.Duration{30 * d, 14 * d, 7 * d, 3 * d, 1 * d},
		Grace:             14 * d,
		Suspension:        30 * d,
		DeleteAfterExpiry: 0,
		DeletionNotice:    14 * d,
		ActivationGrace:   30 * d,
		RenewFrom:         license.RenewFromExpiry,
		ClockTolerance:    time.Hour,
		OnRollback:        license.RollbackDeny,
		CheckInGrace:      7 * d,
		CheckInWindow:     7 * d,
	}
	got := license.DefaultPolicy()
	assert.Empty(t, cmp.Diff(want, got))
	require.NoError(t, got.Validate())

	// Each call returns its own notices: changing one changes no other.
	got.Notices[0] = time.Minute
	assert.Equal(t, 30*d, license.DefaultPolicy().Notices[0])
}

// The zero Policy evaluates exactly like DefaultPolicy (S1, S2, S3, S4,
// S5, S7, S9), and a Policy with some fields set takes the defaults for
// the others.
func TestPolicy_S1_S2_S3_S4_S5_S7_S9_ZeroIsDefault(t *testing.T) {
	require.NoError(t, license.Policy{}.Validate())
	d := license.Day
	paid := evalHold(t, evalPaid("A", time.Time{}, evalT, "backup"))
	few := evalPaid("F", time.Time{}, day("2028-01-01"), "backup")
	few.Quantity = 2
	inputs := []struct {
		name string
		keys []license.Holding
		h    license.History
		at   []time.Time
	}{
		{"Lifecycle", paid, license.History{}, []time.Time{
			day("2026-06-01"), evalT.Add(-30*d - evalNS), evalT.Add(-30 * d), evalT.Add(-14 * d), evalT.Add(-evalNS),
			evalT, evalT.Add(7 * d), evalT.Add(14*d - evalNS), evalT.Add(14 * d), evalT.Add(30 * d),
			evalT.Add(44*d - evalNS), evalT.Add(44 * d), evalT.Add(90 * d),
		}},
		{"Trial", nil, license.History{TrialStarted: day("2026-03-01")}, []time.Time{
			day("2026-03-01"), day("2026-03-31").Add(-evalNS), day("2026-03-31"), day("2026-05-01"),
		}},
		{"ActivationGrace", evalHold(t, few), license.History{FirstActivated: day("2026-02-01"), Usage: 5}, []time.Time{
			day("2026-03-03").Add(-evalNS), day("2026-03-03"), day("2026-04-01"),
		}},
		{"Rollback", paid, license.History{LatestSeen: day("2026-06-01")}, []time.Time{
			day("2026-06-01").Add(-time.Hour), day("2026-06-01").Add(-time.Hour - evalNS), day("2026-01-02"),
		}},
	}
	for _, in := range inputs {
		for _, at := range in.at {
			want := license.Evaluate(in.keys, in.h, license.DefaultPolicy(), at)
			got := license.Evaluate(in.keys, in.h, license.Policy{}, at)
			assert.Empty(t, cmp.Diff(want, got, evalCmp), "%s at %s", in.name, at)
		}
	}

	// Setting one field keeps the defaults of the others.
	custom := license.DefaultPolicy()
	custom.Grace = 5 * d
	for _, at := range inputs[0].at {
		want := license.Evaluate(paid, license.History{}, custom, at)
		got := license.Evaluate(paid, license.History{}, license.Policy{Grace: 5 * d}, at)
		assert.Empty(t, cmp.Diff(want, got, evalCmp), "at %s", at)
	}
	// The comparisons above can fail: another policy does change the
	// evaluation.
	assert.NotEqual(t,
		license.Evaluate(paid, license.History{}, license.Policy{}, evalT.Add(10*d)).State,
		license.Evaluate(paid, license.History{}, license.Policy{Grace: 5 * d}, evalT.Add(10*d)).State)
}

// Policy.Validate accepts zero (the default), positive periods and Off
// where documented (Grace, Suspension, DeletionNotice: S3, S4), and
// rejects the rest with a *PolicyError that names the field and matches
// ErrInvalidPolicy.
func TestPolicy_S3_S4_S5_S9_N3_Validate(t *testing.T) {
	d := license.Day
	ok := []struct {
		name string
		p    license.Policy
	}{
		{"Zero", license.Policy{}},
		{"Default", license.DefaultPolicy()},
		{"GraceOff", license.Policy{Grace: license.Off}},
		{"SuspensionOff", license.Policy{Suspension: license.Off}},
		{"DeletionNoticeOff", license.Policy{DeletionNotice: license.Off}},
		{"AllOff", license.Policy{Grace: license.Off, Suspension: license.Off, DeletionNotice: license.Off}},
		{"EmptyNotices", license.Policy{Notices: []time.Duration{}}},
		{"OneNanosecond", license.Policy{Trial: 1, ExpiringWindow: 1, Grace: 1, Suspension: 1, DeletionNotice: 1, ActivationGrace: 1, ClockTolerance: 1, Notices: []time.Duration{1}}},
		{"Kaspersky90Days", license.Policy{DeleteAfterExpiry: 90 * d}},
		{"DeleteAfterExpiryEqualsGrace", license.Policy{DeleteAfterExpiry: 14 * d}},
		{"DeleteAfterExpiryWithGraceOff", license.Policy{Grace: license.Off, DeleteAfterExpiry: 1}},
		{"RenewFromNowIfExpired", license.Policy{RenewFrom: license.RenewFromNowIfExpired}},
		{"RenewFromNow", license.Policy{RenewFrom: license.RenewFromNow}},
		{"RollbackUseLatest", license.Policy{OnRollback: license.RollbackUseLatest}},
		{"TrialGrace", license.Policy{TrialGrace: true}},
	}
	for _, tc := range ok {
		t.Run("OK/"+tc.name, func(t *testing.T) {
			assert.NoError(t, tc.p.Validate())
		})
	}

	bad := []struct {
		name  string
		p     license.Policy
		field string
	}{
		{"NegativeTrial", license.Policy{Trial: -d}, "Trial"},
		{"TrialOff", license.Policy{Trial: license.Off}, "Trial"},
		{"NegativeExpiringWindow", license.Policy{ExpiringWindow: -time.Hour}, "ExpiringWindow"},
		{"ExpiringWindowOff", license.Policy{ExpiringWindow: license.Off}, "ExpiringWindow"},
		{"NegativeGrace", license.Policy{Grace: -d}, "Grace"},
		{"GraceMinusTwo", license.Policy{Grace: -2}, "Grace"},
		{"NegativeSuspension", license.Policy{Suspension: -d}, "Suspension"},
		{"NegativeDeletionNotice", license.Policy{DeletionNotice: -d}, "DeletionNotice"},
		{"NegativeDeleteAfterExpiry", license.Policy{DeleteAfterExpiry: -90 * d}, "DeleteAfterExpiry"},
		{"DeleteAfterExpiryOff", license.Policy{DeleteAfterExpiry: license.Off}, "DeleteAfterExpiry"},
		{"NegativeActivationGrace", license.Policy{ActivationGrace: -d}, "ActivationGrace"},
		{"ActivationGraceOff", license.Policy{ActivationGrace: license.Off}, "ActivationGrace"},
		{"NegativeClockTolerance", license.Policy{ClockTolerance: -time.Minute}, "ClockTolerance"},
		{"ClockToleranceOff", license.Policy{ClockTolerance: license.Off}, "ClockTolerance"},
		{"ZeroNotice", license.Policy{Notices: []time.Duration{7 * d, 0}}, "Notices[1]"},
		{"NegativeNotice", license.Policy{Notices: []time.Duration{-d}}, "Notices[0]"},
		{"NoticeOff", license.Policy{Notices: []time.Duration{license.Off}}, "Notices[0]"},
		{"UnknownRenewFrom", license.Policy{RenewFrom: license.RenewFromNowIfExpired + 1}, "RenewFrom"},
		{"UnknownOnRollback", license.Policy{OnRollback: license.RollbackUseLatest + 1}, "OnRollback"},
		{"DeleteAfterExpiryBeforeDefaultGrace", license.Policy{DeleteAfterExpiry: 14*d - evalNS}, "DeleteAfterExpiry"},
		{"DeleteAfterExpiryBeforeGrace", license.Policy{Grace: 20 * d, DeleteAfterExpiry: 15 * d}, "DeleteAfterExpiry"},
	}
	for _, tc := range bad {
		t.Run("Err/"+tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			require.Error(t, err)
			assert.ErrorIs(t, err, license.ErrInvalidPolicy)
			var pe *license.PolicyError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.field, pe.Field)
			assert.NotEmpty(t, pe.Detail)
			assert.Contains(t, err.Error(), tc.field)
			assert.True(t, strings.HasPrefix(pe.Error(), "license: invalid policy: "+tc.field+": "), pe.Error())
		})
	}

	t.Run("Err/EveryFieldNamed", func(t *testing.T) {
		p := license.Policy{
			Trial:      -d,
			Grace:      -d,
			Notices:    []time.Duration{d, -d},
			RenewFrom:  9,
			OnRollback: 9,
		}
		err := p.Validate()
		require.ErrorIs(t, err, license.ErrInvalidPolicy)
		var fields []string
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			var pe *license.PolicyError
			require.ErrorAs(t, e, &pe)
			fields = append(fields, pe.Field)
		}
		assert.Equal(t, []string{"Trial", "Grace", "Notices[1]", "RenewFrom", "OnRollback"}, fields)
	})
}

// PolicyError names the field and the problem, and matches
// ErrInvalidPolicy and nothing else.
func TestPolicyError_Message(t *testing.T) {
	e := &license.PolicyError{Field: "Grace", Detail: "-24h0m0s is negative"}
	assert.Equal(t, "license: invalid policy: Grace: -24h0m0s is negative", e.Error())
	assert.ErrorIs(t, e, license.ErrInvalidPolicy)
	assert.False(t, errors.Is(e, license.ErrInvalidLicense))
}
