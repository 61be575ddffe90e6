package http

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// ErrNoCertificate: a DeviceClient was asked to act on an activation
// whose certificate it does not hold; give it with
// DeviceClient.SetCertificate.
var ErrNoCertificate = errors.New("http: the client holds no certificate of that activation")

// DeviceClient is what an application calls on a license server from the
// device it runs on: activation and trials, check-ins, deactivation,
// floating leases and the revocation list (A1–A6, F1–F3, C2). It holds
// no bearer token: it activates with a license key or an activation code,
// and then authenticates each request with the activation's certificate
// (W2), the newest it received or was given, which it keeps by
// activation ID.
//
// It is a [license.CheckInner]: give it to the application's
// [license.Manager] as ManagerConfig.CheckIn, and the Manager checks in
// through it before each certificate's NotAfter (A4):
//
//	dc, _ := http.NewDeviceClient("https://licenses.example.com", http.ClientConfig{})
//	m, _ := license.NewManager(ctx, license.ManagerConfig{Verifier: v, Store: st, Fingerprint: fp, CheckIn: dc})
//	dc.OnRevocationList(m.LoadRevocationList)
//	for _, k := range m.Keys() { // the certificates of a previous run
//		if k.Activation != "" {
//			dc.SetCertificate(k.Activation, k.Key)
//		}
//	}
//
// An error answer comes back as an [*Error], as [Client]'s do. A
// DeviceClient is safe for concurrent use.
type DeviceClient struct {
	c *Client

	mu     sync.Mutex
	certs  map[string]string // certificate text by activation ID
	onList func(ctx context.Context, text string) error
}

var _ license.CheckInner = (*DeviceClient)(nil)

// NewDeviceClient returns a DeviceClient of the server at baseURL. It
// returns an error wrapping license.ErrInvalidInput for a base URL that
// is not an absolute http or https URL.
func NewDeviceClient(baseURL string, cfg ClientConfig) (*DeviceClient, error) {
	c, err := NewClient(baseURL, "", cfg)
	if err != nil {
		return nil, err
	}
	return &DeviceClient{c: c, certs: map[string]string{}}, nil
}

// SetCertificate gives the client the certificate text of activation
// activationID, with which it authenticates that activation's requests:
// after a restart, those the application's Manager holds
// ([license.Manager.Keys] lists each with its activation ID). It replaces
// the one the client held.
func (d *DeviceClient) SetCertificate(activationID, text string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.certs[activationID] = text
}

// Certificate returns the certificate text the client holds of
// activation activationID, and whether it holds one.
func (d *DeviceClient) Certificate(activationID string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	text, ok := d.certs[activationID]
	return text, ok
}

// OnRevocationList sets what receives the server's revocation list when
// it refuses a check-in because the vendor revoked the license, the
// activation or the signing key (C3): typically the application
// Manager's LoadRevocationList, so that the application stops granting
// at that check-in, with its revoked event, rather than at the
// certificate's NotAfter and check-in grace. Nil, the default, fetches
// no list.
func (d *DeviceClient) OnRevocationList(load func(ctx context.Context, text string) error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.onList = load
}

// CheckIn checks in activation req.ActivationID with the certificate the
// client holds of it, and returns the fresh certificate, which it keeps,
// and the revocation list when req.RevocationSerial is older than the
// server's (A4, C2). The server takes the activation and the device from
// the certificate: a request naming others is refused. A check-in
// refused for a revocation hands the revocation list to the function set
// with OnRevocationList, if any, before it returns the refusal.
func (d *DeviceClient) CheckIn(ctx context.Context, req license.CheckInRequest) (license.CheckInResponse, error) {
	cred, err := d.credential(req.ActivationID)
	if err != nil {
		return license.CheckInResponse{}, err
	}
	resp, err := doAs[license.CheckInResponse](ctx, d.c, cred, "CheckIn", req)
	if err != nil {
		return resp, d.refused(ctx, err)
	}
	if resp.Certificate != "" {
		d.SetCertificate(req.ActivationID, resp.Certificate)
	}
	return resp, nil
}

// revokedCodes are the codes of a check-in refused because the vendor
// revoked something, of which the revocation list tells the application.
var revokedCodes = []string{
	lookupCode("license_revoked").code, lookupCode("activation_revoked").code, lookupCode("retired_signer").code,
}

// refused hands the revocation list to the OnRevocationList function when
// err refuses a check-in for a revocation, and returns err, with the
// error of fetching or loading the list if any.
func (d *DeviceClient) refused(ctx context.Context, err error) error {
	d.mu.Lock()
	load := d.onList
	d.mu.Unlock()
	var herr *Error
	if load == nil || !errors.As(err, &herr) || !slices.Contains(revokedCodes, herr.Code) {
		return err
	}
	list, lerr := d.RevocationList(ctx)
	if lerr == nil {
		lerr = load(ctx, list)
	}
	if lerr != nil {
		return errors.Join(err, fmt.Errorf("http: loading the revocation list: %w", lerr))
	}
	return err
}

// credential returns the Authorization header of activation id's
// requests.
func (d *DeviceClient) credential(id string) (string, error) {
	text, ok := d.Certificate(id)
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrNoCertificate, id)
	}
	// A certificate's text may be cut into lines, which a header cannot
	// carry; its reader ignores whitespace.
	return "Activation " + strings.Join(strings.Fields(text), ""), nil
}

// remember keeps the certificate of an activation or a trial.
func (d *DeviceClient) remember(out activationAnswer, err error) (string, portal.Activation, error) {
	if err != nil {
		return "", portal.Activation{}, err
	}
	d.SetCertificate(out.Activation.ID, out.Certificate)
	return out.Certificate, out.Activation, nil
}

// forget drops the certificate of a deactivated activation.
func (d *DeviceClient) forget(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.certs, id)
}
