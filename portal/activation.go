package portal

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/licensekit/license/internal/textfield"

	"github.com/licensekit/license"
)

// Online activation (A1–A6).
//
// A device activates a license from an organization's key storage with
// its key, or with an activation code made out to an organization, and
// gets an activation certificate: the license, its fingerprint, the
// instant it first activated, and a NotAfter CertificateTTL away. It
// checks in for a fresh certificate before then, and deactivates to free
// its seat. The portal keeps, per device and license, the first instant
// the device activated it, and per device and product the trial it
// started, so that activating again never restarts a term or a trial
// (A3, A6).
//
// The activations live in the vendor's document, as a device knows only
// its activation's ID; the seats they take live in the organization's,
// as every seat does. An operation changes the organization first and the
// activation after: should the second change fail, the device's seat is
// taken without an activation, and activating again finds it.

// Defaults of [PortalConfig].
const (
	// DefaultCertificateTTL is how long an activation certificate holds
	// when PortalConfig.CertificateTTL is zero (A1).
	DefaultCertificateTTL = 30 * license.Day
	// DefaultLeaseTTL is how long a lease holds without a heartbeat when
	// PortalConfig.LeaseTTL is zero (F2).
	DefaultLeaseTTL = 15 * time.Minute
)

// Errors of activations. Every refusal changes nothing.
var (
	// ErrNoSuchActivation: no activation has that ID.
	ErrNoSuchActivation = errors.New("license: no such activation")
	// ErrDeactivated: the activation was deactivated (A5); the device
	// activates again for a new one.
	ErrDeactivated = errors.New("license: the activation was deactivated")
	// ErrActivationRevoked: the vendor revoked the activation (C1); the
	// device cannot activate that license again.
	ErrActivationRevoked = errors.New("license: the activation was revoked")
	// ErrNoTrial: the portal offers no trial of that product (A6).
	ErrNoTrial = errors.New("license: no trial of that product")
	// ErrRedeemInPortal: the activation code is not made out to an
	// existing organization, so a device cannot redeem it on its own: an
	// organization redeems it in the portal (see [OrgScope.RedeemCode]).
	ErrRedeemInPortal = errors.New("license: the code must be redeemed in the portal by an organization")
)

// Activation is a device's activation of licenses (A1), as the portal
// keeps it. A trial's has no organization.
type Activation struct {
	ID          string   `json:"id"`
	Org         string   `json:"org,omitempty"`
	Fingerprint string   `json:"fingerprint"`
	Product     string   `json:"product"`
	Licenses    []string `json:"licenses"` // license IDs
	// Activated is when the device first activated these licenses, or
	// started the trial: it never moves (A3).
	Activated time.Time `json:"activated"`
	// LastCheckIn is when the portal issued the newest certificate, and
	// NotAfter when that one stops holding.
	LastCheckIn time.Time `json:"last_check_in"`
	NotAfter    time.Time `json:"not_after"`
	// Deactivated is when the device deactivated, zero while it is
	// active (A5).
	Deactivated time.Time `json:"deactivated,omitzero"`
	Trial       bool      `json:"trial,omitempty"`
	// Key is a trial's license key, which the portal issued to the device
	// alone; an organization's license comes from its key storage.
	Key string `json:"key,omitempty"`
}

func (a Activation) clone() Activation {
	a.Licenses = slices.Clone(a.Licenses)
	return a
}

// ActivationRef is what the portal remembers of a device's activation of
// a license, or of its trial of a product: its latest activation, and
// when the device first activated (A3, A6).
type ActivationRef struct {
	Activation string    `json:"activation"`
	Activated  time.Time `json:"activated"`
}

// ActivationRequest is what a device sends to activate: its fingerprint
// and exactly one of a license key or an activation code.
type ActivationRequest struct {
	Key         string `json:"key,omitempty"`
	Code        string `json:"code,omitempty"`
	Fingerprint string `json:"fingerprint"`
}

