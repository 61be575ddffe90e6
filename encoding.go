package license

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"golang.org/x/crypto/cryptobyte"
)

// The canonical encoding of a License, version 1. The signature covers
// these bytes (through their base64 form), so they must not depend on any
// encoder's choices: fields come in a fixed order, integers are big-endian,
// text is length-prefixed, sets are sorted, and absent optional fields are
// flagged rather than guessed from zero values.
//
//	ID, Product, Edition     u8-length-prefixed UTF-8
//	Type, Scheme             u8
//	Quantity, MinDevices     u32
//	Features                 u16-length-prefixed list of u8-length-prefixed
//	                         strings, strictly ascending
//	Organization             u8-length-prefixed UTF-8
//	IssuedAt                 i64 Unix nanoseconds
//	flags                    u8: 1 trial, 2 start, 4 expiry, 8 term,
//	                         16 activate-by
//	Start, Expiry            i64 Unix nanoseconds, each if flagged
//	Term                     i64 nanoseconds, if flagged
//	ActivateBy               i64 Unix nanoseconds, if flagged
//	Partner                  u8-length-prefixed UTF-8
//	Custom                   u16-length-prefixed list of (u8-length-prefixed
//	                         key, u16-length-prefixed value), keys strictly
//	                         ascending
//
// Decoding is strict: unknown flags, unsorted or repeated set members, a
// flagged zero term and trailing bytes are all errors, so that every
// accepted payload is exactly the encoding of the License it decodes to.

const (
	flagTrial = 1 << iota
	flagStart
	flagExpiry
	flagTerm
	flagActivateBy
	flagsKnown = flagTrial | flagStart | flagExpiry | flagTerm | flagActivateBy
)

// str8 adds s, prefixed by its length in one byte.
func str8(b *cryptobyte.Builder, s string) {
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(s)) })
}

// encodeLicense returns the canonical bytes of a valid license.
func encodeLicense(l *License) ([]byte, error) {
	b := cryptobyte.NewFixedBuilder(make([]byte, 0, payloadSize(l)))
	str8(b, l.ID)
	str8(b, l.Product)
	str8(b, l.Edition)
	b.AddUint8(uint8(l.Type))
	b.AddUint8(uint8(l.Scheme))
	b.AddUint32(uint32(l.Quantity))
	b.AddUint32(uint32(l.MinDevices))
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, f := range slices.Sorted(slices.Values(l.Features)) {
			str8(b, f)
		}
	})
	str8(b, l.Organization)
	b.AddUint64(uint64(l.IssuedAt.UnixNano()))
	var flags uint8
	if l.Trial {
		flags |= flagTrial
	}
	if !l.Start.IsZero() {
		flags |= flagStart
	}
	if !l.Expiry.IsZero() {
		flags |= flagExpiry
	}
	if l.Term != 0 {
		flags |= flagTerm
	}
	if !l.ActivateBy.IsZero() {
		flags |= flagActivateBy
	}
	b.AddUint8(flags)
	if flags&flagStart != 0 {
		b.AddUint64(uint64(l.Start.UnixNano()))
	}
	if flags&flagExpiry != 0 {
		b.AddUint64(uint64(l.Expiry.UnixNano()))
	}
	if flags&flagTerm != 0 {
		b.AddUint64(uint64(l.Term))
	}
	if flags&flagActivateBy != 0 {
		b.AddUint64(uint64(l.ActivateBy.UnixNano()))
	}
	str8(b, l.Partner)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, k := range slices.Sorted(maps.Keys(l.Custom)) {
			str8(b, k)
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(l.Custom[k])) })
		}
	})
	return b.Bytes()
}

// payloadSize returns the length of encodeLicense's result.
func payloadSize(l *License) int {
	n := 1 + len(l.ID) + 1 + len(l.Product) + 1 + len(l.Edition) + 1 + 1 + 4 + 4 +
		2 + 1 + len(l.Organization) + 8 + 1 + 1 + len(l.Partner) + 2
	for _, f := range l.Features {
		n += 1 + len(f)
	}
	for _, t := range []time.Time{l.Start, l.Expiry, l.ActivateBy} {
		if !t.IsZero() {
			n += 8
		}
	}
	if l.Term != 0 {
		n += 8
	}
	for k, v := range l.Custom {
		n += 1 + len(k) + 2 + len(v)
	}
	return n
}

// errPayload is wrapped into ErrMalformedKey when a payload does not decode.
var errPayload = errors.New("payload does not decode")

