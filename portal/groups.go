package portal

import (
	"cmp"
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

// License groups (G1, G2).
//
// A group is a company or a site: it holds licenses of the organization's
// key storage and a list of devices. The customer never picks a license
// for a device: each placement run of the group assigns every member to a
// license of the group by one rule, documented on [Group] and implemented
// by placeGroup, a pure function of the group's licenses, its devices and
// an instant.

// Errors of license groups. Every refusal changes nothing.
var (
	// ErrNoSuchGroup: the organization has no license group with that ID.
	ErrNoSuchGroup = errors.New("license: no such license group")
	// ErrGroupExists: the organization already has a license group with
	// that ID.
	ErrGroupExists = errors.New("license: license group already exists")
	// ErrLicenseInGroup: the license is already in a license group, this
	// one or another; a license belongs to one group at most.
	ErrLicenseInGroup = errors.New("license: the license is already in a license group")
	// ErrDeviceInGroup: the device is already in a license group, this one
	// or another; a device belongs to one group at most.
	ErrDeviceInGroup = errors.New("license: the device is already in a license group")
	// ErrNotInGroup: the license or device is not in that license group.
	ErrNotInGroup = errors.New("license: not in this license group")
)

// GroupView is a license group as [OrgScope.Group] shows it, at the
// portal clock's current instant.
type GroupView struct {
	ID   string
	Name string
	// Licenses are the group's licenses: first those valid now, in the
	// order the placement rule fills them (see [Group]), then the others
	// (expired, or not started yet) by license ID.
	Licenses []GroupLicense
	// Devices are the group's members, in the order they joined.
	Devices []string
	// Unplaced are the members that no license of the group could take at
	// the last placement run, in the order they joined (G2, D4).
	Unplaced []string
	// Next is the next instant at which a license of the group starts or
	// ends: call [OrgScope.Rebalance] then. Zero when no such instant is
	// ahead.
	Next time.Time
}

// GroupLicense is a license of a group, with the devices placed on it.
type GroupLicense struct {
	License *license.License
	// Valid reports whether the license grants anything now. An invalid
	// license that still holds devices has expired since the last
	// placement run: [OrgScope.Rebalance] moves them.
	Valid bool
	// Devices are the devices placed on the license, in the order they
	// joined the group, with what each counts against its quantity.
	Devices []GroupSeat
	// Units is what the group's devices count against the quantity.
	Units int
	// Used is everything counted against the quantity: Units, and seats
	// assigned outside the group.
	Used int
}

// GroupSeat is a device placed on a license of a group and what it counts
// against the license's quantity: one, or its CPUs or cores under the
// per-CPU or per-core scheme.
type GroupSeat struct {
	Device string
	Units  int
}

// CreateGroup creates an empty license group (G1). It fails with
// ErrInvalidInput for an empty or malformed ID or name, ErrGroupExists,
// or ErrNoAccess.
func (s *OrgScope) CreateGroup(ctx context.Context, id, name string) error {
	if detail, err := textfield.Check(id, true); err != nil {
		return invalidField("group ID", err, detail)
	}
	if detail, err := textfield.Check(name, false); err != nil {
		return invalidField("group name", err, detail)
	}
	return s.update(ctx, func(o *Organization, now time.Time) ([]license.Event, error) {
		if _, ok := o.Groups.Get(id); ok {
			return nil, fmt.Errorf("%w: %s", ErrGroupExists, id)
		}
		o.Groups.Put(id, Group{ID: id, Name: name, Licenses: []string{}, Devices: []string{}, Placed: map[string]string{}})
		o.record(s.actor, now, "group.create", id, name)
		return nil, nil
	})
}

// AddToGroup puts a license of the key storage into a license group, and
// places the group's unplaced devices on it as the rule allows (G1, G2).
// It fails with ErrNoSuchGroup; ErrNoSuchKey if the key storage does not
// hold the license; ErrLicenseInGroup if the license is in a group
// already; ErrSchemeMismatch for a per-user license, which counts users
// and not devices; or ErrNoAccess.
func (s *OrgScope) AddToGroup(ctx context.Context, groupID, licenseID string) error {
	return s.update(ctx, func(o *Organization, now time.Time) ([]license.Event, error) {
		g, ok := o.Groups.Get(groupID)
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrNoSuchGroup, groupID)
		}
		k, ok := o.Keys.Get(licenseID)
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: %s", ErrNoSuchKey, licenseID)
		case k.Group != "":
			return nil, fmt.Errorf("%w: %s is in group %s", ErrLicenseInGroup, licenseID, k.Group)
		case k.License.Scheme == license.SchemePerUser:
			return nil, fmt.Errorf("%w: %s counts users; a license group places devices", ErrSchemeMismatch, licenseID)
		}
		k.Group = groupID
		o.Keys.Put(licenseID, k)
		g.Licenses = append(g.Licenses, licenseID)
		o.Groups.Put(groupID, g)
		o.record(s.actor, now, "group.add-license", groupID, licenseID)
		return s.p.placeGroupOf(o, s.actor, groupID, now), nil
	})
}