// deviceActor is who a device's own operations are recorded as (P5).
func deviceActor(fp, org string) Actor { return Actor{ID: "device " + fp, Org: org} }

// Activate activates a license on the device with req.Fingerprint and
// returns the activation certificate's text and the activation (A1).
//
// With req.Key, the key must verify and its license be in an
// organization's key storage; with req.Code, the code is redeemed for the
// organization its template is made out to, as [OrgScope.RedeemCode]
// does, and its license activated. The device is registered in the
// organization if it is not, and takes a seat of the license as
// [OrgScope.AssignSeat] gives it (quantity and overage apply, D6); a
// floating license takes no seat, its leases count instead (F1).
//
// A device activating a license it holds an activation of gets the same
// activation, with a fresh certificate; after a deactivation it gets a
// new activation that keeps the instant it first activated (A3). The
// certificate, signed by the portal's Signer, holds until
// CertificateTTL from now, and names the current revocation list's
// serial (C2). The organization's history records the activation (P5).
//
// Activate returns ErrInvalidInput (no fingerprint, or not exactly one
// of key and code), the errors of [license.Verifier.Verify] for a bad
// key, ErrNoSuchKey (the license is in no key storage), ErrRedeemInPortal,
// the errors of RedeemCode and AssignSeat, ErrSchemeMismatch for a
// per-user license, ErrLicenseRevoked, or ErrActivationRevoked when the
// vendor revoked the device's activation of that license. On error no
// activation is made.
func (p *Portal) Activate(ctx context.Context, req ActivationRequest) (string, Activation, error) {
	if detail, err := textfield.Check(req.Fingerprint, true); err != nil {
		return "", Activation{}, invalidField("fingerprint", err, detail)
	}
	if (req.Key == "") == (req.Code == "") {
		return "", Activation{}, fmt.Errorf("%w: an activation needs a license key or an activation code, not both", license.ErrInvalidInput)
	}
	key := req.Key
	if req.Code != "" {
		var err error
		if key, err = p.redeemForDevice(ctx, req.Code, req.Fingerprint); err != nil {
			return "", Activation{}, err
		}
	}
	l, err := p.cfg.Verifier.Verify(key)
	if err != nil {
		return "", Activation{}, err
	}
	fp := req.Fingerprint
	var owner string
	if err := p.store.ViewVendor(ctx, func(v *Vendor) error {
		owner = v.Owners.Peek(l.ID)
		if err := v.licenseUsable(l.ID); err != nil {
			return err
		}
		if err := v.signerUsable(key); err != nil {
			return err
		}
		_, err := v.liveActivation(&v.DeviceActivations, l.ID+"|"+fp)
		return err
	}); err != nil {
		return "", Activation{}, err
	}
	if owner == "" {
		return "", Activation{}, fmt.Errorf("%w: %s is in no organization's key storage", ErrNoSuchKey, textfield.QuoteShort(l.ID))
	}
	held, err := p.activateIn(ctx, owner, l.ID, fp)
	if err != nil {
		return "", Activation{}, err
	}
	now := p.now()
	var a Activation
	var serial uint64
	err = p.store.UpdateVendor(ctx, func(v *Vendor) error {
		a = Activation{Org: owner, Fingerprint: fp, Product: held.Product, Licenses: []string{held.ID}}
		a, err = p.activation(v, &v.DeviceActivations, held.ID+"|"+fp, a, now)
		serial = v.revocationSerial()
		return err
	})
	if err != nil {
		return "", Activation{}, err
	}
	cert, err := p.certificate(a, held, serial)
	return cert, a, err
}

