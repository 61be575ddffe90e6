package license_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/licensekit/license"
)

// sampleCertificate returns a certificate of two licenses for device
// "pc-0042", issued on 2026-02-01 for 30 days.
func sampleCertificate() *license.Certificate {
	return &license.Certificate{
		ID:               "act-7f3a",
		Licenses:         []*license.License{termLicense(), fullLicense()},
		Fingerprint:      "pc-0042",
		Activated:        day("2026-01-20"),
		Issued:           day("2026-02-01"),
		NotAfter:         day("2026-03-03"),
		RevocationSerial: 7,
	}
}

// A1: a certificate signed by the vendor's key reads back as it was
// made, its licenses in order of ID, and holds on its device until
// NotAfter; A2: on another device it grants nothing.
func TestCertificate_A1_A2_SignVerifyCheck(t *testing.T) {
	sk := MustSigningKey(t, "acme.example", "cert")
	v := MustVerifier(t, sk)
	c := sampleCertificate()
	text, err := sk.SignCertificate(c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, "LC1.acme.example+") {
		t.Fatalf("certificate text %q", text[:20])
	}
	got, err := v.VerifyCertificate(text)
	if err != nil {
		t.Fatal(err)
	}
	want := sampleCertificate()
	want.Licenses = []*license.License{fullLicense(), termLicense()} // SN-… before SUB-…
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("certificate read back otherwise (-want +got):\n%s", diff)
	}
	if err := got.Check("pc-0042", day("2026-03-03").Add(-time.Nanosecond)); err != nil {
		t.Fatalf("on its device before NotAfter: %v", err)
	}
	if err := got.Check("pc-0042", day("2026-03-03")); !errors.Is(err, license.ErrExpired) {
		t.Fatalf("at NotAfter: %v, want ErrExpired", err)
	}
	if err := got.Check("pc-0043", day("2026-02-02")); !errors.Is(err, license.ErrWrongDevice) {
		t.Fatalf("on another device: %v, want ErrWrongDevice", err)
	}
}

// certificateFails reports whether VerifyCertificate refused text with a
// typed error.
func certificateFails(v *license.Verifier, text string) error {
	c, err := v.VerifyCertificate(text)
	if err == nil {
		return fmt.Errorf("accepted: %+v", c)
	}
	for _, want := range []error{license.ErrMalformedCertificate, license.ErrUnsupportedVersion,
		license.ErrUnknownSigner, license.ErrRetiredSigner, license.ErrBadSignature} {
		if errors.Is(err, want) {
			return nil
		}
	}
	return fmt.Errorf("untyped error %v", err)
}

// A1: every truncation and every single-character change of a
// certificate is refused with a typed error, and so is one signed by a
// key the application does not trust, or by a retired one.
func TestCertificate_A1_EveryChangeFails(t *testing.T) {
	sk := MustSigningKey(t, "acme.example", "cert")
	v := MustVerifier(t, sk)
	text, err := sk.SignCertificate(sampleCertificate())
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(text) {
		if err := certificateFails(v, text[:i]); err != nil {
			t.Fatalf("text[:%d]: %v", i, err)
		}
		if err := certificateFails(v, text[i+1:]); err != nil {
			t.Fatalf("text[%d:]: %v", i+1, err)
		}
	}
	const alphabet = "AZaz09-_.+é\x00"
	for i := range len(text) {
		for _, r := range alphabet {
			if text[i:i+1] == string(r) {
				continue
			}
			if err := certificateFails(v, text[:i]+string(r)+text[i+1:]); err != nil {
				t.Fatalf("position %d changed to %q: %v", i, r, err)
			}
		}
	}

	impostor := MustSigningKey(t, "acme.example", "impostor")
	forged, err := impostor.SignCertificate(sampleCertificate())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyCertificate(forged); !errors.Is(err, license.ErrUnknownSigner) && !errors.Is(err, license.ErrBadSignature) {
		t.Fatalf("signed by an untrusted key: %v", err)
	}
	retired := MustVerifier(t, sk)
	if err := retired.Retire(sk.KeyID()); err != nil {
		t.Fatal(err)
	}
	if _, err := retired.VerifyCertificate(text); !errors.Is(err, license.ErrRetiredSigner) {
		t.Fatalf("signed by a retired key: %v, want ErrRetiredSigner", err)
	}
}

