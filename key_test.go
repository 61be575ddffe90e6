package license_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
	"github.com/licensekit/license/internal/leaktest"
	"github.com/licensekit/license/portal"
)

// K1, L1: every field survives signing and verification.
func TestVerify_K1_RoundTrip(t *testing.T) {
	sk := MustSigningKey(t, "acme-2026", "round trip")
	v := MustVerifier(t, sk)
	for _, want := range []*license.License{fullLicense(), termLicense()} {
		key := MustSign(t, sk, want)
		assert.True(t, strings.HasPrefix(key, "LK1.acme-2026+"), key)
		got, err := v.Verify(key)
		require.NoError(t, err)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Verify (-signed +verified):\n%s", diff)
		}
	}
}

// K1: signing is deterministic, and the canonical encoding does not depend
// on the order of features or on the zone of instants.
func TestSign_K1_Canonical(t *testing.T) {
	sk := MustSigningKey(t, "acme", "canonical")
	a := fullLicense()
	b := fullLicense()
	b.Features = []string{"replication", "dedup", "encryption"}
	b.IssuedAt = b.IssuedAt.In(time.FixedZone("X", -5*3600))
	assert.Equal(t, MustSign(t, sk, a), MustSign(t, sk, b))

	da, err := a.Digest()
	require.NoError(t, err)
	db, err := b.Digest()
	require.NoError(t, err)
	assert.Equal(t, da, db)
	b.ID = "SN-0002-2026"
	dc, err := b.Digest()
	require.NoError(t, err)
	assert.NotEqual(t, da, dc)
}

// K1: a license's identity is the hash of the signed payload: the same
// license signed by two keys has one Digest.
func TestLicense_K1_DigestIgnoresSigner(t *testing.T) {
	old, cur := MustSigningKey(t, "acme-2025", "old"), MustSigningKey(t, "acme-2026", "new")
	v := MustVerifier(t, old, cur)
	l1, err := v.Verify(MustSign(t, old, fullLicense()))
	require.NoError(t, err)
	l2, err := v.Verify(MustSign(t, cur, fullLicense()))
	require.NoError(t, err)
	d1, _ := l1.Digest()
	d2, _ := l2.Digest()
	assert.Equal(t, d1, d2)
	assert.Len(t, d1.String(), 64)
	_, err = (&license.License{}).Digest()
	assert.ErrorIs(t, err, license.ErrInvalidLicense)
}

// K2: several keys can be trusted at once; the key ID selects one; unknown
// and retired signers fail with their own errors.
func TestVerifier_K2_RotationUnknownAndRetired(t *testing.T) {
	old, cur, other := MustSigningKey(t, "acme-2025", "old"), MustSigningKey(t, "acme-2026", "new"), MustSigningKey(t, "globex", "g")
	v := MustVerifier(t, old, cur)
	oldKey, curKey := MustSign(t, old, fullLicense()), MustSign(t, cur, fullLicense())
	_, err := v.Verify(oldKey)
	require.NoError(t, err)
	_, err = v.Verify(curKey)
	require.NoError(t, err)

	_, err = v.Verify(MustSign(t, other, fullLicense()))
	assert.ErrorIs(t, err, license.ErrUnknownSigner)
	var se *license.SignerError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, other.KeyID(), se.KeyID)

	require.NoError(t, v.Retire(old.KeyID()))
	_, err = v.Verify(oldKey)
	assert.ErrorIs(t, err, license.ErrRetiredSigner)
	require.ErrorAs(t, err, &se)
	assert.Equal(t, old.KeyID(), se.KeyID)
	_, err = v.Verify(curKey)
	assert.NoError(t, err, "retiring one key leaves the others")

	err = v.Retire(other.KeyID())
	assert.ErrorIs(t, err, license.ErrUnknownSigner)
}

