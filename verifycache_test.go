package license_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
)

// verifierWith returns a verifier trusting the verifying keys of sks, with
// cfg's cache bounds.
func verifierWith(tb testing.TB, cfg license.VerifierConfig, sks ...*license.SigningKey) *license.Verifier {
	tb.Helper()
	for _, sk := range sks {
		cfg.Keys = append(cfg.Keys, sk.VerifyingKey())
	}
	v, err := license.NewVerifierWithConfig(cfg)
	if err != nil {
		tb.Fatalf("NewVerifierWithConfig: %v", err)
	}
	return v
}

// uncached returns a verifier trusting the verifying keys of sks, with no
// cache: every Verify checks the signature.
func uncached(tb testing.TB, sks ...*license.SigningKey) *license.Verifier {
	return verifierWith(tb, license.VerifierConfig{CacheEntries: -1}, sks...)
}

// numbered returns a license like fullLicense with serial number i.
func numbered(i int) *license.License {
	l := fullLicense()
	l.ID = fmt.Sprintf("SN-%06d", i)
	return l
}

// K2: a license key verified from the cache gives the same license as a
// verification without it, in its one-line and file forms, which share an
// entry.
func TestVerifierCache_K2_SameLicenseAsUncached(t *testing.T) {
	sk := MustSigningKey(t, "acme", "cache")
	minimal := &license.License{ID: "SN-1", Product: "acme-backup", IssuedAt: day("2026-01-01")}
	for name, l := range map[string]*license.License{"full": fullLicense(), "minimal": minimal, "term": termLicense()} {
		t.Run(name, func(t *testing.T) {
			key := MustSign(t, sk, l)
			want, err := uncached(t, sk).Verify(key)
			require.NoError(t, err)
			v := MustVerifier(t, sk)
			for i, text := range []string{key, key, string(license.FormatKeyFile(key)), " " + key + "\n"} {
				got, err := v.Verify(text)
				require.NoError(t, err, "verification %d", i)
				assert.Empty(t, cmp.Diff(want, got), "verification %d", i)
				assert.True(t, v.Cached(key), "verification %d", i)
				n, _ := v.CacheLen()
				assert.Equal(t, 1, n, "whitespace makes no second entry")
			}
		})
	}
}

// K2: a retired signer is rejected with ErrRetiredSigner also for the keys
// the verifier had verified, and remembered, before; Retire forgets them,
// and leaves the other signers' keys.
func TestVerifierCache_K2_RetiredSignerNeverServed(t *testing.T) {
	old, cur := MustSigningKey(t, "acme-2025", "old"), MustSigningKey(t, "acme-2026", "new")
	v := MustVerifier(t, old, cur)
	oldKey, curKey := MustSign(t, old, fullLicense()), MustSign(t, cur, fullLicense())
	for range 2 {
		_, err := v.Verify(oldKey)
		require.NoError(t, err)
		_, err = v.Verify(curKey)
		require.NoError(t, err)
	}
	require.True(t, v.Cached(oldKey))

	require.NoError(t, v.Retire(old.KeyID()))
	assert.False(t, v.Cached(oldKey), "Retire forgets the retired signer's keys")
	assert.True(t, v.Cached(curKey), "and keeps the others'")
	for _, text := range []string{oldKey, string(license.FormatKeyFile(oldKey))} {
		l, err := v.Verify(text)
		assert.Nil(t, l)
		require.ErrorIs(t, err, license.ErrRetiredSigner)
		var se *license.SignerError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, old.KeyID(), se.KeyID)
	}
	assert.False(t, v.Cached(oldKey), "a failure is not remembered")
	_, err := v.Verify(curKey)
	assert.NoError(t, err)
}

// The cache never holds more than its bounds, however many different keys
// verify, and a key it forgot still verifies.
func TestVerifierCache_Bounded(t *testing.T) {
	sk := MustSigningKey(t, "acme", "bound")
	keys := make([]string, 300)
	for i := range keys {
		keys[i] = MustSign(t, sk, numbered(i))
	}
	for _, tc := range []struct {
		name       string
		cfg        license.VerifierConfig
		maxEntries int
		endEntries int // the entries held at the end; 0: not checked
	}{
		{"entries", license.VerifierConfig{CacheEntries: 16}, 16, 16},
		{"bytes", license.VerifierConfig{CacheBytes: 20_000}, 300, 0},
		{"default", license.VerifierConfig{}, 1024, 300},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := verifierWith(t, tc.cfg, sk)
			maxBytes := tc.cfg.CacheBytes
			if maxBytes == 0 {
				maxBytes = 4 << 20
			}
			for round := range 2 {
				for i, key := range keys {
					l, err := v.Verify(key)
					require.NoError(t, err)
					require.Equal(t, numbered(i).ID, l.ID)
					n, size := v.CacheLen()
					require.LessOrEqual(t, n, tc.maxEntries, "round %d, key %d", round, i)
					require.LessOrEqual(t, size, maxBytes, "round %d, key %d", round, i)
					require.Positive(t, n)
				}
			}
			n, size := v.CacheLen()
			t.Logf("%d entries, %d bytes", n, size)
			if tc.endEntries != 0 {
				assert.Equal(t, tc.endEntries, n)
			}
		})
	}
}