// redeemForDevice redeems activation code code for the device with
// fingerprint fp, in the organization the code is made out to, and
// returns the key.
func (p *Portal) redeemForDevice(ctx context.Context, code, fp string) (string, error) {
	c, err := ParseCode(code)
	if err != nil {
		return "", err
	}
	var org string
	if err := p.store.ViewVendor(ctx, func(v *Vendor) error {
		ac, ok := v.Codes.Get(c)
		if !ok {
			return ErrUnknownCode
		}
		org = ac.Template.Organization
		return nil
	}); err != nil {
		return "", err
	}
	if org == "" {
		return "", fmt.Errorf("%w: the code is made out to no organization", ErrRedeemInPortal)
	}
	key, _, err := p.Org(deviceActor(fp, org), org).RedeemCode(ctx, code, fp)
	if errors.Is(err, ErrNoAccess) {
		return "", fmt.Errorf("%w: organization %s does not exist", ErrRedeemInPortal, textfield.QuoteShort(org))
	}
	return key, err
}

// activateIn checks that organization org holds license id in its key
// storage, and gives the device with fingerprint fp its seat, as
// activateDevice does, unless the license is floating. It returns the
// license.
func (p *Portal) activateIn(ctx context.Context, org, id, fp string) (*license.License, error) {
	var l *license.License
	var events, refused []license.Event
	a := deviceActor(fp, org)
	err := p.store.UpdateOrganization(ctx, org, func(o *Organization) error {
		k, ok := o.Keys.Get(id)
		if !ok {
			return fmt.Errorf("%w: %s", ErrNoSuchKey, textfield.QuoteShort(id))
		}
		l = k.License
		now := p.now()
		if l.Scheme == license.SchemePerUser {
			return fmt.Errorf("%w: %s counts users, who are assigned seats, not devices", ErrSchemeMismatch, id)
		}
		var err error
		if events, refused, err = p.activateDevice(o, a, now, l, fp); err != nil {
			return err
		}
		o.record(a, now, "activation.activate", id, "device "+fp)
		return nil
	})
	if err != nil {
		p.deliver(refused)
		return nil, orgGone(err, ErrNoSuchKey)
	}
	p.deliver(events)
	return l, nil
}

// activation returns the device's activation that index entry key of idx
// names, refreshed: the live one, or else a new one that keeps the
// instant the device first activated, or a new one from now (A3). tmpl
// gives a new activation's fields.
func (p *Portal) activation(v *Vendor, idx *Table[ActivationRef], key string, tmpl Activation, now time.Time) (Activation, error) {
	a, err := v.liveActivation(idx, key)
	if err != nil {
		return Activation{}, err
	}
	if a.ID == "" {
		a = tmpl
		a.Activated = now
		if ref, ok := idx.Get(key); ok {
			a.Activated = ref.Activated
		}
		for a.ID == "" || v.Activations.Has(a.ID) {
			v.Seq++
			a.ID = "act-" + strconv.FormatInt(v.Seq, 10)
		}
		idx.Put(key, ActivationRef{Activation: a.ID, Activated: a.Activated})
	}
	a.LastCheckIn, a.NotAfter = now, now.Add(p.cfg.CertificateTTL)
	v.Activations.Put(a.ID, a)
	return a, nil
}

// liveActivation returns the device's activation that index entry key of
// idx names, unless it was deactivated (then its ID is empty), or
// ErrActivationRevoked.
func (v *Vendor) liveActivation(idx *Table[ActivationRef], key string) (Activation, error) {
	ref, ok := idx.Get(key)
	if !ok {
		return Activation{}, nil
	}
	a, ok := v.Activations.Get(ref.Activation)
	switch {
	case v.Revocations.Has(revocationID(RevokedActivation, ref.Activation)):
		return Activation{}, fmt.Errorf("%w: %s", ErrActivationRevoked, ref.Activation)
	case !ok || !a.Deactivated.IsZero():
		return Activation{}, nil
	}
	return a, nil
}

// licenseUsable refuses license id if the vendor revoked it, or it was
// traded in for an upgrade.
func (v *Vendor) licenseUsable(id string) error {
	switch life := v.Lives.Peek(id); life.State {
	case LifeRevoked:
		return fmt.Errorf("%w: %s", ErrLicenseRevoked, id)
	case LifeReplaced:
		return fmt.Errorf("%w: %s by %s", ErrLicenseReplaced, id, life.By)
	}
	return nil
}

