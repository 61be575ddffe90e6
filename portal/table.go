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

	// With a source, m holds what was loaded or changed; gone the IDs
	// known to have no record, changed those Put or Deleted, and
	// complete whether everything was loaded.
	src      Source[V]
	gone     map[string]struct{}
	changed  map[string]struct{}
	complete bool
	// orig holds, for each changed ID whose record was known before its
	// first change, what it was then: see Original.
	orig map[string]original[V]
}

type original[V any] struct {
	v   V
	had bool
}

// Source is where a [Table] finds the records it does not hold: a store
// that keeps each record on its own row, in a database, gives each table
// of the organization or vendor document it opens for an update a source
// over its transaction (see [Table.SetSource]), so that the update reads
// only the records it touches, and writes back only those in
// [Table.Changed]. A source that fails remembers its error, and the store
// fails the whole update with it, whatever the update decided from what
// the failing load returned.
type Source[V any] interface {
	// Load returns the record with that ID, and whether there is one.
	Load(id string) (V, bool)
	// LoadAll returns every record, in a map the table may keep and
	// change.
	LoadAll() map[string]V
}

// SetSource empties t and has it load its records from src when asked:
// Get, Peek and Has load one record; All, IDs and Len load them all, once.
func (t *Table[V]) SetSource(src Source[V]) {
	*t = Table[V]{m: map[string]V{}, src: src, gone: map[string]struct{}{}, changed: map[string]struct{}{},
		orig: map[string]original[V]{}}
}

// Changed returns the IDs of the records Put or Deleted since SetSource,
// sorted, for the store to write back: with [Table.Current], each one's
// value, or that it is gone. Without a source it returns nil.
func (t *Table[V]) Changed() []string {
	if t.changed == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(t.changed))
}

// Current returns the record with that ID as the update left it, without
// loading anything: the value a store writes back for an ID of Changed.
func (t *Table[V]) Current(id string) (V, bool) {
	v, ok := t.m[id]
	return v, ok
}

// Original returns, for an ID of Changed, the record as the source had
// it before the update first changed it (ok false if there was none), and
// known false if the table does not know, because the update put it
// without reading it first. A store need not write back a record whose
// Current is its Original: a placement run of a large group puts back
// most of what it reads.
func (t *Table[V]) Original(id string) (v V, ok, known bool) {
	o, known := t.orig[id]
	return o.v, o.had, known
}

// load brings the record with that ID from the source, if there is one
// and it was not brought yet.
func (t *Table[V]) load(id string) {
	if t.src == nil {
		return
	}
	if _, ok := t.m[id]; ok {
		return
	}
	if _, ok := t.gone[id]; ok || t.complete {
		return
	}
	v, ok := t.src.Load(id)
	if !ok {
		t.gone[id] = struct{}{}
		return
	}
	t.m[id] = v
}

// wantMany is how many records a caller must be about to read for a table
// with a source to read them all at once rather than one by one.
const wantMany = 64

// want tells t that its caller is about to read about n of its records:
// with a source, many are read in one go.
func (t *Table[V]) want(n int) {
	if n > wantMany {
		t.loadAll()
	}
}

// loadAll brings every record from the source, once; the records this
// update changed keep their changes.
func (t *Table[V]) loadAll() {
	if t.src == nil || t.complete {
		return
	}
	all := t.src.LoadAll()
	if len(t.m) == 0 && len(t.changed) == 0 {
		t.m, t.complete = all, true // the source hands the map over
		return
	}
	for id, v := range all {
		if _, ok := t.changed[id]; ok {
			continue
		}
		if _, ok := t.m[id]; ok {
			continue
		}
		t.m[id] = v
	}
	t.complete = true
}

// merge adds the records of m, loaded from the source, that the table
// neither holds nor changed: an update's own changes stand.
func (t *Table[V]) merge(m map[string]V) {
	for id, v := range m {
		_, changed := t.changed[id]
		if _, held := t.m[id]; !held && !changed {
			t.m[id] = v
		}
	}
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
	t.load(id)
	v, ok := t.m[id]
	if !ok {
		return v, false
	}
	return cloned(v), true
}

// Peek returns the record with that ID, or the zero value, without
// copying it: read it, never change it.
func (t *Table[V]) Peek(id string) V {
	t.load(id)
	return t.m[id]
}

// Has reports whether a record with that ID exists.
func (t *Table[V]) Has(id string) bool {
	t.load(id)
	_, ok := t.m[id]
	return ok
}

// Put stores v under id; the table owns v from then on.
func (t *Table[V]) Put(id string, v V) {
	if t.m == nil {
		t.m = map[string]V{}
	}
	t.remember(id)
	t.touch(id)
	t.m[id] = v
}

// Delete removes the record with that ID, if any.
func (t *Table[V]) Delete(id string) {
	t.load(id)
	if _, ok := t.m[id]; !ok {
		return
	}
	t.remember(id)
	t.touch(id)
	delete(t.m, id)
}

// touch marks id changed, for a table with a source; the caller is about
// to change it, and calls touch first so that its first value is kept.
func (t *Table[V]) touch(id string) {
	if t.changed == nil {
		return
	}
	if _, ok := t.changed[id]; !ok {
		v, had := t.m[id]
		_, gone := t.gone[id]
		if had || gone || t.complete {
			t.orig[id] = original[V]{v: v, had: had}
		}
		t.changed[id] = struct{}{}
	}
	delete(t.gone, id)
}

