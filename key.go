package license

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/licensekit/license/internal/textfield"
)

// Version is the license key format this package writes and reads.
const Version = 1

// keyPrefix starts every license key: "LK" and the format version.
const keyPrefix = "LK"

// MaxKeySize is the longest license key text, whitespace included, that
// Verify reads; anything longer is malformed without further work.
const MaxKeySize = 64 << 10

// signingKeyPrefix starts a signing key's text form. It has two more '+'
// than a verifying key, so neither parser accepts the other's text.
const signingKeyPrefix = "LICENSEKIT+PRIVATE+KEY+"

// b64 reads and writes payloads and signatures in license keys. Strict
// rejects non-zero padding bits, so one byte string has one text.
var b64 = base64.RawURLEncoding.Strict()

// sigLen is the length of a base64 Ed25519 signature in a license key.
var sigLen = b64.EncodedLen(ed25519.SignatureSize)

// VerifyingKey is a vendor's public key, which applications trust to
// verify license keys. Its text form, from String, is name+hash+key: the
// key's name, the first four bytes of SHA-256 over the name, a newline and
// the 32-byte Ed25519 key, in hex, then the key in standard base64. The
// name and hash together are the key ID that license keys carry.
//
// The zero VerifyingKey is not a key; [NewVerifier] rejects it.
type VerifyingKey struct {
	name string
	hash uint32
	key  [ed25519.PublicKeySize]byte
}

// Name returns the key's name.
func (k VerifyingKey) Name() string { return k.name }

// KeyID returns the key ID, name+hash, that license keys signed by the
// matching signing key carry.
func (k VerifyingKey) KeyID() string { return keyID(k.name, k.hash) }

// String returns the key's text form, which ParseVerifyingKey reads.
func (k VerifyingKey) String() string {
	return k.KeyID() + "+" + base64.StdEncoding.EncodeToString(k.key[:])
}

// MarshalText writes the key's text form, so that a VerifyingKey can sit in
// a JSON or YAML configuration.
func (k VerifyingKey) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a key with ParseVerifyingKey.
func (k *VerifyingKey) UnmarshalText(b []byte) error {
	v, err := ParseVerifyingKey(string(b))
	if err == nil {
		*k = v
	}
	return err
}

// ParseVerifyingKey reads a verifying key's text form, name+hash+key.
// Surrounding whitespace is ignored. It returns an error wrapping
// [ErrMalformedVerifyingKey] or [ErrInvalidKeyName] when the text is not a
// verifying key, its key is not 32 bytes, or its hash does not match.
func ParseVerifyingKey(text string) (VerifyingKey, error) {
	text = strings.TrimSpace(text)
	if strings.HasPrefix(text, signingKeyPrefix) {
		// Never echo it: it is a secret in the wrong place.
		return VerifyingKey{}, fmt.Errorf("%w: this is a signing key; give the verifying key that keygen printed", ErrMalformedVerifyingKey)
	}
	name, hash, key, err := splitKeyText(text, ed25519.PublicKeySize)
	if err != nil {
		return VerifyingKey{}, wrapKeyTextError(ErrMalformedVerifyingKey, err)
	}
	k := VerifyingKey{name: name, hash: hash}
	copy(k.key[:], key)
	if keyHash(name, k.key[:]) != hash {
		return VerifyingKey{}, fmt.Errorf("%w: hash does not match name and key", ErrMalformedVerifyingKey)
	}
	return k, nil
}

// splitKeyText splits name+hash+base64 (the text of a verifying key, and
// of a signing key after its prefix) and checks each part; the base64 must
// decode to size bytes. Its errors never repeat any part of the text: a
// signing key, or a bare seed pasted where a key was expected, holds '+'
// in its base64, so any part may be a piece of a secret.
func splitKeyText(text string, size int) (name string, hash uint32, key []byte, err error) {
	name, rest, ok1 := strings.Cut(text, "+")
	hash64, key64, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 {
		return "", 0, nil, errors.New("want name+hash+key")
	}
	if why := keyNameProblem(name); why != "" {
		return "", 0, nil, fmt.Errorf("%w: the name %s", ErrInvalidKeyName, why)
	}
	hash, ok := parseHash(hash64)
	if !ok {
		return "", 0, nil, errors.New("the hash is not 8 lower-case hex digits")
	}
	key, err = base64.StdEncoding.Strict().DecodeString(key64)
	if err != nil {
		return "", 0, nil, errors.New("key is not base64")
	}
	if len(key) != size {
		return "", 0, nil, fmt.Errorf("key is %d bytes, want %d", len(key), size)
	}
	return name, hash, key, nil
}

