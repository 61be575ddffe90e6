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
		if _, ok := o.Keys[l.ID]; ok {
			return nil, fmt.Errorf("%w: %s", ErrKeyInStorage, l.ID)
		}
		if _, ok := o.Redeemed[l.ID]; ok { // its licenses went to the wallet (P1)
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
	o.Keys[l.ID] = OrgKey{Key: key, License: l, Added: now, AddedBy: a.ID, AutoDistribute: opts.AutoDistribute}
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
	k, ok := o.Keys[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchKey, id)
	}
	delete(o.Keys, id)
	maps.DeleteFunc(o.Seats, func(_ string, st Seat) bool { return st.License == id })
	delete(o.Levels, id)
	if k.Group != "" {
		if g, ok := o.Groups[k.Group]; ok {
			g.Licenses = slices.DeleteFunc(g.Licenses, func(x string) bool { return x == id })
			o.Groups[k.Group] = g
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
		for _, id := range slices.Sorted(maps.Keys(o.Keys)) {
			out = append(out, o.usage(id, s.p.cfg.Overage))
		}
		return nil
	})
	return out, err
}

// usage returns the usage of license id in o.
func (o *Organization) usage(id string, overage int) KeyUsage {
	k := o.Keys[id]
	u := KeyUsage{
		License: k.License, Key: k.Key, AutoDistribute: k.AutoDistribute, Group: k.Group,
		Shared: slices.Clone(k.Shared), Custom: maps.Clone(k.Custom), Application: k.License.Product,
	}
	for _, st := range o.Seats {
		if st.License == id {
			u.Devices++
			u.Used += st.Units
		}
	}
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
		_, owned := v.Owners[l.ID]
		if _, known := v.Lives[l.ID]; !owned && !known {
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
// of the keys' IDs, then of the devices' fingerprints. It returns the
// events the new seats cause.
//
// It runs inside the organization's update, on every device registration,
// so it reads the seats once, into the usage of each license and the
// products each device holds a seat of, and sorts only the devices that
// need a seat: its cost grows linearly with the devices and seats, not
// with their product.
func (p *Portal) distribute(o *Organization, now time.Time) []license.Event {
	var auto []string
	for id, k := range o.Keys {
		if k.AutoDistribute && k.License.ValidAt(now, now) == nil {
			auto = append(auto, id)
		}
	}
	if len(auto) == 0 {
		return nil
	}
	slices.Sort(auto)
	// seated[product] holds the devices with a seat of product.
	seated := map[string]map[string]bool{}
	used := map[string]int{}
	for _, id := range auto {
		seated[o.Keys[id].License.Product] = map[string]bool{}
		used[id] = 0
	}
	for _, st := range o.Seats {
		if _, ok := used[st.License]; ok {
			used[st.License] += st.Units
		}
		if k, ok := o.Keys[st.License]; ok && st.Device != "" {
			if m := seated[k.License.Product]; m != nil {
				m[st.Device] = true
			}
		}
	}
	var events []license.Event
	for _, id := range auto {
		l := o.Keys[id].License
		has := seated[l.Product]
		var need []string
		for fp, d := range o.Devices {
			if !has[fp] && slices.Contains(d.Apps, l.Product) {
				need = append(need, fp)
			}
		}
		slices.Sort(need)
		for _, fp := range need {
			n, err := units(l, o.Devices[fp])
			if err != nil || l.Scheme.Counted() && used[id]+n > p.limit(l) {
				continue
			}
			o.Seats[seatID(id, fp, "")] = Seat{License: id, Device: fp, Units: n, Assigned: now}
			used[id] += n
			has[fp] = true
			o.record(Actor{ID: "auto-distribution", Org: o.ID}, now, "seat.assign", id, fp)
		}
		events = append(events, p.levelEvents(o, id, now)...)
	}
	return events
}

// room reports whether license id can take n more units under the
// portal's overage (D6).
func (p *Portal) room(o *Organization, id string, n int) bool {
	l := o.Keys[id].License
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
	if u.Level != o.Levels[id] {
		o.Levels[id] = u.Level
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
