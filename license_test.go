package license_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
)

// L1: a license with every field set is valid, and each inconsistency is
// rejected with its own typed reason.
func TestLicense_L1_Validate(t *testing.T) {
	require.NoError(t, fullLicense().Validate(), "OK")

	cases := []struct {
		name   string
		mutate func(*license.License)
		field  string
		reason error
	}{
		{"ErrRequired/ID", func(l *license.License) { l.ID = "" }, "ID", license.ErrRequired},
		{"ErrRequired/Product", func(l *license.License) { l.Product = "" }, "Product", license.ErrRequired},
		{"ErrRequired/IssuedAt", func(l *license.License) { l.IssuedAt = time.Time{} }, "IssuedAt", license.ErrRequired},
		{"ErrInvalidText/UTF8", func(l *license.License) { l.Edition = "\xff" }, "Edition", license.ErrInvalidText},
		{"ErrInvalidText/Control", func(l *license.License) { l.Organization = "a\x00b" }, "Organization", license.ErrInvalidText},
		{"ErrInvalidText/Long", func(l *license.License) { l.Partner = strings.Repeat("p", 256) }, "Partner", license.ErrInvalidText},
		{"ErrUnknownType", func(l *license.License) { l.Type = 9 }, "Type", license.ErrUnknownType},
		{"ErrUnknownScheme", func(l *license.License) { l.Scheme = 9 }, "Scheme", license.ErrUnknownScheme},
		{"ErrQuantityRequired", func(l *license.License) { l.Quantity, l.MinDevices = 0, 0 }, "Quantity", license.ErrQuantityRequired},
		{"ErrOutOfRange/Quantity", func(l *license.License) { l.Quantity = -1 }, "Quantity", license.ErrOutOfRange},
		{"ErrInconsistent/UnmeteredQuantity", func(l *license.License) { l.Scheme, l.MinDevices = license.SchemeUnmetered, 0 }, "Quantity", license.ErrInconsistent},
		{"ErrInconsistent/MinDevices", func(l *license.License) { l.MinDevices = 65 }, "MinDevices", license.ErrInconsistent},
		{"ErrOutOfRange/MinDevices", func(l *license.License) { l.MinDevices = -1 }, "MinDevices", license.ErrOutOfRange},
		{"ErrRequired/Feature", func(l *license.License) { l.Features = append(l.Features, "") }, "Features[3]", license.ErrRequired},
		{"ErrDuplicate/Feature", func(l *license.License) { l.Features = []string{"b", "a", "b"} }, "Features", license.ErrDuplicate},
		{"ErrRequired/CustomKey", func(l *license.License) { l.Custom[""] = "x" }, "Custom key", license.ErrRequired},
		{"ErrInvalidText/CustomValue", func(l *license.License) { l.Custom["k"] = "\xfe" }, `Custom["k"]`, license.ErrInvalidText},
		{"ErrExpiryBeforeStart", func(l *license.License) { l.Expiry = l.Start.Add(-time.Nanosecond) }, "Expiry", license.ErrExpiryBeforeStart},
		{"ErrExpiryBeforeStart/Equal", func(l *license.License) { l.Expiry = l.Start }, "Expiry", license.ErrExpiryBeforeStart},
		{"ErrInconsistent/ExpiredAtIssue", func(l *license.License) { l.Start, l.Expiry = time.Time{}, l.IssuedAt }, "Expiry", license.ErrInconsistent},
		{"ErrExpiryAndTerm", func(l *license.License) { l.Term = 365 * 24 * time.Hour }, "Term", license.ErrExpiryAndTerm},
		{"ErrOutOfRange/Term", func(l *license.License) { l.Expiry, l.Term = time.Time{}, -time.Hour }, "Term", license.ErrOutOfRange},
		{"ErrInconsistent/EndlessTrial", func(l *license.License) { l.Expiry, l.Trial = time.Time{}, true }, "Trial", license.ErrInconsistent},
		{"ErrOutOfRange/Year", func(l *license.License) { l.Expiry = day("2263-01-01") }, "Expiry", license.ErrOutOfRange},
		{"ErrTooLarge", func(l *license.License) {
			for i := range 200 {
				l.Custom[strings.Repeat("k", 200)+string(rune('A'+i%26))+strings.Repeat("x", i/26)] = strings.Repeat("v", 200)
			}
		}, "License", license.ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := fullLicense()
			tc.mutate(l)
			err := l.Validate()
			require.Error(t, err)
			assert.ErrorIs(t, err, license.ErrInvalidLicense)
			assert.ErrorIs(t, err, tc.reason)
			var le *license.LicenseError
			require.ErrorAs(t, err, &le)
			assert.Equal(t, tc.field, le.Field)
			assert.Contains(t, err.Error(), tc.field)
		})
	}

	t.Run("Nil", func(t *testing.T) {
		var l *license.License
		assert.ErrorIs(t, l.Validate(), license.ErrInvalidLicense)
	})
	t.Run("AllProblemsReported", func(t *testing.T) {
		err := (&license.License{Scheme: license.SchemePerDevice}).Validate()
		for _, want := range []error{license.ErrRequired, license.ErrQuantityRequired} {
			assert.ErrorIs(t, err, want)
		}
		for _, field := range []string{"ID", "Product", "IssuedAt", "Quantity"} {
			assert.Contains(t, err.Error(), field+":")
		}
	})
}

