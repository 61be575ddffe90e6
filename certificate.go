package license

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/licensekit/license/internal/textfield"
)

// Errors of activation certificates.
var (
	// ErrMalformedCertificate: the text is not an activation certificate
	// of this package, or was cut or changed (A1).
	ErrMalformedCertificate = errors.New("license: malformed activation certificate")
	// ErrWrongDevice: the certificate names another device's fingerprint;
	// it grants nothing here (A2).
	ErrWrongDevice = errors.New("license: the activation certificate is for another device")
)

// certificatePrefix starts every activation certificate: "LC" and the
// format version, then the signer's key ID, as in a license key.
const certificatePrefix = "LC"

// MaxCertificateSize is the longest certificate text, whitespace
// included, that VerifyCertificate reads.
const MaxCertificateSize = 256 << 10

// Certificate is an activation certificate (A1): what a license server
// returns to an application that activated on a device, signed by the
// vendor's key. It carries the licenses it activates (their canonical
// encoding, under the certificate's one signature), the device's
// fingerprint, when the device first activated, when the server issued
// the certificate, until when it holds, and the serial of the revocation
// list the server had then. An application accepts it offline, on that
// device only (A2), and checks in for a new one before NotAfter (A4).
//
// Its text form is that of a license key with another prefix:
//
//	LC1.name+hash.payload.signature
//
// and the payload, in this order:
//
//	ID, Fingerprint          u8-length-prefixed UTF-8
//	Activated, Issued,
//	NotAfter                 i64 Unix nanoseconds
//	RevocationSerial         u64
//	Licenses                 u24-length-prefixed list of u24-length-prefixed
//	                         licenses, each in a license key's payload
//	                         encoding, IDs strictly ascending
type Certificate struct {
	// ID names the activation on the server: the device's check-ins and
	// deactivation quote it.
	ID string `json:"id"`
	// Licenses are what the activation grants on the device.
	Licenses []*License `json:"licenses"`
	// Fingerprint names the device (see [Fingerprint]).
	Fingerprint string `json:"fingerprint"`
	// Activated is when the device first activated, which the server
	// keeps: activating again never moves it (A3). A term license's
	// validity runs from it.
	Activated time.Time `json:"activated"`
	// Issued is when the server made this certificate.
	Issued time.Time `json:"issued"`
	// NotAfter is the first instant the certificate no longer holds,
	// but for the check-in grace (A4).
	NotAfter time.Time `json:"not_after"`
	// RevocationSerial is the serial of the revocation list the server
	// published when it issued the certificate (C2): an application
	// holding an older one should fetch the newer.
	RevocationSerial uint64 `json:"revocation_serial"`
}

// Validate reports whether c can be signed: an ID and a fingerprint of
// printable text, at least one license, each valid, with distinct IDs,
// and instants in order: Activated ≤ Issued < NotAfter. Its errors wrap
// ErrInvalidInput or the license's error.
func (c *Certificate) Validate() error {
	if c == nil {
		return fmt.Errorf("%w: no certificate", ErrInvalidInput)
	}
	for _, f := range []struct{ name, v string }{{"ID", c.ID}, {"fingerprint", c.Fingerprint}} {
		if why, err := textfield.Check(f.v, true); err != nil {
			return fmt.Errorf("%w: %w: certificate %s %s", ErrInvalidInput, err, f.name, why)
		}
	}
	if len(c.Licenses) == 0 {
		return fmt.Errorf("%w: certificate %q holds no license", ErrInvalidInput, c.ID)
	}
	seen := make(map[string]bool, len(c.Licenses))
	for _, l := range c.Licenses {
		if l == nil {
			return fmt.Errorf("%w: certificate %q holds a nil license", ErrInvalidInput, c.ID)
		}
		if err := l.Validate(); err != nil {
			return err
		}
		if seen[l.ID] {
			return fmt.Errorf("%w: certificate %q holds license %q twice", ErrInvalidInput, c.ID, l.ID)
		}
		seen[l.ID] = true
	}
	switch {
	case c.Activated.IsZero() || c.Issued.IsZero() || c.NotAfter.IsZero():
		return fmt.Errorf("%w: certificate %q needs its activation, issue and expiry instants", ErrInvalidInput, c.ID)
	case c.Issued.Before(c.Activated):
		return fmt.Errorf("%w: certificate %q issued before its activation", ErrInvalidInput, c.ID)
	case !c.NotAfter.After(c.Issued):
		return fmt.Errorf("%w: certificate %q expires before it is issued", ErrInvalidInput, c.ID)
	}
	return nil
}

// Check reports whether c holds on the device named by fingerprint at
// instant at: ErrWrongDevice on another device (A2); ErrExpired at or
// after NotAfter, which a [Manager] stretches by its check-in grace (A4).
func (c *Certificate) Check(fingerprint string, at time.Time) error {
	if c.Fingerprint != fingerprint {
		return ErrWrongDevice
	}
	if !at.Before(c.NotAfter) {
		return fmt.Errorf("%w: the activation certificate %q expired at %s", ErrExpired, c.ID, c.NotAfter.UTC().Format(time.RFC3339))
	}
	return nil
}

