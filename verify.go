package license

import (
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
//
// # Cache
//
// A Verifier remembers the license keys that verified, so that verifying
// one again, as a Manager does each time it loads its state, costs a
// lookup and a copy of the license instead of a signature check. Only
// keys that verify enter the cache: a text that fails (garbage, a forgery,
// an unknown signer) fails again at full cost every time and never pushes
// out a remembered key. Whitespace does not count, so a key's file form and
// its one-line form share one entry. A key whose signer is retired fails
// with [ErrRetiredSigner] whether it was remembered or not, and Retire
// forgets the keys it signed.
//
// The cache holds at most [VerifierConfig.CacheEntries] keys and
// [VerifierConfig.CacheBytes] bytes, by default 1,024 keys and 4 MiB;
// when full, it forgets a key not verified recently (an approximation of
// least recently used).
//
// # Revocation
//
// LoadRevocationList gives the Verifier the vendor's newest revocation
// list (C2): from then on Verify refuses the licenses it names, with an
// error wrapping [ErrRevoked], VerifyCertificate the activations it
// names, and the signing keys it names are retired (C3).
type Verifier struct {
	keys    map[string]*trustedKey // by key ID; never changes after NewVerifier
	cache   *verifyCache           // nil: no cache
	revoked atomic.Pointer[loadedList]
}

type trustedKey struct {
	VerifyingKey
	retired atomic.Bool
}

// VerifierConfig configures a Verifier made by [NewVerifierWithConfig].
// Only Keys is required; every other field's zero value is documented.
type VerifierConfig struct {
	// Keys are the verifying keys to trust, as NewVerifier takes them.
	Keys []VerifyingKey
	// CacheEntries is the most license keys the Verifier remembers.
	// Zero means 1,024; a negative value turns the cache off.
	CacheEntries int
	// CacheBytes caps the memory the remembered license keys hold,
	// counted as each key's text without whitespace, its encoded license,
	// and an estimate of the bookkeeping around them (about 512 bytes, and
	// a little more per feature and custom field). A key that counts for
	// more is never remembered. Zero means 4 MiB; a negative value turns
	// the cache off.
	CacheBytes int
}

// NewVerifier returns a verifier that trusts keys, with the default
// cache. It fails with [ErrNoVerifyingKeys] when given none,
// [ErrMalformedVerifyingKey] for a zero VerifyingKey, and
// [ErrDuplicateKeyID] when two different keys share a key ID. The same key
// given twice is trusted once.
func NewVerifier(keys ...VerifyingKey) (*Verifier, error) {
	return NewVerifierWithConfig(VerifierConfig{Keys: keys})
}

// NewVerifierWithConfig returns a verifier that trusts cfg.Keys, with the
// cache cfg sets. It fails as [NewVerifier] does.
func NewVerifierWithConfig(cfg VerifierConfig) (*Verifier, error) {
	if len(cfg.Keys) == 0 {
		return nil, ErrNoVerifyingKeys
	}
	v := &Verifier{keys: make(map[string]*trustedKey, len(cfg.Keys))}
	for i, k := range cfg.Keys {
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
	v.cache = newVerifyCache(cfg.CacheEntries, cfg.CacheBytes)
	return v, nil
}

// Retire stops the verifier from accepting license keys signed by the key
// with the given key ID (name+hash): they then fail with
// [ErrRetiredSigner], also those it had verified before. It returns a
// [*SignerError] wrapping [ErrUnknownSigner] when the verifier does not
// trust that key.
func (v *Verifier) Retire(keyID string) error {
	k, ok := v.keys[keyID]
	if !ok {
		return &SignerError{KeyID: keyID, Err: ErrUnknownSigner}
	}
	k.retired.Store(true)
	if v.cache != nil {
		v.cache.forget(k)
	}
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
//
// Each call returns a License of its own, which the caller may change:
// a key verified before comes from the Verifier's cache as a copy.
//
// A license named by the revocation list loaded with LoadRevocationList
// fails with an error wrapping [ErrRevoked].
func (v *Verifier) Verify(text string) (*License, error) {
	l, err := v.verifyKey(text)
	if err != nil {
		return nil, err
	}
	if err := v.checkRevoked(l); err != nil {
		return nil, err
	}
	return l, nil
}

// verifyKey is Verify but for the revocation list: a Manager judges the
// revocations of the licenses it holds itself, from the instant it
// learned of them (C3).
func (v *Verifier) verifyKey(text string) (*License, error) {
	if v.cache == nil || len(text) > MaxKeySize {
		l, _, _, err := v.verify(text)
		return l, err
	}
	text = stripSpace(text)
	if l, k, ok := v.cache.get(text); ok {
		if k.retired.Load() {
			return nil, &SignerError{KeyID: k.KeyID(), Err: ErrRetiredSigner}
		}
		return l, nil
	}
	l, k, payloadLen, err := v.verify(text)
	if err == nil {
		v.cache.put(text, k, l, payloadLen)
	}
	return l, err
}

// verify checks a license key without the cache. It returns the license,
// the trusted key that signed it and the length of its encoded payload.
func (v *Verifier) verify(text string) (l *License, k *trustedKey, payloadLen int, err error) {
	p, err := parseKey(text)
	if err != nil {
		return nil, nil, 0, err
	}
	if k, err = v.checkSignature(p); err != nil {
		return nil, nil, 0, err
	}
	l, err = decodeLicense(p.payload)
	if err != nil {
		return nil, nil, 0, err
	}
	return l, k, len(p.payload), nil
}