// RemoveFromGroup takes a license out of a license group; the license
// stays in the key storage, and its devices move to the group's other
// licenses as the rule places them (G2). It fails with ErrNoSuchGroup,
// ErrNotInGroup if the license is not in that group, or ErrNoAccess.
func (s *OrgScope) RemoveFromGroup(ctx context.Context, groupID, licenseID string) error {
	return s.update(ctx, func(o *Organization, now time.Time) ([]license.Event, error) {
		g, ok := o.Groups.Get(groupID)
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrNoSuchGroup, groupID)
		}
		if !slices.Contains(g.Licenses, licenseID) {
			return nil, fmt.Errorf("%w: license %s is not in group %s", ErrNotInGroup, licenseID, groupID)
		}
		g.Licenses = slices.DeleteFunc(g.Licenses, func(id string) bool { return id == licenseID })
		o.Groups.Put(groupID, g)
		if k, ok := o.Keys.Get(licenseID); ok {
			k.Group = ""
			o.Keys.Put(licenseID, k)
		}
		o.record(s.actor, now, "group.remove-license", groupID, licenseID)
		events := s.p.placeGroupOf(o, s.actor, groupID, now)
		return append(events, s.p.levelEvents(o, licenseID, now)...), nil
	})
}

// JoinGroup makes registered devices, given by fingerprint, members of a
// license group, after its current members and in the order given, and
// places them as the rule allows (G1, G2). The customer names the group,
// never a license. Devices that no license can take stay unplaced and
// raise EventRestrictionExceeded (D4). All the devices join, or none: it
// fails with ErrInvalidInput for an empty or repeated fingerprint,
// ErrNoSuchGroup, ErrNoSuchDevice, ErrDeviceInGroup, or
// ErrNoAccess.
func (s *OrgScope) JoinGroup(ctx context.Context, groupID string, fingerprints ...string) error {
	if err := checkFingerprints(fingerprints); err != nil {
		return err
	}
	return s.update(ctx, func(o *Organization, now time.Time) ([]license.Event, error) {
		g, ok := o.Groups.Get(groupID)
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrNoSuchGroup, groupID)
		}
		for _, fp := range fingerprints {
			d, ok := o.Devices.Get(fp)
			switch {
			case !ok:
				return nil, fmt.Errorf("%w: %s", ErrNoSuchDevice, fp)
			case d.Group != "":
				return nil, fmt.Errorf("%w: %s is in group %s", ErrDeviceInGroup, fp, d.Group)
			}
		}
		for _, fp := range fingerprints {
			d := o.Devices.Peek(fp)
			d.Group = groupID
			o.Devices.Put(fp, d)
			o.record(s.actor, now, "group.join", groupID, fp)
		}
		g.Devices = append(g.Devices, fingerprints...)
		o.Groups.Put(groupID, g)
		return s.p.placeGroupOf(o, s.actor, groupID, now), nil
	})
}

