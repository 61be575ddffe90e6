package portal

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// A license's life across the vendor.
//
// A license ID has one life, whatever organization, key storage or wallet
// it passes through, kept in the vendor's document ([Vendor].Lives, beside
// its owner in [Vendor].Owners) and changed only by [Vendor.use]. Every
// operation that puts a license to use asks it first, so that no sequence
// of calls spends a license twice. Its states and the uses that move it:
//
//	(unknown) --hold-->    held      AddKey, or the portal issued it (codes,
//	                                 vouchers, serial numbers, upgrades)
//	(unknown) --redeem-->  redeemed  Redeem into the wallet (P1)
//	held      --hold-->    held      back into the same organization's key
//	                                 storage after RemoveKey (D1)
//	held      --replace--> replaced  traded in for an upgrade (V2)
//	redeemed  --redeem-->  redeemed  the same organization, whose own
//	                                 document refuses a second redemption
//	any       --revoke-->  revoked   Portal.Revoke (C1)
//
// Everything else is refused, with an error that says why: a license of
// another organization with ErrOtherOrganization (P4); a held license
// asked for the wallet with ErrLicenseHeld, as its licenses were already
// put to use in a key storage (P2); a redeemed one asked for a key storage
// or an upgrade with ErrKeyRedeemed; a replaced one with
// ErrLicenseReplaced; a revoked one with ErrLicenseRevoked. Replaced and
// revoked are final.

// Errors of a license's life. Every refusal changes nothing.
var (
	// ErrLicenseHeld: the license went into a key storage; its licenses
	// cannot also go into a wallet, even after it left the storage (P1,
	// P2).
	ErrLicenseHeld = errors.New("license: the license was put in a key storage")
	// ErrLicenseReplaced: the license was traded in for an upgrade (V2);
	// the new license replaces it for good.
	ErrLicenseReplaced = errors.New("license: the license was replaced by an upgrade")
	// ErrLicenseRevoked: the vendor revoked the license (C1); its ID can
	// never be used again.
	ErrLicenseRevoked = errors.New("license: the license was revoked")
)

// LifeState is where a license is in its life across the vendor.
type LifeState string

// The states of a license's life.
const (
	// LifeHeld: the license is in, or went into, an organization's key
	// storage (D1).
	LifeHeld LifeState = "held"
	// LifeRedeemed: the license was redeemed into an organization's
	// wallet (P1).
	LifeRedeemed LifeState = "redeemed"
	// LifeReplaced: the license was traded in for an upgrade (V2).
	LifeReplaced LifeState = "replaced"
	// LifeRevoked: the vendor revoked the license (C1).
	LifeRevoked LifeState = "revoked"
)

// LicenseLife is the state of one license ID's life and when it entered
// it.
type LicenseLife struct {
	State LifeState `json:"state"`
	Since time.Time `json:"since"`
	// By is the license that replaced it, for a replaced license.
	By string `json:"by,omitempty"`
}

// lifeUse is a use a license is put to.
type lifeUse int

const (
	useHold    lifeUse = iota // into a key storage
	useRedeem                 // into a wallet
	useReplace                // traded in for an upgrade
	useRevoke                 // revoked by the vendor
)

// use moves license id, for organization org, on to the state that use u
// leads to, at now, or refuses, changing nothing. For useRevoke, org is
// ignored. See the table above.
func (v *Vendor) use(id, org string, u lifeUse, now time.Time) error {
	if err := v.canUse(id, org, u); err != nil {
		return err
	}
	life := v.Lives.Peek(id)
	next := [...]LifeState{useHold: LifeHeld, useRedeem: LifeRedeemed, useReplace: LifeReplaced, useRevoke: LifeRevoked}[u]
	if life.State == next {
		return nil
	}
	v.Lives.Put(id, LicenseLife{State: next, Since: now})
	if u != useRevoke {
		v.Owners.Put(id, org)
	}
	return nil
}

// canUse reports whether license id may be put to use u for
// organization org, without changing anything.
func (v *Vendor) canUse(id, org string, u lifeUse) error {
	life := v.Lives.Peek(id)
	if owner, ok := v.Owners.Get(id); ok && owner != org && u != useRevoke {
		return fmt.Errorf("%w: %s", ErrOtherOrganization, id)
	}
	switch {
	case u == useRevoke:
		return nil
	case life.State == LifeRevoked:
		return fmt.Errorf("%w: %s", ErrLicenseRevoked, id)
	case life.State == LifeReplaced:
		return fmt.Errorf("%w: %s by %s", ErrLicenseReplaced, id, life.By)
	case life.State == LifeRedeemed && u != useRedeem:
		return fmt.Errorf("%w: %s", ErrKeyRedeemed, id)
	case life.State == LifeHeld && u == useRedeem:
		return fmt.Errorf("%w: %s", ErrLicenseHeld, id)
	}
	return nil
}

// useLicense puts license id to use u for organization org, in the
// vendor's document.
func (p *Portal) useLicense(ctx context.Context, id, org string, u lifeUse) error {
	now := p.now()
	return p.store.UpdateVendor(ctx, func(v *Vendor) error { return v.use(id, org, u, now) })
}
