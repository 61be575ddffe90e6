package portal

import (
	"context"
	"fmt"
	"time"

	"github.com/licensekit/license/internal/textfield"

	"github.com/licensekit/license"
)

// RevocationKind is what a [Revocation] revokes.
type RevocationKind string

// The kinds of revocations (C1).
const (
	RevokedLicense    RevocationKind = "license"     // see [Portal.Revoke]
	RevokedActivation RevocationKind = "activation"  // see [Portal.RevokeActivation]
	RevokedSigningKey RevocationKind = "signing-key" // see [Portal.RevokeSigningKey]
)

// Revocation is one revocation by the vendor (C1), for good.
type Revocation struct {
	Kind   RevocationKind `json:"kind"`
	ID     string         `json:"id"` // a license ID, an activation ID, or a signing key's key ID
	Reason string         `json:"reason,omitempty"`
	At     time.Time      `json:"at"`
	By     string         `json:"by"`
	// Serial is the serial of the first revocation list that names it.
	Serial uint64 `json:"serial"`
}

// revocationID is the key of a revocation in [Vendor].Revocations.
func revocationID(kind RevocationKind, id string) string { return string(kind) + ":" + id }

// revocationSerial is the serial of the newest revocation list: 1 for the
// empty list, one more with each revocation (C2).
func (v *Vendor) revocationSerial() uint64 { return v.RevocationCount + 1 }

// revoke records the revocation of id, of that kind, unless it is
// recorded, and reports whether it was new. A new revocation takes the
// next serial: the count is on the vendor's own row, which every store
// writes only over the version it read, so that two revocations at once
// never share a serial.
func (v *Vendor) revoke(a Actor, kind RevocationKind, id, reason string, now time.Time) bool {
	rid := revocationID(kind, id)
	if v.Revocations.Has(rid) {
		return false
	}
	v.RevocationCount++
	v.Revocations.Put(rid, Revocation{Kind: kind, ID: id, Reason: reason, At: now, By: a.ID, Serial: v.revocationSerial()})
	return true
}

// signerUsable refuses a license key, or certificate, whose signing key
// the vendor revoked.
func (v *Vendor) signerUsable(key string) error {
	_, kid, err := license.DecodeUnverified(key)
	if err != nil {
		return err
	}
	if v.Revocations.Has(revocationID(RevokedSigningKey, kid)) {
		return &license.SignerError{KeyID: kid, Err: license.ErrRetiredSigner}
	}
	return nil
}

// RevokeActivation revokes activation activationID for good (C1): the
// device's seat and leases are free at once, its check-ins are refused
// with ErrActivationRevoked, the device cannot activate that license
// again, and the next revocation list names it, so that applications
// stop granting it as soon as they load the list (C3). It is a vendor
// operation, recorded with reason in the vendor's history and the
// organization's (P5). Revoking again changes nothing but finishes a
// revocation whose organization could not be updated the first time. It
// returns ErrInvalidInput, ErrNoSuchActivation, or a store's error.
func (p *Portal) RevokeActivation(ctx context.Context, activationID, reason string) error {
	if err := checkReason("activation ID", activationID, reason); err != nil {
		return err
	}
	a := vendorActor(ctx)
	now := p.now()
	var act Activation
	first := false
	err := p.store.UpdateVendor(ctx, func(v *Vendor) error {
		var ok bool
		if act, ok = v.Activations.Get(activationID); !ok {
			return fmt.Errorf("%w: %s", ErrNoSuchActivation, textfield.QuoteShort(activationID))
		}
		if first = v.revoke(a, RevokedActivation, activationID, reason, now); first {
			v.record(a, now, "activation.revoke", activationID, reason)
		}
		return nil
	})
	if err != nil || act.Org == "" {
		return err
	}
	return p.freeDevice(ctx, act, a, first, "activation.revoke", reason)
}

// RevokeSigningKey revokes the signing key with that key ID (as
// [license.VerifyingKey.KeyID] gives it) for good (C1): the portal no
// longer activates, or checks in, the licenses it signed, and the next
// revocation list names it, so that applications retire it when they
// load the list. The portal's own Signer cannot be revoked: it signs the
// list; rotate to another first. It is a vendor operation, recorded with
// reason in the vendor's history (P5); revoking again changes nothing. It
// returns ErrInvalidInput or a store's error.
func (p *Portal) RevokeSigningKey(ctx context.Context, keyID, reason string) error {
	if err := checkReason("key ID", keyID, reason); err != nil {
		return err
	}
	if keyID == p.cfg.Signer.KeyID() {
		return fmt.Errorf("%w: %s is the portal's own signing key, which signs the revocation list; sign with another first", license.ErrInvalidInput, keyID)
	}
	a := vendorActor(ctx)
	now := p.now()
	return p.store.UpdateVendor(ctx, func(v *Vendor) error {
		if v.revoke(a, RevokedSigningKey, keyID, reason, now) {
			v.record(a, now, "signing-key.revoke", keyID, reason)
		}
		return nil
	})
}

// checkReason checks the arguments of a revocation: an ID and a reason,
// which may be empty.
func checkReason(what, id, reason string) error {
	if err := checkArgs(what, id); err != nil {
		return err
	}
	if detail, err := textfield.Check(reason, false); err != nil {
		return invalidField("reason", err, detail)
	}
	return nil
}

// RevocationList returns the revocation list (C2): every license,
// activation and signing key the vendor revoked, signed by the portal's
// Signer, issued now, and its serial. The serial is 1 while nothing is
// revoked, and one more with each revocation: it never goes back nor
// repeats, as the revocations are kept for good. Every certificate the
// portal issues names the serial of the list as it was then.
func (p *Portal) RevocationList(ctx context.Context) (string, uint64, error) {
	var r license.RevocationList
	err := p.store.ViewVendor(ctx, func(v *Vendor) error {
		r.Serial = v.revocationSerial()
		for _, rv := range v.Revocations.All() {
			switch rv.Kind {
			case RevokedLicense:
				r.Licenses = append(r.Licenses, rv.ID)
			case RevokedActivation:
				r.Activations = append(r.Activations, rv.ID)
			case RevokedSigningKey:
				r.SigningKeys = append(r.SigningKeys, rv.ID)
			}
		}
		return nil
	})
	if err != nil {
		return "", 0, err
	}
	r.Issued = p.now()
	text, err := p.cfg.Signer.SignRevocationList(&r)
	return text, r.Serial, err
}
