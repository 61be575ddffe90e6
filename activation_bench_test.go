package license_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
)

// BenchmarkManagerAcceptCertificate is what a Manager's check-in costs
// beside the network: AddCertificate of a refreshed certificate of the
// activation it holds, which verifies it, checks the device, evaluates
// and saves the state (to a MemoryStore). The goal: at most 1.2×
// BenchmarkVerify, one license key's verification, in the same run.
func BenchmarkManagerAcceptCertificate(b *testing.B) {
	m, texts := acceptBench(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for _, text := range texts {
		if _, err := m.AddCertificate(ctx, text); err != nil {
			b.Fatal(err)
		}
	}
}

// acceptBench returns a Manager on device pc-0042, without a verification
// cache, that holds a certificate, and b.N certificates of its
// activation, each newer than the last.
func acceptBench(b *testing.B) (*license.Manager, []string) {
	b.Helper()
	sk := MustSigningKey(b, "acme.example", "bench")
	clk := clock.NewMock()
	clk.Set(day("2026-02-10"))
	m, err := license.NewManager(context.Background(), license.ManagerConfig{
		Verifier: uncached(b, sk), Clock: clk, Fingerprint: "pc-0042",
	})
	if err != nil {
		b.Fatal(err)
	}
	base := sampleCertificate()
	base.Licenses = base.Licenses[:1]
	texts := make([]string, b.N+1)
	for i := range texts {
		c := *base
		c.Issued = base.Issued.Add(time.Duration(i) * time.Microsecond)
		if texts[i], err = sk.SignCertificate(&c); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := m.AddCertificate(context.Background(), texts[0]); err != nil {
		b.Fatal(err)
	}
	return m, texts[1:]
}

// BenchmarkVerifyRevocationList verifies a license key with a revocation
// list of n licenses loaded: a lookup in a sorted list, so the cost
// barely grows with n and stays that of BenchmarkVerify.
func BenchmarkVerifyRevocationList(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			sk := MustSigningKey(b, "acme-2026", "bench")
			v := uncached(b, sk)
			if err := v.LoadRevocationList(revokedList(b, sk, n)); err != nil {
				b.Fatal(err)
			}
			key := MustSign(b, sk, fullLicense())
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLoadRevocationList loads a list of n revoked licenses into a
// Manager's installation: verifying it grows with its size, applying it
// with the number of licenses held.
func BenchmarkLoadRevocationList(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				h := newHarness(b, day("2026-01-01"))
				text := revokedList(b, h.sk, n)
				b.StartTimer()
				if err := h.m.LoadRevocationList(h.ctx, text); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// revokedList returns a revocation list of n licenses, signed by sk.
func revokedList(tb testing.TB, sk *license.SigningKey, n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("SN-%08d", i)
	}
	return mustList(tb, sk, 1, license.RevocationList{Licenses: ids})
}

// BenchmarkManagerAcceptCertificateOverVerify reports accept/verify: the
// cost of BenchmarkManagerAcceptCertificate's AddCertificate as a
// multiple of Verify of one license key, timing the two alternately so
// that both see the same machine load. The goal is at most 1.2.
func BenchmarkManagerAcceptCertificateOverVerify(b *testing.B) {
	m, texts := acceptBench(b)
	sk := MustSigningKey(b, "acme.example", "bench")
	v := uncached(b, sk)
	key := MustSign(b, sk, fullLicense())
	ctx := context.Background()
	var inAccept, inVerify time.Duration
	b.ResetTimer()
	for _, text := range texts {
		t0 := time.Now()
		if _, err := m.AddCertificate(ctx, text); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := v.Verify(key); err != nil {
			b.Fatal(err)
		}
		inAccept, inVerify = inAccept+t1.Sub(t0), inVerify+time.Since(t1)
	}
	b.ReportMetric(float64(inAccept)/float64(inVerify), "accept/verify")
}