// wrapKeyTextError makes an error of splitKeyText match kind, keeping
// ErrInvalidKeyName errors as they are.
func wrapKeyTextError(kind, err error) error {
	if errors.Is(err, ErrInvalidKeyName) {
		return err
	}
	return fmt.Errorf("%w: %w", kind, err)
}

// SigningKey is a vendor's private key, which signs licenses. Keep it
// secret: whoever holds it can issue licenses that every application
// trusting its verifying key accepts. Its String, GoString and LogValue
// methods print only its key ID; [SigningKey.Export] writes the secret.
//
// A SigningKey is safe for concurrent use.
type SigningKey struct {
	pub    VerifyingKey
	priv   ed25519.PrivateKey
	prefix string // "LK1.name+hash.", the start of every key it signs
}

// GenerateSigningKey makes a new signing key named name, reading 32 bytes
// of randomness from rand (crypto/rand's Reader when rand is nil). The name
// identifies the vendor or the key's generation, such as "acme-2026"; it
// is 1 to 64 ASCII letters, digits, '.', '_' or '-'.
func GenerateSigningKey(name string, rand io.Reader) (*SigningKey, error) {
	if why := keyNameProblem(name); why != "" {
		return nil, fmt.Errorf("%w: %s %s", ErrInvalidKeyName, textfield.QuoteShort(name), why)
	}
	if rand == nil {
		rand = cryptoRand
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := io.ReadFull(rand, seed); err != nil {
		return nil, fmt.Errorf("license: generating signing key: reading randomness: %w", err)
	}
	return newSigningKey(name, seed), nil
}

var cryptoRand = rand.Reader

func newSigningKey(name string, seed []byte) *SigningKey {
	priv := ed25519.NewKeyFromSeed(seed)
	k := &SigningKey{priv: priv, pub: VerifyingKey{name: name}}
	copy(k.pub.key[:], priv.Public().(ed25519.PublicKey))
	k.pub.hash = keyHash(name, k.pub.key[:])
	k.prefix = keyPrefix + strconv.Itoa(Version) + "." + k.pub.KeyID() + "."
	return k
}

// ParseSigningKey reads a signing key written by [SigningKey.Export].
// Surrounding whitespace is ignored. Errors wrap [ErrMalformedSigningKey]
// or [ErrInvalidKeyName] and never repeat the text.
func ParseSigningKey(text string) (*SigningKey, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(text), signingKeyPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: it does not start with %s", ErrMalformedSigningKey, signingKeyPrefix)
	}
	name, hash, seed, err := splitKeyText(rest, ed25519.SeedSize)
	if err != nil {
		return nil, wrapKeyTextError(ErrMalformedSigningKey, err)
	}
	k := newSigningKey(name, seed)
	if k.pub.hash != hash {
		return nil, fmt.Errorf("%w: hash does not match name and key", ErrMalformedSigningKey)
	}
	return k, nil
}

// Export returns the key's secret text form, which ParseSigningKey reads.
// Store it as a secret, for example in a file of mode 0600.
func (k *SigningKey) Export() string {
	return signingKeyPrefix + k.pub.KeyID() + "+" + base64.StdEncoding.EncodeToString(k.priv.Seed())
}

// VerifyingKey returns the public key that verifies what k signs.
func (k *SigningKey) VerifyingKey() VerifyingKey { return k.pub }

// KeyID returns the key ID, name+hash, that k writes into license keys.
func (k *SigningKey) KeyID() string { return k.pub.KeyID() }

// String names the key without revealing it.
func (k *SigningKey) String() string { return "SigningKey(" + k.pub.KeyID() + ")" }

// GoString names the key without revealing it, also under %#v.
func (k *SigningKey) GoString() string { return k.String() }

// LogValue logs the key as its key ID only.
func (k *SigningKey) LogValue() slog.Value {
	return slog.GroupValue(slog.String("key_id", k.pub.KeyID()), slog.String("secret", "REDACTED"))
}

