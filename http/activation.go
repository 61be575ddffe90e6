package http

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// The devices' routes: activation, trials, check-ins, deactivation,
// floating leases and the revocation list (A1–A6, F1–F3, C2), with the
// DeviceClient's methods beside them; and the vendor's revocation of
// activations and signing keys (C1).

// authenticateDevice returns the activation certificate a device's
// request carries as "Authorization: Activation <certificate>", verified
// with the server's Verifier (W2). Its NotAfter is not checked: a device
// whose certificate ran out while the server was out of reach checks in
// with it (A4), and the portal refuses what is deactivated or revoked.
func (s *Server) authenticateDevice(r *http.Request) (*license.Certificate, error) {
	scheme, text, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Activation") || strings.TrimSpace(text) == "" {
		return nil, ErrDeviceUnauthenticated
	}
	if s.certs == nil {
		return nil, fmt.Errorf("http: ServerConfig.Verifier is nil: no activation certificate can be verified")
	}
	cert, err := s.certs.VerifyCertificate(text)
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "activation certificate refused", slog.String("error", err.Error()))
		return nil, ErrDeviceUnauthenticated
	}
	return cert, nil
}

// activationAnswer is the answer of an activation or a trial.
type activationAnswer struct {
	Certificate string            `json:"certificate"`
	Activation  portal.Activation `json:"activation"`
}

func activateDevice(c *call, in *portal.ActivationRequest) (activationAnswer, error) {
	text, a, err := c.s.portal.Activate(c.ctx(), *in)
	return activationAnswer{Certificate: text, Activation: a}, err
}

// Activate activates a license on the device with req.Fingerprint, as
// portal.Portal.Activate does, with its license key or an activation
// code, and returns the activation certificate's text and the
// activation (A1). The client keeps the certificate as the credential of
// the activation's later requests.
func (d *DeviceClient) Activate(ctx context.Context, req portal.ActivationRequest) (string, portal.Activation, error) {
	out, err := do[activationAnswer](ctx, d.c, "ActivateDevice", req, nil)
	return d.remember(out, err)
}

type trialRequest struct {
	Product     string `json:"product"`
	Fingerprint string `json:"fingerprint"`
}

func startTrial(c *call, in *trialRequest) (activationAnswer, error) {
	text, a, err := c.s.portal.StartTrial(c.ctx(), in.Product, in.Fingerprint)
	return activationAnswer{Certificate: text, Activation: a}, err
}

// StartTrial starts the trial of product on the device with fingerprint
// fingerprint, as portal.Portal.StartTrial does (A6), and returns its
// certificate and activation, which the client keeps as Activate's.
func (d *DeviceClient) StartTrial(ctx context.Context, product, fingerprint string) (string, portal.Activation, error) {
	out, err := do[activationAnswer](ctx, d.c, "StartTrial", trialRequest{Product: product, Fingerprint: fingerprint}, nil)
	return d.remember(out, err)
}

// sameDevice refuses a request whose body names another activation or
// device than the certificate it authenticates with: the certificate
// decides, never the body.
func (c *call) sameDevice(activationID, fingerprint string) error {
	if activationID != "" && activationID != c.cert.ID {
		return fmt.Errorf("%w: the certificate sent is of activation %q, not %q", portal.ErrNoSuchActivation, c.cert.ID, activationID)
	}
	if fingerprint != "" && fingerprint != c.cert.Fingerprint {
		return fmt.Errorf("%w: the request names device %q", license.ErrWrongDevice, fingerprint)
	}
	return nil
}

func checkIn(c *call, in *license.CheckInRequest) (license.CheckInResponse, error) {
	if err := c.sameDevice(in.ActivationID, in.Fingerprint); err != nil {
		return license.CheckInResponse{}, err
	}
	text, err := c.s.portal.CheckIn(c.ctx(), c.cert.ID, c.cert.Fingerprint)
	if err != nil {
		return license.CheckInResponse{}, err
	}
	// The fresh certificate names the list's serial as of now: the list
	// itself, signed anew at each call, goes only to a device behind it.
	fresh, err := c.s.certs.VerifyCertificate(text)
	if err != nil {
		return license.CheckInResponse{}, fmt.Errorf("http: the portal's certificate does not verify: %w", err)
	}
	out := license.CheckInResponse{Certificate: text}
	if in.RevocationSerial < fresh.RevocationSerial {
		if out.RevocationList, _, err = c.s.portal.RevocationList(c.ctx()); err != nil {
			return license.CheckInResponse{}, err
		}
	}
	return out, nil
}

func deactivate(c *call, _ *none) (none, error) {
	if err := c.sameDevice(c.path("activation"), ""); err != nil {
		return none{}, err
	}
	return none{}, c.s.portal.Deactivate(c.ctx(), c.cert.ID, c.cert.Fingerprint)
}

// Deactivate deactivates activation activationID of this device, as
// portal.Portal.Deactivate does: its seat is free at once (A5). The
// client then forgets its certificate; remove it from the application's
// Manager with license.Manager.RemoveCertificate.
func (d *DeviceClient) Deactivate(ctx context.Context, activationID string) error {
	cred, err := d.credential(activationID)
	if err != nil {
		return err
	}
	if _, err := doAs[none](ctx, d.c, cred, "Deactivate", nil, activationID); err != nil {
		return err
	}
	d.forget(activationID)
	return nil
}

