package portal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/internal/textfield"
	"github.com/licensekit/license/internal/wording"
)

// ErrNotFromCode: the organization holds no license with that ID that the
// portal issued from an activation code, by redemption or by renewal; only
// those renew through the portal (R5). A license of another organization
// gets the same answer as an unknown one.
var ErrNotFromCode = errors.New("license: no license from an activation code has that ID")

// CodeLicense is a license the portal issued from an activation code
// (K5), by redemption or by renewal (R5), as [OrgScope.Renew] finds it.
type CodeLicense struct {
	Code string `json:"code"` // the activation code, normalized
	Org  string `json:"org"`  // the organization it was issued to
	Key  string `json:"key"`  // its license key
	// Start is when its validity starts, as the portal counts it: the
	// redemption that activated it on its device, or the end of the
	// license it renews. A term license ends a term later (L2).
	Start time.Time `json:"start"`
	// Renews is the license it renews, if it is a renewal.
	Renews string `json:"renews,omitempty"`
	// Renewal is the license that renews it, once renewed.
	Renewal string `json:"renewal,omitempty"`
}

// Renew answers an application's renewal request (R5, N1, N2): it returns
// the key of the license that renews license req.LicenseID, which the
// application's [license.Manager] applies as its renewal. A host serves
// it as the [license.Renewer] of the organization's applications. The
// rules:
//
//   - Only a license the organization holds from an activation code,
//     redeemed with [OrgScope.RedeemCode], or a renewal of one, renews
//     here; any other, or another organization's, gets ErrNotFromCode.
//   - The license must still be the organization's to use: a revoked or
//     upgraded license gets ErrLicenseRevoked or ErrLicenseReplaced (see
//     [LifeState]). A trial (S10) and a license that never ends get
//     ErrNotRenewable.
//   - It renews within [PortalConfig.RenewalWindow] of its end, or after
//     its end (N1); earlier gets ErrNotRenewable. The portal counts a
//     term license's term from the redemption that activated it, which
//     is never later than the application's own activation: the portal
//     never finds a license younger than the application does.
//   - The renewal is made from the code's template, signed by the
//     portal's Signer, with a new ID. It continues where the old license
//     ends: a term license (L2) gets the same term, which the Manager
//     starts at the old end (N3); a license with a fixed expiry gets a
//     Start at the old end and the template's length of validity, from
//     its Start, or from the code's issue. A renewal that would end
//     before now, for a license that ended longer ago than that, gets
//     ErrNotRenewable.
//   - A license renews once: asking again returns the same key, unless
//     the renewal itself was revoked or upgraded since. The renewal
//     renews in turn, next time, from the same code.
//
// The renewal goes into the organization's key storage, recorded in its
// history with the request's software, version and locale (P5); it takes
// no seat until the organization assigns one. Should the key storage
// refuse it, Renew returns the error, and asking again returns the same
// key and puts it there.
//
// Renew returns ErrInvalidInput (a bad license ID, software, version or
// locale), ErrNoAccess, ErrNotFromCode, ErrLicenseRevoked,
// ErrLicenseReplaced, license.ErrNotRenewable, or a store's error.
func (s *OrgScope) Renew(ctx context.Context, req license.RenewalRequest) (key string, err error) {
	if err := checkArgs("license ID", req.LicenseID); err != nil {
		return "", err
	}
	for _, f := range []struct{ name, value string }{
		{"software ID", req.SoftwareID}, {"software version", req.SoftwareVersion}, {"locale", req.Locale},
	} {
		if detail, err := textfield.Check(f.value, false); err != nil {
			return "", invalidField(f.name, err, detail)
		}
	}
	if err := s.reach(ctx); err != nil {
		return "", err
	}
	id, now := req.LicenseID, s.p.now()
	err = s.p.store.UpdateVendor(ctx, func(v *Vendor) error {
		cl, ok := v.CodeLicenses.Get(id)
		if !ok || cl.Org != s.org {
			return fmt.Errorf("%w: %s", ErrNotFromCode, textfield.QuoteShort(id))
		}
		if cl.Renewal != "" {
			key = v.CodeLicenses.Peek(cl.Renewal).Key // asked again: the same renewal
			return v.canUse(cl.Renewal, s.org, useHold)
		}
		if err := v.canUse(id, s.org, useHold); err != nil {
			return err
		}
		t, start, err := s.p.renewal(v, cl, now)
		if err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		k, l, err := s.p.issue(v, t, s.org, now)
		if err != nil {
			return err
		}
		v.CodeLicenses.Put(l.ID, CodeLicense{Code: cl.Code, Org: s.org, Key: k, Start: start, Renews: id})
		cl.Renewal = l.ID
		v.CodeLicenses.Put(id, cl)
		key = k
		return nil
	})
	if err != nil {
		return "", err
	}
	detail := "renews " + id
	if sw := strings.TrimSpace(strings.Join([]string{req.SoftwareID, req.SoftwareVersion, req.Locale}, " ")); sw != "" {
		detail += " for " + sw
	}
	if _, _, err := s.keep(ctx, key, "license.renew", detail, "", KeyOptions{}, ""); err != nil {
		return "", err
	}
	return key, nil
}

// renewal returns the template of the license that renews cl, renewed at
// now, and where its validity starts as the portal counts it, or
// license.ErrNotRenewable; see [OrgScope.Renew].
func (p *Portal) renewal(v *Vendor, cl CodeLicense, now time.Time) (license.License, time.Time, error) {
	old, _, err := license.DecodeUnverified(cl.Key) // the portal's own key, from its own store
	if err != nil {
		return license.License{}, time.Time{}, err
	}
	ac, ok := v.Codes.Get(cl.Code)
	if !ok {
		return license.License{}, time.Time{}, fmt.Errorf("%w: its activation code %s is gone", license.ErrCorrupt, cl.Code)
	}
	_, end, _ := old.Period(cl.Start)
	switch {
	case old.Trial:
		return license.License{}, time.Time{}, fmt.Errorf("%w: a trial is not renewed (S10)", license.ErrNotRenewable)
	case end.IsZero():
		return license.License{}, time.Time{}, fmt.Errorf("%w: it never ends", license.ErrNotRenewable)
	case end.Sub(now) > p.cfg.RenewalWindow:
		return license.License{}, time.Time{}, fmt.Errorf("%w: it ends %s; it renews from %s (N1)",
			license.ErrNotRenewable, wording.Instant(end), wording.Instant(end.Add(-p.cfg.RenewalWindow)))
	}
	t := ac.Template.Clone()
	if t.Term > 0 {
		// The application starts the new term where its policy says,
		// at the old end by default (N3); a deadline would only cut it.
		t.Start, t.ActivateBy = time.Time{}, time.Time{}
		return t, end, nil
	}
	from := t.Start
	if from.IsZero() {
		from = ac.Issued
	}
	t.Start, t.Expiry = end, end.Add(t.Expiry.Sub(from))
	if !t.Expiry.After(now) {
		return license.License{}, time.Time{}, fmt.Errorf("%w: it ended %s, longer ago than a renewal lasts", license.ErrNotRenewable, wording.Instant(end))
	}
	return t, end, nil
}
