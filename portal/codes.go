package portal

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/licensekit/license/internal/textfield"

	"github.com/licensekit/license"

	"github.com/licensekit/license/internal/wording"
)

// Errors of activation codes, vouchers, serial numbers and upgrades. Every
// refusal changes nothing.
var (
	// ErrBadCode: the text is not a well-formed code: wrong length, a
	// character outside the alphabet, or a check character that does not
	// match, as when a character was mistyped or two were swapped (K5).
	ErrBadCode = errors.New("license: malformed code")
	// ErrUnknownCode: no activation code, voucher, serial number or
	// upgrade notification has that value.
	ErrUnknownCode = errors.New("license: unknown code")
	// ErrCodeUsed: the activation code reached its use limit (K5).
	ErrCodeUsed = errors.New("license: the activation code reached its use limit")
	// ErrVoucherUsed: the voucher was already converted (K6).
	ErrVoucherUsed = errors.New("license: the voucher was already converted")
	// ErrUpgradeUsed: the upgrade notification was already used (V2).
	ErrUpgradeUsed = errors.New("license: the upgrade was already used")
	// ErrNotOffered: the upgrade notification does not offer that product
	// or that quantity (V2).
	ErrNotOffered = errors.New("license: the upgrade does not offer that")
)

// The code format (K5): 15 random symbols of Crockford's base32 and one
// check character, in four groups of four.
const (
	codeAlphabet  = "0123456789ABCDEFGHJKMNPQRSTVWXYZ" // Crockford's base32: no I, L, O, U
	checkAlphabet = codeAlphabet + "*~$=U"             // Crockford's check symbols, values 0–36
	codePayload   = 15                                 // random symbols: 75 bits
	codeGroup     = 4                                  // symbols per group
	maxBatch      = 10000                              // most codes issued in one call
)

