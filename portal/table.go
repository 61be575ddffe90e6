package portal

import (
	"encoding/json"
	"iter"
	"maps"
	"reflect"
	"slices"
)

// record is a value a [Table] holds that can copy itself deeply, so that
// what Get hands out shares nothing with what the table keeps. A value
// with nothing to share, such as a string, needs no clone method.
type record[V any] interface {
	clone() V
}

// cloned returns a deep copy of v.
func cloned[V any](v V) V {
	if r, ok := any(v).(record[V]); ok {
		return r.clone()
	}
	return v
}

// Table holds an organization's records of one kind, by ID: its keys,
// devices, seats or groups. Every change goes through Put and Delete, so
// that a store can undo an update that failed without having copied the
// table first: an update costs what it changes, not what the organization
// holds. The zero Table is empty and ready to use. In JSON it is an object
// keyed by ID.
//
// A Table is not safe for concurrent use; a [PortalStore] serializes the
// updates of an organization.
type Table[V any] struct {
	m map[string]V
	// undo holds, while an update runs, the value each changed record
	// had before it, oldest first.
	undo      []undone[V]
	recording bool
}

type undone[V any] struct {
	id  string
	old V
	had bool
}

// TableOf returns a table of the records in m, which it takes over: for
// stores that read an organization, and for tests.
func TableOf[V any](m map[string]V) Table[V] { return Table[V]{m: m} }

// SeatsOf returns a seat table of the seats in m, which it takes over.
func SeatsOf(m map[string]Seat) SeatTable { return SeatTable{Table: Table[Seat]{m: m}} }

// Get returns a copy of the record with that ID.
func (t *Table[V]) Get(id string) (V, bool) {
	v, ok := t.m[id]
	if !ok {
		return v, false
	}
	return cloned(v), true
}

// Peek returns the record with that ID, or the zero value, without
// copying it: read it, never change it.
func (t *Table[V]) Peek(id string) V { return t.m[id] }

// Has reports whether a record with that ID exists.
func (t *Table[V]) Has(id string) bool {
	_, ok := t.m[id]
	return ok
}

// Put stores v under id; the table owns v from then on.
func (t *Table[V]) Put(id string, v V) {
	if t.m == nil {
		t.m = map[string]V{}
	}
	t.remember(id)
	t.m[id] = v
}

// Delete removes the record with that ID, if any.
func (t *Table[V]) Delete(id string) {
	if _, ok := t.m[id]; !ok {
		return
	}
	t.remember(id)
	delete(t.m, id)
}

// Len returns the number of records.
func (t *Table[V]) Len() int { return len(t.m) }

// All yields every record, in no order. The values are the table's own:
// read them, never change them (use Get and Put to change a record).
func (t *Table[V]) All() iter.Seq2[string, V] { return maps.All(t.m) }

// IDs returns the IDs of every record, sorted.
func (t *Table[V]) IDs() []string { return slices.Sorted(maps.Keys(t.m)) }

// clone returns a deep copy of the table.
func (t *Table[V]) clone() Table[V] {
	c := Table[V]{m: make(map[string]V, len(t.m))}
	for id, v := range t.m {
		c.m[id] = cloned(v)
	}
	return c
}

func (t *Table[V]) remember(id string) {
	if t.recording {
		old, had := t.m[id]
		t.undo = append(t.undo, undone[V]{id: id, old: old, had: had})
	}
}

// begin starts recording changes, so that rollback can undo them.
func (t *Table[V]) begin() {
	t.undo, t.recording = t.undo[:0], true
}

// commit keeps the changes since begin.
func (t *Table[V]) commit() {
	clear(t.undo)
	t.undo, t.recording = t.undo[:0], false
}

// rollback undoes the changes since begin, newest first. changed, if not
// nil, is told of each record put back: its ID, the value it had, and the
// value it has again.
func (t *Table[V]) rollback(changed func(id string, cur V, hadCur bool, old V, hadOld bool)) {
	for i := len(t.undo) - 1; i >= 0; i-- {
		u := t.undo[i]
		cur, hadCur := t.m[u.id]
		if u.had {
			t.m[u.id] = u.old
		} else {
			delete(t.m, u.id)
		}
		if changed != nil {
			changed(u.id, cur, hadCur, u.old, u.had)
		}
	}
	t.commit()
}

// MarshalJSON writes the table as an object keyed by ID.
func (t Table[V]) MarshalJSON() ([]byte, error) {
	if t.m == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(t.m)
}

// UnmarshalJSON reads an object keyed by ID.
func (t *Table[V]) UnmarshalJSON(b []byte) error {
	var m map[string]V
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*t = Table[V]{m: m}
	return nil
}

