package license

import (
	"crypto/ed25519"
	"fmt"
	"sync/atomic"
)

// Verifier checks license keys offline against the verifying keys it
// trusts (K2). Trusting several keys at once allows key rotation: each
// license key names its signer's key ID, and the verifier picks the
// trusted key with that ID, or fails with [ErrUnknownSigner]. A key that
// must no longer be accepted can be retired with Retire.
//
// The algorithm is always Ed25519: nothing in a license key chooses it
// (K1). A Verifier is safe for concurrent use. The zero Verifier trusts no
// key; use NewVerifier.
type Verifier struct {
	keys map[string]*trustedKey // by key ID; never changes after NewVerifier
}

type trustedKey struct {
	VerifyingKey
	retired atomic.Bool
}

// NewVerifier returns a verifier that trusts keys. It fails with
// [ErrNoVerifyingKeys] when given none, [ErrMalformedVerifyingKey] for a
// zero VerifyingKey, and [ErrDuplicateKeyID] when two different keys share
// a key ID. The same key given twice is trusted once.
func NewVerifier(keys ...VerifyingKey) (*Verifier, error) {
	if len(keys) == 0 {
		return nil, ErrNoVerifyingKeys
	}
	v := &Verifier{keys: make(map[string]*trustedKey, len(keys))}
	for i, k := range keys {
		if k.name == "" {
			return nil, fmt.Errorf("%w: key %d is the zero VerifyingKey", ErrMalformedVerifyingKey, i)
		}
		id := k.KeyID()
		if old, ok := v.keys[id]; ok {
			if old.VerifyingKey != k {
				return nil, fmt.Errorf("%w: %s", ErrDuplicateKeyID, id)
			}
			continue
		}
		v.keys[id] = &trustedKey{VerifyingKey: k}
	}
	return v, nil
}

// Retire stops the verifier from accepting license keys signed by the key
// with the given key ID (name+hash): they then fail with
// [ErrRetiredSigner]. It returns a [*SignerError] wrapping
// [ErrUnknownSigner] when the verifier does not trust that key.
func (v *Verifier) Retire(keyID string) error {
	k, ok := v.keys[keyID]
	if !ok {
		return &SignerError{KeyID: keyID, Err: ErrUnknownSigner}
	}
	k.retired.Store(true)
	return nil
}

// Verify checks a license key and returns the license it carries. Spaces
// and line breaks anywhere in text are ignored (K4). It makes no network
// call and reads no clock: whether the license is in force at a given
// instant is [License.ValidAt]'s question, and the lifecycle's.
//
// A key that does not verify fails with an error matching, with
// errors.Is, one of [ErrMalformedKey], [ErrUnsupportedVersion],
// [ErrUnknownSigner] or [ErrRetiredSigner] (both also a [*SignerError]),
// or [ErrBadSignature]. Any change to a valid key fails (K3).
func (v *Verifier) Verify(text string) (*License, error) {
	p, err := parseKey(text)
	if err != nil {
		return nil, err
	}
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
	return decodeLicense(p.payload)
}