// certificate signs the certificate of activation a, which grants l, as
// of its last check-in.
func (p *Portal) certificate(a Activation, l *license.License, serial uint64) (string, error) {
	return p.cfg.Signer.SignCertificate(&license.Certificate{
		ID: a.ID, Licenses: []*license.License{l}, Fingerprint: a.Fingerprint,
		Activated: a.Activated, Issued: a.LastCheckIn, NotAfter: a.NotAfter, RevocationSerial: serial,
	})
}

// StartTrial starts the trial of product on the device with fingerprint
// fingerprint, and returns its certificate and activation (A6). The
// trial's license is issued from the product's template in
// [PortalConfig.Trials], to the device alone, and its term runs from the
// activation. A device gets one trial per product: starting it again,
// also after deleting everything on the device or deactivating, returns
// the first trial's license and activation instant, with a fresh
// certificate, so that an expired trial stays expired. The vendor's
// history records the start (P5).
//
// StartTrial returns ErrInvalidInput, ErrNoTrial for a product without a
// trial, ErrActivationRevoked, ErrLicenseRevoked, or a store's error; on
// error nothing changes.
func (p *Portal) StartTrial(ctx context.Context, product, fingerprint string) (string, Activation, error) {
	if err := checkArgs("product", product, "fingerprint", fingerprint); err != nil {
		return "", Activation{}, err
	}
	t, ok := p.cfg.Trials[product]
	if !ok {
		return "", Activation{}, fmt.Errorf("%w: %s", ErrNoTrial, textfield.QuoteShort(product))
	}
	now := p.now()
	key := product + "|" + fingerprint
	var a Activation
	var serial uint64
	err := p.store.UpdateVendor(ctx, func(v *Vendor) error {
		tmpl := Activation{Fingerprint: fingerprint, Product: product, Trial: true}
		if ref, ok := v.TrialStarts.Get(key); ok {
			first := v.Activations.Peek(ref.Activation)
			tmpl.Licenses, tmpl.Key = slices.Clone(first.Licenses), first.Key
			if err := v.licenseUsable(first.Licenses[0]); err != nil {
				return err
			}
		} else {
			k, l, err := p.issue(v, t, "", now)
			if err != nil {
				return err
			}
			tmpl.Licenses, tmpl.Key = []string{l.ID}, k
			v.record(deviceActor(fingerprint, ""), now, "trial.start", l.ID, product+" on device "+fingerprint)
		}
		var err error
		a, err = p.activation(v, &v.TrialStarts, key, tmpl, now)
		serial = v.revocationSerial()
		return err
	})
	if err != nil {
		return "", Activation{}, err
	}
	l, err := p.cfg.Verifier.Verify(a.Key)
	if err != nil {
		return "", Activation{}, err
	}
	cert, err := p.certificate(a, l, serial)
	return cert, a, err
}

// checkTrials checks the trial templates of a [PortalConfig] and returns
// a copy, each with its product.
func checkTrials(trials map[string]license.License, now time.Time) (map[string]license.License, error) {
	out := make(map[string]license.License, len(trials))
	for _, product := range slices.Sorted(maps.Keys(trials)) {
		t := trials[product].Clone()
		if t.Product == "" {
			t.Product = product
		}
		switch {
		case t.Product != product:
			return nil, fmt.Errorf("%w: the trial of %q is a license of product %q", license.ErrInvalidInput, product, t.Product)
		case !t.Trial || t.Term <= 0:
			return nil, fmt.Errorf("%w: the trial of %q needs Trial set and a Term, which runs from its start", license.ErrInvalidInput, product)
		}
		t, err := checkTemplate(t, now)
		if err != nil {
			return nil, fmt.Errorf("the trial of %q: %w", product, err)
		}
		out[product] = t
	}
	return out, nil
}