// K2: a key signed by an untrusted key that carries the trusted key's name
// fails, whether it keeps its own key ID or claims the trusted one.
func TestVerify_K2_ImpostorWithTrustedName(t *testing.T) {
	trusted, impostor := MustSigningKey(t, "acme", "real"), MustSigningKey(t, "acme", "fake")
	require.Equal(t, trusted.VerifyingKey().Name(), impostor.VerifyingKey().Name())
	require.NotEqual(t, trusted.KeyID(), impostor.KeyID())
	v := MustVerifier(t, trusted)

	forged := MustSign(t, impostor, fullLicense())
	_, err := v.Verify(forged)
	assert.ErrorIs(t, err, license.ErrUnknownSigner)

	claimed := strings.Replace(forged, impostor.KeyID(), trusted.KeyID(), 1)
	_, err = v.Verify(claimed)
	assert.ErrorIs(t, err, license.ErrBadSignature)
}

func TestNewVerifier_K2_Errors(t *testing.T) {
	_, err := license.NewVerifier()
	assert.ErrorIs(t, err, license.ErrNoVerifyingKeys)
	_, err = license.NewVerifier(license.VerifyingKey{})
	assert.ErrorIs(t, err, license.ErrMalformedVerifyingKey)
	sk := MustSigningKey(t, "acme", "dup")
	v, err := license.NewVerifier(sk.VerifyingKey(), sk.VerifyingKey())
	require.NoError(t, err, "the same key twice is trusted once")
	_, err = v.Verify(MustSign(t, sk, fullLicense()))
	assert.NoError(t, err)
}

// verifyFails reports whether key fails to verify with one of the typed
// verification errors.
func verifyFails(v *license.Verifier, key string) error {
	_, err := v.Verify(key)
	if err == nil {
		return errors.New("verified")
	}
	for _, want := range []error{license.ErrMalformedKey, license.ErrUnsupportedVersion,
		license.ErrUnknownSigner, license.ErrRetiredSigner, license.ErrBadSignature} {
		if errors.Is(err, want) {
			return nil
		}
	}
	return fmt.Errorf("untyped error %v", err)
}

// K3: every truncation of a valid key fails with a typed error.
func TestVerify_K3_EveryTruncationFails(t *testing.T) {
	sk := MustSigningKey(t, "acme.example", "truncate")
	v := MustVerifier(t, sk)
	key := MustSign(t, sk, fullLicense())
	for i := range len(key) {
		if err := verifyFails(v, key[:i]); err != nil {
			t.Fatalf("key[:%d]: %v", i, err)
		}
		if err := verifyFails(v, key[i+1:]); err != nil {
			t.Fatalf("key[%d:]: %v", i+1, err)
		}
	}
}

// K3: every single-character change of a valid key, at every position,
// fails with a typed error: payload, signature, key ID and version alike.
func TestVerify_K3_EverySingleCharacterChangeFails(t *testing.T) {
	sk := MustSigningKey(t, "acme-2026", "mutate")
	v := MustVerifier(t, sk)
	key := MustSign(t, sk, termLicense())
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.+= \n/\x00é"
	var tried int
	for i := range len(key) {
		for _, r := range alphabet {
			repl := string(r)
			if key[i:i+1] == repl {
				continue
			}
			mutated := key[:i] + repl + key[i+1:]
			tried++
			if err := verifyFails(v, mutated); err != nil {
				t.Fatalf("position %d changed to %q: %v", i, repl, err)
			}
		}
	}
	t.Logf("%d mutations of a %d-character key, all rejected", tried, len(key))
}