// A1: a license key is not a certificate, nor a certificate a license
// key, nor either a revocation list: each format's prefix is under its
// signature.
func TestCertificate_A1_FormatsDoNotPassForEachOther(t *testing.T) {
	sk := MustSigningKey(t, "acme.example", "cert")
	v := MustVerifier(t, sk)
	cert, err := sk.SignCertificate(sampleCertificate())
	if err != nil {
		t.Fatal(err)
	}
	key := MustSign(t, sk, fullLicense())
	if _, err := v.VerifyCertificate(key); !errors.Is(err, license.ErrMalformedCertificate) {
		t.Fatalf("a license key as a certificate: %v", err)
	}
	if _, err := v.Verify(cert); !errors.Is(err, license.ErrMalformedKey) {
		t.Fatalf("a certificate as a license key: %v", err)
	}
	if _, err := v.VerifyRevocationList(cert); !errors.Is(err, license.ErrMalformedRevocationList) {
		t.Fatalf("a certificate as a revocation list: %v", err)
	}
	// The same payload and signature under another prefix.
	if _, err := v.Verify("LK" + strings.TrimPrefix(cert, "LC")); err == nil {
		t.Fatal("a certificate relabelled as a license key verified")
	}
}

// A1: what cannot be signed is refused with ErrInvalidInput and makes no
// certificate.
func TestCertificate_A1_ValidateRefusesBadCertificates(t *testing.T) {
	sk := MustSigningKey(t, "acme.example", "cert")
	for name, change := range map[string]func(c *license.Certificate){
		"no ID":           func(c *license.Certificate) { c.ID = "" },
		"no fingerprint":  func(c *license.Certificate) { c.Fingerprint = "" },
		"long ID":         func(c *license.Certificate) { c.ID = strings.Repeat("x", 256) },
		"control char":    func(c *license.Certificate) { c.Fingerprint = "pc\n42" },
		"no license":      func(c *license.Certificate) { c.Licenses = nil },
		"nil license":     func(c *license.Certificate) { c.Licenses = []*license.License{nil} },
		"license twice":   func(c *license.Certificate) { c.Licenses = []*license.License{termLicense(), termLicense()} },
		"no NotAfter":     func(c *license.Certificate) { c.NotAfter = time.Time{} },
		"issued first":    func(c *license.Certificate) { c.Issued = c.Activated.Add(-time.Hour) },
		"ends at issue":   func(c *license.Certificate) { c.NotAfter = c.Issued },
		"invalid license": func(c *license.Certificate) { c.Licenses[0].Product = "" },
	} {
		c := sampleCertificate()
		change(c)
		if text, err := sk.SignCertificate(c); err == nil {
			t.Errorf("%s: signed %q", name, text)
		} else if !errors.Is(err, license.ErrInvalidInput) && !errors.Is(err, license.ErrInvalidLicense) {
			t.Errorf("%s: %v, want ErrInvalidInput", name, err)
		}
	}
}

func FuzzCertificate(f *testing.F) {
	sk := MustSigningKey(f, "acme.example", "fuzz")
	v := MustVerifier(f, sk)
	good, err := sk.SignCertificate(sampleCertificate())
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{good, good[:len(good)/2], strings.Replace(good, "LC1.", "LC2.", 1),
		"LC1.acme.example+00000000..", "LC1...", "", "LC", MustSign(f, sk, fullLicense())} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := v.VerifyCertificate(text)
		if err != nil {
			if err := certificateFails(v, text); err != nil {
				t.Fatal(err)
			}
			return
		}
		// Whatever verifies is a valid certificate that signs again to
		// the very same payload.
		if err := c.Validate(); err != nil {
			t.Fatalf("verified an invalid certificate: %v", err)
		}
		again, err := sk.SignCertificate(c)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Split(again, ".")[2] != strings.Split(strings.Join(strings.Fields(text), ""), ".")[2] {
			t.Fatalf("payload not canonical:\n%s\n%s", text, again)
		}
	})
}

// BenchmarkAcceptCertificate is what accepting a certificate offline
// costs: verifying it and checking it holds on this device now. The goal:
// at most 1.2× BenchmarkVerify, one license key's verification, in the
// same run.
func BenchmarkAcceptCertificate(b *testing.B) {
	sk := MustSigningKey(b, "acme.example", "bench")
	v := uncached(b, sk)
	c := sampleCertificate()
	c.Licenses = c.Licenses[:1]
	text, err := sk.SignCertificate(c)
	if err != nil {
		b.Fatal(err)
	}
	at := day("2026-02-10")
	b.ReportAllocs()
	for b.Loop() {
		c, err := v.VerifyCertificate(text)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Check("pc-0042", at); err != nil {
			b.Fatal(err)
		}
	}
}