type checkoutRequest struct {
	License string `json:"license"`
}

func checkout(c *call, in *checkoutRequest) (portal.Lease, error) {
	return c.s.portal.Checkout(c.ctx(), c.cert.ID, c.cert.Fingerprint, in.License)
}

// Checkout checks out a lease of floating license licenseID, which
// activation activationID holds, as portal.Portal.Checkout does (F1–F3).
// Beyond the license's quantity it fails with portal.ErrNoLease.
func (d *DeviceClient) Checkout(ctx context.Context, activationID, licenseID string) (portal.Lease, error) {
	cred, err := d.credential(activationID)
	if err != nil {
		return portal.Lease{}, err
	}
	return doAs[portal.Lease](ctx, d.c, cred, "Checkout", checkoutRequest{License: licenseID})
}

// deviceLease returns the lease in the path if it is one of a license of
// the certificate's, on its device: a lease's ID is its license's ID, "|"
// and the device's fingerprint (see portal.Lease). Any other is the
// answer for a lease that does not exist, another device's included.
func (c *call) deviceLease() (string, error) {
	id := c.path("lease")
	l, ok := strings.CutSuffix(id, "|"+c.cert.Fingerprint)
	if !ok || !slices.ContainsFunc(c.cert.Licenses, func(x *license.License) bool { return x.ID == l }) {
		return "", fmt.Errorf("%w: %q is not a lease of the activation's", portal.ErrNoSuchLease, id)
	}
	return id, nil
}

func heartbeat(c *call, _ *none) (portal.Lease, error) {
	id, err := c.deviceLease()
	if err != nil {
		return portal.Lease{}, err
	}
	return c.s.portal.Heartbeat(c.ctx(), id, c.cert.Fingerprint)
}

// Heartbeat extends lease leaseID, of activation activationID, by the
// server's lease TTL, as portal.Portal.Heartbeat does (F2). An expired
// lease fails with portal.ErrLeaseExpired: check out again.
func (d *DeviceClient) Heartbeat(ctx context.Context, activationID, leaseID string) (portal.Lease, error) {
	cred, err := d.credential(activationID)
	if err != nil {
		return portal.Lease{}, err
	}
	return doAs[portal.Lease](ctx, d.c, cred, "Heartbeat", nil, leaseID)
}

func release(c *call, _ *none) (none, error) {
	id, err := c.deviceLease()
	if err != nil {
		return none{}, err
	}
	return none{}, c.s.portal.Release(c.ctx(), id, c.cert.Fingerprint)
}

// Release releases lease leaseID, of activation activationID, at once,
// as portal.Portal.Release does (F3).
func (d *DeviceClient) Release(ctx context.Context, activationID, leaseID string) error {
	cred, err := d.credential(activationID)
	if err != nil {
		return err
	}
	_, err = doAs[none](ctx, d.c, cred, "Release", nil, leaseID)
	return err
}

func listLeases(c *call, _ *none) ([]portal.Lease, error) {
	return c.org().Leases(c.ctx(), c.path("license"))
}

// Leases returns the live leases of floating license licenseID, as
// portal.OrgScope.Leases does (F1).
func (o *OrgClient) Leases(ctx context.Context, licenseID string) ([]portal.Lease, error) {
	return orgDo[[]portal.Lease](ctx, o, "ListLeases", nil, licenseID)
}

// revocationListAnswer is the answer of GET /v1/revocations.
type revocationListAnswer struct {
	RevocationList string `json:"revocation_list"`
	Serial         uint64 `json:"serial"` // the list's, for people: the list's signature covers it
}

func getRevocationList(c *call, _ *none) (revocationListAnswer, error) {
	text, serial, err := c.s.portal.RevocationList(c.ctx())
	return revocationListAnswer{RevocationList: text, Serial: serial}, err
}

// RevocationList returns the text of the server's revocation list (C2),
// which needs no credential. Load it with license.Manager.LoadRevocationList,
// which verifies it and refuses one older than the list it holds.
func (d *DeviceClient) RevocationList(ctx context.Context) (string, error) {
	out, err := do[revocationListAnswer](ctx, d.c, "GetRevocationList", nil, nil)
	return out.RevocationList, err
}

func revokeActivation(c *call, in *revokeRequest) (none, error) {
	return none{}, c.s.portal.RevokeActivation(c.ctx(), c.path("activation"), in.Reason)
}

// RevokeActivation revokes a device's activation for good, as
// portal.Portal.RevokeActivation does (C1). The vendor's only.
func (c *Client) RevokeActivation(ctx context.Context, activationID, reason string) error {
	return call0(ctx, c, "RevokeActivation", revokeRequest{Reason: reason}, activationID)
}

func revokeSigningKey(c *call, in *revokeRequest) (none, error) {
	return none{}, c.s.portal.RevokeSigningKey(c.ctx(), c.path("key"), in.Reason)
}

// RevokeSigningKey revokes the signing key with that key ID for good, as
// portal.Portal.RevokeSigningKey does (C1). The vendor's only.
func (c *Client) RevokeSigningKey(ctx context.Context, keyID, reason string) error {
	return call0(ctx, c, "RevokeSigningKey", revokeRequest{Reason: reason}, keyID)
}
