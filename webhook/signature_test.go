package webhook_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license/webhook"
)

var (
	secret = []byte("whsec-0123456789abcdef")
	sentAt = time.Date(2028, 1, 20, 0, 0, 0, 0, time.UTC)
	body   = []byte(`{"id":"grace-started/SN-1/2028-01-20T00:00:00Z","kind":"grace-started","at":"2028-01-20T00:00:00Z","license":"SN-1","attempt":1}`)
)

// A signature is the HMAC-SHA256 of "timestamp.body", as a receiver in
// any language computes it: the value below was computed apart, with
// printf '%s' '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret.
func TestSign_KnownAnswer(t *testing.T) {
	const knownV1 = "49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
	got := webhook.Sign([]byte("secret"), time.Unix(1700000000, 0), []byte(`{"a":1}`))
	assert.Equal(t, "t=1700000000,v1="+knownV1, got)
}

func TestVerify(t *testing.T) {
	header := webhook.Sign(secret, sentAt, body)
	tests := []struct {
		name   string
		header string
		body   []byte
		secret []byte
		now    time.Time
		want   error
	}{
		{"OK", header, body, secret, sentAt, nil},
		{"OK/LateWithinTolerance", header, body, secret, sentAt.Add(webhook.DefaultTolerance), nil},
		{"OK/EarlyWithinTolerance", header, body, secret, sentAt.Add(-webhook.DefaultTolerance), nil},
		{"OK/TwoSignaturesOneRight", "t=1831939200,v1=" + strings.Repeat("00", 32) + "," + header[len("t=1831939200,"):], body, secret, sentAt, nil},
		{"OK/UnknownSchemeIgnored", header + ",v0=whatever", body, secret, sentAt, nil},
		{"ErrBadSignature/TamperedBody", header, []byte(strings.Replace(string(body), "SN-1", "SN-2", 1)), secret, sentAt, webhook.ErrBadSignature},
		{"ErrBadSignature/BodyWithTrailingSpace", header, append(append([]byte{}, body...), ' '), secret, sentAt, webhook.ErrBadSignature},
		{"ErrBadSignature/WrongSecret", header, body, []byte("whsec-another-secret"), sentAt, webhook.ErrBadSignature},
		{"ErrBadSignature/TimestampChanged", strings.Replace(header, "t=1831939200", "t=1831939201", 1), body, secret, sentAt, webhook.ErrBadSignature},
		{"ErrTimestamp/Old", header, body, secret, sentAt.Add(webhook.DefaultTolerance + time.Second), webhook.ErrTimestamp},
		{"ErrTimestamp/Future", header, body, secret, sentAt.Add(-webhook.DefaultTolerance - time.Second), webhook.ErrTimestamp},
		{"ErrNoSecret", header, body, nil, sentAt, webhook.ErrNoSecret},
		{"ErrMalformedHeader/Empty", "", body, secret, sentAt, webhook.ErrMalformedHeader},
		{"ErrMalformedHeader/NoTimestamp", header[strings.Index(header, ",")+1:], body, secret, sentAt, webhook.ErrMalformedHeader},
		{"ErrMalformedHeader/NoV1", "t=1831939200,v0=abc", body, secret, sentAt, webhook.ErrMalformedHeader},
		{"ErrMalformedHeader/TwoTimestamps", "t=1831939200," + header, body, secret, sentAt, webhook.ErrMalformedHeader},
		{"ErrMalformedHeader/SignedTimestamp", strings.Replace(header, "t=", "t=+", 1), body, secret, sentAt, webhook.ErrMalformedHeader},
		{"ErrMalformedHeader/NegativeTimestamp", "t=-5" + header[len("t=1831939200"):], body, secret, sentAt, webhook.ErrMalformedHeader},
		{"ErrMalformedHeader/HugeTimestamp", "t=99999999999999999999" + header[len("t=1831939200"):], body, secret, sentAt, webhook.ErrMalformedHeader},
		{"ErrMalformedHeader/Spaces", strings.Replace(header, ",", ", ", 1), body, secret, sentAt, webhook.ErrMalformedHeader},
		{"ErrMalformedHeader/UpperCaseKeys", strings.ToUpper(header), body, secret, sentAt, webhook.ErrMalformedHeader},
		{"ErrMalformedHeader/NotHex", header[:len(header)-1] + "g", body, secret, sentAt, webhook.ErrMalformedHeader},
		{"ErrMalformedHeader/TooLong", header + strings.Repeat(",x=y", 300), body, secret, sentAt, webhook.ErrMalformedHeader},
		{"ErrMalformedHeader/TrailingComma", header + ",", body, secret, sentAt, webhook.ErrMalformedHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.Verify(tt.header, tt.body, tt.secret, tt.now, 0)
			if tt.want == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tt.want)
			for _, other := range []error{webhook.ErrBadSignature, webhook.ErrTimestamp, webhook.ErrMalformedHeader, webhook.ErrNoSecret} {
				if other != tt.want {
					assert.NotErrorIs(t, err, other, "one reason only")
				}
			}
		})
	}
}

