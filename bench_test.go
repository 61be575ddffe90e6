package license_test

import (
	"crypto/ed25519"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/licensekit/license"
)

// The benchmarks below measure Verify against its floor, a bare Ed25519
// verification of a message of the same size; compare their ns/op from one
// run: go test -run '^$' -bench . -benchmem . BenchmarkVerifyOverEd25519
// alternates the two in one loop and reports their ratio, which drifts
// less than two separate benchmarks on a shared machine. They verify with
// the cache off, so that every iteration checks the signature;
// BenchmarkVerifyCached and its companions measure the cache.

func BenchmarkVerify(b *testing.B) {
	sk := MustSigningKey(b, "acme-2026", "bench")
	v := uncached(b, sk)
	key := MustSign(b, sk, fullLicense())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(key); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify1000Keys verifies with 1,000 trusted keys: the cost and
// the allocations must match BenchmarkVerify.
func BenchmarkVerify1000Keys(b *testing.B) {
	keys := []*license.SigningKey{MustSigningKey(b, "acme-2026", "bench")}
	for i := range 999 {
		keys = append(keys, MustSigningKey(b, fmt.Sprintf("k%d", i), fmt.Sprint(i)))
	}
	v := uncached(b, keys...)
	key := MustSign(b, keys[0], fullLicense())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(key); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEd25519Verify is the baseline: crypto/ed25519.Verify over a
// message as long as the part of a license key that Verify checks.
func BenchmarkEd25519Verify(b *testing.B) {
	sk := MustSigningKey(b, "acme-2026", "bench")
	key := MustSign(b, sk, fullLicense())
	msg := []byte(key[:strings.LastIndexByte(key, '.')])
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	sig := ed25519.Sign(priv, msg)
	b.ReportAllocs()
	for b.Loop() {
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("baseline signature does not verify")
		}
	}
}

func BenchmarkSign(b *testing.B) {
	sk := MustSigningKey(b, "acme-2026", "bench")
	l := fullLicense()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sk.Sign(l); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyOverEd25519 reports verify/ed25519, the cost of Verify as
// a multiple of the bare Ed25519 verification it contains, timing the two
// alternately so that both see the same machine load. The goal is at most
// 1.10.
func BenchmarkVerifyOverEd25519(b *testing.B) {
	sk := MustSigningKey(b, "acme-2026", "bench")
	v := uncached(b, sk)
	key := MustSign(b, sk, fullLicense())
	msg := []byte(key[:strings.LastIndexByte(key, '.')])
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	sig := ed25519.Sign(priv, msg)
	var inVerify, inEd25519 time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := v.Verify(key); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("baseline signature does not verify")
		}
		inVerify, inEd25519 = inVerify+t1.Sub(t0), inEd25519+time.Since(t1)
	}
	b.ReportMetric(float64(inVerify)/float64(inEd25519), "verify/ed25519")
}

// benchManager returns a Manager holding an active license with a few
// features, for the Check benchmarks.
func benchManager(b *testing.B) *license.Manager {
	h := newHarness(b, day("2026-01-01"))
	h.add(license.License{Edition: "enterprise", Scheme: license.SchemePerDevice, Quantity: 100,
		Features: []string{"backup", "dedup", "encryption", "replication", "restore"}, Term: 365 * license.Day})
	return h.m
}

// BenchmarkCheck is the guard an application calls on every request. The
// goal is at most 1/1000 of BenchmarkVerify, with no allocation.
func BenchmarkCheck(b *testing.B) {
	m := benchManager(b)
	b.ReportAllocs()
	for b.Loop() {
		if !m.Check("replication").Allowed {
			b.Fatal("denied")
		}
	}
}

// BenchmarkCheckFeatures checks the last of n features: the cost must
// not grow with the number of features a license grants. The goal is
// /100 within 1.5× of /1, with no allocation.
func BenchmarkCheckFeatures(b *testing.B) {
	for _, n := range []int{1, 10, 50, 100, 1000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			features := make([]string, n)
			for i := range features {
				features[i] = fmt.Sprintf("feature-%04d", i)
			}
			h := newHarness(b, day("2026-01-01"))
			h.add(license.License{Features: features, Term: 365 * license.Day})
			want := features[n-1]
			b.ReportAllocs()
			for b.Loop() {
				if !h.m.Check(want).Allowed {
					b.Fatal("denied")
				}
			}
		})
	}
}

// BenchmarkCheckParallel calls Check from every core at once: readers
// share no lock, so it scales.
func BenchmarkCheckParallel(b *testing.B) {
	m := benchManager(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if !m.Check("replication").Allowed {
				b.Error("denied")
				return
			}
		}
	})
}