// LeaveGroup takes devices, given by fingerprint, out of a license group,
// with their seats; the room they free goes to the group's unplaced
// devices (G2). All the devices leave, or none: it fails with
// ErrInvalidInput for an empty or repeated fingerprint, ErrNoSuchGroup,
// ErrNotInGroup if a device is not a member of that group, or ErrNoAccess.
func (s *OrgScope) LeaveGroup(ctx context.Context, groupID string, fingerprints ...string) error {
	if err := checkFingerprints(fingerprints); err != nil {
		return err
	}
	return s.update(ctx, func(o *Organization, now time.Time) ([]license.Event, error) {
		g, ok := o.Groups.Get(groupID)
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrNoSuchGroup, groupID)
		}
		leaving := make(map[string]bool, len(fingerprints))
		for _, fp := range fingerprints {
			if d, ok := o.Devices.Get(fp); !ok || d.Group != groupID {
				return nil, fmt.Errorf("%w: device %s is not in group %s", ErrNotInGroup, fp, groupID)
			}
			leaving[fp] = true
		}
		for _, fp := range fingerprints {
			d := o.Devices.Peek(fp)
			d.Group = ""
			o.Devices.Put(fp, d)
			if id, ok := g.Placed[fp]; ok {
				o.Seats.Delete(seatID(id, fp, ""))
				delete(g.Placed, fp)
			}
			o.record(s.actor, now, "group.leave", groupID, fp)
		}
		g.Devices = slices.DeleteFunc(g.Devices, func(fp string) bool { return leaving[fp] })
		o.Groups.Put(groupID, g)
		return s.p.placeGroupOf(o, s.actor, groupID, now), nil
	})
}

// Rebalance runs the placement of a license group at the portal clock's
// current instant (G2): the devices of licenses that have expired, or
// left the key storage, move to the group's other licenses; licenses that
// have started take unplaced devices; devices still unplaced raise
// EventRestrictionExceeded (D4). Expired licenses stay in the group,
// holding no device, until removed. Call it at [GroupView.Next], or
// periodically; it records in the history only the moves it makes. It
// fails with ErrNoSuchGroup or ErrNoAccess.
func (s *OrgScope) Rebalance(ctx context.Context, groupID string) error {
	return s.update(ctx, func(o *Organization, now time.Time) ([]license.Event, error) {
		if _, ok := o.Groups.Get(groupID); !ok {
			return nil, fmt.Errorf("%w: %s", ErrNoSuchGroup, groupID)
		}
		return s.p.placeGroupOf(o, s.actor, groupID, now), nil
	})
}

// Group shows a license group: its licenses with the devices placed on
// each and their units, its members and those left unplaced, as of the
// last placement run (G1, G2). It fails with ErrNoSuchGroup or
// ErrNoAccess.
func (s *OrgScope) Group(ctx context.Context, id string) (GroupView, error) {
	var v GroupView
	now := s.p.now()
	err := s.view(ctx, func(o *Organization) error {
		g, ok := o.Groups.Get(id)
		if !ok {
			return fmt.Errorf("%w: %s", ErrNoSuchGroup, id)
		}
		v = o.groupView(g, now)
		return nil
	})
	return v, err
}

// groupView builds the view of group g at now.
func (o *Organization) groupView(g Group, now time.Time) GroupView {
	o.Devices.want(len(g.Devices))
	o.Keys.want(len(g.Licenses))
	o.Seats.want(len(g.Devices))
	v := GroupView{ID: g.ID, Name: g.Name, Devices: slices.Clone(g.Devices)}
	var valid, other []GroupLicense
	index := map[string]*GroupLicense{}
	var order []groupLicense
	for _, id := range g.Licenses {
		k, ok := o.Keys.Get(id)
		if !ok {
			continue
		}
		gl := groupLicense{License: k.License}
		gl.From, gl.Until, _ = k.License.Period(k.Added)
		for _, t := range []time.Time{gl.From, gl.Until} {
			if t.After(now) && (v.Next.IsZero() || t.Before(v.Next)) {
				v.Next = t
			}
		}
		if gl.validAt(now) {
			order = append(order, gl)
		} else {
			other = append(other, GroupLicense{License: k.License})
		}
	}
	slices.SortFunc(order, compareGroupLicenses)
	for _, gl := range order {
		valid = append(valid, GroupLicense{License: gl.License, Valid: true})
	}
	slices.SortFunc(other, func(a, b GroupLicense) int { return strings.Compare(a.License.ID, b.License.ID) })
	v.Licenses = append(valid, other...)
	for i := range v.Licenses {
		index[v.Licenses[i].License.ID] = &v.Licenses[i]
	}
	for _, fp := range g.Devices {
		id, ok := g.Placed[fp]
		gl := index[id]
		if !ok || gl == nil {
			v.Unplaced = append(v.Unplaced, fp)
			continue
		}
		n := o.Seats.Peek(seatID(id, fp, "")).Units
		gl.Devices = append(gl.Devices, GroupSeat{Device: fp, Units: n})
		gl.Units += n
	}
	for id, gl := range index {
		_, gl.Used = o.Seats.Usage(id)
	}
	return v
}

