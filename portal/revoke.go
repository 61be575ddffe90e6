package portal

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/licensekit/license"
)

// Revoke revokes license licenseID for good (C1). Its ID can never be
// used again: no key storage and no wallet takes it, no upgrade trades it
// in (ErrLicenseRevoked; see [LifeState]), and the portal never issues a
// license with that ID. It stops counting in the organization that holds
// it at once: it leaves the key storage with its seats, as
// [OrgScope.RemoveKey] does (its group's devices move, G2), and the
// licenses it put in the wallet that are still there leave the wallet;
// licenses already consumed for a subscription's term stay consumed (P2).
// A license the portal never saw can be revoked too, so that it is never
// taken later.
//
// It is a vendor operation, recorded with reason in the vendor's history
// and the organization's (P5). Revoking again changes nothing but
// finishes a revocation whose organization could not be updated the first
// time. Revoke returns ErrInvalidInput for a bad ID or reason, or a
// store's error. Applications learn of revocations through the
// revocation list (C2; see [Portal.RevocationList]), not from this call;
// the devices' activations of the license are refused at check-in.
func (p *Portal) Revoke(ctx context.Context, licenseID, reason string) error {
	if err := checkReason("license ID", licenseID, reason); err != nil {
		return err
	}
	a := vendorActor(ctx)
	now := p.now()
	var owner string
	err := p.store.UpdateVendor(ctx, func(v *Vendor) error {
		owner = v.Owners.Peek(licenseID)
		// The revocation list names it from now on (C2); a license
		// revoked before the portal kept the list joins it now.
		v.revoke(a, RevokedLicense, licenseID, reason, now)
		if v.Lives.Peek(licenseID).State == LifeRevoked {
			return nil
		}
		if err := v.use(licenseID, "", useRevoke, now); err != nil {
			return err
		}
		v.record(a, now, "license.revoke", licenseID, reason)
		return nil
	})
	if err != nil || owner == "" {
		return err
	}
	var events []license.Event
	err = p.store.UpdateOrganization(ctx, owner, func(o *Organization) error {
		var err error
		events, err = p.revokeIn(o, a, licenseID, reason, now)
		return err
	})
	if errors.Is(err, license.ErrNotFound) {
		return nil // the owner is gone: nothing left to count
	}
	if err != nil {
		return fmt.Errorf("revoking %s in %s: %w", licenseID, owner, err)
	}
	p.deliver(events)
	return nil
}

// revokeIn makes revoked license id stop counting in o, unless it does
// already, and returns the events that causes.
func (p *Portal) revokeIn(o *Organization, a Actor, id, reason string, now time.Time) ([]license.Event, error) {
	events := p.settle(o, now)
	r, redeemed := o.Redeemed.Get(id)
	_, held := o.Keys.Get(id)
	if !held && (!redeemed || !r.Revoked.IsZero()) {
		return events, nil
	}
	o.record(a, now, "license.revoke", id, reason)
	if held {
		ev, err := p.removeKey(o, a, id, now)
		if err != nil {
			return nil, err
		}
		events = append(events, ev...)
	}
	if redeemed && r.Revoked.IsZero() {
		gone := min(r.Wallet, o.Wallet[r.Product])
		o.Wallet[r.Product] -= gone
		r.Revoked = now
		o.Redeemed.Put(id, r)
		o.record(a, now, "wallet.revoke", id, fmt.Sprintf("%d %s licenses leave the wallet", gone, r.Product))
	}
	return events, nil
}
