package webhook

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/licensekit/license"
)

// Errors of Verify and VerifyRequest. A delivery that fails verification
// always fails with one of them, wrapped with what was found, never with a
// panic: a receiver answers 400 and ignores the body.
var (
	// ErrMalformedHeader: the signature header is missing, too long, or
	// not of the form t=<unix seconds>,v1=<64 hex digits>.
	ErrMalformedHeader = errors.New("webhook: malformed signature header")
	// ErrBadSignature: no v1 signature in the header is the HMAC-SHA256
	// of the timestamp and the body under the secret: the body was
	// changed, or the sender does not hold the secret.
	ErrBadSignature = errors.New("webhook: bad signature")
	// ErrTimestamp: the signature is valid but its timestamp is further
	// from now than the tolerance, in the past (a replay, or a delivery
	// held back) or in the future.
	ErrTimestamp = errors.New("webhook: timestamp outside the tolerance")
	// ErrNoSecret: the secret to verify with is empty. An empty secret
	// would accept a signature anyone can compute.
	ErrNoSecret = errors.New("webhook: empty secret")
	// ErrMalformedBody: the body is signed but is not a delivery: not
	// JSON, or without an event ID, kind or instant.
	ErrMalformedBody = errors.New("webhook: malformed body")
	// ErrTooLarge: the body is longer than MaxBodySize.
	ErrTooLarge = errors.New("webhook: body too large")
)

// Errors of the Dispatcher.
var (
	// ErrInvalidConfig: a Config field holds a value it does not accept.
	ErrInvalidConfig = errors.New("webhook: invalid configuration")
	// ErrInvalidEvent: Send was given an event without an ID, kind or
	// instant, an ID or kind that cannot travel in a header (a control
	// character, invalid UTF-8), or an event whose body would exceed
	// MaxBodySize.
	ErrInvalidEvent = errors.New("webhook: invalid event")
	// ErrInvalidEndpoint: an endpoint has no ID, no secret, or a URL that
	// is not absolute http or https.
	ErrInvalidEndpoint = errors.New("webhook: invalid endpoint")
	// ErrQueueFull: Send found too little room in the queue for the
	// event's deliveries; none of them was queued.
	ErrQueueFull = errors.New("webhook: delivery queue full")
	// ErrStatus: the endpoint answered with a status outside 2xx.
	ErrStatus = errors.New("webhook: endpoint answered with a status other than 2xx")
	// ErrEndpointGone: the endpoint was removed, or no longer subscribes
	// to the event's kind, before the delivery succeeded.
	ErrEndpointGone = errors.New("webhook: endpoint removed or unsubscribed")
	// ErrExpired: the delivery's next attempt would fall after
	// Config.MaxAge.
	ErrExpired = errors.New("webhook: delivery older than the maximum age")
)

// AttemptError reports one delivery attempt that failed, or a delivery
// given up on (Final). Err is the transport's error or ErrStatus, or
// matches ErrEndpointGone, ErrInvalidEndpoint or ErrExpired (which wraps
// the last attempt's error too).
type AttemptError struct {
	Endpoint string        // the endpoint's ID
	Event    license.Event // the event delivered
	Attempt  int           // the attempt's number, from 1; for a drop, the attempts made
	Status   int           // the HTTP status the endpoint answered; 0 when none
	Final    bool          // the delivery is dropped: no attempt follows
	Err      error
}

// Error says which delivery failed, at which attempt, and why.
func (e *AttemptError) Error() string {
	s := fmt.Sprintf("webhook: delivery of event %q to endpoint %q, attempt %d", e.Event.ID, e.Endpoint, e.Attempt)
	if e.Final {
		s += " (dropped)"
	}
	s += ": " + e.Err.Error()
	if e.Status != 0 {
		s += fmt.Sprintf(" (%d %s)", e.Status, http.StatusText(e.Status))
	}
	return s
}

// Unwrap returns Err.
func (e *AttemptError) Unwrap() error { return e.Err }