// Len returns the number of records.
func (t *Table[V]) Len() int {
	t.loadAll()
	return len(t.m)
}

// All yields every record, in no order. The values are the table's own:
// read them, never change them (use Get and Put to change a record).
func (t *Table[V]) All() iter.Seq2[string, V] {
	t.loadAll()
	return maps.All(t.m)
}

// IDs returns the IDs of every record, sorted.
func (t *Table[V]) IDs() []string {
	t.loadAll()
	return slices.Sorted(maps.Keys(t.m))
}

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
	// byLicense is built on first use, then kept up to date: whole
	// (indexed) without a source, license by license with one.
	byLicense map[string]*licenseSeats
	indexed   bool
	// With a source that is a SeatCounter: the counts it gave, by
	// license, and how this update's changes move them (see counted).
	stored map[string]SeatCount
	delta  map[string]SeatCount
}

// SeatSource is the [Source] of a [SeatTable]; LoadLicense returns the
// seats of one license, so that its usage reads only those. The portal
// names each seat by its license's ID, "|", and what holds it, so that a
// store may find a license's seats as one range of the seats' IDs (and
// then keep only those whose License is that license: another license's
// ID may start with this one's and "|").
type SeatSource interface {
	Source[Seat]
	LoadLicense(license string) map[string]Seat
}

type licenseSeats struct {
	ids   map[string]struct{}
	units int
}

// SetSource empties t and has it load its seats from src when asked.
func (t *SeatTable) SetSource(src SeatSource) {
	t.Table.SetSource(src)
	t.byLicense, t.indexed = nil, false
	t.stored, t.delta = nil, nil
}

// Put stores seat s under id.
func (t *SeatTable) Put(id string, s Seat) {
	t.load(id)
	old, had := t.m[id]
	t.Table.Put(id, s)
	t.reindex(id, old, had, s, true)
}

// Delete removes the seat with that ID, if any.
func (t *SeatTable) Delete(id string) {
	t.load(id)
	old, had := t.m[id]
	t.Table.Delete(id)
	if had {
		t.reindex(id, old, true, Seat{}, false)
	}
}

// Usage returns how many seats license has and the units they count.
func (t *SeatTable) Usage(license string) (seats, units int) {
	if c, ok := t.counted(license); ok {
		return c.Seats, c.Units
	}
	ls := t.entry(license)
	return len(ls.ids), ls.units
}

// OfLicense yields the seats of license, by seat ID in order. It reads a
// list taken when called: the loop may delete the seats it is given.
func (t *SeatTable) OfLicense(license string) iter.Seq2[string, Seat] {
	ids := slices.Sorted(maps.Keys(t.entry(license).ids))
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

// entry returns the index entry of license, building what it needs.
func (t *SeatTable) entry(license string) *licenseSeats {
	if t.byLicense == nil {
		t.byLicense = map[string]*licenseSeats{}
	}
	if ls := t.byLicense[license]; ls != nil {
		return ls
	}
	if t.src == nil || t.complete {
		if !t.indexed { // once for all: entries built one by one go too
			t.byLicense = map[string]*licenseSeats{}
			for id, s := range t.m {
				t.add(id, s)
			}
			t.indexed = true
		}
		if ls := t.byLicense[license]; ls != nil {
			return ls
		}
		ls := &licenseSeats{ids: map[string]struct{}{}}
		t.byLicense[license] = ls
		return ls
	}
	// With a source: bring the license's seats, then index what the
	// update holds of them, its own changes included.
	if ss, ok := t.src.(SeatSource); ok {
		t.merge(ss.LoadLicense(license))
	} else {
		t.loadAll()
	}
	ls := &licenseSeats{ids: map[string]struct{}{}}
	t.byLicense[license] = ls
	for id, s := range t.m {
		if s.License == license {
			ls.ids[id] = struct{}{}
			ls.units += s.Units
		}
	}
	return ls
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

// reindex moves seat id from what it was to what it is in the index
// entries that exist; an entry built later reads the seat from t.m.
func (t *SeatTable) reindex(id string, from Seat, hadFrom bool, to Seat, hasTo bool) {
	if t.delta != nil {
		if hadFrom {
			t.delta[from.License] = t.delta[from.License].add(-1, -from.Units)
		}
		if hasTo {
			t.delta[to.License] = t.delta[to.License].add(1, to.Units)
		}
	}
	if t.byLicense == nil {
		return
	}
	if hadFrom {
		if ls := t.byLicense[from.License]; ls != nil {
			delete(ls.ids, id)
			ls.units -= from.Units
		}
	}
	if hasTo {
		if t.byLicense[to.License] != nil || t.indexed {
			t.add(id, to)
		}
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

// Equal reports whether t and u hold the same records, those of their
// sources included; an empty table equals a nil one.
func (t Table[V]) Equal(u Table[V]) bool {
	tm, um := t.records(), u.records()
	if len(tm) != len(um) {
		return false
	}
	for id, v := range tm {
		w, ok := um[id]
		if !ok || !reflect.DeepEqual(v, w) {
			return false
		}
	}
	return true
}

// records returns every record of t, without changing t: with a source
// not read whole yet, what it holds as the update left it.
func (t Table[V]) records() map[string]V {
	if t.src == nil || t.complete {
		return t.m
	}
	all := t.src.LoadAll()
	for id := range t.changed {
		if v, ok := t.m[id]; ok {
			all[id] = v
		} else {
			delete(all, id)
		}
	}
	return all
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
