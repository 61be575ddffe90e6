package portal

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/licensekit/license/internal/textfield"

	"github.com/licensekit/license"
)

// Errors of seats.
var (
	// ErrRestrictionExceeded: the seat would take the license's usage
	// beyond its quantity plus the overage the portal allows
	// ([PortalConfig.Overage], D6). A restriction-exceeded event is
	// delivered with the refusal (D4).
	ErrRestrictionExceeded = errors.New("license: license restriction exceeded")
	// ErrNoSuchSeat: the license has no seat for that device or user.
	ErrNoSuchSeat = errors.New("license: no such seat")
	// ErrTypeMismatch: the license covers servers only, or workstations
	// only, and the device runs the other.
	ErrTypeMismatch = errors.New("license: the license does not cover this operating system")
)

// AssignSeat gives device fingerprint a seat of license licenseID and
// returns it. The seat counts against the license's quantity by its
// scheme: one per device; one per virtual machine, and only virtual
// machines; one per CPU; one per core (a device with no CPU or core count
// counts one). A license of type server or workstation only seats devices
// of that type. Assigning a seat the device already holds returns that
// seat and changes nothing.
//
// The license must be in the key storage and valid now: an expired or
// not yet valid license takes no new seats. Usage may pass the quantity
// only by the portal's Overage, in percent (D6); a seat beyond that is
// refused, and a restriction-exceeded event is delivered (D4). A seat
// that changes the license's usage level delivers a usage-level event
// (D6), and one more when usage rises above the quantity (D4).
//
// A license's minimum number of devices (D5) is a floor on what is
// billed, reported as [KeyUsage.Billable]: it neither reserves seats nor
// changes the usage levels or the overage, which count against the
// quantity only.
//
// AssignSeat returns an error matching ErrInvalidInput for an empty or
// malformed argument, ErrNoSuchKey, ErrNoSuchDevice, ErrSchemeMismatch
// (a per-user license, or a physical machine on a per-virtual-machine
// license), ErrTypeMismatch, ErrExpired, ErrNotYetValid,
// ErrLicenseInGroup (the license belongs to a license group, which places
// its devices itself: G1), ErrRestrictionExceeded, or ErrNoAccess when
// the actor cannot reach the organization. On error nothing changes.
func (s *OrgScope) AssignSeat(ctx context.Context, licenseID, fingerprint string) (Seat, error) {
	if err := checkArgs("license ID", licenseID, "fingerprint", fingerprint); err != nil {
		return Seat{}, err
	}
	return s.assign(ctx, licenseID, fingerprint, "")
}

// AssignUser gives user (a person or a mailbox) a seat of licenseID, a
// license of the per-user scheme, and returns it; each user counts one.
// Assigning a seat the user already holds returns that seat and changes
// nothing. Everything else is as for [OrgScope.AssignSeat], whose errors
// it returns, but ErrNoSuchDevice and ErrTypeMismatch: users need no
// registration. A license of another scheme fails with ErrSchemeMismatch.
func (s *OrgScope) AssignUser(ctx context.Context, licenseID, user string) (Seat, error) {
	if err := checkArgs("license ID", licenseID, "user", user); err != nil {
		return Seat{}, err
	}
	return s.assign(ctx, licenseID, "", user)
}

// assign gives a device, or a user, a seat of license id.
func (s *OrgScope) assign(ctx context.Context, id, fp, user string) (Seat, error) {
	var seat Seat
	var refused []license.Event
	ahead := ReadAhead{Keys: []string{id}}
	if user == "" {
		ahead.Devices = []string{fp}
	}
	err := s.updateAhead(ctx, ahead, func(o *Organization, now time.Time) ([]license.Event, error) {
		var events []license.Event
		var err error
		seat, events, refused, err = s.p.takeSeat(o, s.actor, now, id, fp, user)
		return events, err
	})
	if err != nil {
		// The refusal changes nothing, but its event is due all the same
		// (D4).
		if errors.Is(err, ErrRestrictionExceeded) {
			s.p.deliver(refused)
		}
		return Seat{}, err
	}
	return seat, nil
}