// ParseCode reads an activation code, voucher, serial number or upgrade
// notification ID as a customer typed it and returns its canonical form,
// such as "7K2M-Q9XD-4HJT-0RWC". It ignores case, hyphens and white
// space, and reads I and L as 1 and O as 0, as Crockford's base32 does.
//
// The last character is a check character: the value of the other 15
// symbols, as a base-32 number, modulo 37, written with Crockford's check
// alphabet (the 32 symbols, then *, ~, $, = and U). As 37 is a prime that
// divides neither a symbol's change (1 to 31 times a power of 32) nor a
// swap's (31 times a power of 32, times 1 to 31), every single mistyped
// character and every swap of two adjacent characters changes the check
// (K5). A code that fails it is refused with ErrBadCode.
func ParseCode(s string) (string, error) {
	if len(s) > 4*codePayload*codeGroup {
		return "", fmt.Errorf("%w: %d bytes", ErrBadCode, len(s))
	}
	vals := make([]byte, 0, codePayload+1)
	for _, r := range s {
		switch {
		case r == '-' || unicode.IsSpace(r):
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		switch r {
		case 'I', 'L':
			r = '1'
		case 'O':
			r = '0'
		}
		alphabet := codeAlphabet
		if len(vals) == codePayload {
			alphabet = checkAlphabet
		}
		i := strings.IndexRune(alphabet, r)
		if i < 0 || len(vals) > codePayload {
			return "", fmt.Errorf("%w: want %d symbols of %s and a check character", ErrBadCode, codePayload, codeAlphabet)
		}
		vals = append(vals, byte(i))
	}
	if len(vals) != codePayload+1 {
		return "", fmt.Errorf("%w: %d symbols, want %d", ErrBadCode, len(vals), codePayload+1)
	}
	if check(vals[:codePayload]) != vals[codePayload] {
		return "", fmt.Errorf("%w: the check character does not match: a character is mistyped or two are swapped", ErrBadCode)
	}
	return formatCode(vals), nil
}

// check returns the check value of a code's payload symbols: their value
// as a base-32 number, modulo 37.
func check(payload []byte) byte {
	r := 0
	for _, v := range payload {
		r = (r*32 + int(v)) % 37
	}
	return byte(r)
}

// formatCode writes the symbol values vals, the last a check value, in
// groups of four.
func formatCode(vals []byte) string {
	var b strings.Builder
	for i, v := range vals {
		if i > 0 && i%codeGroup == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(checkAlphabet[v])
	}
	return b.String()
}

// newCode returns a random code, with its check character, for which
// taken is false.
func newCode(taken func(string) bool) (string, error) {
	buf := make([]byte, codePayload+1)
	for {
		if _, err := io.ReadFull(rand.Reader, buf[:codePayload]); err != nil {
			return "", err
		}
		for i := range codePayload {
			buf[i] &= 31 // 256 is a multiple of 32: uniform
		}
		buf[codePayload] = check(buf[:codePayload])
		if code := formatCode(buf); !taken(code) {
			return code, nil
		}
	}
}

// mint makes n new codes of what (such as "activation codes") for
// licenses from template t in the vendor's document, each put there by
// put, and records it in the vendor's history as action, atomically.
func (p *Portal) mint(ctx context.Context, n int, t license.License, action, what string, taken func(v *Vendor, code string) bool, put func(v *Vendor, code string, now time.Time)) ([]string, error) {
	if n < 1 || n > maxBatch {
		return nil, fmt.Errorf("%w: %d codes, want 1 to %d", license.ErrInvalidInput, n, maxBatch)
	}
	now := p.now()
	var codes []string
	err := p.store.UpdateVendor(ctx, func(v *Vendor) error {
		codes = codes[:0]
		for range n {
			code, err := newCode(func(c string) bool { return taken(v, c) })
			if err != nil {
				return err
			}
			put(v, code, now)
			codes = append(codes, code)
		}
		v.record(vendorActor(ctx), now, action, cmp.Or(t.ID, "LK"),
			fmt.Sprintf("%d %s for %s, first %s", n, what, wording.License(t.ID, t.Product, t.Edition), codes[0]))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// checkTemplate reports whether the portal can issue licenses from t now:
// t must pass [license.License.Validate] once issued. Its Organization, if set,
// restricts it to that organization.
func checkTemplate(t license.License, now time.Time) (license.License, error) {
	t = t.Clone()
	l := t
	l.ID = cmp.Or(t.ID, "LK") + "-1"
	l.IssuedAt = now
	if err := l.Validate(); err != nil {
		return license.License{}, err
	}
	return t, nil
}

// checkFor reports whether a template may be issued to org: a template
// made out to an organization is for that one only (P4).
func checkFor(t license.License, org string) error {
	if t.Organization != "" && t.Organization != org {
		return fmt.Errorf("%w: the code is for another organization", ErrOtherOrganization)
	}
	return nil
}

// IssueActivationCodes makes n activation codes (K5), each of which
// devices can redeem, up to limit of them, for a license key made from
// template by [OrgScope.RedeemCode]. A code reads like
// "7K2M-Q9XD-4HJT-0RWC": 15 random symbols of Crockford's base32 (75 bits
// from crypto/rand) and a check character; see [ParseCode].
//
// Each redemption issues its own license: the template's fields, an ID
// made of the template's ID (or "LK"), a hyphen and a number unique to the
// vendor, the redeeming organization and the issue time. A template made
// out to an organization can be redeemed by that one only.
//
// It is a vendor operation. It returns ErrInvalidInput (n outside 1 to
// 10,000, limit below 1), the errors of [license.License.Validate] for a template
// that cannot be issued, or a store's error; on error it makes no code.
func (p *Portal) IssueActivationCodes(ctx context.Context, template license.License, n, limit int) ([]string, error) {
	if limit < 1 {
		return nil, fmt.Errorf("%w: use limit %d", license.ErrInvalidInput, limit)
	}
	t, err := checkTemplate(template, p.now())
	if err != nil {
		return nil, err
	}
	return p.mint(ctx, n, t, "codes.issue", fmt.Sprintf("activation codes of %d uses", limit),
		func(v *Vendor, code string) bool { _, ok := v.Codes.Get(code); return ok },
		func(v *Vendor, code string, now time.Time) {
			v.Codes.Put(code, ActivationCode{Code: code, Template: t, Limit: limit, Issued: now, Redemptions: map[string]Redemption{}})
		})
}

// RedeemCode redeems an activation code for the device with that
// fingerprint (K5) and returns the license key issued for it, which it
// also puts in the organization's key storage, and activates the license
// on the device (D3): a fingerprint the organization never registered is
// registered, with what the license needs to know of it (the license's
// type as its operating system, a virtual machine for the
// per-virtual-machine scheme, the license's product installed; a later
// [OrgScope.RegisterDevice] gives its real details), and the device gets a
// seat of the license, as [OrgScope.AssignSeat] gives one. A per-user
// license counts users, not devices: it gives the device no seat.
// Redeeming again from the same device returns the same key; from another
// device it issues a new license, until the code's use limit is reached.
//
// The code, the actor's access and the device's seat are checked before
// anything is spent: a device the license cannot seat is refused, and the
// code keeps its use. Should the key storage refuse the key afterwards
// (the organization changed in between), RedeemCode returns the key and
// its license with the error: the license is the organization's, and
// redeeming again from the same device puts it in the key storage and
// seats the device.
//
// RedeemCode returns ErrBadCode, ErrInvalidInput (no fingerprint),
// ErrNoAccess, ErrUnknownCode, ErrCodeUsed, ErrOtherOrganization (the
// device redeemed it for another organization, or the code is for
// another), the errors of [license.License.Validate] if its license can no
// longer be issued (the template expired), the errors of
// [OrgScope.AssignSeat] when the device cannot have a seat
// (ErrRestrictionExceeded, ErrTypeMismatch, ErrSchemeMismatch,
// ErrNotYetValid), or ErrLicenseReplaced or ErrLicenseRevoked when the
// device's license has since been traded in or revoked.
func (s *OrgScope) RedeemCode(ctx context.Context, code, fingerprint string) (string, *license.License, error) {
	c, err := ParseCode(code)
	if err != nil {
		return "", nil, err
	}
	if detail, err := textfield.Check(fingerprint, true); err != nil {
		return "", nil, fmt.Errorf("%w: fingerprint: %w %s", license.ErrInvalidInput, err, detail)
	}
	if err := s.reach(ctx); err != nil {
		return "", nil, err
	}
	now := s.p.now()
	// Check the device can have its seat before the code is spent, so that
	// a refusal spends nothing (K5, D3); the update checks again.
	var pending *license.License
	if err := s.p.store.ViewVendor(ctx, func(v *Vendor) error {
		ac, r, err := v.redeemable(c, fingerprint, s.org)
		if err == nil && r.Key == "" {
			t := ac.Template.Clone()
			t.ID, t.Organization, t.IssuedAt = "(redeeming "+c+")", s.org, now
			pending = &t
			return t.Validate() // as issue would: the template can no longer be issued
		}
		return err
	}); err != nil {
		return "", nil, err
	}
	if pending != nil {
		if err := s.trial(ctx, func(o *Organization) error {
			o.Keys.Put(pending.ID, OrgKey{License: pending})
			_, _, err := s.p.activateDevice(o, s.actor, now, pending, fingerprint)
			return err
		}); err != nil {
			return "", nil, err
		}
	}
	var key string
	err = s.p.store.UpdateVendor(ctx, func(v *Vendor) error {
		ac, r, err := v.redeemable(c, fingerprint, s.org)
		if err != nil || r.Key != "" {
			key = r.Key // the same device: the same key (K5)
			return err
		}
		k, l, err := s.p.issue(v, ac.Template, s.org, now)
		if err != nil {
			return err
		}
		if ac.Redemptions == nil {
			ac.Redemptions = map[string]Redemption{}
		}
		ac.Redemptions[fingerprint] = Redemption{Org: s.org, License: l.ID, Key: k, At: now}
		v.Codes.Put(c, ac)
		v.CodeLicenses.Put(l.ID, CodeLicense{Code: c, Org: s.org, Key: k, Start: now})
		key = k
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	return s.keep(ctx, key, "code.redeem", "device "+fingerprint, "", KeyOptions{}, fingerprint)
}

// redeemable returns activation code c, if the device with fingerprint fp
// may redeem it for org, and the device's redemption if it redeemed it
// already (then its Key is set).
func (v *Vendor) redeemable(c, fp, org string) (ActivationCode, Redemption, error) {
	ac, ok := v.Codes.Get(c)
	if !ok {
		return ac, Redemption{}, ErrUnknownCode
	}
	if r, ok := ac.Redemptions[fp]; ok {
		if r.Org != org {
			return ac, Redemption{}, fmt.Errorf("%w: the device redeemed the code for another organization", ErrOtherOrganization)
		}
		return ac, r, nil
	}
	if len(ac.Redemptions) >= ac.Limit {
		return ac, Redemption{}, fmt.Errorf("%w: %d of %d", ErrCodeUsed, len(ac.Redemptions), ac.Limit)
	}
	return ac, Redemption{}, checkFor(ac.Template, org)
}

// activateDevice activates license l, of o's key storage, on the device
// with fingerprint fp (K5, D3): it registers the device if o has none
// with that fingerprint, with what l needs to know of it (its type as
// operating system, a virtual machine for the per-virtual-machine scheme,
// l's product installed), and gives it a seat of l, as
// [OrgScope.AssignSeat] does; a floating license takes no seat, as its
// leases count instead (F1). A per-user license counts users, not
// devices: it activates nothing. It returns the events, or the refusal's
// events and error.
func (p *Portal) activateDevice(o *Organization, a Actor, now time.Time, l *license.License, fp string) (events, refused []license.Event, err error) {
	if l.Scheme == license.SchemePerUser {
		return nil, nil, nil
	}
	if _, ok := o.Devices.Get(fp); !ok {
		d := Device{Fingerprint: fp, OS: l.Type, VM: l.Scheme == license.SchemePerVM, Apps: []string{l.Product}, Registered: now}
		o.Devices.Put(fp, d)
		o.record(a, now, "device.register", fp, d.summary())
	}
	if floating(l) {
		return nil, nil, nil // its leases count, not its devices (F1)
	}
	_, events, refused, err = p.takeSeat(o, a, now, l.ID, fp, "")
	return events, refused, err
}

// IssueVouchers makes n OEM vouchers (K6), each of which converts once
// into a license key made from template by [OrgScope.ConvertVoucher]. A
// voucher has the form of an activation code; see [ParseCode] and
// [Portal.IssueActivationCodes], whose errors it returns.
func (p *Portal) IssueVouchers(ctx context.Context, template license.License, n int) ([]string, error) {
	t, err := checkTemplate(template, p.now())
	if err != nil {
		return nil, err
	}
	return p.mint(ctx, n, t, "vouchers.issue", "vouchers",
		func(v *Vendor, code string) bool { _, ok := v.Vouchers.Get(code); return ok },
		func(v *Vendor, code string, now time.Time) {
			v.Vouchers.Put(code, Voucher{ID: code, Template: t, Issued: now})
		})
}

// ConvertVoucher converts a voucher into a license key for the
// organization (K6), and puts the key in its key storage. A voucher
// converts once: a second conversion, by anyone, is refused with
// ErrVoucherUsed. Should the key storage refuse the key afterwards,
// ConvertVoucher returns the key and its license with the error; the
// license is the organization's, and [OrgScope.AddKey] takes it.
//
// ConvertVoucher returns ErrBadCode, ErrNoAccess, ErrUnknownCode,
// ErrVoucherUsed, ErrOtherOrganization (a voucher for another
// organization), or the errors of [license.License.Validate] if its license can no
// longer be issued.
func (s *OrgScope) ConvertVoucher(ctx context.Context, voucher string) (string, *license.License, error) {
	id, err := ParseCode(voucher)
	if err != nil {
		return "", nil, err
	}
	if err := s.reach(ctx); err != nil {
		return "", nil, err
	}
	now := s.p.now()
	var key string
	err = s.p.store.UpdateVendor(ctx, func(v *Vendor) error {
		vc, ok := v.Vouchers.Get(id)
		switch {
		case !ok:
			return ErrUnknownCode
		case vc.Converted:
			return ErrVoucherUsed
		}
		if err := checkFor(vc.Template, s.org); err != nil {
			return err
		}
		k, _, err := s.p.issue(v, vc.Template, s.org, now)
		if err != nil {
			return err
		}
		vc.Converted, vc.Org, vc.Key, vc.At = true, s.org, k, now
		v.Vouchers.Put(id, vc)
		key = k
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	return s.keep(ctx, key, "voucher.convert", "voucher "+id, "", KeyOptions{}, "")
}

// IssueSerials makes n serial numbers (V1), each of which, with the
// customer's registration details, gives a license key made from template
// by [OrgScope.GetKey]. A serial number has the form of an activation
// code; see [ParseCode] and [Portal.IssueActivationCodes], whose errors it
// returns.
func (p *Portal) IssueSerials(ctx context.Context, template license.License, n int) ([]string, error) {
	t, err := checkTemplate(template, p.now())
	if err != nil {
		return nil, err
	}
	return p.mint(ctx, n, t, "serials.issue", "serial numbers",
		func(v *Vendor, code string) bool { _, ok := v.Serials.Get(code); return ok },
		func(v *Vendor, code string, now time.Time) {
			v.Serials.Put(code, Serial{Serial: code, Template: t, Issued: now})
		})
}

// Validate reports whether the registration details are complete: a
// company, a contact and an e-mail address (a bare address such as
// "it@acme.example") are required, the country is optional, and each is
// text of at most 255 bytes. Its errors match ErrInvalidInput.
func (r Registration) Validate() error {
	var errs []error
	for _, f := range []struct {
		name, value string
		required    bool
	}{{"company", r.Company, true}, {"contact", r.Contact, true}, {"email", r.Email, true}, {"country", r.Country, false}} {
		if detail, err := textfield.Check(f.value, f.required); err != nil {
			errs = append(errs, fmt.Errorf("%w: registration %s: %w %s", license.ErrInvalidInput, f.name, err, detail))
		}
	}
	if r.Email != "" {
		if a, err := mail.ParseAddress(r.Email); err != nil || a.Address != r.Email || a.Name != "" {
			errs = append(errs, fmt.Errorf("%w: registration email: %q is not an e-mail address", license.ErrInvalidInput, r.Email))
		}
	}
	return errors.Join(errs...)
}

// GetKey gives the license key of a serial number to the organization
// that registers it with its details (V1), and puts the key in its key
// storage. Asking again from the same organization returns the same key;
// a serial number registered by another organization is refused with
// ErrOtherOrganization (P4). Should the key storage refuse the key
// afterwards, GetKey returns the key and its license with the error;
// asking again puts it there.
//
// GetKey returns ErrBadCode, ErrInvalidInput (see [Registration.Validate]),
// ErrNoAccess, ErrUnknownCode, ErrOtherOrganization, or the errors of
// [license.License.Validate] if its license can no longer be issued.
func (s *OrgScope) GetKey(ctx context.Context, serial string, r Registration) (string, *license.License, error) {
	sn, err := ParseCode(serial)
	if err != nil {
		return "", nil, err
	}
	if err := r.Validate(); err != nil {
		return "", nil, err
	}
	if err := s.reach(ctx); err != nil {
		return "", nil, err
	}
	now := s.p.now()
	var key string
	err = s.p.store.UpdateVendor(ctx, func(v *Vendor) error {
		se, ok := v.Serials.Get(sn)
		switch {
		case !ok:
			return ErrUnknownCode
		case se.Org == s.org:
			key = se.Key // asked again: the same key
			return nil
		case se.Org != "":
			return fmt.Errorf("%w: serial number %s", ErrOtherOrganization, sn)
		}
		if err := checkFor(se.Template, s.org); err != nil {
			return err
		}
		k, _, err := s.p.issue(v, se.Template, s.org, now)
		if err != nil {
			return err
		}
		se.Org, se.Registration, se.Key, se.At = s.org, r, k, now
		v.Serials.Put(sn, se)
		key = k
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	return s.keep(ctx, key, "serial.register", "serial number "+sn+" for "+r.Company, "", KeyOptions{}, "")
}

// IssueUpgrade offers organization org an upgrade of its license
// fromLicenseID (V2) and returns the notification ID that the
// organization gives [OrgScope.Upgrade], with one of products and a
// quantity of at most maxQuantity. The license must be one the portal
// knows as org's: issued by it or added to org's key storage. A
// notification ID has the form of an activation code; see [ParseCode].
//
// It is a vendor operation. It returns ErrInvalidInput (no product, an
// empty or repeated one, maxQuantity below 1), ErrNoSuchKey (the portal
// knows no such license), ErrOtherOrganization (the license is another
// organization's), ErrKeyRedeemed, ErrLicenseReplaced or
// ErrLicenseRevoked (the license can no longer be traded in: see
// [LifeState]) or a store's error.
func (p *Portal) IssueUpgrade(ctx context.Context, org, fromLicenseID string, products []string, maxQuantity int) (string, error) {
	if len(products) == 0 {
		return "", fmt.Errorf("%w: an upgrade offers at least one product", license.ErrInvalidInput)
	}
	for _, pr := range products {
		if detail, err := textfield.Check(pr, true); err != nil {
			return "", fmt.Errorf("%w: product: %w %s", license.ErrInvalidInput, err, detail)
		}
	}
	if dup, ok := textfield.Duplicate(products); ok {
		return "", fmt.Errorf("%w: product %q offered twice", license.ErrInvalidInput, dup)
	}
	if maxQuantity < 1 || maxQuantity > math.MaxInt32 {
		return "", fmt.Errorf("%w: maximum quantity %d", license.ErrInvalidInput, maxQuantity)
	}
	products = slices.Clone(products)
	now := p.now()
	var id string
	err := p.store.UpdateVendor(ctx, func(v *Vendor) error {
		if _, ok := v.Owners.Get(fromLicenseID); !ok {
			return fmt.Errorf("%w: the portal knows no license %q", ErrNoSuchKey, fromLicenseID)
		}
		if err := v.canUse(fromLicenseID, org, useReplace); err != nil {
			return err
		}
		var err error
		id, err = newCode(func(c string) bool { _, ok := v.Upgrades.Get(c); return ok })
		if err != nil {
			return err
		}
		v.Upgrades.Put(id, UpgradeNotice{ID: id, Org: org, From: fromLicenseID, Products: products, MaxQuantity: maxQuantity, Issued: now})
		v.record(vendorActor(ctx), now, "upgrade.issue", fromLicenseID,
			fmt.Sprintf("%s for %s: %s, at most %d", id, org, strings.Join(products, ", "), maxQuantity))
		return nil
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// Upgrade takes up an upgrade the vendor offered the organization (V2):
// the notification ID, one of the products it offers and a quantity up to
// its maximum give a new license key. The new license is the old one with
// the new product and quantity, a new ID and issue time; it keeps the old
// one's scheme, or counts devices if the old one counted nothing, and its
// minimum number of devices is capped at the quantity. The new key goes
// into the key storage, with the old key's automatic distribution (D2),
// and the old key leaves it, as [OrgScope.RemoveKey] does. The old
// license is replaced for good: it can go into no key storage and no
// wallet again (see [LifeState]). A notification is used once: taking it
// up again with the same product and quantity returns the same key, and
// finishes putting it in place should the key storage have failed the
// first time; with another product or quantity it fails with
// ErrUpgradeUsed.
//
// Upgrade returns ErrBadCode, ErrInvalidInput (no product, a quantity
// below 1), ErrNoAccess, ErrUnknownCode, ErrOtherOrganization (the
// notification is for another organization), ErrUpgradeUsed,
// ErrNotOffered, ErrNoSuchKey (the old license left the key storage),
// ErrLicenseRevoked, or the errors of [license.License.Validate] if the new
// license cannot be issued (the old one expired).
func (s *OrgScope) Upgrade(ctx context.Context, notificationID, product string, quantity int) (string, *license.License, error) {
	id, err := ParseCode(notificationID)
	if err != nil {
		return "", nil, err
	}
	if detail, err := textfield.Check(product, true); err != nil {
		return "", nil, fmt.Errorf("%w: product: %w %s", license.ErrInvalidInput, err, detail)
	}
	if quantity < 1 {
		return "", nil, fmt.Errorf("%w: quantity %d", license.ErrInvalidInput, quantity)
	}
	if err := s.reach(ctx); err != nil {
		return "", nil, err
	}
	var notice UpgradeNotice
	if err := s.p.store.ViewVendor(ctx, func(v *Vendor) error {
		var err error
		notice, err = v.upgrade(id, s.org, product, quantity)
		return err
	}); err != nil {
		return "", nil, err
	}
	var old OrgKey
	if err := s.view(ctx, func(o *Organization) error {
		var ok bool
		if old, ok = o.Keys.Get(notice.From); !ok && !notice.Used {
			return fmt.Errorf("%w: %s", ErrNoSuchKey, notice.From)
		}
		return nil
	}); err != nil {
		return "", nil, err
	}
	opts := KeyOptions{AutoDistribute: old.AutoDistribute}
	if notice.Used {
		return s.keep(ctx, notice.Key, "upgrade", "from "+notice.From, notice.From, opts, "")
	}
	t := *old.License
	t.ID = ""
	t.Product = product
	t.Quantity = quantity
	if !t.Scheme.Counted() {
		t.Scheme = license.SchemePerDevice
	}
	t.MinDevices = min(t.MinDevices, quantity)
	now := s.p.now()
	var key string
	err = s.p.store.UpdateVendor(ctx, func(v *Vendor) error {
		n, err := v.upgrade(id, s.org, product, quantity)
		if err != nil || n.Used {
			key = n.Key // taken up again: finish putting the same key in place
			return err
		}
		if err := v.use(n.From, s.org, useReplace, now); err != nil {
			return err
		}
		k, l, err := s.p.issue(v, t, s.org, now)
		if err != nil {
			return err
		}
		life := v.Lives.Peek(n.From)
		life.By = l.ID
		v.Lives.Put(n.From, life)
		n.Used, n.Product, n.Quantity, n.Key, n.At = true, product, quantity, k, now
		v.Upgrades.Put(id, n)
		key = k
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	return s.keep(ctx, key, "upgrade", "from "+notice.From, notice.From, opts, "")
}

// upgrade returns the upgrade notice id, if org may take it up with that
// product and quantity, or took it up so already (then n.Used is set).
func (v *Vendor) upgrade(id, org, product string, quantity int) (UpgradeNotice, error) {
	n, ok := v.Upgrades.Get(id)
	switch {
	case !ok:
		return n, ErrUnknownCode
	case n.Org != org:
		return n, fmt.Errorf("%w: the upgrade is for another organization", ErrOtherOrganization)
	case n.Used && (n.Product != product || n.Quantity != quantity):
		return n, ErrUpgradeUsed
	case n.Used:
		return n, nil // taken up again the same way: the same key
	case !slices.Contains(n.Products, product):
		return n, fmt.Errorf("%w: product %q; it offers %s", ErrNotOffered, product, strings.Join(n.Products, ", "))
	case quantity > n.MaxQuantity:
		return n, fmt.Errorf("%w: quantity %d; it offers at most %d", ErrNotOffered, quantity, n.MaxQuantity)
	}
	return n, nil
}

// reach checks that the actor may act on the organization.
func (s *OrgScope) reach(ctx context.Context) error {
	return s.view(ctx, func(*Organization) error { return nil })
}

// keep puts key, which the portal issued to the organization, in its key
// storage unless it is there, records action, removes license replace
// from the storage if given and there, and activates the license on the
// device with fingerprint device if given (see activateDevice). It
// returns the key and its license, also with an error if the storage
// could not take them.
func (s *OrgScope) keep(ctx context.Context, key, action, detail, replace string, opts KeyOptions, device string) (string, *license.License, error) {
	l, err := s.p.cfg.Verifier.Verify(key)
	if err != nil {
		return key, nil, err
	}
	if err := s.p.useLicense(ctx, l.ID, s.org, useHold); err != nil {
		return "", nil, err
	}
	var refused []license.Event
	err = s.update(ctx, func(o *Organization, now time.Time) ([]license.Event, error) {
		_, held := o.Keys.Get(l.ID)
		_, old := o.Keys.Get(replace)
		var events []license.Event
		if !held {
			o.record(s.actor, now, action, l.ID, detail)
			o.addKey(s.actor, now, key, l, opts)
		}
		if replace != "" && old {
			ev, err := s.p.removeKey(o, s.actor, replace, now)
			if err != nil {
				return nil, err
			}
			events = append(events, ev...)
		}
		if device != "" {
			ev, ref, err := s.p.activateDevice(o, s.actor, now, o.Keys.Peek(l.ID).License, device)
			if err != nil {
				refused = ref
				return nil, err
			}
			events = append(events, ev...)
		}
		if held && !old {
			return events, nil // nothing else changed: nothing to distribute
		}
		return append(events, s.p.distribute(o, now)...), nil
	})
	s.p.deliver(refused)
	return key, l, err
}
