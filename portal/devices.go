package portal

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/licensekit/license/internal/textfield"

	"github.com/licensekit/license"
)

// ErrNoSuchDevice: the organization has no device with that fingerprint.
var ErrNoSuchDevice = errors.New("license: no such device")

// RegisterDevice registers a device of the organization, or updates the
// one registered with the same fingerprint, and returns it as stored.
//
// d needs a Fingerprint; its Name, Fingerprint and each of its Apps are
// text of at most 255 bytes with no control character; its OS is
// TypeServer or TypeWorkstation (a machine runs one or the other, so
// TypeAny is refused); CPUs and Cores are zero (unknown) or positive, and
// a device has at least as many cores as CPUs; Apps holds no product
// twice. Registered is set by the portal. Group belongs to the license
// group operations: it must be empty, or the group the device is already
// in.
//
// Registration is idempotent by fingerprint: registering a device again
// updates its name, operating system, virtual-machine flag, counts and
// applications, but never adds a device or a seat ("a device registering
// twice takes one seat"); registering it again with the same details
// changes nothing. The seats the device holds are counted again with its
// new details, which may raise usage-level and restriction-exceeded
// events (D4, D6) but refuses nothing; a change the device's seats cannot
// count, such as a virtual machine holding a per-virtual-machine seat
// becoming a physical machine, is refused: release the seat first.
// Removing an application from Apps releases no seat.
//
// The keys marked for automatic distribution are then deployed to the
// device, if it needs them and a key has room (D2). A device that found
// no room waits for the next distribution to every device: when a key is
// added or marked for automatic distribution.
//
// RegisterDevice returns an error matching ErrInvalidInput for bad
// details, ErrSchemeMismatch or ErrTypeMismatch for a change the device's
// seats cannot count, and ErrNoAccess when the actor cannot reach the
// organization. On error nothing changes.
func (s *OrgScope) RegisterDevice(ctx context.Context, d Device) (Device, error) {
	if err := d.validate(); err != nil {
		return Device{}, err
	}
	d.Apps = slices.Clone(d.Apps)
	var out Device
	err := s.update(ctx, func(o *Organization, now time.Time) ([]license.Event, error) {
		old, exists := o.Devices.Get(d.Fingerprint)
		if d.Group != "" && d.Group != old.Group {
			return nil, fmt.Errorf("%w: device %s: Group is set by the license group operations", license.ErrInvalidInput, d.Fingerprint)
		}
		var events []license.Event
		switch {
		case !exists:
			d.Registered = now
			o.Devices.Put(d.Fingerprint, d)
			o.record(s.actor, now, "device.register", d.Fingerprint, d.summary())
		case !old.sameDetails(d):
			d.Registered, d.Group = old.Registered, old.Group
			changed, err := o.recount(d)
			if err != nil {
				return nil, err
			}
			o.Devices.Put(d.Fingerprint, d)
			o.record(s.actor, now, "device.update", d.Fingerprint, d.summary())
			for _, id := range changed {
				events = append(events, s.p.levelEvents(o, id, now)...)
			}
		}
		events = append(events, s.p.distribute(o, now, d.Fingerprint)...)
		out = o.Devices.Peek(d.Fingerprint)
		out.Apps = slices.Clone(out.Apps)
		return events, nil
	})
	if err != nil {
		return Device{}, err
	}
	return out, nil
}

// validate checks the details a device is registered with.
func (d *Device) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: device %s: %s", license.ErrInvalidInput, textfield.QuoteShort(d.Fingerprint), fmt.Sprintf(format, args...))
	}
	if detail, err := textfield.Check(d.Fingerprint, true); err != nil {
		return invalidField("device Fingerprint", err, detail)
	}
	if detail, err := textfield.Check(d.Name, false); err != nil {
		return invalidField("device "+textfield.QuoteShort(d.Fingerprint)+": Name", err, detail)
	}
	if d.OS != license.TypeServer && d.OS != license.TypeWorkstation {
		return bad("OS is %s; want server or workstation", d.OS)
	}
	if d.CPUs < 0 || d.CPUs > math.MaxInt32 {
		return bad("CPUs %d out of range", d.CPUs)
	}
	if d.Cores < 0 || d.Cores > math.MaxInt32 {
		return bad("Cores %d out of range", d.Cores)
	}
	if d.Cores > 0 && d.Cores < d.CPUs {
		return bad("%d cores on %d CPUs", d.Cores, d.CPUs)
	}
	for i, app := range d.Apps {
		if detail, err := textfield.Check(app, true); err != nil {
			return invalidField(fmt.Sprintf("device %s: Apps[%d]", textfield.QuoteShort(d.Fingerprint), i), err, detail)
		}
	}
	if dup, ok := textfield.Duplicate(d.Apps); ok {
		return bad("Apps lists %q twice", dup)
	}
	return nil
}

