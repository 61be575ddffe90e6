package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader is the header that carries a delivery's signature:
//
//	Licensekit-Signature: t=1831939200,v1=<64 lower-case hex digits>
const SignatureHeader = "Licensekit-Signature"

// DefaultTolerance is how far a signature's timestamp may lie from the
// receiver's clock when Verify is given no tolerance: wide enough for
// clocks a little apart and a slow network, narrow enough that a captured
// delivery cannot be replayed for long.
const DefaultTolerance = 5 * time.Minute

// maxHeaderLen bounds the work Verify does on a header from the network:
// room for a timestamp and a few signatures (one per secret while a
// secret is rotated).
const maxHeaderLen = 1024

// Sign returns the value of the signature header for body sent at t:
// "t=<unix seconds>,v1=<hex>", where the hex is the HMAC-SHA256, under
// secret, of the timestamp's decimal digits, a '.' and the body.
// The timestamp is signed with the body, so that a receiver can refuse an
// old delivery replayed (see Verify).
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

// mac is the HMAC-SHA256 of "timestamp.body".
func mac(secret []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks the signature header of a delivery of body against
// secret, at instant now. It returns nil when one of the header's v1
// signatures is the body's, signed at a timestamp at most tolerance away
// from now (DefaultTolerance when tolerance is zero or negative: the check
// cannot be turned off). Otherwise it returns an error wrapping
// ErrNoSecret, ErrMalformedHeader, ErrBadSignature or ErrTimestamp, in
// that order of checks.
//
// The comparison takes the same time wherever the signatures differ. Keys
// other than t and v1 are ignored, so that a later signature scheme can be
// added beside v1; a header with no v1 is malformed.
func Verify(header string, body, secret []byte, now time.Time, tolerance time.Duration) error {
	if len(secret) == 0 {
		return ErrNoSecret
	}
	ts, sigs, err := parseHeader(header)
	if err != nil {
		return err
	}
	want := mac(secret, ts, body)
	ok := false
	for _, sig := range sigs {
		// Every signature is compared, so that the time taken does not
		// tell which one matched.
		ok = hmac.Equal(sig, want) || ok
	}
	if !ok {
		return ErrBadSignature
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	unix, _ := strconv.ParseInt(ts, 10, 64) // parseHeader checked it
	signed := time.Unix(unix, 0)
	if d := now.Sub(signed); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed at %s, %s from now", ErrTimestamp, signed.UTC().Format(time.RFC3339), d.Round(time.Second))
	}
	return nil
}

// parseHeader splits "t=<digits>,v1=<hex>[,v1=<hex>…]" into the
// timestamp's digits, as signed, and the decoded v1 signatures.
func parseHeader(header string) (ts string, sigs [][]byte, err error) {
	if header == "" {
		return "", nil, fmt.Errorf("%w: no %s header", ErrMalformedHeader, SignatureHeader)
	}
	if len(header) > maxHeaderLen {
		return "", nil, fmt.Errorf("%w: %d bytes, at most %d", ErrMalformedHeader, len(header), maxHeaderLen)
	}
	seenT := false
	for part := range strings.SplitSeq(header, ",") {
		key, value, found := strings.Cut(part, "=")
		if !found || key == "" || value == "" {
			return "", nil, fmt.Errorf("%w: %q is not key=value", ErrMalformedHeader, part)
		}
		switch key {
		case "t":
			if seenT {
				return "", nil, fmt.Errorf("%w: two timestamps", ErrMalformedHeader)
			}
			if !digits(value) || len(value) > 18 {
				return "", nil, fmt.Errorf("%w: timestamp %q is not unix seconds", ErrMalformedHeader, value)
			}
			ts, seenT = value, true
		case "v1":
			sig, err := hex.DecodeString(value)
			if err != nil || len(sig) != sha256.Size {
				return "", nil, fmt.Errorf("%w: v1 is not %d hex digits", ErrMalformedHeader, 2*sha256.Size)
			}
			sigs = append(sigs, sig)
		}
	}
	if !seenT {
		return "", nil, fmt.Errorf("%w: no timestamp", ErrMalformedHeader)
	}
	if len(sigs) == 0 {
		return "", nil, fmt.Errorf("%w: no v1 signature", ErrMalformedHeader)
	}
	return ts, sigs, nil
}

// digits reports whether s is one or more ASCII digits, with no sign.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
