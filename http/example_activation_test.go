package http_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
	lkhttp "github.com/licensekit/license/http"
	"github.com/licensekit/license/portal"
)

// An application activates on its device with an activation code,
// accepts the certificate offline, and checks in through the license
// server before the certificate ends (A1, A2, A4): its Manager's CheckIn
// is the DeviceClient.
func ExampleDeviceClient() {
	ctx := context.Background()
	// One mock clock for the server and the application keeps the output
	// fixed; each would use its own system clock.
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	signer, _ := license.GenerateSigningKey("vendor", bytes.NewReader(make([]byte, 32)))
	p, _ := portal.NewPortal(portal.PortalConfig{Signer: signer, Clock: clk})
	_ = p.CreateOrganization(ctx, "acme", "Acme Corp")
	codes, _ := p.IssueActivationCodes(ctx, license.License{
		ID: "PRO", Product: "backup", Scheme: license.SchemePerDevice, Quantity: 1,
		Organization: "acme", Term: 365 * license.Day, IssuedAt: clk.Now(),
	}, 1, 1)
	// The server verifies the devices' certificates with the vendor's key.
	trusted, _ := license.NewVerifier(signer.VerifyingKey())
	srv, _ := lkhttp.NewServer(lkhttp.ServerConfig{Portal: p, Clock: clk, Auth: p, Verifier: trusted})
	ts := httptest.NewServer(srv)
	defer ts.Close()

	// The application, on device "laptop-1".
	dc, _ := lkhttp.NewDeviceClient(ts.URL, lkhttp.ClientConfig{})
	v, _ := license.NewVerifier(signer.VerifyingKey())
	m, _ := license.NewManager(ctx, license.ManagerConfig{
		Verifier: v, Clock: clk, Fingerprint: "laptop-1", CheckIn: dc,
		OnEvent: func(e license.Event) { fmt.Println(e.At.Format(time.DateOnly), e.Kind) },
	})
	dc.OnRevocationList(m.LoadRevocationList)
	cert, a, err := dc.Activate(ctx, portal.ActivationRequest{Code: codes[0], Fingerprint: "laptop-1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := m.AddCertificate(ctx, cert); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("activation", a.ID, "holds until", m.Keys()[0].NotAfter.Format(time.DateOnly))

	clk.Add(23 * license.Day) // a week before NotAfter: Run would check in now
	if err := m.CheckIn(ctx); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("checked in: holds until", m.Keys()[0].NotAfter.Format(time.DateOnly), "allowed:", m.Check("").Allowed)
	// Output:
	// 2026-01-01 activated
	// activation act-2 holds until 2026-01-31
	// 2026-01-24 revocation-list-loaded
	// 2026-01-24 activation-refreshed
	// checked in: holds until 2026-02-23 allowed: true
}
