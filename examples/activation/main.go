// Command activation walks an application through online activation
// against a license server on a fake clock, printing one line per event
// and per step:
//
//	<RFC 3339 instant> <event or step> <detail>
//
// The application activates its device with an activation code (A1) and
// accepts the certificate offline (A2); it checks in before the
// certificate ends (A4); the server goes down and the application keeps
// working until the certificate's NotAfter and the check-in grace, then
// stops; the server comes back and the next check-in restores it.
//
// The license server is package http's Server over an in-memory portal,
// on loopback in this process; an application reaches licensed the same
// way, with its URL.
//
// Run it with: go run ./examples/activation
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
	lkhttp "github.com/licensekit/license/http"
	"github.com/licensekit/license/portal"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "activation:", err)
		os.Exit(1)
	}
}

// run prints each step and event of the activation's life on w.
func run(ctx context.Context, w io.Writer) error {
	// One fake clock for the server and the application, so that a
	// month passes in an instant.
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	say := func(what, detail string) { fmt.Fprintf(w, "%s %s %s\n", clk.Now().Format(time.RFC3339), what, detail) }

	// The vendor's server: a portal with customer acme, an activation
	// code for a one-year license of acme's, and the HTTP API, which
	// verifies the devices' certificates with the vendor's key.
	vendor, err := license.GenerateSigningKey("acme-2026", nil)
	if err != nil {
		return err
	}
	p, err := portal.NewPortal(portal.PortalConfig{Signer: vendor, Clock: clk})
	if err != nil {
		return err
	}
	if err := p.CreateOrganization(ctx, "acme", "Acme Inc."); err != nil {
		return err
	}
	codes, err := p.IssueActivationCodes(ctx, license.License{
		ID: "BK", Product: "acme-backup", Scheme: license.SchemePerDevice, Quantity: 1,
		Organization: "acme", Term: 365 * license.Day, IssuedAt: clk.Now(),
	}, 1, 1)
	if err != nil {
		return err
	}
	trusted, err := license.NewVerifier(vendor.VerifyingKey())
	if err != nil {
		return err
	}
	api, err := lkhttp.NewServer(lkhttp.ServerConfig{Portal: p, Auth: p, Verifier: trusted, Clock: clk})
	if err != nil {
		return err
	}
	var down atomic.Bool // the server out of reach
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(rw, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		api.ServeHTTP(rw, r)
	}))
	defer srv.Close()

	// The application on device "laptop-7" (fingerprint.Machine gives a
	// real device's): a Manager that trusts the vendor's key and checks
	// in through a DeviceClient of the server.
	dc, err := lkhttp.NewDeviceClient(srv.URL, lkhttp.ClientConfig{})
	if err != nil {
		return err
	}
	verifier, err := license.NewVerifier(vendor.VerifyingKey())
	if err != nil {
		return err
	}
	m, err := license.NewManager(ctx, license.ManagerConfig{
		Verifier: verifier, Clock: clk, Fingerprint: "laptop-7", CheckIn: dc,
		OnEvent: func(e license.Event) { say(string(e.Kind), e.Detail) },
	})
	if err != nil {
		return err
	}
	dc.OnRevocationList(m.LoadRevocationList)

	cert, a, err := dc.Activate(ctx, portal.ActivationRequest{Code: codes[0], Fingerprint: "laptop-7"})
	if err != nil {
		return err
	}
	say("step", "activated with an activation code: activation "+a.ID)
	if _, err := m.AddCertificate(ctx, cert); err != nil {
		return err
	}

	// Time passes. At each instant, the Manager advances and checks in
	// what is due, as Manager.Run does by itself with the system clock.
	at := func(t time.Time) error {
		clk.Set(t)
		if err := m.Advance(ctx, t); err != nil {
			return err
		}
		_ = m.CheckIn(ctx) // a failure is a checkin-failed event
		return nil
	}
	status := func() {
		d := m.Check("")
		say("status", fmt.Sprintf("allowed=%v state=%s", d.Allowed, d.State))
	}
	day := func(n int) time.Time {
		return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * license.Day)
	}

	// Day 23: a week before the certificate ends, a check-in.
	for _, t := range []time.Time{day(23), day(30)} {
		if err := at(t); err != nil {
			return err
		}
	}
	status()
	down.Store(true)
	say("step", "the license server goes down")
	// Day 46: the check-in fails; day 53: the certificate ends, the
	// check-in grace starts; day 60: the grace is over.
	for _, t := range []time.Time{day(46), day(53), day(60).Add(-time.Second)} {
		if err := at(t); err != nil {
			return err
		}
		status()
	}
	if err := at(day(60)); err != nil {
		return err
	}
	status()
	down.Store(false)
	say("step", "the license server is back")
	if err := at(day(60).Add(time.Hour)); err != nil {
		return err
	}
	status()
	return nil
}