// Sign validates l and returns its license key: the text
//
//	LK1.<name>+<hash>.<payload>.<signature>
//
// where LK1 is the format version, name+hash the signer's key ID, payload
// the license's canonical encoding in unpadded base64url, and signature the
// Ed25519 signature over everything before its '.', also in base64url. The
// key is one line of ASCII; [FormatKeyFile] wraps it for a file.
//
// If l is not valid, Sign returns the error of [License.Validate].
func (k *SigningKey) Sign(l *License) (string, error) {
	if err := k.usable(); err != nil {
		return "", err
	}
	if err := l.Validate(); err != nil {
		return "", err
	}
	payload, err := encodeLicense(l)
	if err != nil {
		return "", fmt.Errorf("license: encoding %q: %w", l.ID, err)
	}
	return k.sign(k.prefix, payload), nil
}

// usable reports whether k can sign: it came from GenerateSigningKey or
// ParseSigningKey, not from a zero value or a nil pointer.
func (k *SigningKey) usable() error {
	if k == nil || len(k.priv) != ed25519.PrivateKeySize {
		return fmt.Errorf("%w: a SigningKey comes from GenerateSigningKey or ParseSigningKey", ErrMalformedSigningKey)
	}
	return nil
}

// sign returns the text of a signed object: prefix (the object's prefix,
// format version and the key's ID, then '.'), the payload in base64url,
// '.', and the Ed25519 signature of all that comes before it.
func (k *SigningKey) sign(prefix string, payload []byte) string {
	buf := make([]byte, 0, len(prefix)+b64.EncodedLen(len(payload))+1+sigLen)
	buf = append(buf, prefix...)
	buf = b64.AppendEncode(buf, payload)
	sig := ed25519.Sign(k.priv, buf)
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, sig)
	return string(buf)
}

// FormatKeyFile returns the file form of a license key: the key cut into
// lines of 64 characters, each ending in a newline. Verify ignores the
// line breaks.
func FormatKeyFile(key string) []byte {
	const width = 64
	key = stripSpace(key)
	out := make([]byte, 0, len(key)+len(key)/width+1)
	for len(key) > width {
		out = append(out, key[:width]...)
		out = append(out, '\n')
		key = key[width:]
	}
	out = append(out, key...)
	return append(out, '\n')
}

// DecodeUnverified decodes a license key without verifying its signature,
// and returns the license and the key ID of the signer it claims. Nothing
// it returns can be trusted: use it to inspect a key, never to grant
// anything. Its errors are those of [Verifier.Verify] for a malformed key.
func DecodeUnverified(text string) (l *License, keyID string, err error) {
	p, err := parseKey(text)
	if err != nil {
		return nil, "", err
	}
	l, err = decodeLicense(p.payload)
	if err != nil {
		return nil, "", err
	}
	return l, p.keyID, nil
}

// parsedKey is a license key split into its parts, not yet verified.
type parsedKey struct {
	keyID   string
	signed  []byte // the text before the signature's '.': what was signed
	payload []byte
	sig     [ed25519.SignatureSize]byte
}

// parseKey splits a license key's text into its parts, strictly.
func parseKey(text string) (parsedKey, error) {
	return parseSigned(text, keyPrefix, MaxKeySize, ErrMalformedKey)
}

// parseSigned splits the text of a signed object of this package (a
// license key, an activation certificate, a revocation list) into its
// parts, strictly: prefix and the format version, the signer's key ID, the
// payload and the signature. Its errors wrap malformed, but for a version
// it does not read (ErrUnsupportedVersion).
func parseSigned(text, prefix string, maxSize int, malformed error) (parsedKey, error) {
	var p parsedKey
	bad := func(why string) (parsedKey, error) {
		return parsedKey{}, fmt.Errorf("%w: %s", malformed, why)
	}
	if len(text) > maxSize {
		return bad(fmt.Sprintf("%d bytes, at most %d", len(text), maxSize))
	}
	text = stripSpace(text)
	rest, ok := strings.CutPrefix(text, prefix)
	if !ok {
		return bad("it does not start with " + prefix)
	}
	ver, rest, ok := strings.Cut(rest, ".")
	if !ok || !isVersion(ver) {
		return bad("no format version after " + prefix)
	}
	if ver != strconv.Itoa(Version) {
		return parsedKey{}, fmt.Errorf("%w: version %s, this package reads version %d", ErrUnsupportedVersion, textfield.QuoteShort(ver), Version)
	}
	// The key ID may itself hold dots (a name such as "example.com"), and
	// base64url has none, so the payload and signature are found from
	// the right.
	dot := strings.LastIndexByte(rest, '.')
	if dot < 0 {
		return bad("no signature")
	}
	rest, sig64 := rest[:dot], rest[dot+1:]
	dot = strings.LastIndexByte(rest, '.')
	if dot < 0 {
		return bad("no payload")
	}
	id, payload64 := rest[:dot], rest[dot+1:]
	if err := checkKeyID(id, malformed); err != nil {
		return parsedKey{}, err
	}
	p.keyID = id
	if len(sig64) != sigLen {
		return bad("signature has the wrong length")
	}
	// One copy of the text serves both the signature check and base64
	// decoding, which want bytes.
	b := []byte(text)
	signedEnd := len(b) - len(sig64) - 1
	p.signed = b[:signedEnd]
	if n, err := b64.Decode(p.sig[:], b[signedEnd+1:]); err != nil || n != len(p.sig) {
		return bad("signature is not base64url")
	}
	payloadStart := signedEnd - len(payload64)
	p.payload = make([]byte, b64.DecodedLen(len(payload64)))
	if _, err := b64.Decode(p.payload, b[payloadStart:signedEnd]); err != nil {
		return bad("payload is not base64url")
	}
	return p, nil
}