// L1: Sign refuses an invalid license with the error of Validate.
func TestSign_L1_RefusesInvalidLicense(t *testing.T) {
	sk := MustSigningKey(t, "acme", "seed")
	l := fullLicense()
	l.Scheme, l.Quantity, l.MinDevices = license.SchemeUnmetered, 0, 0
	l.Term = time.Hour // and keeps its Expiry
	key, err := sk.Sign(l)
	assert.Empty(t, key)
	assert.ErrorIs(t, err, license.ErrExpiryAndTerm)
}

func TestTypeAndScheme_L1_TextForms(t *testing.T) {
	for _, ty := range []license.Type{license.TypeAny, license.TypeServer, license.TypeWorkstation} {
		got, err := license.ParseType(ty.String())
		require.NoError(t, err)
		assert.Equal(t, ty, got)
	}
	for _, s := range []license.Scheme{license.SchemeUnmetered, license.SchemePerDevice, license.SchemePerVM,
		license.SchemePerCPU, license.SchemePerCore, license.SchemePerUser, license.SchemeFloating} {
		got, err := license.ParseScheme(s.String())
		require.NoError(t, err)
		assert.Equal(t, s, got)
	}
	_, err := license.ParseType("desktop")
	assert.ErrorIs(t, err, license.ErrUnknownType)
	_, err = license.ParseScheme("socket")
	assert.ErrorIs(t, err, license.ErrUnknownScheme)
	_, err = license.Type(7).MarshalText()
	assert.ErrorIs(t, err, license.ErrUnknownType)
	assert.Equal(t, "Scheme(9)", license.Scheme(9).String())
}

// F1: a floating license counts concurrent leases in its quantity; it signs,
// verifies and reads back as "floating", needs a quantity, and the next
// scheme value after it is still refused.
func TestSchemeFloating_F1_SignsAndVerifies(t *testing.T) {
	l := fullLicense()
	l.Scheme, l.Quantity, l.MinDevices = license.SchemeFloating, 5, 0
	assert.True(t, l.Scheme.Counted())
	assert.Equal(t, "floating", l.Scheme.String())
	sk := MustSigningKey(t, "acme", "floating")
	got, err := MustVerifier(t, sk).Verify(MustSign(t, sk, l))
	require.NoError(t, err)
	assert.Equal(t, license.SchemeFloating, got.Scheme)
	assert.Equal(t, 5, got.Quantity)
	b, err := json.Marshal(got.Scheme)
	require.NoError(t, err)
	assert.JSONEq(t, `"floating"`, string(b))

	l.Quantity = 0
	assert.ErrorIs(t, l.Validate(), license.ErrQuantityRequired)
	l.Scheme, l.Quantity = license.SchemeFloating+1, 5
	assert.ErrorIs(t, l.Validate(), license.ErrUnknownScheme)
}

func TestLicense_L1_JSONRoundTrip(t *testing.T) {
	for _, l := range []*license.License{fullLicense(), termLicense()} {
		b, err := json.Marshal(l)
		require.NoError(t, err)
		var got license.License
		require.NoError(t, json.Unmarshal(b, &got), "%s", b)
		if diff := cmp.Diff(l, &got); diff != "" {
			t.Errorf("JSON round trip (-want +got):\n%s", diff)
		}
	}
	b, _ := json.Marshal(termLicense())
	assert.Contains(t, string(b), `"term":"365d"`)
	assert.NotContains(t, string(b), `"expiry"`, "a zero instant is left out")
}

func TestLicense_L1_JSONRejectsUnknownFieldsAndChangesNothing(t *testing.T) {
	before := *fullLicense()
	l := before
	for _, in := range []string{
		`{"id":"x","product":"p","issued_at":"2026-01-01T00:00:00Z","expires":"2027-01-01T00:00:00Z"}`,
		`{"id":"x","scheme":"socket"}`,
		`{"id":"x","term":"-3d"}`,
		`{"id":"x","term":"a year"}`,
		`[1,2]`,
	} {
		err := json.Unmarshal([]byte(in), &l)
		assert.Error(t, err, in)
		assert.True(t, cmp.Equal(before, l), "bad JSON %s changed the license", in)
	}
}

