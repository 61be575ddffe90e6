package license_test

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/licensekit/license"
)

// seed stands in for crypto/rand so that the examples print the same keys
// every run. Real code passes nil, which reads crypto/rand.
func seed(b byte) *bytes.Reader { return bytes.NewReader(bytes.Repeat([]byte{b}, 32)) }

// A vendor makes a signing key once, signs a license, and ships the key
// text to the customer; the customer's application verifies it offline
// with the vendor's verifying key.
func Example() {
	// Vendor side: generate the key pair and keep the signing key secret.
	sk, err := license.GenerateSigningKey("acme-2026", seed(1))
	if err != nil {
		panic(err)
	}
	vk := sk.VerifyingKey()
	fmt.Println("verifying key:", vk)

	key, err := sk.Sign(&license.License{
		ID:       "SN-0001",
		Product:  "acme-backup",
		Edition:  "enterprise",
		Scheme:   license.SchemePerDevice,
		Quantity: 25,
		Features: []string{"encryption", "dedup"},
		IssuedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Expiry:   time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		panic(err)
	}

	// Application side: trust the vendor's verifying key, parsed from the
	// text shipped with the application.
	trusted, err := license.ParseVerifyingKey(vk.String())
	if err != nil {
		panic(err)
	}
	v, err := license.NewVerifier(trusted)
	if err != nil {
		panic(err)
	}
	l, err := v.Verify(key)
	if err != nil {
		panic(err)
	}
	fmt.Println(l.ID, l.Product, l.Edition, l.Quantity, l.Scheme, l.Features)
	fmt.Println("valid on 2026-06-01:", l.ValidAt(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), time.Time{}) == nil)
	fmt.Println("valid on 2027-01-01:", l.ValidAt(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}))
	// Output:
	// verifying key: acme-2026+9ac2de13+iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=
	// SN-0001 acme-backup enterprise 25 device [dedup encryption]
	// valid on 2026-06-01: true
	// valid on 2027-01-01: license: expired: ended 2027-01-01T00:00:00Z
}

// Rotating keys: the application trusts the old and the new verifying keys
// while keys signed by the old one are still in the field, then retires
// the old one.
func ExampleVerifier_Retire() {
	old, _ := license.GenerateSigningKey("acme-2025", seed(2))
	cur, _ := license.GenerateSigningKey("acme-2026", seed(3))
	v, _ := license.NewVerifier(old.VerifyingKey(), cur.VerifyingKey())

	l := &license.License{ID: "SN-7", Product: "acme-backup", IssuedAt: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
	oldKey, _ := old.Sign(l)
	_, err := v.Verify(oldKey)
	fmt.Println("before retiring:", err)

	_ = v.Retire(old.KeyID())
	_, err = v.Verify(oldKey)
	fmt.Println("after retiring:", errors.Is(err, license.ErrRetiredSigner))
	// Output:
	// before retiring: <nil>
	// after retiring: true
}

// A term license, such as an annual subscription, starts its term when the
// customer activates it, not when the vendor issued it (L2). A license
// valid until T is expired at T (S12).
func ExampleLicense_ValidAt() {
	l := &license.License{
		ID:       "SUB-1",
		Product:  "acme-backup",
		IssuedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Term:     365 * 24 * time.Hour,
	}
	activated := time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC)
	_, until, _ := l.Period(activated)
	fmt.Println("until:", until.Format(time.RFC3339))
	fmt.Println(l.ValidAt(until.Add(-time.Nanosecond), activated))
	fmt.Println(l.ValidAt(until, activated))
	fmt.Println(l.ValidAt(activated, time.Time{}))
	// Output:
	// until: 2027-01-20T00:00:00Z
	// <nil>
	// license: expired: ended 2027-01-20T00:00:00Z
	// license: term license not activated
}

// The file form of a license key cuts it into lines; Verify ignores the
// line breaks, as it ignores any whitespace a mail client adds (K4).
func ExampleFormatKeyFile() {
	sk, _ := license.GenerateSigningKey("acme", seed(4))
	key, _ := sk.Sign(&license.License{ID: "SN-9", Product: "acme-backup", IssuedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	file := license.FormatKeyFile(key)
	fmt.Printf("%s", file)

	v, _ := license.NewVerifier(sk.VerifyingKey())
	l, err := v.Verify(string(file))
	fmt.Println(l.ID, err)
	// Output:
	// LK1.acme+aa1a14a7.BFNOLTkLYWNtZS1iYWNrdXAAAAAAAAAAAAAAAAAAABiGcl
	// Ht-gAAAAAAAA.YgsLUZPEqhSGNGRuBiKZkVFaqpUQ6TXyatS1dWlobONNm6MZgAQ
	// 6xmim-Pcd57Lh5zXCVOde8ON_YjjsftccBQ
	// SN-9 <nil>
}
