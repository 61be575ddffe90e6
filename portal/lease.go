package portal

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/licensekit/license/internal/textfield"

	"github.com/licensekit/license"
)

// Floating licenses (F1–F3).
//
// A floating license ([license.SchemeFloating]) of quantity N takes no
// seat when a device activates it: a device that runs the software checks
// out a lease, which holds for LeaseTTL and which heartbeats extend, and
// at most N leases are live at once across the organization's devices. A
// lease is live while the portal clock is before its Expires: an expired
// lease counts for nothing and is removed by the next checkout of its
// license, so that its place is free at once (F2).
//
// Each lease is one record of the organization ([Organization].Leases),
// by lease ID, so that a heartbeat reads and writes its own lease only. A
// checkout reads every lease of its license, counts the live ones and
// releases the expired, in the update that takes the license's key: two
// checkouts of one license, in any processes, never both take the last
// place.

// Errors of floating leases. Every refusal changes nothing.
var (
	// ErrNotFloating: the license is not a floating license, or not one
	// the activation holds; it takes seats, not leases.
	ErrNotFloating = errors.New("license: not a floating license of the activation")
	// ErrNoLease: every lease of the floating license is taken (F3); the
	// checkout holds nothing.
	ErrNoLease = errors.New("license: no floating lease is free")
	// ErrNoSuchLease: the device holds no lease with that ID.
	ErrNoSuchLease = errors.New("license: no such lease")
	// ErrLeaseExpired: the lease passed its expiry without a heartbeat
	// and was released (F2); the device checks out again.
	ErrLeaseExpired = errors.New("license: the lease expired")
)

// Lease is a device's use of a floating license, until Expires (F1, F2).
// Its ID is the license's ID, "|" and the device's fingerprint: a device
// holds one lease of a license (F3).
type Lease struct {
	ID          string    `json:"id"`
	License     string    `json:"license"`
	Org         string    `json:"org"`
	Activation  string    `json:"activation"`
	Fingerprint string    `json:"fingerprint"`
	Expires     time.Time `json:"expires"`
}

// LeaseSet is the leases of one floating license, by device fingerprint:
// what [LeaseTable.OfLicense] returns.
type LeaseSet map[string]Lease

// floating reports whether l counts leases rather than seats.
func floating(l *license.License) bool { return l.Scheme == license.SchemeFloating }

// leaseID names the lease of license id on device fp.
func leaseID(id, fp string) string { return id + "|" + fp }

// Checkout checks out a lease of floating license licenseID for the
// device with fingerprint fingerprint, under its activation activationID,
// and returns it: it holds for LeaseTTL (F2). A device that holds a lease
// gets the same one, extended (F3). The license must be one the
// activation holds, still in the organization's key storage and valid;
// at most its quantity of leases are live at once across devices (F1).
// Expired leases of the license are released first, each recorded in the
// organization's history, as is the checkout (P5).
//
// Checkout returns ErrInvalidInput, the errors of [Portal.CheckIn] for
// the activation, ErrNotFloating, ErrNoSuchKey, the license's validity
// error (ErrExpired, ErrNotYetValid), ErrNoLease when every lease is
// taken, or a store's error; on error nothing changes.
func (p *Portal) Checkout(ctx context.Context, activationID, fingerprint, licenseID string) (Lease, error) {
	if err := checkArgs("activation ID", activationID, "fingerprint", fingerprint, "license ID", licenseID); err != nil {
		return Lease{}, err
	}
	var a Activation
	if err := p.store.ViewVendor(ctx, func(v *Vendor) error {
		var err error
		a, err = v.deviceActivation(activationID, fingerprint)
		return err
	}); err != nil {
		return Lease{}, err
	}
	if a.Org == "" || !slices.Contains(a.Licenses, licenseID) {
		return Lease{}, fmt.Errorf("%w: activation %s holds no floating license %s", ErrNotFloating, a.ID, textfield.QuoteShort(licenseID))
	}
	var lease Lease
	actor := deviceActor(fingerprint, a.Org)
	err := p.store.UpdateOrganization(ctx, a.Org, func(o *Organization) error {
		now := p.now()
		k, ok := o.Keys.Get(licenseID)
		if !ok {
			return fmt.Errorf("%w: %s", ErrNoSuchKey, textfield.QuoteShort(licenseID))
		}
		l := k.License
		if !floating(l) {
			return fmt.Errorf("%w: %s counts %s", ErrNotFloating, licenseID, l.Scheme)
		}
		if err := l.ValidAt(now, a.Activated); err != nil {
			return fmt.Errorf("%s lends no lease: %w", licenseID, err)
		}
		set := o.liveLeases(actor, now, licenseID)
		lease, ok = set[fingerprint]
		if !ok && len(set) >= l.Quantity {
			return fmt.Errorf("%w: %s: %d of %d leases taken", ErrNoLease, licenseID, len(set), l.Quantity)
		}
		if !ok {
			lease = Lease{ID: leaseID(licenseID, fingerprint), License: licenseID, Org: a.Org, Activation: a.ID, Fingerprint: fingerprint}
			o.record(actor, now, "lease.checkout", licenseID, fingerprint)
		}
		lease.Expires = now.Add(p.cfg.LeaseTTL)
		o.Leases.Put(lease.ID, lease)
		return nil
	})
	return lease, orgGone(err, ErrNoSuchKey)
}

