package license

import (
	"errors"
	"strings"

	"github.com/licensekit/license/internal/textfield"
)

// ErrInvalidLicense is matched by every [LicenseError]: the license breaks
// one of the rules that [License.Validate] enforces.
var ErrInvalidLicense = errors.New("license: invalid license")

// The reasons a [LicenseError] carries in its Err field. Each is matched
// with errors.Is on the error that [License.Validate] or
// [SigningKey.Sign] returns.
var (
	// ErrRequired: a required field is empty.
	ErrRequired = textfield.ErrRequired
	// ErrInvalidText: a text field is not valid UTF-8, holds a control
	// character or is longer than 255 bytes.
	ErrInvalidText = textfield.ErrInvalid
	// ErrUnknownType: the type is none of any, server and workstation.
	ErrUnknownType = errors.New("unknown license type")
	// ErrUnknownScheme: the licensing scheme is not one of the schemes
	// this package defines.
	ErrUnknownScheme = errors.New("unknown licensing scheme")
	// ErrQuantityRequired: a counted scheme (per device, VM, CPU, core or
	// user) has no quantity.
	ErrQuantityRequired = errors.New("a counted scheme needs a quantity")
	// ErrExpiryBeforeStart: the expiry is not after the start.
	ErrExpiryBeforeStart = errors.New("expiry is not after start")
	// ErrExpiryAndTerm: a license has both a fixed expiry and a term that
	// starts at activation; it can have one or the other.
	ErrExpiryAndTerm = errors.New("both an expiry and a term")
	// ErrOutOfRange: a number or an instant is outside what a license key
	// can hold (negative quantity, instants outside 1678–2262, …).
	ErrOutOfRange = errors.New("out of range")
	// ErrDuplicate: a feature is listed twice.
	ErrDuplicate = errors.New("duplicate entry")
	// ErrInconsistent: fields contradict each other (a quantity on an
	// unmetered license, a trial that never ends, …).
	ErrInconsistent = errors.New("inconsistent fields")
	// ErrTooLarge: the encoded license would exceed [MaxPayloadSize].
	ErrTooLarge = errors.New("license too large")
)

// LicenseError reports one rule a [License] breaks. It matches
// [ErrInvalidLicense] and its Err with errors.Is.
type LicenseError struct {
	Field  string // the License field at fault, such as "Expiry" or "Features[2]"
	Err    error  // one of the reasons above, such as ErrExpiryBeforeStart
	Detail string // what was found, for people; may be empty
}

// Error says which field breaks which rule, and what was found.
func (e *LicenseError) Error() string {
	var b strings.Builder
	b.WriteString("license: ")
	b.WriteString(e.Field)
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	if e.Detail != "" {
		b.WriteString(" (")
		b.WriteString(e.Detail)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap lets errors.Is match both the reason and [ErrInvalidLicense].
func (e *LicenseError) Unwrap() []error { return []error{e.Err, ErrInvalidLicense} }

// Errors returned by [Verifier.Verify] and [DecodeUnverified]. A license key
// that fails verification always fails with one of them (possibly wrapped,
// or inside a [SignerError]), never with a panic.
var (
	// ErrMalformedKey: the text is not a well-formed license key: wrong
	// prefix, a missing part, bad base64, a payload that does not decode
	// strictly, or a license that breaks the rules of [License.Validate].
	ErrMalformedKey = errors.New("license: malformed license key")
	// ErrUnsupportedVersion: the key is written in a format version this
	// package does not read.
	ErrUnsupportedVersion = errors.New("license: unsupported license key version")
	// ErrUnknownSigner: no trusted verifying key has the key's key ID.
	ErrUnknownSigner = errors.New("license: unknown signer")
	// ErrRetiredSigner: the key's signer was retired with [Verifier.Retire].
	ErrRetiredSigner = errors.New("license: retired signer")
	// ErrBadSignature: the signature does not verify with the trusted key
	// the key ID names.
	ErrBadSignature = errors.New("license: bad signature")
)

// SignerError reports a license key whose signer is not trusted. Err is
// [ErrUnknownSigner] or [ErrRetiredSigner].
type SignerError struct {
	KeyID string // the key ID the license key names, as "name+hash"
	Err   error
}

// Error names the reason and the key ID.
func (e *SignerError) Error() string {
	return e.Err.Error() + " " + textfield.QuoteShort(e.KeyID)
}

// Unwrap returns Err.
func (e *SignerError) Unwrap() error { return e.Err }

// Errors returned when parsing keys and building a verifier.
var (
	// ErrMalformedVerifyingKey: the text is not a verifying key of the
	// form name+hash+base64key, or its hash does not match.
	ErrMalformedVerifyingKey = errors.New("license: malformed verifying key")
	// ErrMalformedSigningKey: the text is not a signing key written by
	// [SigningKey.Export].
	ErrMalformedSigningKey = errors.New("license: malformed signing key")
	// ErrInvalidKeyName: a key name is empty, longer than 64 bytes, or
	// holds a character other than ASCII letters, digits, '.', '_' and '-'.
	ErrInvalidKeyName = errors.New("license: invalid key name")
	// ErrNoVerifyingKeys: a verifier was asked for with no key to trust.
	ErrNoVerifyingKeys = errors.New("license: no verifying keys")
	// ErrDuplicateKeyID: two different verifying keys share one key ID.
	ErrDuplicateKeyID = errors.New("license: two verifying keys share a key ID")
)

// Errors returned by [License.ValidAt].
var (
	// ErrNotYetValid: the instant is before the license's start (L3).
	ErrNotYetValid = errors.New("license: not yet valid")
	// ErrExpired: the instant is at or after the license's end (S12).
	ErrExpired = errors.New("license: expired")
	// ErrNotActivated: a term license has not been activated, so its term
	// has not started (L2).
	ErrNotActivated = errors.New("license: term license not activated")
	// ErrActivationClosed: the license's activation deadline, ActivateBy,
	// has passed (L2).
	ErrActivationClosed = errors.New("license: activation deadline has passed")
)