// checkFingerprints refuses an empty list, and an empty, malformed or
// repeated fingerprint.
func checkFingerprints(fps []string) error {
	if len(fps) == 0 {
		return fmt.Errorf("%w: no device fingerprint", license.ErrInvalidInput)
	}
	seen := make(map[string]bool, len(fps))
	for _, fp := range fps {
		if detail, err := textfield.Check(fp, true); err != nil {
			return invalidField("fingerprint", err, detail)
		}
		if seen[fp] {
			return fmt.Errorf("%w: fingerprint %s given twice", license.ErrInvalidInput, textfield.QuoteShort(fp))
		}
		seen[fp] = true
	}
	return nil
}

// placeGroupOf runs the placement of group gid at now on o, for actor,
// and applies it: seats of the licenses the group's devices leave are
// removed, seats of the licenses they are placed on are created, and
// g.Placed is replaced. Members no longer registered are dropped from the
// group. It returns the events of the run: usage levels of the group's
// licenses (D6) and, when devices remain unplaced, one
// EventRestrictionExceeded for the group (D4).
//
// A license's room is its quantity: the portal's overage (D6) lets
// [OrgScope.AssignSeat] pass it, never a placement, so that a group fills
// no license beyond its quantity while another has room. Seats a group
// license holds outside the group (assigned directly or by automatic
// distribution) are left alone and reduce its room.
func (p *Portal) placeGroupOf(o *Organization, actor Actor, gid string, now time.Time) []license.Event {
	g, ok := o.Groups.Get(gid)
	if !ok {
		return nil
	}
	// A large group reads its devices, licenses and seats at once.
	o.Devices.want(len(g.Devices))
	o.Keys.want(len(g.Licenses))
	o.Seats.want(len(g.Devices))
	g.Devices = slices.DeleteFunc(g.Devices, func(fp string) bool {
		if _, ok := o.Devices.Get(fp); !ok {
			if id, ok := g.Placed[fp]; ok {
				o.Seats.Delete(seatID(id, fp, ""))
				delete(g.Placed, fp)
			}
			return true
		}
		return false
	})

	// The group's licenses, and what seats outside the group use of each.
	licenses := make([]groupLicense, 0, len(g.Licenses))
	at := make(map[string]int, len(g.Licenses)) // license ID → index in licenses
	for _, id := range g.Licenses {
		k, ok := o.Keys.Get(id)
		if !ok {
			continue
		}
		gl := groupLicense{License: k.License}
		if gl.From, gl.Until, ok = k.License.Period(k.Added); !ok {
			continue
		}
		if k.License.Scheme.Counted() {
			gl.Room = k.License.Quantity
		}
		at[id] = len(licenses)
		licenses = append(licenses, gl)
	}
	outside := make([]int, len(licenses))
	if len(licenses) > 0 {
		for id, i := range at {
			for _, st := range o.Seats.OfLicense(id) {
				if st.User != "" || g.Placed[st.Device] != st.License {
					outside[i] += st.Units
				}
			}
		}
	}
	for i := range licenses {
		licenses[i].Room -= outside[i]
	}

	devices := make([]groupDevice, len(g.Devices))
	for i, fp := range g.Devices {
		devices[i] = groupDevice{Device: o.Devices.Peek(fp), Current: g.Placed[fp]}
	}
	placed, unplaced := placeGroup(licenses, devices, now)

	// Apply the placement to the seats, growing the seat table once when
	// the run adds many seats.
	o.Seats.grow(len(devices) - len(g.Placed))
	var added, moved, lost int
	used := slices.Clone(outside)
	g.Placed = make(map[string]string, len(devices))
	for k := range devices {
		dv := &devices[k]
		fp := dv.Device.Fingerprint
		id := placed[k]
		ok := id != ""
		switch {
		case !ok && dv.Current != "":
			lost++
		case ok && dv.Current == "":
			added++
		case ok && dv.Current != id:
			moved++
		}
		if dv.Current != "" && dv.Current != id {
			o.Seats.Delete(seatID(dv.Current, fp, ""))
		}
		if !ok {
			continue
		}
		i := at[id]
		n, _ := units(licenses[i].License, dv.Device) // placeGroup placed it: the scheme counts it
		used[i] += n
		sid := seatID(id, fp, "")
		g.Placed[fp] = id
		st, held := o.Seats.Get(sid)
		if held && dv.Current == id && st.Units == n {
			continue // a seat that stays as it is is not written again
		}
		if !held || dv.Current != id {
			st = Seat{License: id, Device: fp, Assigned: now}
		}
		st.Units = n
		o.Seats.Put(sid, st)
	}
	o.Groups.Put(gid, g)

	if added+moved+lost > 0 {
		o.record(actor, now, "group.place", gid,
			fmt.Sprintf("%d placed, %d moved, %d lost their place, %d unplaced", added, moved, lost, len(unplaced)))
	}
	var events []license.Event
	for i, gl := range licenses {
		events = append(events, p.usedLevelEvents(o, gl.License, used[i], now)...)
	}
	if len(unplaced) > 0 {
		events = append(events, unplacedEvent(gid, unplaced, now))
	}
	return events
}