// sameDetails reports whether registering n over d would change nothing.
func (d Device) sameDetails(n Device) bool {
	return d.Name == n.Name && d.OS == n.OS && d.VM == n.VM && d.CPUs == n.CPUs &&
		d.Cores == n.Cores && slices.Equal(d.Apps, n.Apps)
}

// summary describes a device for the history.
func (d Device) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %d CPUs, %d cores", d.OS, d.CPUs, d.Cores)
	if d.VM {
		b.WriteString(", virtual machine")
	}
	if len(d.Apps) > 0 {
		b.WriteString(", apps: " + strings.Join(d.Apps, " "))
	}
	return b.String()
}

// recount counts the seats device d holds again, with d's details, and
// returns the licenses whose usage changed. It fails, changing nothing,
// when a seat's license cannot count d any more.
func (o *Organization) recount(d Device) ([]string, error) {
	updated := map[string]Seat{}
	for id, k := range o.Keys.All() { // a device's seats are one per license
		sid := seatID(id, d.Fingerprint, "")
		st, ok := o.Seats.Get(sid)
		if !ok {
			continue
		}
		n, err := units(k.License, d)
		if err != nil {
			return nil, fmt.Errorf("%w (the device holds a seat of %s: release it first)", err, st.License)
		}
		if n != st.Units {
			st.Units = n
			updated[sid] = st
		}
	}
	var changed []string
	for sid, st := range updated {
		o.Seats.Put(sid, st)
		changed = append(changed, st.License)
	}
	slices.Sort(changed)
	return slices.Compact(changed), nil
}

// Devices lists the organization's devices, by fingerprint. It returns
// ErrNoAccess when the actor cannot reach the organization.
func (s *OrgScope) Devices(ctx context.Context) ([]Device, error) {
	return s.devices(ctx, false)
}

// UnactivatedDevices lists the devices on which no application is
// activated: those that hold no seat of any license (D3), by fingerprint.
// It returns ErrNoAccess when the actor cannot reach the organization.
func (s *OrgScope) UnactivatedDevices(ctx context.Context) ([]Device, error) {
	return s.devices(ctx, true)
}

// devices lists the organization's devices, or only those holding no
// seat, by fingerprint.
func (s *OrgScope) devices(ctx context.Context, unactivated bool) ([]Device, error) {
	var out []Device
	err := s.view(ctx, func(o *Organization) error {
		held := map[string]bool{}
		if unactivated {
			for _, st := range o.Seats.All() {
				held[st.Device] = true
			}
		}
		for _, fp := range o.Devices.IDs() {
			if !held[fp] {
				d := o.Devices.Peek(fp)
				d.Apps = slices.Clone(d.Apps)
				out = append(out, d)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RemoveDevice removes a device from the organization, releasing its seats
// and taking it out of its license group, whose unplaced devices may then
// take the room it frees (G2). It returns ErrNoSuchDevice,
// ErrInvalidInput for an empty or malformed fingerprint, or ErrNoAccess
// when the actor cannot reach the organization; on error nothing changes.
func (s *OrgScope) RemoveDevice(ctx context.Context, fingerprint string) error {
	if detail, err := textfield.Check(fingerprint, true); err != nil {
		return invalidField("fingerprint", err, detail)
	}
	return s.update(ctx, func(o *Organization, now time.Time) ([]license.Event, error) {
		d, ok := o.Devices.Get(fingerprint)
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrNoSuchDevice, textfield.QuoteShort(fingerprint))
		}
		var released []string
		for _, id := range o.Keys.IDs() { // a device's seats are one per license, by seat ID
			if st, ok := o.Seats.Get(seatID(id, fingerprint, "")); ok {
				o.Seats.Delete(seatID(id, fingerprint, ""))
				o.unplace(st)
				o.record(s.actor, now, "seat.release", st.License, fingerprint)
				released = append(released, st.License)
			}
		}
		for id, g := range o.Groups.All() {
			if slices.Contains(g.Devices, fingerprint) || g.Placed[fingerprint] != "" {
				g = g.clone() // All hands out the table's own record
				g.Devices = slices.DeleteFunc(g.Devices, func(fp string) bool { return fp == fingerprint })
				delete(g.Placed, fingerprint)
				o.Groups.Put(id, g)
			}
		}
		o.Devices.Delete(fingerprint)
		o.record(s.actor, now, "device.remove", fingerprint, "")
		var events []license.Event
		if d.Group != "" {
			// The room it frees goes to the group's unplaced devices (G2).
			events = s.p.placeGroupOf(o, s.actor, d.Group, now)
		}
		for _, id := range slices.Compact(released) {
			events = append(events, s.p.levelEvents(o, id, now)...)
		}
		return events, nil
	})
}
