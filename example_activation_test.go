package license_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
)

// exampleServer stands in for the vendor's license server: it answers a
// check-in with a certificate valid for 30 days, keeping the device's
// first activation instant (A3), unless it is down.
type exampleServer struct {
	vendor    *license.SigningKey
	clk       *clock.Mock
	activated time.Time
	down      bool
	list      string // the revocation list it publishes
	serial    uint64
}

func (s *exampleServer) certificate(fp string) string {
	now := s.clk.Now()
	if s.activated.IsZero() {
		s.activated = now
	}
	text, _ := s.vendor.SignCertificate(&license.Certificate{
		ID: "act-1", Fingerprint: fp, Activated: s.activated, Issued: now, NotAfter: now.Add(30 * license.Day),
		Licenses: []*license.License{{ID: "SUB-1", Product: "acme-backup", Features: []string{"backup"},
			Term: 365 * license.Day, IssuedAt: date(2026, 3, 1)}},
	})
	return text
}

func (s *exampleServer) CheckIn(ctx context.Context, req license.CheckInRequest) (license.CheckInResponse, error) {
	if s.down {
		return license.CheckInResponse{}, errors.New("connection refused")
	}
	resp := license.CheckInResponse{Certificate: s.certificate(req.Fingerprint)}
	if req.RevocationSerial < s.serial {
		resp.RevocationList = s.list
	}
	return resp, nil
}

// An application activated online holds an activation certificate for
// its device (A1, A2). It checks in a week before the certificate ends
// (A4); while the license server is away it keeps working until NotAfter
// and the 7-day check-in grace, then stops until a check-in succeeds. A
// revocation list the server sends along stops a revoked license at once
// (C2, C3). The host calls Advance and CheckIn, or runs Run; a mock clock
// stands in for time here.
func ExampleManager_AddCertificate() {
	ctx := context.Background()
	vendor, _ := license.GenerateSigningKey("acme", seed(12))
	verifier, _ := license.NewVerifier(vendor.VerifyingKey())
	clk := clock.NewMock()
	clk.Set(date(2026, 3, 1))
	server := &exampleServer{vendor: vendor, clk: clk}
	m, _ := license.NewManager(ctx, license.ManagerConfig{
		Verifier:    verifier,
		Clock:       clk,
		Fingerprint: "3f9c2a7be01d4c55a6e8d7f1b2c3d4e5", // fingerprint.Device("acme-backup")
		CheckIn:     server,
		OnEvent:     func(e license.Event) { fmt.Println(e.At.Format(time.DateOnly), e.Kind) },
	})
	advance := func(t time.Time) {
		clk.Set(t)
		_ = m.Advance(ctx, t)
	}
	checkIn := func(t time.Time) {
		advance(t)
		_ = m.CheckIn(ctx) // a failure is an event, and retried later
	}

	c, _ := m.AddCertificate(ctx, server.certificate("3f9c2a7be01d4c55a6e8d7f1b2c3d4e5"))
	fmt.Println("holds until", c.NotAfter.Format(time.DateOnly), "- backup:", m.Check("backup").Allowed)
	_, err := m.AddCertificate(ctx, server.certificate("another-device"))
	fmt.Println("another device's certificate:", errors.Is(err, license.ErrWrongDevice))

	checkIn(date(2026, 3, 24)) // a week before NotAfter
	server.down = true
	checkIn(date(2026, 4, 16)) // a week before the new NotAfter
	advance(date(2026, 4, 23)) // NotAfter: the check-in grace
	fmt.Println("backup:", m.Check("backup").Allowed)
	advance(date(2026, 4, 30)) // the grace is over
	d := m.Check("backup")
	fmt.Println("backup:", d.Allowed, "-", d.Reason)
	server.down = false
	checkIn(date(2026, 4, 30)) // the server is back
	fmt.Println("backup:", m.Check("backup").Allowed)

	server.list, _ = vendor.SignRevocationList(&license.RevocationList{Serial: 1, Issued: date(2026, 5, 1), Licenses: []string{"SUB-1"}})
	server.serial = 1
	checkIn(date(2026, 5, 23)) // the check-in brings the revocation list
	d = m.Check("backup")
	fmt.Println("backup:", d.Allowed, "-", d.State)
	// Output:
	// 2026-03-01 activated
	// holds until 2026-03-31 - backup: true
	// another device's certificate: true
	// 2026-03-24 activation-refreshed
	// 2026-04-16 checkin-failed
	// 2026-04-23 checkin-grace-started
	// backup: true
	// 2026-04-30 checkin-lapsed
	// backup: false - license: no check-in with the license server before the activation lapsed
	// 2026-04-30 activation-refreshed
	// backup: true
	// 2026-05-23 revocation-list-loaded
	// 2026-05-23 revoked
	// 2026-05-23 activation-refreshed
	// backup: false - revoked
}

// A Verifier given the vendor's revocation list refuses the license keys
// it names (C3), and never goes back to an older list (C2).
func ExampleVerifier_LoadRevocationList() {
	vendor, _ := license.GenerateSigningKey("acme", seed(13))
	verifier, _ := license.NewVerifier(vendor.VerifyingKey())
	key, _ := vendor.Sign(&license.License{ID: "SN-1", Product: "acme-backup", IssuedAt: date(2026, 1, 1)})
	list := func(serial uint64, revoked ...string) string {
		text, _ := vendor.SignRevocationList(&license.RevocationList{Serial: serial, Issued: date(2026, 5, 1), Licenses: revoked})
		return text
	}

	fmt.Println(verifier.LoadRevocationList(list(2, "SN-1")))
	_, err := verifier.Verify(key)
	fmt.Println(err)
	fmt.Println(verifier.LoadRevocationList(list(1)))
	// Output:
	// <nil>
	// license: revoked: license "SN-1" is on revocation list 2
	// license: revocation list older than the one loaded: serial 1, 2 is loaded
}
