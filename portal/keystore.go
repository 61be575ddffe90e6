package portal

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/licensekit/license"

	"github.com/licensekit/license/internal/wording"
)

// Errors of the key storage.
var (
	// ErrKeyInStorage: the organization already holds a license with that
	// ID.
	ErrKeyInStorage = errors.New("license: the key storage already holds that license")
	// ErrNoSuchKey: the organization holds no license with that ID.
	ErrNoSuchKey = errors.New("license: no such license in the key storage")
)

// KeyOptions qualify a key added to the key storage.
type KeyOptions struct {
	// AutoDistribute deploys the key to the organization's devices that
	// need it: those with its product installed and no seat of it (D2).
	AutoDistribute bool
}

// KeyUsage is a key of the key storage with its usage (D1).
type KeyUsage struct {
	License        *license.License
	Key            string
	AutoDistribute bool
	Group          string
	Shared         []string
	Custom         map[string]string
	Application    string // the product it licenses
	Devices        int    // devices (or users) holding a seat
	Used           int    // units used against the quantity
	Billable       int    // units billed: Used, or MinDevices when more (D5)
	Level          string // usage level (D6): "", "info", "warning" or "critical"
}

// AddKey verifies a license key and adds it to the organization's key
// storage (D1). A license made out to another organization, or already
// held by one, is refused with ErrOtherOrganization (P4); a key redeemed
// into the wallet with ErrKeyRedeemed (P1); a license traded in for an
// upgrade with ErrLicenseReplaced (V2); a revoked one with
// ErrLicenseRevoked (C1). A license removed from the key storage may come
// back into it. See [LifeState] for a license's one life. With
// AutoDistribute it is deployed at once to the devices that need it (D2).
func (s *OrgScope) AddKey(ctx context.Context, key string, opts KeyOptions) (*license.License, error) {
	l, err := s.p.cfg.Verifier.Verify(key)
	if err != nil {
		return nil, err
	}
	if l.Organization != "" && l.Organization != s.org {
		return nil, fmt.Errorf("%w: %s", ErrOtherOrganization, l.ID)
	}
	// Reach the organization before claiming the license for it, so that
	// an actor without access learns nothing and claims nothing.
	if err := s.view(ctx, func(*Organization) error { return nil }); err != nil {
		return nil, err
	}
	if err := s.p.useLicense(ctx, l.ID, s.org, useHold); err != nil {
		return nil, err
	}
	err = s.update(ctx, func(o *Organization, now time.Time) ([]license.Event, error) {
		if _, ok := o.Keys.Get(l.ID); ok {
			return nil, fmt.Errorf("%w: %s", ErrKeyInStorage, l.ID)
		}
		if _, ok := o.Redeemed.Get(l.ID); ok { // its licenses went to the wallet (P1)
			return nil, fmt.Errorf("%w: %s", ErrKeyRedeemed, l.ID)
		}
		o.addKey(s.actor, now, key, l, opts)
		return s.p.distribute(o, now), nil
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// addKey puts a verified key in o's storage and records it.
func (o *Organization) addKey(a Actor, now time.Time, key string, l *license.License, opts KeyOptions) {
	o.Keys.Put(l.ID, OrgKey{Key: key, License: l, Added: now, AddedBy: a.ID, AutoDistribute: opts.AutoDistribute})
	o.record(a, now, "key.add", l.ID, wording.License(l.ID, l.Product, l.Edition))
}

// RemoveKey removes a license from the key storage, with its seats; it
// fails with ErrNoSuchKey. The license stays the organization's (P4). A
// license of a group leaves it, and its devices move to the group's other
// licenses (G2).
func (s *OrgScope) RemoveKey(ctx context.Context, id string) error {
	return s.update(ctx, func(o *Organization, now time.Time) ([]license.Event, error) {
		return s.p.removeKey(o, s.actor, id, now)
	})
}

// removeKey removes license id from o's key storage for actor a, as
// RemoveKey does, and returns the events that causes.
func (p *Portal) removeKey(o *Organization, a Actor, id string, now time.Time) ([]license.Event, error) {
	k, ok := o.Keys.Get(id)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchKey, id)
	}
	o.Keys.Delete(id)
	for sid := range o.Seats.OfLicense(id) {
		o.Seats.Delete(sid)
	}
	o.Levels.Delete(id)
	for _, l := range o.Leases.OfLicense(id) {
		o.Leases.Delete(l.ID)
	}
	if k.Group != "" {
		if g, ok := o.Groups.Get(k.Group); ok {
			g.Licenses = slices.DeleteFunc(g.Licenses, func(x string) bool { return x == id })
			o.Groups.Put(k.Group, g)
		}
	}
	o.record(a, now, "key.remove", id, wording.License(k.License.ID, k.License.Product, k.License.Edition))
	if k.Group != "" {
		return p.placeGroupOf(o, a, k.Group, now), nil // its devices move (G2)
	}
	return nil, nil
}

// Keys lists the key storage with each key's usage (D1), by license ID.
func (s *OrgScope) Keys(ctx context.Context) ([]KeyUsage, error) {
	var out []KeyUsage
	err := s.view(ctx, func(o *Organization) error {
		for _, id := range o.Keys.IDs() {
			out = append(out, o.usage(id, s.p.cfg.Overage))
		}
		return nil
	})
	return out, err
}

// usage returns the usage of license id in o.
func (o *Organization) usage(id string, overage int) KeyUsage {
	k := o.Keys.Peek(id)
	u := KeyUsage{
		License: k.License, Key: k.Key, AutoDistribute: k.AutoDistribute, Group: k.Group,
		Shared: slices.Clone(k.Shared), Custom: maps.Clone(k.Custom), Application: k.License.Product,
	}
	u.Devices, u.Used = o.Seats.Usage(id)
	u.Billable = max(u.Used, k.License.MinDevices)
	u.Level = usageLevel(u.Used, k.License.Quantity)
	return u
}

// usageLevel returns the usage level of used units against quantity (D6):
// "info" from 90 % to 100 %, "warning" above 100 % up to 110 %,
// "critical" above 110 %, "" below 90 % or for an unmetered license.
func usageLevel(used, quantity int) string {
	switch {
	case quantity <= 0:
		return ""
	case used*100 > quantity*110:
		return "critical"
	case used > quantity:
		return "warning"
	case used*100 >= quantity*90:
		return "info"
	}
	return ""
}

// units returns what device d counts against license l's quantity, or an
// error when the license's scheme cannot count it: one per device, per
// virtual machine (virtual machines only), per CPU, per core. The per-user
// scheme counts users, not devices. A license of type server or
// workstation counts only devices of that type (ErrTypeMismatch).
func units(l *license.License, d Device) (int, error) {
	if l.Scheme != license.SchemePerUser && l.Type != license.TypeAny && d.OS != l.Type {
		return 0, fmt.Errorf("%w: %s is a %s, and %s covers %ss only", ErrTypeMismatch, d.Fingerprint, d.OS, l.ID, l.Type)
	}
	switch l.Scheme {
	case license.SchemeUnmetered:
		return 0, nil
	case license.SchemePerDevice:
		return 1, nil
	case license.SchemePerVM:
		if !d.VM {
			return 0, fmt.Errorf("%w: %s is not a virtual machine, and %s counts virtual machines", ErrSchemeMismatch, d.Fingerprint, l.ID)
		}
		return 1, nil
	case license.SchemePerCPU:
		return max(d.CPUs, 1), nil
	case license.SchemePerCore:
		return max(d.Cores, 1), nil
	}
	return 0, fmt.Errorf("%w: %s counts users; assign it to a user", ErrSchemeMismatch, l.ID)
}

// ErrSchemeMismatch: the license's scheme cannot count this device or
// user.
var ErrSchemeMismatch = errors.New("license: the licensing scheme does not count this")

// issue makes and signs a license from template for organization org, in
// the vendor's document v, and records it as held by org (P4): it goes
// into org's key storage. The license ID is the template's ID, or "LK",
// followed by a number unique to the vendor, and never one the vendor
// knows already (a revoked ID, say).
func (p *Portal) issue(v *Vendor, template license.License, org string, now time.Time) (string, *license.License, error) {
	l := template.Clone()
	prefix := template.ID
	if prefix == "" {
		prefix = "LK"
	}
	for {
		v.Seq++
		l.ID = prefix + "-" + strconv.FormatInt(v.Seq, 10)
		_, owned := v.Owners.Get(l.ID)
		if _, known := v.Lives.Get(l.ID); !owned && !known {
			break
		}
	}
	l.Organization = org
	l.IssuedAt = now
	key, err := p.cfg.Signer.Sign(&l)
	if err != nil {
		return "", nil, err
	}
	if err := v.use(l.ID, org, useHold, now); err != nil {
		return "", nil, err
	}
	return key, &l, nil
}

// distribute deploys o's automatically distributed keys to the devices
// that need them (D2): each device with a key's product installed and no
// seat of that product gets a seat, while the key has room, in the order
// of the keys' IDs, then of the devices' fingerprints. With devices given,
// only those are considered: a registration changes what that device
// needs, and nothing for the others. It returns the events the new seats
// cause.
//
// It runs inside the organization's update. A license's usage comes from
// the seat table's index; the whole organization is read only when no
// device is given, once, into the products each device holds a seat of.
func (p *Portal) distribute(o *Organization, now time.Time, devices ...string) []license.Event {
	var auto []string
	for id, k := range o.Keys.All() {
		if k.AutoDistribute && k.License.ValidAt(now, now) == nil {
			auto = append(auto, id)
		}
	}
	if len(auto) == 0 {
		return nil
	}
	slices.Sort(auto)
	seated := o.seatedProducts(devices)
	var events []license.Event
	for _, id := range auto {
		l := o.Keys.Peek(id).License
		has := seated[l.Product]
		if has == nil {
			has = map[string]bool{}
			seated[l.Product] = has
		}
		var need []string
		if devices == nil {
			for fp, d := range o.Devices.All() {
				if !has[fp] && slices.Contains(d.Apps, l.Product) {
					need = append(need, fp)
				}
			}
			slices.Sort(need)
		} else {
			for _, fp := range devices {
				if !has[fp] && slices.Contains(o.Devices.Peek(fp).Apps, l.Product) {
					need = append(need, fp)
				}
			}
		}
		_, used := o.Seats.Usage(id)
		for _, fp := range need {
			n, err := units(l, o.Devices.Peek(fp))
			if err != nil || l.Scheme.Counted() && used+n > p.limit(l) {
				continue
			}
			o.Seats.Put(seatID(id, fp, ""), Seat{License: id, Device: fp, Units: n, Assigned: now})
			used += n
			has[fp] = true
			o.record(Actor{ID: "auto-distribution", Org: o.ID}, now, "seat.assign", id, fp)
		}
		events = append(events, p.levelEvents(o, id, now)...)
	}
	return events
}

// seatedProducts returns, by product, the devices that hold a seat of it:
// of the devices given, or of every device when none is given.
func (o *Organization) seatedProducts(devices []string) map[string]map[string]bool {
	seated := map[string]map[string]bool{}
	mark := func(product, fp string) {
		if seated[product] == nil {
			seated[product] = map[string]bool{}
		}
		seated[product][fp] = true
	}
	if devices == nil {
		for _, st := range o.Seats.All() {
			if k, ok := o.Keys.m[st.License]; ok && st.Device != "" {
				mark(k.License.Product, st.Device)
			}
		}
		return seated
	}
	for id, k := range o.Keys.All() {
		for _, fp := range devices {
			if o.Seats.Has(seatID(id, fp, "")) {
				mark(k.License.Product, fp)
			}
		}
	}
	return seated
}

// room reports whether license id can take n more units under the
// portal's overage (D6).
func (p *Portal) room(o *Organization, id string, n int) bool {
	l := o.Keys.Peek(id).License
	if !l.Scheme.Counted() {
		return true
	}
	return o.usage(id, p.cfg.Overage).Used+n <= p.limit(l)
}

// limit returns the units license l may count under the portal's overage
// (D6): its quantity plus the overage, a percentage of the quantity,
// rounded down.
func (p *Portal) limit(l *license.License) int {
	return l.Quantity + l.Quantity*p.cfg.Overage/100
}

// levelEvents returns the events of license id's usage: a usage-level
// event when its level changed since the last one sent (D6), and a
// restriction-exceeded event when its usage exceeds its quantity (D4).
func (p *Portal) levelEvents(o *Organization, id string, now time.Time) []license.Event {
	u := o.usage(id, p.cfg.Overage)
	var events []license.Event
	if u.Level != o.Levels.Peek(id) {
		o.Levels.Put(id, u.Level)
		if u.Level != "" {
			events = append(events, newEvent(EventUsageLevel, now, id,
				fmt.Sprintf("%s: %d of %d used (%s)", id, u.Used, u.License.Quantity, u.Level)))
		}
		if u.Level == "warning" || u.Level == "critical" {
			events = append(events, newEvent(EventRestrictionExceeded, now, id,
				fmt.Sprintf("%s: %d of %d used", id, u.Used, u.License.Quantity)))
		}
	}
	return events
}

// seatID identifies a seat: a license and a device or a user.
func seatID(license, device, user string) string {
	if user != "" {
		return license + "|user|" + user
	}
	return license + "|device|" + device
}