// SignCertificate returns the text of certificate c, signed by k (A1).
// It returns the error of [Certificate.Validate] if c is not valid.
func (k *SigningKey) SignCertificate(c *Certificate) (string, error) {
	if err := k.usable(); err != nil {
		return "", err
	}
	if err := c.Validate(); err != nil {
		return "", err
	}
	payload, err := encodeCertificate(c)
	if err != nil {
		return "", fmt.Errorf("license: encoding certificate %q: %w", c.ID, err)
	}
	return k.sign(certificatePrefix+strconv.Itoa(Version)+"."+k.KeyID()+".", payload), nil
}

// VerifyCertificate checks an activation certificate's text against the
// trusted keys and returns the certificate, as [Verifier.Verify] does a
// license key: it fails with an error wrapping ErrMalformedCertificate, a
// [*SignerError] (ErrUnknownSigner, ErrRetiredSigner), ErrBadSignature
// or ErrUnsupportedVersion; for an activation named by the revocation
// list loaded with [Verifier.LoadRevocationList], with an error wrapping
// ErrRevoked (C3). It checks neither the device nor the time: see
// [Certificate.Check].
func (v *Verifier) VerifyCertificate(text string) (*Certificate, error) {
	c, err := v.verifyCertificate(text)
	if err != nil {
		return nil, err
	}
	if ll := v.revoked.Load(); ll != nil && ll.list.RevokesActivation(c.ID) {
		return nil, fmt.Errorf("%w: activation %q is on revocation list %d", ErrRevoked, c.ID, ll.list.Serial)
	}
	return c, nil
}

// verifyCertificate is VerifyCertificate but for the revocation list, as
// verifyKey is Verify's.
func (v *Verifier) verifyCertificate(text string) (*Certificate, error) {
	p, err := parseSigned(text, certificatePrefix, MaxCertificateSize, ErrMalformedCertificate)
	if err != nil {
		return nil, err
	}
	if _, err := v.checkSignature(p); err != nil {
		return nil, err
	}
	return decodeCertificate(p.payload)
}

// checkSignature checks the signature of a parsed object against the
// trusted key it names, and returns that key.
func (v *Verifier) checkSignature(p parsedKey) (*trustedKey, error) {
	k, ok := v.keys[p.keyID]
	if !ok {
		return nil, &SignerError{KeyID: p.keyID, Err: ErrUnknownSigner}
	}
	if k.retired.Load() {
		return nil, &SignerError{KeyID: p.keyID, Err: ErrRetiredSigner}
	}
	if !ed25519.Verify(k.key[:], p.signed, p.sig[:]) {
		return nil, ErrBadSignature
	}
	return k, nil
}

func encodeCertificate(c *Certificate) ([]byte, error) {
	b := cryptobyte.NewBuilder(nil)
	str8(b, c.ID)
	str8(b, c.Fingerprint)
	b.AddUint64(uint64(c.Activated.UnixNano()))
	b.AddUint64(uint64(c.Issued.UnixNano()))
	b.AddUint64(uint64(c.NotAfter.UnixNano()))
	b.AddUint64(c.RevocationSerial)
	var err error
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, l := range sortedByID(c.Licenses) {
			payload, e := encodeLicense(l)
			if e != nil {
				err = e
				return
			}
			b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(payload) })
		}
	})
	if err != nil {
		return nil, err
	}
	return b.Bytes()
}

func decodeCertificate(payload []byte) (*Certificate, error) {
	d := decoder{all: string(payload), s: cryptobyte.String(payload)}
	c := &Certificate{}
	c.ID = d.str8()
	c.Fingerprint = d.str8()
	c.Activated = d.instant()
	c.Issued = d.instant()
	c.NotAfter = d.instant()
	c.RevocationSerial = d.u64()
	var list cryptobyte.String
	if !d.s.ReadUint24LengthPrefixed(&list) {
		d.fail("short list of licenses")
	}
	for !list.Empty() && !d.bad {
		var one cryptobyte.String
		if !list.ReadUint24LengthPrefixed(&one) {
			d.fail("short license")
			break
		}
		l, err := decodeLicense(one)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformedCertificate, err)
		}
		if n := len(c.Licenses); n > 0 && l.ID <= c.Licenses[n-1].ID {
			d.fail("licenses not strictly ascending")
		}
		c.Licenses = append(c.Licenses, l)
	}
	if !d.s.Empty() {
		d.fail("trailing bytes")
	}
	if d.bad {
		return nil, fmt.Errorf("%w: %s", ErrMalformedCertificate, d.why)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedCertificate, err)
	}
	return c, nil
}

// sortedByID returns the licenses in ascending order of ID, leaving ls as
// it is.
func sortedByID(ls []*License) []*License {
	out := slices.Clone(ls)
	slices.SortFunc(out, func(a, b *License) int { return strings.Compare(a.ID, b.ID) })
	return out
}
