package license_test

import (
	"context"
	"fmt"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// A trial gives full functionality for 30 days, once per installation
// (S1, S10). The host advances the Manager with the current time; here a
// mock clock stands in for it.
func ExampleManager_StartTrial() {
	ctx := context.Background()
	vendor, _ := license.GenerateSigningKey("acme", seed(5))
	verifier, _ := license.NewVerifier(vendor.VerifyingKey())
	clk := clock.NewMock()
	clk.Set(date(2026, 1, 1))
	m, _ := license.NewManager(ctx, license.ManagerConfig{
		Verifier: verifier,
		Clock:    clk,
		OnEvent:  func(e license.Event) { fmt.Println(e.At.Format(time.DateOnly), e.Kind, e.Detail) },
	})

	_ = m.StartTrial(ctx)
	fmt.Println("reporting allowed:", m.Check("reporting").Allowed)
	fmt.Println("second trial:", m.StartTrial(ctx))

	_ = m.Advance(ctx, date(2026, 1, 31))
	d := m.Check("reporting")
	fmt.Println("reporting allowed:", d.Allowed, "-", d.State, "-", d.Reason)
	// Output:
	// 2026-01-01 trial-started trial ends 2026-01-31T00:00:00Z
	// reporting allowed: true
	// second trial: license: the trial was already used
	// 2026-01-31 trial-ended the trial ended with no license
	// reporting allowed: false - unlicensed - license: the trial has ended
}

// A reserve key takes over the instant the active key expires, so the
// application never stops, and no expiry notice goes out for the active
// key (R1, R4, S11).
func ExampleManager_AddReserve() {
	ctx := context.Background()
	vendor, _ := license.GenerateSigningKey("acme", seed(6))
	verifier, _ := license.NewVerifier(vendor.VerifyingKey())
	clk := clock.NewMock()
	clk.Set(date(2026, 1, 1))
	m, _ := license.NewManager(ctx, license.ManagerConfig{
		Verifier: verifier,
		Clock:    clk,
		OnEvent:  func(e license.Event) { fmt.Println(e.At.Format(time.DateOnly), e.Kind, e.Detail) },
	})
	yearly := func(id string) string {
		key, _ := vendor.Sign(&license.License{ID: id, Product: "acme-backup", Edition: "standard",
			Features: []string{"backup"}, IssuedAt: clk.Now(), Term: 365 * license.Day})
		return key
	}

	_, _ = m.AddKey(ctx, yearly("SN-1"))
	clk.Set(date(2026, 11, 1))
	_, _ = m.AddReserve(ctx, yearly("SN-2"))

	for _, t := range []time.Time{date(2027, 1, 1).Add(-time.Nanosecond), date(2027, 1, 1)} {
		_ = m.Advance(ctx, t)
		d := m.Check("backup")
		fmt.Println(t.Format(time.RFC3339Nano), d.Allowed, d.State, "until", d.Expiry.Format(time.DateOnly))
	}
	// Output:
	// 2026-01-01 activated SN-1 acme-backup standard, valid until 2027-01-01T00:00:00Z
	// 2026-11-01 reserve-added SN-2 acme-backup standard in reserve
	// 2026-12-31T23:59:59.999999999Z true active until 2028-01-01
	// 2027-01-01 reserve-promoted SN-2 is now the active key, valid until 2028-01-01T00:00:00Z
	// 2027-01-01T00:00:00Z true active until 2028-01-01
}

// Evaluate is the lifecycle as a pure function: the state at any instant,
// with no clock and no Manager. Here a license ends on 2027-01-01: 14 days
// of grace in which everything works, 30 days of suspension with the data
// kept, then deletion (S3, S4, S5).
func ExampleEvaluate() {
	l := &license.License{ID: "SN-1", Product: "acme-backup", Features: []string{"backup"},
		IssuedAt: date(2026, 1, 1), Expiry: date(2027, 1, 1)}
	keys := []license.Holding{{License: l, Added: date(2026, 1, 1)}}
	for _, t := range []time.Time{
		date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 15), date(2027, 2, 13), date(2027, 2, 14),
	} {
		ev := license.Evaluate(keys, license.History{}, license.Policy{}, t)
		fmt.Printf("%s %-9s runs=%-5v features=%v next=%s\n", t.Format(time.DateOnly), ev.State, ev.State.Runs(), ev.Features, ev.Next.Format(time.DateOnly))
	}
	// Output:
	// 2026-12-31 expiring  runs=true  features=[backup] next=2027-01-01
	// 2027-01-01 grace     runs=true  features=[backup] next=2027-01-08
	// 2027-01-15 suspended runs=false features=[] next=2027-01-31
	// 2027-02-13 suspended runs=false features=[] next=2027-02-14
	// 2027-02-14 deleted   runs=false features=[] next=0001-01-01
}