// isVersion reports whether s is a version number written without leading
// zeros, so that one version has one spelling.
func isVersion(s string) bool {
	if s == "" || len(s) > 9 || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// checkKeyID checks that a signed object's key ID has the form name+hash;
// its errors wrap malformed, the error of that kind of object.
func checkKeyID(id string, malformed error) error {
	name, hash, ok := strings.Cut(id, "+")
	if !ok {
		return fmt.Errorf("%w: key ID %s is not name+hash", malformed, textfield.QuoteShort(id))
	}
	if why := keyNameProblem(name); why != "" {
		return fmt.Errorf("%w: %w: %s %s", malformed, ErrInvalidKeyName, textfield.QuoteShort(name), why)
	}
	if _, ok := parseHash(hash); !ok {
		return fmt.Errorf("%w: key ID %s: hash is not 8 lower-case hex digits", malformed, textfield.QuoteShort(id))
	}
	return nil
}

// stripSpace removes every space, tab, line break and other Unicode space
// from s, so that keys survive e-mail and copy-paste (K4). A key without
// spaces is returned as is, without allocating; one with spaces costs one
// allocation, since a verifier's cache looks up keys in their file form
// too.
func stripSpace(s string) string {
	i := printableASCII(s)
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for {
		// Copy the run of printable ASCII, then look at the byte after it.
		b.WriteString(s[:i])
		if s = s[i:]; s == "" {
			return b.String()
		}
		if c := s[0]; c >= utf8.RuneSelf {
			break
		} else if !asciiSpace(c) {
			b.WriteByte(c) // another control character: not ours to drop
		}
		s = s[1:]
		i = printableASCII(s)
	}
	// As strings.Map would, this writes each invalid byte as U+FFFD.
	for _, r := range s {
		if !unicode.IsSpace(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// printableASCII returns the length of the longest prefix of s made of
// bytes from '!' to 0x7f, which holds no space, eight bytes at a time: a
// verifier's cache looks for the key in s each time it is verified again.
func printableASCII(s string) int {
	const low, high = 0x2121212121212121, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		// A byte below '!' borrows in x-low, setting its high bit; a byte
		// from 0x80 has it set already. A borrow only ever starts at such
		// a byte, so the test is exact.
		if (x-low|x)&high != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= utf8.RuneSelf {
			break
		}
	}
	return i
}

func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// keyNameProblem enforces the key name alphabet, which keeps key IDs free
// of the separators '+' and whitespace. It returns what is wrong with
// name, without repeating it, or "" when name is a key name.
func keyNameProblem(name string) string {
	if name == "" || len(name) > 64 {
		return "must be 1 to 64 bytes"
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return "may hold only ASCII letters, digits, '.', '_' and '-'"
		}
	}
	return ""
}

// keyHash is the hash in a key ID: the first four bytes of
// SHA-256(name || "\n" || key).
func keyHash(name string, key []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n'})
	h.Write(key)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

func keyID(name string, hash uint32) string {
	return fmt.Sprintf("%s+%08x", name, hash)
}

// parseHash reads the 8 lower-case hex digits of a key ID's hash.
func parseHash(s string) (uint32, bool) {
	if len(s) != 8 {
		return 0, false
	}
	var h uint32
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			h = h<<4 | uint32(c-'0')
		case 'a' <= c && c <= 'f':
			h = h<<4 | uint32(c-'a'+10)
		default:
			return 0, false
		}
	}
	return h, true
}
