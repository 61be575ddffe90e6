package webhook_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
	"github.com/licensekit/license/webhook"
)

var graceStarted = license.Event{
	ID:      "grace-started/SN-1/2028-01-20T00:00:00Z",
	Kind:    license.EventGraceStarted,
	At:      sentAt,
	License: "SN-1",
	Detail:  "The license SN-1 expired; the grace period ends on 2028-02-19.",
}

// signedRequest is a delivery as an endpoint receives it.
func signedRequest(t testing.TB, b []byte, header string) *http.Request {
	t.Helper()
	r := httptest.NewRequest("POST", "/hooks", bytes.NewReader(b))
	r.Header.Set(webhook.SignatureHeader, header)
	return r
}

func TestDelivery_JSON(t *testing.T) {
	b, err := json.Marshal(webhook.Delivery{Event: graceStarted, Attempt: 3})
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":"grace-started/SN-1/2028-01-20T00:00:00Z","kind":"grace-started","at":"2028-01-20T00:00:00Z",
		"license":"SN-1","detail":"The license SN-1 expired; the grace period ends on 2028-02-19.","attempt":3}`, string(b))

	var d webhook.Delivery
	require.NoError(t, json.Unmarshal(b, &d))
	assert.Equal(t, webhook.Delivery{Event: graceStarted, Attempt: 3}, d)

	// An activation's event (A4) carries its activation.
	lapsed := license.Event{ID: "checkin-lapsed/act-1/2028-01-20T00:00:00Z", Kind: license.EventCheckInLapsed,
		At: graceStarted.At, Activation: "act-1", Detail: "The activation act-1 lapsed."}
	b, err = json.Marshal(webhook.Delivery{Event: lapsed, Attempt: 1})
	require.NoError(t, err)
	assert.Contains(t, string(b), `"activation":"act-1"`)
	require.NoError(t, json.Unmarshal(b, &d))
	assert.Equal(t, webhook.Delivery{Event: lapsed, Attempt: 1}, d)

	// A field a later sender adds does not break this receiver.
	require.NoError(t, json.Unmarshal([]byte(`{"id":"x","kind":"k","at":"2028-01-20T00:00:00Z","attempt":1,"org":"acme"}`), &d))
	assert.Equal(t, "x", d.Event.ID)
}

func TestDelivery_UnmarshalRefusesWhatIsNotADelivery(t *testing.T) {
	for name, text := range map[string]string{
		"NotAnObject": `[1]`,
		"Null":        `null`,
		"NoID":        `{"kind":"k","at":"2028-01-20T00:00:00Z","attempt":1}`,
		"NoKind":      `{"id":"x","at":"2028-01-20T00:00:00Z","attempt":1}`,
		"NoInstant":   `{"id":"x","kind":"k","attempt":1}`,
		"NoAttempt":   `{"id":"x","kind":"k","at":"2028-01-20T00:00:00Z"}`,
		"BadInstant":  `{"id":"x","kind":"k","at":"yesterday","attempt":1}`,
	} {
		t.Run(name, func(t *testing.T) {
			var d webhook.Delivery
			assert.ErrorIs(t, d.UnmarshalJSON([]byte(text)), webhook.ErrMalformedBody)
		})
	}
}

func TestVerifyRequest(t *testing.T) {
	b, err := json.Marshal(webhook.Delivery{Event: graceStarted, Attempt: 1})
	require.NoError(t, err)
	header := webhook.Sign(secret, sentAt, b)

	t.Run("OK", func(t *testing.T) {
		d, err := webhook.VerifyRequest(signedRequest(t, b, header), secret, sentAt.Add(time.Minute), 0)
		require.NoError(t, err)
		assert.Equal(t, webhook.Delivery{Event: graceStarted, Attempt: 1}, d)
	})
	t.Run("ErrBadSignature/TamperedBody", func(t *testing.T) {
		tampered := bytes.Replace(b, []byte("SN-1"), []byte("SN-9"), 1)
		_, err := webhook.VerifyRequest(signedRequest(t, tampered, header), secret, sentAt, 0)
		assert.ErrorIs(t, err, webhook.ErrBadSignature)
	})
	t.Run("ErrBadSignature/WrongSecret", func(t *testing.T) {
		_, err := webhook.VerifyRequest(signedRequest(t, b, header), []byte("another"), sentAt, 0)
		assert.ErrorIs(t, err, webhook.ErrBadSignature)
	})
	t.Run("ErrTimestamp/Replayed", func(t *testing.T) {
		_, err := webhook.VerifyRequest(signedRequest(t, b, header), secret, sentAt.Add(time.Hour), 0)
		assert.ErrorIs(t, err, webhook.ErrTimestamp)
	})
	t.Run("ErrMalformedHeader/Missing", func(t *testing.T) {
		_, err := webhook.VerifyRequest(signedRequest(t, b, ""), secret, sentAt, 0)
		assert.ErrorIs(t, err, webhook.ErrMalformedHeader)
	})
	t.Run("ErrMalformedBody/SignedButNotADelivery", func(t *testing.T) {
		junk := []byte(`{"hello":`)
		_, err := webhook.VerifyRequest(signedRequest(t, junk, webhook.Sign(secret, sentAt, junk)), secret, sentAt, 0)
		assert.ErrorIs(t, err, webhook.ErrMalformedBody)
	})
	t.Run("ErrTooLarge", func(t *testing.T) {
		big := []byte(`{"id":"` + strings.Repeat("x", webhook.MaxBodySize) + `"}`)
		_, err := webhook.VerifyRequest(signedRequest(t, big, webhook.Sign(secret, sentAt, big)), secret, sentAt, 0)
		assert.ErrorIs(t, err, webhook.ErrTooLarge)
	})
}