// Replacing the active key is one step: the reserve that would expire
// before the new key ends can never take over, so it goes, and another
// can be added (R7). Keys lists what the installation holds.
func ExampleManager_ReplaceKey() {
	ctx := context.Background()
	vendor, _ := license.GenerateSigningKey("acme", seed(7))
	verifier, _ := license.NewVerifier(vendor.VerifyingKey())
	clk := clock.NewMock()
	clk.Set(date(2026, 1, 1))
	m, _ := license.NewManager(ctx, license.ManagerConfig{
		Verifier: verifier,
		Clock:    clk,
		OnEvent:  func(e license.Event) { fmt.Println(e.At.Format(time.DateOnly), e.Kind, e.Detail) },
	})
	key := func(id string, expiry time.Time) string {
		k, _ := vendor.Sign(&license.License{ID: id, Product: "acme-backup", Edition: "standard",
			IssuedAt: clk.Now(), Expiry: expiry})
		return k
	}

	_, _ = m.AddKey(ctx, key("SN-1", date(2026, 6, 1)))
	clk.Set(date(2026, 3, 1))
	_, _ = m.AddReserve(ctx, key("SN-2", date(2026, 9, 1)))
	_, _ = m.ReplaceKey(ctx, "SN-1", key("SN-3", date(2027, 3, 1)))
	for _, k := range m.Keys() {
		fmt.Println("held:", k.License.ID, "reserve:", k.Reserve, "added", k.Added.Format(time.DateOnly))
	}
	// Output:
	// 2026-01-01 activated SN-1 acme-backup standard, valid until 2026-06-01T00:00:00Z
	// 2026-03-01 reserve-added SN-2 acme-backup standard in reserve
	// 2026-03-01 key-removed SN-1 acme-backup standard removed
	// 2026-03-01 reserve-removed reserve key expires 2026-09-01T00:00:00Z, before the active key ends 2027-03-01T00:00:00Z; add another reserve
	// 2026-03-01 activated SN-3 acme-backup standard, valid until 2027-03-01T00:00:00Z
	// held: SN-3 reserve: false added 2026-03-01
}

// A term license with an activation deadline (L2): its term starts when it
// is added, and never ends later than the deadline plus the term, so that
// deleting the installation's state and adding the key again gains little;
// after the deadline the key is refused.
func ExampleLicense_CanActivateAt() {
	l := license.License{ID: "SN-1", Product: "acme-backup", IssuedAt: date(2026, 1, 1),
		Term: 365 * license.Day, ActivateBy: date(2026, 4, 1)}
	for _, activated := range []time.Time{date(2026, 1, 10), date(2026, 4, 1), date(2026, 5, 1)} {
		_, until, _ := l.Period(activated)
		fmt.Println(activated.Format(time.DateOnly), "until", until.Format(time.DateOnly), "-", l.CanActivateAt(activated))
	}
	// Output:
	// 2026-01-10 until 2027-01-10 - <nil>
	// 2026-04-01 until 2027-04-01 - <nil>
	// 2026-05-01 until 2027-04-01 - license: activation deadline has passed: SN-1 had to be activated by 2026-04-01T00:00:00Z
}
