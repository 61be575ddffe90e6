package license_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/licensekit/license"
)

// BenchmarkVerifyCached verifies the key of BenchmarkVerify again and
// again with the default cache: a lookup and a copy of the license. The
// goal is at most 1/50 of BenchmarkVerify's ns/op in the same run.
func BenchmarkVerifyCached(b *testing.B) {
	sk := MustSigningKey(b, "acme-2026", "bench")
	benchVerifyAgain(b, MustVerifier(b, sk), MustSign(b, sk, fullLicense()))
}

// BenchmarkVerifyCachedFileForm is BenchmarkVerifyCached with the key in
// its file form, whose line breaks are removed before the lookup.
func BenchmarkVerifyCachedFileForm(b *testing.B) {
	sk := MustSigningKey(b, "acme-2026", "bench")
	benchVerifyAgain(b, MustVerifier(b, sk), string(license.FormatKeyFile(MustSign(b, sk, fullLicense()))))
}

// benchVerifyAgain verifies key once, then times verifying it again.
func benchVerifyAgain(b *testing.B, v *license.Verifier, key string) {
	if _, err := v.Verify(key); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(key); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyCachedEntries hits, in turn, each of n keys that a cache
// large enough holds: the cost per hit must not grow with n.
func BenchmarkVerifyCachedEntries(b *testing.B) {
	sk := MustSigningKey(b, "acme-2026", "bench")
	for _, n := range []int{100, 1_000, 10_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			v := verifierWith(b, license.VerifierConfig{CacheEntries: n, CacheBytes: n << 11}, sk)
			keys := make([]string, n)
			for i := range keys {
				keys[i] = MustSign(b, sk, numbered(i))
				if _, err := v.Verify(keys[i]); err != nil {
					b.Fatal(err)
				}
			}
			if got, _ := v.CacheLen(); got != n {
				b.Fatalf("the cache holds %d keys, want %d", got, n)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := v.Verify(keys[i]); err != nil {
					b.Fatal(err)
				}
				if i++; i == n {
					i = 0
				}
			}
		})
	}
}

// BenchmarkVerifyCachedOverVerify reports cached/verify, the cost of a
// cached verification as a fraction of one without the cache, timing the
// two alternately (a batch of cached ones per uncached one, so that the
// clock's own cost stays small) so that both see the same machine load.
// The goal is at most 0.02.
func BenchmarkVerifyCachedOverVerify(b *testing.B) {
	const batch = 64
	sk := MustSigningKey(b, "acme-2026", "bench")
	cached, plain := MustVerifier(b, sk), uncached(b, sk)
	key := MustSign(b, sk, fullLicense())
	if _, err := cached.Verify(key); err != nil {
		b.Fatal(err)
	}
	var inCached, inPlain time.Duration
	for b.Loop() {
		t0 := time.Now()
		for range batch {
			if _, err := cached.Verify(key); err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now()
		if _, err := plain.Verify(key); err != nil {
			b.Fatal(err)
		}
		inCached, inPlain = inCached+t1.Sub(t0), inPlain+time.Since(t1)
	}
	b.ReportMetric(float64(inCached)/batch/float64(inPlain), "cached/verify")
}