// Keys are lower case (see above), but hex digits are read in either
// case, as most HMAC libraries print them.
func TestVerify_UpperCaseHexSignature(t *testing.T) {
	header := webhook.Sign(secret, sentAt, body)
	i := strings.Index(header, "v1=") + 3
	assert.NoError(t, webhook.Verify(header[:i]+strings.ToUpper(header[i:]), body, secret, sentAt, 0))
}

// The tolerance is the caller's; zero or negative means the default, so
// that the timestamp is always checked.
func TestVerify_Tolerance(t *testing.T) {
	header := webhook.Sign(secret, sentAt, body)
	assert.NoError(t, webhook.Verify(header, body, secret, sentAt.Add(time.Hour), 2*time.Hour))
	assert.ErrorIs(t, webhook.Verify(header, body, secret, sentAt.Add(time.Minute), 30*time.Second), webhook.ErrTimestamp)
	assert.ErrorIs(t, webhook.Verify(header, body, secret, sentAt.Add(time.Hour), -1), webhook.ErrTimestamp)
}

// Every truncation of a valid header, from either end, is refused, and so
// is the header with any one byte removed or changed: none verifies.
func TestVerify_EveryTruncationRefused(t *testing.T) {
	header := webhook.Sign(secret, sentAt, body)
	require.NoError(t, webhook.Verify(header, body, secret, sentAt, 0))
	check := func(h, how string) {
		t.Helper()
		err := webhook.Verify(h, body, secret, sentAt, 0)
		if err == nil {
			t.Errorf("%s: %q verified", how, h)
			return
		}
		if !errors.Is(err, webhook.ErrMalformedHeader) && !errors.Is(err, webhook.ErrBadSignature) && !errors.Is(err, webhook.ErrTimestamp) {
			t.Errorf("%s: %q: untyped error %v", how, h, err)
		}
	}
	for i := range len(header) {
		check(header[:i], "prefix")
		check(header[i+1:], "suffix")
		check(header[:i]+header[i+1:], "byte removed")
		for _, b := range []byte{'0', 'f', ',', '='} {
			if header[i] != b {
				check(header[:i]+string(b)+header[i+1:], fmt.Sprintf("byte %d set to %q", i, b))
			}
		}
	}
}

// Verify reads headers from the network: no input makes it panic, and any
// failure is typed.
func FuzzVerify(f *testing.F) {
	f.Add(webhook.Sign(secret, sentAt, body), body)
	f.Add("t=1,v1=", []byte{})
	f.Fuzz(func(t *testing.T, header string, b []byte) {
		err := webhook.Verify(header, b, secret, sentAt, 0)
		if err != nil && !errors.Is(err, webhook.ErrMalformedHeader) && !errors.Is(err, webhook.ErrBadSignature) && !errors.Is(err, webhook.ErrTimestamp) {
			t.Fatalf("untyped error %v", err)
		}
	})
}