// SeatTable is the [Table] of an organization's seats, which also keeps,
// by license, the seats it has and the units they count, so that a
// license's usage costs the same whatever else the organization holds.
type SeatTable struct {
	Table[Seat]
	// byLicense is built on first use, then kept up to date.
	byLicense map[string]*licenseSeats
}

type licenseSeats struct {
	ids   map[string]struct{}
	units int
}

// Put stores seat s under id.
func (t *SeatTable) Put(id string, s Seat) {
	old, had := t.m[id]
	t.Table.Put(id, s)
	t.reindex(id, old, had, s, true)
}

// Delete removes the seat with that ID, if any.
func (t *SeatTable) Delete(id string) {
	old, had := t.m[id]
	t.Table.Delete(id)
	if had {
		t.reindex(id, old, true, Seat{}, false)
	}
}

// Usage returns how many seats license has and the units they count.
func (t *SeatTable) Usage(license string) (seats, units int) {
	ls := t.index()[license]
	if ls == nil {
		return 0, 0
	}
	return len(ls.ids), ls.units
}

// OfLicense yields the seats of license, by seat ID in order. It reads a
// list taken when called: the loop may delete the seats it is given.
func (t *SeatTable) OfLicense(license string) iter.Seq2[string, Seat] {
	var ids []string
	if ls := t.index()[license]; ls != nil {
		ids = slices.Sorted(maps.Keys(ls.ids))
	}
	return func(yield func(string, Seat) bool) {
		for _, id := range ids {
			if s, ok := t.m[id]; ok && !yield(id, s) {
				return
			}
		}
	}
}

// grow makes room for n more seats.
func (t *SeatTable) grow(n int) {
	if n <= len(t.m) {
		return
	}
	m := make(map[string]Seat, len(t.m)+n)
	maps.Copy(m, t.m)
	t.m = m
}

func (t *SeatTable) index() map[string]*licenseSeats {
	if t.byLicense == nil {
		t.byLicense = map[string]*licenseSeats{}
		for id, s := range t.m {
			t.add(id, s)
		}
	}
	return t.byLicense
}

func (t *SeatTable) add(id string, s Seat) {
	ls := t.byLicense[s.License]
	if ls == nil {
		ls = &licenseSeats{ids: map[string]struct{}{}}
		t.byLicense[s.License] = ls
	}
	ls.ids[id] = struct{}{}
	ls.units += s.Units
}

func (t *SeatTable) reindex(id string, from Seat, hadFrom bool, to Seat, hasTo bool) {
	if t.byLicense == nil {
		return
	}
	if hadFrom {
		if ls := t.byLicense[from.License]; ls != nil {
			delete(ls.ids, id)
			ls.units -= from.Units
			if len(ls.ids) == 0 {
				delete(t.byLicense, from.License)
			}
		}
	}
	if hasTo {
		t.add(id, to)
	}
}

func (t *SeatTable) rollback() {
	t.Table.rollback(func(id string, cur Seat, hadCur bool, old Seat, hadOld bool) {
		t.reindex(id, cur, hadCur, old, hadOld)
	})
}

func (t *SeatTable) clone() SeatTable { return SeatTable{Table: t.Table.clone()} }

// UnmarshalJSON reads an object keyed by seat ID.
func (t *SeatTable) UnmarshalJSON(b []byte) error {
	var tb Table[Seat]
	if err := tb.UnmarshalJSON(b); err != nil {
		return err
	}
	*t = SeatTable{Table: tb}
	return nil
}

func (k OrgKey) clone() OrgKey {
	k.Shared = slices.Clone(k.Shared)
	k.Custom = maps.Clone(k.Custom)
	return k
}

func (d Device) clone() Device {
	d.Apps = slices.Clone(d.Apps)
	return d
}

func (s Seat) clone() Seat { return s }

func (g Group) clone() Group {
	g.Licenses = slices.Clone(g.Licenses)
	g.Devices = slices.Clone(g.Devices)
	g.Placed = maps.Clone(g.Placed)
	return g
}

// Equal reports whether t and u hold the same records; an empty table
// equals a nil one.
func (t Table[V]) Equal(u Table[V]) bool {
	if len(t.m) != len(u.m) {
		return false
	}
	for id, v := range t.m {
		w, ok := u.m[id]
		if !ok || !reflect.DeepEqual(v, w) {
			return false
		}
	}
	return true
}

// Equal reports whether t and u hold the same seats.
func (t SeatTable) Equal(u SeatTable) bool { return t.Table.Equal(u.Table) }

func (c ActivationCode) clone() ActivationCode {
	c.Redemptions = maps.Clone(c.Redemptions)
	return c
}

func (u UpgradeNotice) clone() UpgradeNotice {
	u.Products = slices.Clone(u.Products)
	return u
}