// A key that counts for more than the byte bound verifies, uncached.
func TestVerifierCache_KeyLargerThanBoundNotCached(t *testing.T) {
	sk := MustSigningKey(t, "acme", "big")
	v := verifierWith(t, license.VerifierConfig{CacheBytes: 1000}, sk)
	l := fullLicense()
	l.Custom["blob"] = strings.Repeat("x", 2000)
	key := MustSign(t, sk, l)
	for range 2 {
		got, err := v.Verify(key)
		require.NoError(t, err)
		assert.Equal(t, l.Custom, got.Custom)
	}
	n, _ := v.CacheLen()
	assert.Zero(t, n)
}

// A negative bound turns the cache off.
func TestVerifierCache_Off(t *testing.T) {
	sk := MustSigningKey(t, "acme", "off")
	key := MustSign(t, sk, fullLicense())
	for _, cfg := range []license.VerifierConfig{{CacheEntries: -1}, {CacheBytes: -1}} {
		v := verifierWith(t, cfg, sk)
		for range 2 {
			_, err := v.Verify(key)
			require.NoError(t, err)
		}
		assert.False(t, v.Cached(key))
	}
}

// Changing a License that Verify returned changes nothing that a later
// Verify returns, whether the first came from the cache or not.
func TestVerifierCache_ReturnsCopies(t *testing.T) {
	sk := MustSigningKey(t, "acme", "copy")
	key := MustSign(t, sk, fullLicense())
	v := MustVerifier(t, sk)
	want, err := uncached(t, sk).Verify(key)
	require.NoError(t, err)
	for i := range 3 {
		got, err := v.Verify(key)
		require.NoError(t, err)
		require.Empty(t, cmp.Diff(want, got), "verification %d", i)
		got.ID = "SN-FORGED"
		got.Features[0] = "everything"
		got.Features = append(got.Features, "more")
		got.Custom["po"] = "changed"
		got.Custom["new"] = "added"
		got.Quantity = 1 << 20
	}
}

// Only keys that verify are remembered: a flood of texts that fail
// (garbage, forged signatures, unknown signers) adds nothing and evicts
// nothing.
func TestVerifierCache_K2_FailuresNeverEvict(t *testing.T) {
	trusted, impostor := MustSigningKey(t, "acme", "real"), MustSigningKey(t, "acme", "fake")
	v := verifierWith(t, license.VerifierConfig{CacheEntries: 4}, trusted)
	var good []string
	for i := range 4 {
		key := MustSign(t, trusted, numbered(i))
		good = append(good, key)
		_, err := v.Verify(key)
		require.NoError(t, err)
	}
	for i := range 50 {
		unknown := MustSign(t, impostor, numbered(100+i))
		forged := strings.Replace(unknown, impostor.KeyID(), trusted.KeyID(), 1)
		for _, text := range []string{unknown, forged, fmt.Sprintf("LK1.garbage-%d", i)} {
			_, err := v.Verify(text)
			require.Error(t, err)
			_, err = v.Verify(text)
			require.Error(t, err, "a failure is not remembered as a success")
		}
	}
	n, _ := v.CacheLen()
	assert.Equal(t, 4, n)
	for _, key := range good {
		assert.True(t, v.Cached(key))
	}
}

// K2: concurrent verifications, through a cache too small for the keys so
// that it evicts all the time, and a Retire in the middle: every result is
// right, and after Retire returns the retired signer's keys fail. Run with
// -race.
func TestVerifierCache_K2_Concurrent(t *testing.T) {
	a, b := MustSigningKey(t, "a", "a"), MustSigningKey(t, "b", "b")
	v := verifierWith(t, license.VerifierConfig{CacheEntries: 5}, a, b)
	var ka, kb []string
	for i := range 8 {
		ka = append(ka, MustSign(t, a, numbered(i)))
		kb = append(kb, MustSign(t, b, numbered(i)))
	}
	retired := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for round := range 40 {
				i := (g + round) % len(ka)
				if l, err := v.Verify(kb[i]); err != nil || l.ID != numbered(i).ID {
					t.Errorf("b %d: %v", i, err)
				}
				select {
				case <-retired:
					if _, err := v.Verify(ka[i]); !errors.Is(err, license.ErrRetiredSigner) {
						t.Errorf("a %d after Retire: %v", i, err)
					}
				default:
					l, err := v.Verify(ka[i])
					if err == nil && l.ID != numbered(i).ID || err != nil && !errors.Is(err, license.ErrRetiredSigner) {
						t.Errorf("a %d: %v", i, err)
					}
				}
				if g == 0 && round == 20 {
					if err := v.Retire(a.KeyID()); err != nil {
						t.Error(err)
					}
					close(retired)
				}
			}
		})
	}
	wg.Wait()
	for _, key := range ka {
		_, err := v.Verify(key)
		assert.ErrorIs(t, err, license.ErrRetiredSigner)
	}
}
