// Package webhook posts license events to URLs that vendors and
// organizations register, signed so that a receiver can tell that a
// delivery is genuine, unchanged and recent.
//
// # Deliveries
//
// A delivery is an HTTP POST of a JSON body, a [Delivery]:
//
//	POST /hooks/licensekit HTTP/1.1
//	Content-Type: application/json
//	Licensekit-Event-Id: grace-started/SN-1/2028-01-20T00:00:00Z
//	Licensekit-Event-Kind: grace-started
//	Licensekit-Signature: t=1831939200,v1=<64 hex digits>
//
//	{"id":"grace-started/SN-1/2028-01-20T00:00:00Z","kind":"grace-started","at":"2028-01-20T00:00:00Z","license":"SN-1","detail":"…","attempt":1}
//
// The event's ID is the same on every attempt and for every endpoint:
// deliveries come at least once, so a receiver deduplicates on it.
// attempt counts from 1.
//
// # Signatures
//
// Each endpoint has a secret that it shares with the sender. The
// signature header holds the Unix time of sending, t, and v1, the
// HMAC-SHA256 under the secret of t's digits, a '.' and the body, in hex
// ([Sign]). One algorithm only: nothing in a delivery chooses how it is
// checked. The timestamp is signed with the body, so that a delivery
// captured on the network cannot be replayed later than the tolerance.
//
// A receiver checks a delivery with [VerifyRequest], or [Verify] on the
// raw body, at its own clock's instant, and acts on the verified body
// only: the other headers are not signed. Every failure is a typed error:
// [ErrMalformedHeader], [ErrBadSignature], [ErrTimestamp], [ErrNoSecret],
// [ErrMalformedBody], [ErrTooLarge]. It answers 2xx once it has processed
// the event; anything else makes the sender try again.
//
// # Sending
//
// A [Dispatcher] delivers events to the endpoints that want their kind
// and retries failures with backoff (1 minute, then 5, 30, 2 hours, 6,
// 12, 24 by default) until an attempt succeeds or the attempts run out.
// Its time comes from a [license.Clock]: tests move a mock clock and call
// [Dispatcher.DeliverDue]; a server runs [Dispatcher.Run].
//
// Pending deliveries are kept in memory only: a process that stops loses
// those not yet delivered. Events have stable IDs, so a server that must
// not lose one can send its recent events again when it starts; the
// receivers deduplicate.
//
// Endpoint URLs come from users, so by default the Dispatcher's client
// connects only to public addresses and follows no redirect: a
// registration cannot make the server post into its own network. A
// server that delivers to its own network on purpose passes its own
// [Config.Client].
package webhook