// takeSeat gives a device, or a user, a seat of license id in o for actor
// a, as [OrgScope.AssignSeat] documents it, and returns the seat and the
// events it causes; or, when there is no room, the restriction-exceeded
// event the refusal causes (D4) with ErrRestrictionExceeded.
func (p *Portal) takeSeat(o *Organization, a Actor, now time.Time, id, fp, user string) (seat Seat, events, refused []license.Event, err error) {
	k, ok := o.Keys.Get(id)
	if !ok {
		return Seat{}, nil, nil, fmt.Errorf("%w: %s", ErrNoSuchKey, textfield.QuoteShort(id))
	}
	l := k.License
	var d Device
	if user == "" {
		if d, ok = o.Devices.Get(fp); !ok {
			return Seat{}, nil, nil, fmt.Errorf("%w: %s", ErrNoSuchDevice, textfield.QuoteShort(fp))
		}
	} else if l.Scheme != license.SchemePerUser {
		return Seat{}, nil, nil, fmt.Errorf("%w: %s counts %s, not users", ErrSchemeMismatch, id, l.Scheme)
	}
	sid := seatID(id, fp, user)
	if st, ok := o.Seats.Get(sid); ok {
		return st, nil, nil, nil
	}
	if k.Group != "" {
		// G1: the group places its devices; nobody picks its licenses.
		return Seat{}, nil, nil, fmt.Errorf("%w: %s is in group %s; join the device to the group instead", ErrLicenseInGroup, id, k.Group)
	}
	if err := l.ValidAt(now, now); err != nil {
		return Seat{}, nil, nil, fmt.Errorf("%s takes no new seats: %w", id, err)
	}
	n := 1
	if user == "" {
		if n, err = units(l, d); err != nil {
			return Seat{}, nil, nil, err
		}
	}
	if !p.room(o, id, n) {
		used := o.usage(id, p.cfg.Overage).Used
		limit := p.limit(l)
		who := seatHolder(fp, user)
		e := newEvent(EventRestrictionExceeded, now, id, fmt.Sprintf(
			"%s: seat for %s refused: %d of %d used, %d more would pass the limit of %d (overage %d%%)",
			id, who, used, l.Quantity, n, limit, p.cfg.Overage))
		e.ID += "/refused/" + who
		return Seat{}, nil, []license.Event{e}, fmt.Errorf("%w: %s: %d of %d used, %d more would pass the limit of %d",
			ErrRestrictionExceeded, id, used, l.Quantity, n, limit)
	}
	seat = Seat{License: id, Device: fp, User: user, Units: n, Assigned: now}
	o.Seats.Put(sid, seat)
	o.record(a, now, "seat.assign", id, seatHolder(fp, user))
	return seat, p.levelEvents(o, id, now), nil, nil
}

// ReleaseSeat releases device fingerprint's seat of license licenseID,
// which may change the license's usage level (D6). It returns an error
// matching ErrInvalidInput for an empty or malformed argument,
// ErrNoSuchKey, ErrNoSuchSeat, or ErrNoAccess when the actor cannot reach
// the organization; on error nothing changes.
func (s *OrgScope) ReleaseSeat(ctx context.Context, licenseID, fingerprint string) error {
	if err := checkArgs("license ID", licenseID, "fingerprint", fingerprint); err != nil {
		return err
	}
	return s.release(ctx, licenseID, fingerprint, "")
}

// ReleaseUser releases user's seat of license licenseID, as
// [OrgScope.ReleaseSeat] does a device's, with the same errors.
func (s *OrgScope) ReleaseUser(ctx context.Context, licenseID, user string) error {
	if err := checkArgs("license ID", licenseID, "user", user); err != nil {
		return err
	}
	return s.release(ctx, licenseID, "", user)
}

// release releases a device's, or a user's, seat of license id.
func (s *OrgScope) release(ctx context.Context, id, fp, user string) error {
	return s.updateAhead(ctx, ReadAhead{Keys: []string{id}}, func(o *Organization, now time.Time) ([]license.Event, error) {
		if _, ok := o.Keys.Get(id); !ok {
			return nil, fmt.Errorf("%w: %s", ErrNoSuchKey, textfield.QuoteShort(id))
		}
		sid := seatID(id, fp, user)
		st, ok := o.Seats.Get(sid)
		if !ok {
			return nil, fmt.Errorf("%w: %s has no seat for %s", ErrNoSuchSeat, id, textfield.QuoteShort(seatHolder(fp, user)))
		}
		o.Seats.Delete(sid)
		o.unplace(st)
		o.record(s.actor, now, "seat.release", id, seatHolder(fp, user))
		return s.p.levelEvents(o, id, now), nil
	})
}

// unplace forgets a license group's placement of the device of seat st,
// once the seat is released (G2). Only the group the seat's license is in
// places devices on it, so that group alone is read: a release costs the
// same however many groups the organization has.
func (o *Organization) unplace(st Seat) {
	if st.Device == "" {
		return
	}
	gid := o.Keys.Peek(st.License).Group
	if gid == "" {
		return
	}
	if g, ok := o.Groups.Get(gid); ok && g.Placed[st.Device] == st.License {
		delete(g.Placed, st.Device)
		o.Groups.Put(gid, g)
	}
}

// seatHolder names who holds a seat, for the history and events: the
// device's fingerprint, or "user " and the user.
func seatHolder(fp, user string) string {
	if user != "" {
		return "user " + user
	}
	return fp
}

// checkArgs checks pairs of argument names and values: each value is
// required text (see textfield.Check).
func checkArgs(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if detail, err := textfield.Check(pairs[i+1], true); err != nil {
			return invalidField(pairs[i], err, detail)
		}
	}
	return nil
}

// invalidField reports a bad argument: it matches ErrInvalidInput and
// err, the reason textfield.Check gave.
func invalidField(what string, err error, detail string) error {
	if detail != "" {
		return fmt.Errorf("%w: %s: %w (%s)", license.ErrInvalidInput, what, err, detail)
	}
	return fmt.Errorf("%w: %s: %w", license.ErrInvalidInput, what, err)
}