// K3: the parts of a key fail with the error that names them.
func TestVerify_K3_TypedErrorPerPart(t *testing.T) {
	sk := MustSigningKey(t, "acme", "parts")
	v := MustVerifier(t, sk)
	key := MustSign(t, sk, fullLicense())
	parts := strings.Split(key, ".")
	require.Len(t, parts, 4)
	sig := parts[3]
	flip := func(s string, i int) string {
		c := byte('A')
		if s[i] == 'A' {
			c = 'B'
		}
		return s[:i] + string(c) + s[i+1:]
	}
	for _, tc := range []struct {
		name string
		key  string
		want error
	}{
		{"Version", "LK2" + key[3:], license.ErrUnsupportedVersion},
		{"VersionLeadingZero", "LK01" + key[3:], license.ErrMalformedKey},
		{"Prefix", "XK1" + key[3:], license.ErrMalformedKey},
		{"KeyIDHash", strings.Replace(key, sk.KeyID(), sk.VerifyingKey().Name()+"+00000000", 1), license.ErrUnknownSigner},
		{"KeyIDHashUpperCase", strings.Replace(key, sk.KeyID(), strings.ToUpper(sk.KeyID()), 1), license.ErrMalformedKey},
		{"Payload", strings.Join([]string{parts[0], parts[1], flip(parts[2], 10), sig}, "."), license.ErrBadSignature},
		{"Signature", strings.Join([]string{parts[0], parts[1], parts[2], flip(sig, 5)}, "."), license.ErrBadSignature},
		{"SignaturePaddingBits", strings.Join([]string{parts[0], parts[1], parts[2], sig[:len(sig)-1] + nonCanonicalLast(sig)}, "."), license.ErrMalformedKey},
		{"SignatureShort", key[:len(key)-1], license.ErrMalformedKey},
		{"NoSignature", strings.Join(parts[:3], "."), license.ErrMalformedKey},
		{"Empty", "", license.ErrMalformedKey},
		{"TooLong", strings.Repeat(" ", license.MaxKeySize+1), license.ErrMalformedKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(tc.key)
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

// nonCanonicalLast returns a replacement for the last character of an
// unpadded base64url signature that decodes to the same bytes with
// non-zero padding bits: a lax decoder would accept it.
func nonCanonicalLast(sig string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, sig[len(sig)-1])
	return string(alphabet[i|1]) // 64 bytes end with 4 data bits and 2 padding bits
}

// K3: the Ed25519 malleability vector, S + ℓ, is rejected.
func TestVerify_K3_SignatureMalleability(t *testing.T) {
	sk := MustSigningKey(t, "acme", "malleable")
	v := MustVerifier(t, sk)
	key := MustSign(t, sk, fullLicense())
	dot := strings.LastIndexByte(key, '.')
	sig, err := base64.RawURLEncoding.DecodeString(key[dot+1:])
	require.NoError(t, err)

	// ℓ = 2^252 + 27742317777372353535851937790883648493, little-endian.
	ell := [32]byte{0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}
	var carry uint16
	for i := range 32 {
		sum := uint16(sig[32+i]) + uint16(ell[i]) + carry
		sig[32+i], carry = byte(sum), sum>>8
	}
	require.Zero(t, carry, "S + ℓ fits in 32 bytes")
	malleated := key[:dot+1] + base64.RawURLEncoding.EncodeToString(sig)
	require.NotEqual(t, key, malleated)
	_, err = v.Verify(malleated)
	assert.ErrorIs(t, err, license.ErrBadSignature)
}

// K4: whitespace and line breaks anywhere are ignored; the file form
// verifies; the prefix is recognisable.
func TestVerify_K4_WhitespaceAndFileForm(t *testing.T) {
	sk := MustSigningKey(t, "acme", "email")
	v := MustVerifier(t, sk)
	want := fullLicense()
	key := MustSign(t, sk, want)
	file := license.FormatKeyFile(key)
	lines := strings.Split(strings.TrimSuffix(string(file), "\n"), "\n")
	require.Greater(t, len(lines), 3)
	for _, line := range lines {
		assert.LessOrEqual(t, len(line), 64)
	}
	assert.True(t, strings.HasPrefix(key, "LK1."))

	for name, text := range map[string]string{
		"File":         string(file),
		"CRLF":         strings.ReplaceAll(string(file), "\n", "\r\n"),
		"Indented":     "    " + strings.Join(lines, "\n    ") + "\n",
		"Spaces":       strings.Join(strings.Split(key, ""), " "),
		"NoBreakSpace": "\u00a0" + key[:20] + "\u2003" + key[20:] + "\t",
	} {
		got, err := v.Verify(text)
		if assert.NoError(t, err, name) {
			assert.True(t, cmp.Equal(want, got), name)
		}
	}
}

// K1, K3: a payload that was signed but does not decode strictly is
// malformed, never half-read.
func TestDecodeUnverified(t *testing.T) {
	sk := MustSigningKey(t, "acme", "inspect")
	key := MustSign(t, sk, fullLicense())
	l, id, err := license.DecodeUnverified(key)
	require.NoError(t, err)
	assert.Equal(t, sk.KeyID(), id)
	assert.Equal(t, "SN-0001-2026", l.ID)
	_, _, err = license.DecodeUnverified(key[:40])
	assert.ErrorIs(t, err, license.ErrMalformedKey)
}

func TestVerifyingKey_TextForm(t *testing.T) {
	sk := MustSigningKey(t, "acme-2026", "text")
	vk := sk.VerifyingKey()
	text := vk.String()
	parts := strings.SplitN(text, "+", 3)
	require.Len(t, parts, 3)
	assert.Equal(t, "acme-2026", parts[0])
	assert.Regexp(t, "^[0-9a-f]{8}$", parts[1])
	assert.Equal(t, "acme-2026+"+parts[1], vk.KeyID())

	got, err := license.ParseVerifyingKey("  " + text + "\n")
	require.NoError(t, err)
	assert.Equal(t, vk, got)

	b, err := vk.MarshalText()
	require.NoError(t, err)
	var back license.VerifyingKey
	require.NoError(t, back.UnmarshalText(b))
	assert.Equal(t, vk, back)

	key64 := parts[2]
	raw, err := base64.StdEncoding.DecodeString(key64)
	require.NoError(t, err)
	for name, bad := range map[string]string{
		"Empty":         "",
		"NoHash":        "acme-2026",
		"BadHash":       "acme-2026+xyz+" + key64,
		"UpperHash":     "acme-2026+" + strings.ToUpper(parts[1]) + "+" + key64,
		"OtherName":     "acme-2027+" + parts[1] + "+" + key64,
		"BadBase64":     parts[0] + "+" + parts[1] + "+!!!!",
		"Short31":       parts[0] + "+" + parts[1] + "+" + base64.StdEncoding.EncodeToString(raw[:31]),
		"Long33":        parts[0] + "+" + parts[1] + "+" + base64.StdEncoding.EncodeToString(append(raw, 0)),
		"SigningKey":    sk.Export(),
		"NameWithSpace": "ac me+" + parts[1] + "+" + key64,
	} {
		_, err := license.ParseVerifyingKey(bad)
		if !errors.Is(err, license.ErrMalformedVerifyingKey) && !errors.Is(err, license.ErrInvalidKeyName) {
			t.Errorf("%s: got %v, want a typed error", name, err)
		}
		if name == "SigningKey" {
			assert.NotContains(t, err.Error(), key64[:10])
			assert.NotContains(t, err.Error(), sk.Export()[len("LICENSEKIT+PRIVATE+KEY+"):])
		}
	}
	var k license.VerifyingKey
	assert.Error(t, k.UnmarshalText([]byte("nonsense")))
	assert.Equal(t, license.VerifyingKey{}, k, "a failed UnmarshalText changes nothing")
}

func TestSigningKey_ExportParseAndRedaction(t *testing.T) {
	sk := MustSigningKey(t, "acme", "secret")
	secret := sk.Export()
	assert.True(t, strings.HasPrefix(secret, "LICENSEKIT+PRIVATE+KEY+acme+"))
	back, err := license.ParseSigningKey(secret + "\n")
	require.NoError(t, err)
	assert.Equal(t, sk.VerifyingKey(), back.VerifyingKey())
	assert.Equal(t, MustSign(t, sk, fullLicense()), MustSign(t, back, fullLicense()))

	seed := secret[strings.LastIndexByte(secret, '+')+1:]
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("loaded", "key", sk)
	for _, shown := range []string{fmt.Sprint(sk), fmt.Sprintf("%v %+v %#v %s", sk, sk, sk, sk), logged.String()} {
		assert.NotContains(t, shown, seed)
		assert.Contains(t, shown, sk.KeyID())
	}

	for name, bad := range map[string]string{
		"Empty":        "",
		"VerifyingKey": sk.VerifyingKey().String(),
		"BadSeed":      "LICENSEKIT+PRIVATE+KEY+acme+" + sk.KeyID()[5:] + "+AAAA",
		"WrongHash":    "LICENSEKIT+PRIVATE+KEY+acme+00000000+" + seed,
		"WrongName":    "LICENSEKIT+PRIVATE+KEY+acmf+" + sk.KeyID()[5:] + "+" + seed,
		"Parts":        "LICENSEKIT+PRIVATE+KEY+acme",
	} {
		_, err := license.ParseSigningKey(bad)
		assert.ErrorIs(t, err, license.ErrMalformedSigningKey, name)
		if err != nil {
			assert.NotContains(t, err.Error(), seed, name)
		}
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }

func TestGenerateSigningKey_Errors(t *testing.T) {
	_, err := license.GenerateSigningKey("acme", failingReader{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "entropy exhausted")

	_, err = license.GenerateSigningKey("acme", bytes.NewReader(make([]byte, 31)))
	assert.Error(t, err, "a short random source is an error")

	for _, name := range []string{"", "a+b", "a b", "é", strings.Repeat("n", 65), "a\nb"} {
		_, err := license.GenerateSigningKey(name, nil)
		assert.ErrorIs(t, err, license.ErrInvalidKeyName, "%q", name)
	}
	k, err := license.GenerateSigningKey("acme.example_2026-1", nil)
	require.NoError(t, err)
	assert.Len(t, k.VerifyingKey().String(), len("acme.example_2026-1+12345678+")+44)
}

// K2: a Verifier is safe for concurrent use, Retire included.
func TestVerifier_K2_Concurrent(t *testing.T) {
	a, b := MustSigningKey(t, "a", "a"), MustSigningKey(t, "b", "b")
	v := MustVerifier(t, a, b)
	ka, kb := MustSign(t, a, fullLicense()), MustSign(t, b, fullLicense())
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 20 {
				if _, err := v.Verify(kb); err != nil {
					t.Errorf("b: %v", err)
				}
				_, err := v.Verify(ka)
				if err != nil && !errors.Is(err, license.ErrRetiredSigner) {
					t.Errorf("a: %v", err)
				}
				if i == 0 {
					_ = v.Retire(a.KeyID())
				}
			}
		})
	}
	wg.Wait()
	_, err := v.Verify(ka)
	assert.ErrorIs(t, err, license.ErrRetiredSigner)
}

// The verifier's cost must not grow with the number of trusted keys: a
// fixed, small number of allocations per verification, measured with the
// cache off so that each one checks the signature.
func TestVerify_AllocationsAreFewAndFixed(t *testing.T) {
	sk := MustSigningKey(t, "acme", "allocs")
	key := MustSign(t, sk, fullLicense())
	one := uncached(t, sk)
	keys := []*license.SigningKey{sk}
	for i := range 999 {
		keys = append(keys, MustSigningKey(t, fmt.Sprintf("k%d", i), fmt.Sprint(i)))
	}
	many := uncached(t, keys...)
	allocs := func(v *license.Verifier) float64 {
		return testing.AllocsPerRun(50, func() {
			if _, err := v.Verify(key); err != nil {
				t.Fatal(err)
			}
		})
	}
	a1, a1000 := allocs(one), allocs(many)
	t.Logf("allocations per Verify: %v with 1 trusted key, %v with 1000", a1, a1000)
	assert.LessOrEqual(t, a1, 20.0)
	assert.Equal(t, a1, a1000)
}

func TestZeroValues_FailWithoutPanic(t *testing.T) {
	var sk license.SigningKey
	_, err := sk.Sign(fullLicense())
	assert.ErrorIs(t, err, license.ErrMalformedSigningKey)
	var nilKey *license.SigningKey
	_, err = nilKey.Sign(fullLicense())
	assert.ErrorIs(t, err, license.ErrMalformedSigningKey)

	var v license.Verifier
	_, err = v.Verify(MustSign(t, MustSigningKey(t, "acme", "zero"), fullLicense()))
	assert.ErrorIs(t, err, license.ErrUnknownSigner)
	assert.ErrorIs(t, v.Retire("acme+00000000"), license.ErrUnknownSigner)
}

// K4: no error of a key parser repeats any piece of a signing key, in
// whatever form it is given where it does not belong: its text, the text
// without its prefix, the bare seed in base64 (standard, unpadded,
// URL-safe) or hex, or the whole private key in base64. A seed holds '+'
// in its base64, which once made its pieces pass for a key's name or hash,
// quoted back in the error.
func TestKeyParsers_K4_NeverRepeatASigningKey(t *testing.T) {
	v := MustVerifier(t, MustSigningKey(t, "acme-2026", "trusted"))
	parsers := map[string]func(string) error{
		"ParseVerifyingKey": func(s string) error { _, err := license.ParseVerifyingKey(s); return err },
		"ParseSigningKey":   func(s string) error { _, err := license.ParseSigningKey(s); return err },
		"UnmarshalText":     func(s string) error { var k license.VerifyingKey; return k.UnmarshalText([]byte(s)) },
		"Verify":            func(s string) error { _, err := v.Verify(s); return err },
		"DecodeUnverified":  func(s string) error { _, _, err := license.DecodeUnverified(s); return err },
		"ParseCode":         func(s string) error { _, err := portal.ParseCode(s); return err },
		"ParseVerifyingKeys": func(s string) error {
			_, err := license.ParseVerifyingKeys("# trusted\n" + s + "\n")
			return err
		},
		"VerifyingKeysFromEnv": func(s string) error {
			t.Setenv("LICENSEKIT_TEST_LEAK", s)
			_, err := license.VerifyingKeysFromEnv("LICENSEKIT_TEST_LEAK")
			return err
		},
	}
	leaks, leakyKeys := 0, 0
	for _, s := range leaktest.Secrets(1000, 4) {
		leaky := false
		for form, text := range s.Forms {
			for name, parse := range parsers {
				err := parse(text)
				if err == nil {
					if name == "ParseSigningKey" && form == "text" {
						continue
					}
					t.Fatalf("%s accepted a signing key's %s form", name, form)
				}
				if piece, ok := s.Leak(err.Error()); ok {
					if leaks++; leaks <= 5 {
						t.Errorf("%s(%s form): error repeats %q of the secret: %v", name, form, piece, err)
					}
					leaky = true
				}
			}
		}
		if leaky {
			leakyKeys++
		}
		var log bytes.Buffer
		slog.New(slog.NewTextHandler(&log, nil)).Info("loaded", "key", s.Key)
		slog.New(slog.NewJSONHandler(&log, nil)).Info("loaded", "key", s.Key)
		fmt.Fprintf(&log, "%v %+v %#v %s %q", s.Key, s.Key, s.Key, s.Key, s.Key)
		if piece, ok := s.Leak(log.String()); ok {
			t.Fatalf("a log line or formatted key repeats %q of the secret: %s", piece, log.String())
		}
	}
	if leaks > 0 {
		t.Errorf("%d errors repeat a piece of the secret, for %d of 1000 keys", leaks, leakyKeys)
	}
}