// Activation returns the activation with that ID, or
// ErrNoSuchActivation. It is a vendor operation.
func (p *Portal) Activation(ctx context.Context, id string) (Activation, error) {
	var a Activation
	err := p.store.ViewVendor(ctx, func(v *Vendor) error {
		var ok bool
		if a, ok = v.Activations.Get(id); !ok {
			return fmt.Errorf("%w: %s", ErrNoSuchActivation, textfield.QuoteShort(id))
		}
		return nil
	})
	return a, err
}

// deviceActivation returns activation id for the device with fingerprint
// fp, if it is live: ErrNoSuchActivation, license.ErrWrongDevice,
// ErrActivationRevoked or ErrDeactivated otherwise.
func (v *Vendor) deviceActivation(id, fp string) (Activation, error) {
	a, ok := v.Activations.Get(id)
	switch {
	case !ok:
		return a, fmt.Errorf("%w: %s", ErrNoSuchActivation, textfield.QuoteShort(id))
	case a.Fingerprint != fp:
		return a, fmt.Errorf("%w: activation %s", license.ErrWrongDevice, id)
	case v.Revocations.Has(revocationID(RevokedActivation, id)):
		return a, fmt.Errorf("%w: %s", ErrActivationRevoked, id)
	case !a.Deactivated.IsZero():
		return a, fmt.Errorf("%w: %s at %s", ErrDeactivated, id, a.Deactivated.Format(time.RFC3339))
	}
	return a, v.licenseUsable(a.Licenses[0])
}

// CheckIn returns a fresh certificate of activation activationID for the
// device with fingerprint fingerprint (A4): the same activation instant,
// issued now, holding until CertificateTTL from now. An organization's
// license must still be in its key storage, and the device still hold
// its seat (a floating license needs none). It is recorded in the
// organization's history, or the vendor's for a trial (P5).
//
// CheckIn returns ErrInvalidInput, ErrNoSuchActivation,
// license.ErrWrongDevice for another device's activation, ErrDeactivated
// (A5), ErrActivationRevoked (C1), ErrLicenseRevoked, ErrNoSuchKey,
// ErrNoSuchSeat (the seat was released: activate again), or a store's
// error; on error nothing changes.
func (p *Portal) CheckIn(ctx context.Context, activationID, fingerprint string) (string, error) {
	if err := checkArgs("activation ID", activationID, "fingerprint", fingerprint); err != nil {
		return "", err
	}
	var a Activation
	if err := p.store.ViewVendor(ctx, func(v *Vendor) error {
		var err error
		a, err = v.deviceActivation(activationID, fingerprint)
		return err
	}); err != nil {
		return "", err
	}
	var l *license.License
	key := a.Key
	if a.Org != "" {
		var err error
		if l, key, err = p.checkInIn(ctx, a); err != nil {
			return "", err
		}
	} else {
		var err error
		if l, err = p.cfg.Verifier.Verify(a.Key); err != nil {
			return "", err
		}
	}
	now := p.now()
	var serial uint64
	err := p.store.UpdateVendor(ctx, func(v *Vendor) error {
		var err error
		if a, err = v.deviceActivation(activationID, fingerprint); err != nil {
			return err
		}
		if err := v.signerUsable(key); err != nil {
			return err
		}
		a.LastCheckIn, a.NotAfter = now, now.Add(p.cfg.CertificateTTL)
		v.Activations.Put(a.ID, a)
		if a.Org == "" {
			v.record(deviceActor(fingerprint, ""), now, "activation.checkin", a.Licenses[0], "activation "+a.ID)
		}
		serial = v.revocationSerial()
		return nil
	})
	if err != nil {
		return "", err
	}
	return p.certificate(a, l, serial)
}