// usedLevelEvents returns the events of license l's usage, given what it
// uses: those of [Portal.levelEvents], without counting the seats again
// for each license of a large group.
func (p *Portal) usedLevelEvents(o *Organization, l *license.License, used int, now time.Time) []license.Event {
	level := usageLevel(used, l.Quantity)
	if level == o.Levels.Peek(l.ID) {
		return nil
	}
	o.Levels.Put(l.ID, level)
	var events []license.Event
	if level != "" {
		events = append(events, newEvent(EventUsageLevel, now, l.ID,
			fmt.Sprintf("%s: %d of %d used (%s)", l.ID, used, l.Quantity, level)))
	}
	if level == "warning" || level == "critical" {
		events = append(events, newEvent(EventRestrictionExceeded, now, l.ID,
			fmt.Sprintf("%s: %d of %d used", l.ID, used, l.Quantity)))
	}
	return events
}

// unplacedEvent is the EventRestrictionExceeded of a placement run of
// group gid that left devices unplaced (G2, D4). Its License is empty; its
// ID is "restriction-exceeded/group/<group>/<instant>", and its Detail
// names the group, how many devices are unplaced and the first five of
// them in join order, such as "group site-a: 2 devices could not be
// placed: pc-7, pc-9".
func unplacedEvent(gid string, unplaced []string, now time.Time) license.Event {
	now = now.UTC()
	list := strings.Join(unplaced[:min(len(unplaced), 5)], ", ")
	if len(unplaced) > 5 {
		list += ", …"
	}
	noun := "devices"
	if len(unplaced) == 1 {
		noun = "device"
	}
	return license.Event{
		ID:     string(EventRestrictionExceeded) + "/group/" + gid + "/" + now.Format(time.RFC3339Nano),
		Kind:   EventRestrictionExceeded,
		At:     now,
		Detail: fmt.Sprintf("group %s: %d %s could not be placed: %s", gid, len(unplaced), noun, list),
	}
}

// groupLicense is a license as placeGroup sees it.
type groupLicense struct {
	License *license.License
	// From and Until bound its validity, [From, Until); zero is open.
	From, Until time.Time
	// Room is how many units it can take for the group's devices. Ignored
	// when the license is unmetered.
	Room int
}

func (gl *groupLicense) validAt(t time.Time) bool {
	return (gl.From.IsZero() || !t.Before(gl.From)) && (gl.Until.IsZero() || t.Before(gl.Until))
}

// groupDevice is a member of a group as placeGroup sees it.
type groupDevice struct {
	Device  Device
	Current string // the license it is placed on; "" if none
}

// compareGroupLicenses orders licenses as the placement rule fills them:
// the latest end first (a license with no end before all), ties by license
// ID.
func compareGroupLicenses(a, b groupLicense) int {
	switch {
	case a.Until.Equal(b.Until):
		return cmp.Compare(a.License.ID, b.License.ID)
	case a.Until.IsZero():
		return -1
	case b.Until.IsZero():
		return 1
	}
	return b.Until.Compare(a.Until)
}