// decodeLicense parses canonical bytes into a License and validates it.
// Every string of the License is a substring of one copy of the payload,
// which keeps verification to a handful of allocations.
func decodeLicense(payload []byte) (*License, error) {
	d := decoder{all: string(payload), s: cryptobyte.String(payload)}
	l := &License{}
	l.ID = d.str8()
	l.Product = d.str8()
	l.Edition = d.str8()
	l.Type = Type(d.u8())
	l.Scheme = Scheme(d.u8())
	l.Quantity = int(d.u32())
	l.MinDevices = int(d.u32())
	features := d.list16()
	if n := features.count(); n > 0 {
		l.Features = make([]string, 0, n)
	}
	for !features.s.Empty() && !d.bad {
		f := features.str8()
		if len(l.Features) > 0 && f <= l.Features[len(l.Features)-1] {
			d.fail("features not strictly ascending")
		}
		l.Features = append(l.Features, f)
	}
	l.Organization = d.str8()
	l.IssuedAt = d.instant()
	flags := d.u8()
	if flags&^flagsKnown != 0 {
		d.fail("unknown flags")
	}
	l.Trial = flags&flagTrial != 0
	if flags&flagStart != 0 {
		l.Start = d.instant()
	}
	if flags&flagExpiry != 0 {
		l.Expiry = d.instant()
	}
	if flags&flagTerm != 0 {
		if l.Term = time.Duration(d.u64()); l.Term == 0 {
			d.fail("flagged term is zero")
		}
	}
	if flags&flagActivateBy != 0 {
		l.ActivateBy = d.instant()
	}
	l.Partner = d.str8()
	custom := d.list16()
	var last string
	for !custom.s.Empty() && !d.bad {
		k := custom.str8()
		v := custom.str16()
		if l.Custom == nil {
			l.Custom = make(map[string]string)
		} else if k <= last {
			d.fail("custom keys not strictly ascending")
		}
		l.Custom[k], last = v, k
	}
	if !d.s.Empty() {
		d.fail("trailing bytes")
	}
	if d.bad {
		return nil, fmt.Errorf("%w: %w: %s", ErrMalformedKey, errPayload, d.why)
	}
	if err := l.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedKey, err)
	}
	return l, nil
}

// decoder reads a payload with cryptobyte, handing out strings as
// substrings of all, the payload's one string copy. Sub-decoders share
// the parent's all and report failure through it.
type decoder struct {
	all    string
	s      cryptobyte.String
	parent *decoder
	bad    bool
	why    string
}

func (d *decoder) fail(why string) {
	for d.parent != nil {
		d = d.parent
	}
	if !d.bad {
		d.bad, d.why = true, why
	}
}

// sub returns the substring of all that v, a slice of the payload
// just read, stands for.
func (d *decoder) sub(v cryptobyte.String) string {
	end := len(d.all) - len(d.s)
	return d.all[end-len(v) : end]
}

func (d *decoder) str8() string {
	var v cryptobyte.String
	if !d.s.ReadUint8LengthPrefixed(&v) {
		d.fail("short string")
		return ""
	}
	return d.sub(v)
}

func (d *decoder) str16() string {
	var v cryptobyte.String
	if !d.s.ReadUint16LengthPrefixed(&v) {
		d.fail("short value")
		return ""
	}
	return d.sub(v)
}

// list16 returns a decoder over a u16-length-prefixed list. Its strings
// are substrings of the same payload copy.
func (d *decoder) list16() decoder {
	var v cryptobyte.String
	if !d.s.ReadUint16LengthPrefixed(&v) {
		d.fail("short list")
	}
	end := len(d.all) - len(d.s)
	return decoder{all: d.all[:end], s: v, parent: d}
}

// count returns how many u8-length-prefixed strings the decoder holds, so
// that a list is allocated once.
func (d *decoder) count() int {
	s, n := d.s, 0
	var v cryptobyte.String
	for s.ReadUint8LengthPrefixed(&v) {
		n++
	}
	return n
}

func (d *decoder) u8() uint8 {
	var v uint8
	if !d.s.ReadUint8(&v) {
		d.fail("short integer")
	}
	return v
}

func (d *decoder) u32() uint32 {
	var v uint32
	if !d.s.ReadUint32(&v) {
		d.fail("short integer")
	}
	return v
}

func (d *decoder) u64() uint64 {
	var v uint64
	if !d.s.ReadUint64(&v) {
		d.fail("short integer")
	}
	return v
}

func (d *decoder) instant() time.Time {
	return time.Unix(0, int64(d.u64())).UTC()
}

// Digest identifies a license by the SHA-256 of its canonical encoding:
// the payload a license key signs. Two keys for the same license have the
// same Digest, whoever signed them; use it, never signature bytes, to
// recognise a license seen before.
type Digest [sha256.Size]byte

// String returns the digest in hex.
func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// Digest returns the license's [Digest]. For a license returned by
// [Verifier.Verify] it is the hash of the payload that was signed. It
// fails only for a license that [License.Validate] rejects.
func (l *License) Digest() (Digest, error) {
	if err := l.Validate(); err != nil {
		return Digest{}, err
	}
	p, err := encodeLicense(l)
	if err != nil {
		return Digest{}, fmt.Errorf("license: encoding: %w", err)
	}
	return sha256.Sum256(p), nil
}
