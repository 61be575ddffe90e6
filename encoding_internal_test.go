package license

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
)

// signPayload signs arbitrary payload bytes as Sign would sign an encoded
// license, so that tests can present a verifier with well-signed payloads
// that no valid License encodes to.
func signPayload(k *SigningKey, payload []byte) string {
	buf := append([]byte(k.prefix), b64.EncodeToString(payload)...)
	sig := ed25519.Sign(k.priv, buf)
	return string(buf) + "." + b64.EncodeToString(sig)
}

// payload builds a license payload field by field; edit changes the
// builder between fields to produce a non-canonical variant.
type payloadSpec struct {
	features []string
	flags    uint8
	times    []int64
	custom   [][2]string
	trailing []byte
	typ      uint8
}

func (p payloadSpec) bytes() []byte {
	var b cryptobyte.Builder
	str8 := func(b *cryptobyte.Builder, s string) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(s)) })
	}
	str8(&b, "SN-1")
	str8(&b, "product")
	str8(&b, "")
	b.AddUint8(p.typ)
	b.AddUint8(0) // unmetered
	b.AddUint32(0)
	b.AddUint32(0)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, f := range p.features {
			str8(b, f)
		}
	})
	str8(&b, "")
	b.AddUint64(uint64(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()))
	b.AddUint8(p.flags)
	for _, t := range p.times {
		b.AddUint64(uint64(t))
	}
	str8(&b, "")
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, kv := range p.custom {
			str8(b, kv[0])
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(kv[1])) })
		}
	})
	b.AddBytes(p.trailing)
	return b.BytesOrPanic()
}

// K1, K3: decoding is strict. Each variant below carries a valid signature
// over a payload that is not the canonical encoding of any License; each
// is malformed, so two different keys never verify to the same license.
func TestDecode_K1_K3_StrictEncoding(t *testing.T) {
	k, err := GenerateSigningKey("acme", bytes.NewReader(make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(k.VerifyingKey())
	if err != nil {
		t.Fatal(err)
	}
	canonical := payloadSpec{features: []string{"a", "b"}, custom: [][2]string{{"k1", "v"}, {"k2", "v"}}}
	l, err := v.Verify(signPayload(k, canonical.bytes()))
	if err != nil {
		t.Fatalf("the canonical payload must verify: %v", err)
	}
	again, err := encodeLicense(l)
	if err != nil || !bytes.Equal(again, canonical.bytes()) {
		t.Fatalf("re-encoding the decoded license gives other bytes")
	}
	expiry := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

	for name, p := range map[string]payloadSpec{
		"FeaturesUnsorted":  {features: []string{"b", "a"}},
		"FeaturesRepeated":  {features: []string{"a", "a"}},
		"CustomUnsorted":    {custom: [][2]string{{"k2", "v"}, {"k1", "v"}}},
		"CustomRepeated":    {custom: [][2]string{{"k1", "v"}, {"k1", "w"}}},
		"UnknownFlag":       {flags: 0x10},
		"ZeroTerm":          {flags: flagTerm, times: []int64{0}},
		"NegativeTerm":      {flags: flagTerm, times: []int64{-1}},
		"MissingExpiry":     {flags: flagExpiry},
		"TrailingByte":      {trailing: []byte{0}},
		"UnknownType":       {typ: 3},
		"ExpiryAndTerm":     {flags: flagExpiry | flagTerm, times: []int64{expiry, int64(time.Hour)}},
		"TrialWithoutEnd":   {flags: flagTrial},
		"EmptyFeature":      {features: []string{""}},
		"ControlInFeatures": {features: []string{"a\x01"}},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := v.Verify(signPayload(k, p.bytes()))
			if !errors.Is(err, ErrMalformedKey) {
				t.Fatalf("Verify = %v, %v; want ErrMalformedKey", got, err)
			}
		})
	}
	if _, err := v.Verify(signPayload(k, nil)); !errors.Is(err, ErrMalformedKey) {
		t.Errorf("empty payload: %v", err)
	}
}

// payloadSize must match the encoder exactly: the encoder's fixed builder
// fails otherwise, and Validate's size limit relies on it.
func TestPayloadSizeMatchesEncoding(t *testing.T) {
	l := &License{
		ID: "x", Product: "p", Edition: "e", Scheme: SchemePerCPU, Quantity: 2, MinDevices: 1,
		Features: []string{"f", "gg"}, Organization: "o", IssuedAt: time.Unix(1, 0),
		Start: time.Unix(2, 0), Term: time.Hour, Trial: true, Partner: "pp",
		Custom: map[string]string{"a": "b", "cc": ""},
	}
	p, err := encodeLicense(l)
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != payloadSize(l) {
		t.Fatalf("payloadSize = %d, encoded %d", payloadSize(l), len(p))
	}
}