// placeGroup assigns devices to licenses at instant at, by the rule
// documented on [Group] (G2). devices are in the order they joined; each
// Device.Fingerprint appears once. It returns the license ID of each
// device, placed[i] for devices[i], "" for a device it could not place,
// and the fingerprints of those, in join order. It is a pure function: the
// same input gives the same output, whatever the order of licenses.
//
// With n devices and m licenses it runs in O(m log m + n log m): the valid
// licenses are sorted once; for each kind of licensing scheme, a
// segment tree over them in that order keeps the largest room left in
// each range, so the first license with room for a device is found in
// O(log m).
func placeGroup(licenses []groupLicense, devices []groupDevice, at time.Time) (placed, unplaced []string) {
	var order []groupLicense
	for _, gl := range licenses {
		if gl.validAt(at) {
			order = append(order, gl)
		}
	}
	slices.SortFunc(order, compareGroupLicenses)
	rank := make(map[string]int, len(order))
	room := make([]int, len(order))
	for i, gl := range order {
		rank[gl.License.ID] = i
		room[i] = gl.Room
		if !gl.License.Scheme.Counted() {
			room[i] = math.MaxInt
		}
	}
	placed = make([]string, len(devices))

	// Pass 1: a device stays on its license while that is valid and has
	// room, in join order.
	for k := range devices {
		dv := &devices[k]
		if dv.Current == "" {
			continue
		}
		i, ok := rank[dv.Current]
		if !ok {
			continue
		}
		if n, err := units(order[i].License, dv.Device); err == nil && room[i] >= n {
			room[i] -= n
			placed[k] = dv.Current
		}
	}

	// Pass 2: every other device, in join order, goes to the first
	// license in order that counts it and has room for it. Licenses of one
	// scheme count a device alike, so one tree per scheme finds the
	// first of that scheme; the earliest of those wins.
	type class struct {
		first *license.License // a license of the scheme, to count units with
		ranks []int            // its licenses' ranks, in order
		tree  maxTree
	}
	var classes []*class
	byScheme := map[license.Scheme]*class{}
	for i, gl := range order {
		c := byScheme[gl.License.Scheme]
		if c == nil {
			c = &class{first: gl.License}
			byScheme[gl.License.Scheme] = c
			classes = append(classes, c)
		}
		c.ranks = append(c.ranks, i)
	}
	for _, c := range classes {
		c.tree = newMaxTree(len(c.ranks))
		for j, r := range c.ranks {
			c.tree.set(j, room[r])
		}
	}
	for k := range devices {
		dv := &devices[k]
		if placed[k] != "" {
			continue
		}
		best, bestClass, bestPos, bestUnits := -1, (*class)(nil), 0, 0
		for _, c := range classes {
			n, err := units(c.first, dv.Device)
			if err != nil {
				continue
			}
			j := c.tree.first(n)
			if j >= 0 && (best < 0 || c.ranks[j] < best) {
				best, bestClass, bestPos, bestUnits = c.ranks[j], c, j, n
			}
		}
		if best < 0 {
			unplaced = append(unplaced, dv.Device.Fingerprint)
			continue
		}
		room[best] -= bestUnits
		bestClass.tree.set(bestPos, room[best])
		placed[k] = order[best].License.ID
	}
	return placed, unplaced
}

// maxTree is a segment tree over a fixed number of values that finds the
// first value at least a given size in O(log n).
type maxTree struct {
	size int   // leaves: a power of two
	max  []int // max[1] is the root; the children of i are 2i and 2i+1
}

func newMaxTree(n int) maxTree {
	size := 1
	for size < n {
		size *= 2
	}
	t := maxTree{size: size, max: make([]int, 2*size)}
	for i := range t.max {
		t.max[i] = math.MinInt
	}
	return t
}

// set sets value i to v.
func (t *maxTree) set(i, v int) {
	i += t.size
	t.max[i] = v
	for i /= 2; i >= 1; i /= 2 {
		t.max[i] = max(t.max[2*i], t.max[2*i+1])
	}
}

// first returns the index of the first value at least n, or -1.
func (t *maxTree) first(n int) int {
	if t.max[1] < n {
		return -1
	}
	i := 1
	for i < t.size {
		if t.max[2*i] >= n {
			i = 2 * i
		} else {
			i = 2*i + 1
		}
	}
	return i - t.size
}
