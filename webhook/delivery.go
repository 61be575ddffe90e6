package webhook

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/licensekit/license"
)

// The other headers of a delivery. They are not signed: they let a
// receiver route or deduplicate before it reads the body, but only the
// body's fields, once verified, can be trusted.
const (
	// EventIDHeader carries the event's ID, the same on every attempt and
	// for every endpoint: the key to deduplicate on.
	EventIDHeader = "Licensekit-Event-Id"
	// EventKindHeader carries the event's kind, such as "grace-started".
	EventKindHeader = "Licensekit-Event-Kind"
)

// MaxBodySize is the longest body VerifyRequest reads, and the longest
// the Dispatcher sends. An event is a few hundred bytes.
const MaxBodySize = 64 << 10

// Delivery is the body of a POST to an endpoint: the event and the
// attempt's number. Its JSON form is
//
//	{"id":"grace-started/SN-1/2028-01-20T00:00:00Z","kind":"grace-started",
//	 "at":"2028-01-20T00:00:00Z","license":"SN-1","detail":"…","attempt":1}
//
// license and detail are left out when empty. Fields a later version adds
// are ignored when decoding, so that a receiver built on this version
// keeps working.
type Delivery struct {
	Event   license.Event
	Attempt int // 1 for the first attempt, 2 for the first retry, …
}

// wireDelivery is Delivery's JSON form.
type wireDelivery struct {
	ID      string            `json:"id"`
	Kind    license.EventKind `json:"kind"`
	At      time.Time         `json:"at"`
	License string            `json:"license,omitempty"`
	Detail  string            `json:"detail,omitempty"`
	// Activation names the activation certificate concerned, if any.
	Activation string `json:"activation,omitempty"`
	Attempt    int    `json:"attempt"`
}

// MarshalJSON writes the delivery's JSON form.
func (d Delivery) MarshalJSON() ([]byte, error) {
	e := d.Event
	return json.Marshal(wireDelivery{ID: e.ID, Kind: e.Kind, At: e.At.UTC(), License: e.License, Detail: e.Detail,
		Activation: e.Activation, Attempt: d.Attempt})
}

// UnmarshalJSON reads the delivery's JSON form. It fails with
// ErrMalformedBody when the text is not a delivery: not a JSON object, or
// without an ID, a kind, an instant or an attempt number of at least 1.
func (d *Delivery) UnmarshalJSON(b []byte) error {
	var w wireDelivery
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformedBody, err)
	}
	switch {
	case w.ID == "":
		return fmt.Errorf("%w: no event ID", ErrMalformedBody)
	case w.Kind == "":
		return fmt.Errorf("%w: no event kind", ErrMalformedBody)
	case w.At.IsZero():
		return fmt.Errorf("%w: no instant", ErrMalformedBody)
	case w.Attempt < 1:
		return fmt.Errorf("%w: attempt %d", ErrMalformedBody, w.Attempt)
	}
	*d = Delivery{
		Event: license.Event{ID: w.ID, Kind: w.Kind, At: w.At.UTC(), License: w.License, Detail: w.Detail,
			Activation: w.Activation},
		Attempt: w.Attempt,
	}
	return nil
}

// VerifyRequest reads a delivery from a request an endpoint received:
// it reads the body, at most MaxBodySize bytes, checks the
// SignatureHeader with Verify (see there for secret, now and tolerance)
// and decodes the body. It fails with ErrTooLarge, Verify's errors or
// ErrMalformedBody; a receiver answers those with 400 and the delivery
// is not retried usefully, so it should log them.
//
// A receiver that processed the event answers 2xx: any other status, or
// no answer, makes the sender retry. Deliveries come at least once, so
// deduplicate on the returned Event.ID.
func VerifyRequest(r *http.Request, secret []byte, now time.Time, tolerance time.Duration) (Delivery, error) {
	if r.Body == nil {
		return Delivery{}, fmt.Errorf("%w: no body", ErrMalformedBody)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodySize+1))
	if err != nil {
		return Delivery{}, fmt.Errorf("webhook: reading the body: %w", err)
	}
	if len(body) > MaxBodySize {
		return Delivery{}, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, MaxBodySize)
	}
	if err := Verify(r.Header.Get(SignatureHeader), body, secret, now, tolerance); err != nil {
		return Delivery{}, err
	}
	var d Delivery
	// Called directly: json.Unmarshal would report a syntax error
	// without ErrMalformedBody.
	if err := d.UnmarshalJSON(body); err != nil {
		return Delivery{}, err
	}
	return d, nil
}