// checkInIn checks that the organization of activation a still holds its
// license and the device's seat, records the check-in, and returns the
// license and its key.
func (p *Portal) checkInIn(ctx context.Context, a Activation) (*license.License, string, error) {
	var l *license.License
	var key string
	id := a.Licenses[0]
	err := p.store.UpdateOrganization(ctx, a.Org, func(o *Organization) error {
		k, ok := o.Keys.Get(id)
		if !ok {
			return fmt.Errorf("%w: %s left the key storage", ErrNoSuchKey, textfield.QuoteShort(id))
		}
		l, key = k.License, k.Key
		if !floating(l) && !o.Seats.Has(seatID(id, a.Fingerprint, "")) {
			return fmt.Errorf("%w: %s has no seat for %s any more; activate again", ErrNoSuchSeat, id, textfield.QuoteShort(a.Fingerprint))
		}
		o.record(deviceActor(a.Fingerprint, a.Org), p.now(), "activation.checkin", id, "activation "+a.ID)
		return nil
	})
	return l, key, orgGone(err, ErrNoSuchKey)
}

// Deactivate deactivates activation activationID of the device with
// fingerprint fingerprint (A5): its seat is free at once, its leases are
// released, and its certificate is refused at the next check-in (it
// lapses at its NotAfter). The device can activate again later: the new
// activation keeps the instant it first activated (A3). Deactivating
// again changes nothing, but finishes a deactivation whose organization
// could not be updated the first time. It is recorded in the
// organization's history, or the vendor's for a trial (P5).
//
// Deactivate returns ErrInvalidInput, ErrNoSuchActivation,
// license.ErrWrongDevice, ErrActivationRevoked (a revoked activation
// already freed its seat), or a store's error.
func (p *Portal) Deactivate(ctx context.Context, activationID, fingerprint string) error {
	if err := checkArgs("activation ID", activationID, "fingerprint", fingerprint); err != nil {
		return err
	}
	now := p.now()
	var a Activation
	first := false
	err := p.store.UpdateVendor(ctx, func(v *Vendor) error {
		var err error
		a, err = v.deviceActivation(activationID, fingerprint)
		if errors.Is(err, ErrDeactivated) || errors.Is(err, ErrLicenseRevoked) || errors.Is(err, ErrLicenseReplaced) {
			err = nil
		}
		if err != nil || !a.Deactivated.IsZero() {
			return err
		}
		first = true
		a.Deactivated = now
		v.Activations.Put(a.ID, a)
		if a.Org == "" {
			v.record(deviceActor(fingerprint, ""), now, "activation.deactivate", a.Licenses[0], "activation "+a.ID)
		}
		return nil
	})
	if err != nil || a.Org == "" {
		return err
	}
	return p.freeDevice(ctx, a, deviceActor(fingerprint, a.Org), first, "activation.deactivate", "activation "+a.ID)
}

// freeDevice frees, in its organization, what activation a holds: the
// device's seat and its leases of a's licenses, and records action, if
// first (the first time for a), or if it freed anything (it finishes what
// an earlier call could not).
func (p *Portal) freeDevice(ctx context.Context, a Activation, actor Actor, first bool, action, detail string) error {
	var events []license.Event
	err := p.store.UpdateOrganization(ctx, a.Org, func(o *Organization) error {
		now := p.now()
		for _, id := range a.Licenses {
			freed := o.releaseLease(actor, now, id, a.Fingerprint, "lease.release")
			sid := seatID(id, a.Fingerprint, "")
			if st, ok := o.Seats.Get(sid); ok {
				o.Seats.Delete(sid)
				o.unplace(st)
				o.record(actor, now, "seat.release", id, a.Fingerprint)
				events = append(events, p.levelEvents(o, id, now)...)
				freed = true
			}
			if first || freed {
				o.record(actor, now, action, id, detail)
			}
		}
		return nil
	})
	if errors.Is(err, license.ErrNotFound) {
		return nil // the organization is gone, and its seats with it
	}
	if err != nil {
		return fmt.Errorf("freeing the seat of activation %s in %s: %w", a.ID, a.Org, err)
	}
	p.deliver(events)
	return nil
}
