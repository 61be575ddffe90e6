// Package license issues signed license keys and lets applications
// enforce them offline.
//
// # Keys
//
// A vendor holds a [SigningKey] and publishes its [VerifyingKey].
// [GenerateSigningKey] makes one; its text forms are
//
//	acme-2026+9ac2de13+iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=
//	LICENSEKIT+PRIVATE+KEY+acme-2026+9ac2de13+AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=
//
// The first is a verifying key, the second its signing key (a secret; this
// one's seed is 32 bytes of 0x01, for illustration only).
//
// A verifying key reads name+hash+key: the key's name, the first four
// bytes of SHA-256 over the name, a newline and the Ed25519 public key, in
// hex, then the public key in base64. Name and hash form the key ID. The
// signing key's text starts with a prefix that no verifying key can have,
// and [SigningKey] prints as its key ID only, so that it does not leak into
// logs.
//
// # License keys
//
// [SigningKey.Sign] turns a [License] into a license key, one line of ASCII:
//
//	LK1.acme-2026+9ac2de13.<payload>.<signature>
//
// LK1 is the format version; then the signer's key ID; the payload, the
// license's canonical encoding (a fixed byte layout that no encoder's
// choices change), in unpadded base64url; and the Ed25519 signature over
// everything before the last '.', also in base64url (K1). Whitespace and
// line breaks anywhere in a key are ignored (K4), so a key survives e-mail
// and copy-paste; [FormatKeyFile] writes the file form, cut into lines.
//
// # Verifying
//
// [NewVerifier] trusts one or more verifying keys; [Verifier.Verify] reads a
// key, picks the trusted key its key ID names, checks the signature and
// decodes the license, offline (K2). The algorithm is always Ed25519: no
// field of a key can choose another, or none. Decoding is strict: after
// whitespace is removed, two different texts never verify to the same
// license, and any changed byte fails with a typed error (K3):
// [ErrMalformedKey], [ErrUnsupportedVersion], [ErrUnknownSigner],
// [ErrRetiredSigner] or [ErrBadSignature]. To recognise a license seen
// before, compare [License.Digest], the hash of the signed payload, never
// signature bytes. A Verifier remembers, within fixed bounds, the keys that
// verified, so that verifying one again costs a lookup instead of a
// signature check; [NewVerifierWithConfig] sets the bounds or turns this
// off.
//
// # Time
//
// Instants are UTC. A license valid until T is valid at T-1ns and expired
// at T (S12). A term license, such as an annual subscription, starts its
// term at activation, not at issue (L2), and a license whose start is in
// the future grants nothing until then (L3): see [License.Period] and
// [License.ValidAt]. A term license's [License.ActivateBy] bounds its
// term whatever an installation's stored state says.
//
// # Lifecycle
//
// [Evaluate] is the lifecycle as a pure function: given the licenses an
// installation holds ([Holding]), its [History], a [Policy] and an instant,
// it returns the [State] (Trial, Active, Expiring, Grace, Suspended,
// Deleted, Revoked, Pending or Unlicensed), the features and seats
// granted, the events due and the next instant anything changes. Nothing
// in it reads a clock.
//
// A [Manager] runs that function for one installation of an application:
// it holds the keys in a [Store], starts the trial, promotes reserve keys,
// renews and revokes, and delivers each [Event] once, also across
// restarts. Its time comes from an injected [Clock]; [Manager.Check], the
// guard for every request, reads an atomically swapped snapshot and makes
// no allocation.
//
// # Online activation and revocation
//
// An application activated through a license server holds an activation
// [Certificate] instead of a bare key: its licenses, the device's
// fingerprint (package fingerprint derives one), the instant the server
// first activated that device, and a NotAfter. [Manager.AddCertificate]
// accepts it only on the device it names (A2); a term runs from the
// server's activation instant, so deleting the local state never restarts
// it (A3). Before NotAfter the Manager checks in through a [CheckInner]
// for a fresh certificate ([Manager.CheckIn], or [Manager.Run]); while the
// server cannot be reached the certificate holds until NotAfter, then for
// [Policy.CheckInGrace], then grants nothing until a check-in succeeds
// (A4).
//
// The vendor revokes licenses, activations and signing keys in a signed
// [RevocationList] whose serial only grows (C2).
// [Manager.LoadRevocationList] and [Verifier.LoadRevocationList] never
// take an older one; what a loaded list names stops granting at once,
// with one event (C3).
//
// # Tampering
//
// The user controls the machine: its files and its clock. The latest time
// seen is a floor, as is the newest issue time among the keys; the
// clock's set-backs add up against [Policy.ClockTolerance]; a running
// Manager follows the monotonic clock. A stored state that cannot be read
// starts again with the trial used ([Evaluation.StateReset]). Deleting
// the state restarts a term license at most until its ActivateBy plus its
// term. See the README's security model for what an offline license
// cannot stop.
//
// # Testing
//
// Drive a Manager with a mock clock (github.com/benbjohnson/clock's
// NewMock): move the mock and call [Manager.Advance] with its reading, or
// step through [Manager.Next]. [Manager.Run] also follows a mock: it wakes
// at each instant at which something falls due.
package license