func TestParseTerm(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"365d": 365 * 24 * time.Hour,
		"1d":   24 * time.Hour,
		"720h": 720 * time.Hour,
		"90m":  90 * time.Minute,
	} {
		got, err := license.ParseTerm(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
		back, err := license.ParseTerm(license.FormatTerm(got))
		require.NoError(t, err)
		assert.Equal(t, got, back)
	}
	for _, in := range []string{"", "0d", "-1d", "0s", "d", "1.5d", "99999999999d", "1y"} {
		_, err := license.ParseTerm(in)
		assert.ErrorIs(t, err, license.ErrOutOfRange, in)
	}
}

func termLicense() *license.License {
	return &license.License{
		ID:       "SUB-1",
		Product:  "acme-backup",
		Edition:  "standard",
		Scheme:   license.SchemePerDevice,
		Quantity: 10,
		IssuedAt: day("2026-01-01"),
		Term:     365 * 24 * time.Hour,
	}
}

// S12: a license valid until T is valid at T-1ns and expired at T; L3: it
// grants nothing before its start.
func TestLicense_S12_L3_ValidAtBoundaries(t *testing.T) {
	l := fullLicense() // 2026-01-15 to 2027-01-15
	ns := time.Nanosecond
	for _, tc := range []struct {
		at   time.Time
		want error
	}{
		{l.Start.Add(-ns), license.ErrNotYetValid},
		{l.Start, nil},
		{l.Start.Add(ns), nil},
		{l.Expiry.Add(-ns), nil},
		{l.Expiry, license.ErrExpired},
		{l.Expiry.Add(ns), license.ErrExpired},
	} {
		err := l.ValidAt(tc.at, time.Time{})
		if tc.want == nil {
			assert.NoError(t, err, "at %s", tc.at)
		} else {
			assert.ErrorIs(t, err, tc.want, "at %s", tc.at)
		}
	}
	// S12: instants in other zones are the same instants.
	paris := time.FixedZone("CET", 3600)
	assert.ErrorIs(t, l.ValidAt(l.Expiry.In(paris), time.Time{}), license.ErrExpired)
	assert.NoError(t, l.ValidAt(l.Expiry.Add(-ns).In(paris), time.Time{}))
}

// L2: a term license starts its term at activation, not at issue.
func TestLicense_L2_TermStartsAtActivation(t *testing.T) {
	l := termLicense() // issued 2026-01-01, 365 days
	assert.ErrorIs(t, l.ValidAt(day("2026-01-10"), time.Time{}), license.ErrNotActivated)
	_, _, ok := l.Period(time.Time{})
	assert.False(t, ok)

	activated := day("2026-01-20")
	from, until, ok := l.Period(activated)
	require.True(t, ok)
	assert.Equal(t, activated, from)
	assert.Equal(t, day("2027-01-20"), until, "one year from activation, not from issue")
	assert.ErrorIs(t, l.ValidAt(activated.Add(-time.Nanosecond), activated), license.ErrNotYetValid)
	assert.NoError(t, l.ValidAt(day("2027-01-19"), activated))
	assert.NoError(t, l.ValidAt(day("2027-01-20").Add(-time.Nanosecond), activated))
	assert.ErrorIs(t, l.ValidAt(day("2027-01-20"), activated), license.ErrExpired)

	// L3 with L2: activated before its start, the term starts at the start.
	l.Start = day("2026-03-01")
	from, until, _ = l.Period(activated)
	assert.Equal(t, day("2026-03-01"), from)
	assert.Equal(t, day("2026-03-01").Add(l.Term), until)
	assert.ErrorIs(t, l.ValidAt(day("2026-02-01"), activated), license.ErrNotYetValid)
}

func TestLicense_L1_PerpetualHasNoEnd(t *testing.T) {
	l := fullLicense()
	l.Start, l.Expiry = time.Time{}, time.Time{}
	require.NoError(t, l.Validate())
	from, until, ok := l.Period(time.Time{})
	assert.True(t, ok)
	assert.True(t, from.IsZero())
	assert.True(t, until.IsZero())
	assert.NoError(t, l.ValidAt(day("2200-01-01"), time.Time{}))
}

func TestLicenseError_Message(t *testing.T) {
	l := fullLicense()
	l.Expiry = l.Start
	err := l.Validate()
	assert.Equal(t, "license: Expiry: expiry is not after start (2026-01-15T00:00:00Z is not after 2026-01-15T00:00:00Z)", err.Error())
	assert.True(t, errors.Is(err, license.ErrExpiryBeforeStart))
}