// liveLeases returns the live leases of license id at now, after
// releasing, with a history entry each, those that expired (F2).
func (o *Organization) liveLeases(a Actor, now time.Time, id string) LeaseSet {
	set := o.Leases.OfLicense(id)
	for _, fp := range slices.Sorted(maps.Keys(set)) {
		if !now.Before(set[fp].Expires) {
			o.Leases.Delete(set[fp].ID)
			delete(set, fp)
			o.record(a, now, "lease.expire", id, fp)
		}
	}
	return set
}

// Heartbeat extends lease leaseID of the device with fingerprint
// fingerprint by LeaseTTL from now (F2), and returns it. A heartbeat is
// not recorded in the history: it changes who holds nothing, and comes
// every few minutes from every device.
//
// Heartbeat returns ErrInvalidInput, ErrNoSuchLease, ErrLeaseExpired
// (the device checks out again), or a store's error; on error nothing
// changes.
func (p *Portal) Heartbeat(ctx context.Context, leaseID, fingerprint string) (Lease, error) {
	var lease Lease
	err := p.updateLease(ctx, leaseID, fingerprint, func(o *Organization, l Lease, now time.Time) {
		lease = l
		lease.Expires = now.Add(p.cfg.LeaseTTL)
		o.Leases.Put(lease.ID, lease)
	})
	return lease, err
}

// Release releases lease leaseID of the device with fingerprint
// fingerprint at once (F3): its place is free for another device. It is
// recorded in the organization's history (P5). It returns the errors of
// [Portal.Heartbeat].
func (p *Portal) Release(ctx context.Context, leaseID, fingerprint string) error {
	return p.updateLease(ctx, leaseID, fingerprint, func(o *Organization, l Lease, now time.Time) {
		o.releaseLease(deviceActor(fingerprint, o.ID), now, l.License, fingerprint, "lease.release")
	})
}

// updateLease runs fn on the live lease leaseID of the device with
// fingerprint fp, in the update of its organization, which reads that
// lease alone: fn may put it back or release it. The store's update locks
// the lease's record as it reads it, so that a checkout's release of the
// lease once expired, or a release by another process, either waits for
// fn's change or comes first, and then fn finds no lease to extend.
func (p *Portal) updateLease(ctx context.Context, leaseID, fp string, fn func(o *Organization, l Lease, now time.Time)) error {
	if err := checkArgs("lease ID", leaseID, "fingerprint", fp); err != nil {
		return err
	}
	id, ok := strings.CutSuffix(leaseID, "|"+fp)
	if !ok || id == "" {
		return fmt.Errorf("%w: %s is not a lease of device %s", ErrNoSuchLease, textfield.QuoteShort(leaseID), textfield.QuoteShort(fp))
	}
	var org string
	if err := p.store.ViewVendor(ctx, func(v *Vendor) error {
		org = v.Owners.Peek(id)
		return nil
	}); err != nil {
		return err
	}
	if org == "" {
		return fmt.Errorf("%w: %s", ErrNoSuchLease, textfield.QuoteShort(leaseID))
	}
	err := p.store.UpdateOrganization(ctx, org, func(o *Organization) error {
		now := p.now()
		lease, ok := o.Leases.Get(leaseID)
		switch {
		case !ok || lease.License != id || lease.Fingerprint != fp:
			return fmt.Errorf("%w: %s", ErrNoSuchLease, textfield.QuoteShort(leaseID))
		case !now.Before(lease.Expires):
			return fmt.Errorf("%w: %s at %s", ErrLeaseExpired, textfield.QuoteShort(leaseID), lease.Expires.Format(time.RFC3339))
		}
		fn(o, lease, now)
		return nil
	})
	return orgGone(err, ErrNoSuchLease)
}

// releaseLease releases the lease of license id that device fp holds, if
// any, records action, and reports whether there was one.
func (o *Organization) releaseLease(a Actor, now time.Time, id, fp, action string) bool {
	lid := leaseID(id, fp)
	if !o.Leases.Has(lid) {
		return false
	}
	o.Leases.Delete(lid)
	o.record(a, now, action, id, fp)
	return true
}

// Leases returns the live leases of floating license licenseID, by
// fingerprint (F1). It returns ErrInvalidInput, ErrNoSuchKey, or
// ErrNoAccess when the actor cannot reach the organization.
func (s *OrgScope) Leases(ctx context.Context, licenseID string) ([]Lease, error) {
	if err := checkArgs("license ID", licenseID); err != nil {
		return nil, err
	}
	now := s.p.now()
	var out []Lease
	err := s.view(ctx, func(o *Organization) error {
		if !o.Keys.Has(licenseID) {
			return fmt.Errorf("%w: %s", ErrNoSuchKey, textfield.QuoteShort(licenseID))
		}
		for _, l := range o.Leases.OfLicense(licenseID) {
			if now.Before(l.Expires) {
				out = append(out, l)
			}
		}
		return nil
	})
	slices.SortFunc(out, func(a, b Lease) int { return cmp.Compare(a.Fingerprint, b.Fingerprint) })
	return out, err
}

// orgGone turns a store's ErrNotFound, for an organization deleted under
// a device, into err.
func orgGone(err, as error) error {
	if errors.Is(err, license.ErrNotFound) {
		return fmt.Errorf("%w: its organization is gone", as)
	}
	return err
}
