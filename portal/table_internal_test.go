package portal

import (
	"maps"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mapSource is a Source over a map, counting its loads.
type mapSource[V any] struct {
	m           map[string]V
	loads, alls int
}

func (s *mapSource[V]) Load(id string) (V, bool) {
	s.loads++
	v, ok := s.m[id]
	return v, ok
}

func (s *mapSource[V]) LoadAll() map[string]V {
	s.alls++
	return maps.Clone(s.m)
}

type seatSource struct {
	mapSource[Seat]
	licenses []string
}

func (s *seatSource) LoadLicense(license string) map[string]Seat {
	s.licenses = append(s.licenses, license)
	out := map[string]Seat{}
	for id, st := range s.m {
		if st.License == license {
			out[id] = st
		}
	}
	return out
}

// A table with a source loads only the records asked for, once, and says
// which it changed, so that a store reads and writes only those.
func TestTable_SourceLoadsWhatIsAskedAndTracksChanges(t *testing.T) {
	src := &mapSource[Device]{m: map[string]Device{"a": {Fingerprint: "a"}, "b": {Fingerprint: "b"}, "c": {Fingerprint: "c"}}}
	var tb Table[Device]
	tb.SetSource(src)

	d, ok := tb.Get("a")
	require.True(t, ok)
	assert.Equal(t, "a", d.Fingerprint)
	_, ok = tb.Get("zz")
	assert.False(t, ok)
	tb.Get("a")
	tb.Has("zz")
	assert.Equal(t, 2, src.loads, "each ID loaded once, missing ones too")
	assert.Nil(t, tb.Changed())

	tb.Put("a", Device{Fingerprint: "a", Name: "changed"})
	tb.Delete("b")
	tb.Put("new", Device{Fingerprint: "new"})
	tb.Delete("zz") // nothing to delete: not a change
	assert.Equal(t, []string{"a", "b", "new"}, tb.Changed())
	_, ok = tb.Current("b")
	assert.False(t, ok, "b is gone")
	cur, _ := tb.Current("a")
	assert.Equal(t, "changed", cur.Name)
	assert.Zero(t, src.alls)

	// Comparing reads the source whole, with this update's changes.
	want := TableOf(map[string]Device{"a": {Fingerprint: "a", Name: "changed"}, "c": {Fingerprint: "c"}, "new": {Fingerprint: "new"}})
	assert.True(t, tb.Equal(want))
	assert.True(t, want.Equal(tb))
	assert.False(t, tb.Equal(TableOf(map[string]Device{"a": {Fingerprint: "a"}})))

	// Loading everything keeps this update's changes.
	alls := src.alls
	assert.Equal(t, []string{"a", "c", "new"}, tb.IDs())
	assert.Equal(t, 3, tb.Len())
	assert.Equal(t, "changed", tb.Peek("a").Name)
	assert.Equal(t, alls+1, src.alls)
	tb.All()
	assert.True(t, tb.Equal(want))
	assert.Equal(t, alls+1, src.alls, "once")
}

// A seat table with a source reads one license's seats for its usage, and
// counts this update's changes made before and after it did.
func TestSeatTable_SourceUsageReadsOneLicense(t *testing.T) {
	src := &seatSource{mapSource: mapSource[Seat]{m: map[string]Seat{
		"L1|device|a": {License: "L1", Device: "a", Units: 1},
		"L1|device|b": {License: "L1", Device: "b", Units: 2},
		"L2|device|a": {License: "L2", Device: "a", Units: 4},
	}}}
	var st SeatTable
	st.SetSource(src)

	st.Delete("L1|device|a") // before the license's usage is asked
	seats, units := st.Usage("L1")
	assert.Equal(t, 1, seats)
	assert.Equal(t, 2, units)
	st.Put("L1|device|c", Seat{License: "L1", Device: "c", Units: 3}) // after
	seats, units = st.Usage("L1")
	assert.Equal(t, 2, seats)
	assert.Equal(t, 5, units)
	var ids []string
	for id := range st.OfLicense("L1") {
		ids = append(ids, id)
	}
	assert.Equal(t, []string{"L1|device|b", "L1|device|c"}, ids)
	assert.Equal(t, []string{"L1"}, src.licenses, "only L1's seats were read")
	assert.Zero(t, src.alls)
	assert.Equal(t, []string{"L1|device|a", "L1|device|c"}, st.Changed())
}

// A table with a source equals a table holding the same records, whatever
// it loaded so far: a store that reads records on demand compares as one
// that reads them all.
func TestTable_EqualWithSourceComparesEveryRecord(t *testing.T) {
	src := &mapSource[Device]{m: map[string]Device{"a": {Fingerprint: "a"}, "b": {Fingerprint: "b"}}}
	var lazy Table[Device]
	lazy.SetSource(src)
	lazy.Get("a")
	whole := TableOf(map[string]Device{"a": {Fingerprint: "a"}, "b": {Fingerprint: "b"}})
	assert.True(t, whole.Equal(lazy), "a plain table equals a table with a source that holds the same records")
	assert.True(t, lazy.Equal(whole))
	other := TableOf(map[string]Device{"a": {Fingerprint: "a"}, "b": {Fingerprint: "other"}})
	assert.False(t, other.Equal(lazy), "a record differs")
	lazy.Put("b", Device{Fingerprint: "other"})
	assert.True(t, other.Equal(lazy), "the update's own changes count")

	var seatsLazy SeatTable
	seatsLazy.SetSource(&seatSource{mapSource: mapSource[Seat]{m: map[string]Seat{"L|device|a": {License: "L", Device: "a", Units: 1}}}})
	assert.True(t, SeatsOf(map[string]Seat{"L|device|a": {License: "L", Device: "a", Units: 1}}).Equal(seatsLazy))
}

// A caller about to read many records has a table with a source read them
// all at once; a seat table then indexes every license in one pass.
func TestTable_WantManyReadsAllAtOnce(t *testing.T) {
	seats := map[string]Seat{}
	for i := range 100 {
		id := "L1|device|" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		seats[id] = Seat{License: "L1", Device: id, Units: 1}
	}
	seats["L2|device|x"] = Seat{License: "L2", Device: "x", Units: 5}
	src := &seatSource{mapSource: mapSource[Seat]{m: seats}}
	var st SeatTable
	st.SetSource(src)
	st.Delete("L2|device|x")
	st.want(3) // few: nothing read yet
	assert.Zero(t, src.alls)
	st.want(100)
	assert.Equal(t, 1, src.alls)
	n, units := st.Usage("L1")
	assert.Equal(t, 100, n)
	assert.Equal(t, 100, units)
	n, _ = st.Usage("L2")
	assert.Zero(t, n, "the update's deletion holds")
	assert.Empty(t, src.licenses, "no license read on its own once all were")
}

// Original tells a store what a changed record was before the update, when
// the table knows it, so that a record put back as it was is not written;
// a record put without being read is unknown, and must be written.
func TestTable_OriginalIsTheRecordBeforeTheFirstChange(t *testing.T) {
	src := &mapSource[Device]{m: map[string]Device{"a": {Fingerprint: "a", CPUs: 1}, "b": {Fingerprint: "b"}}}
	var tb Table[Device]
	tb.SetSource(src)

	tb.Get("a")
	tb.Put("a", Device{Fingerprint: "a", CPUs: 2})
	tb.Put("a", Device{Fingerprint: "a", CPUs: 3})
	v, had, known := tb.Original("a")
	assert.True(t, known && had)
	assert.Equal(t, 1, v.CPUs, "the value before the first change, not the second")

	tb.Put("b", Device{Fingerprint: "b", CPUs: 9}) // never read
	_, _, known = tb.Original("b")
	assert.False(t, known)

	tb.Has("new")
	tb.Put("new", Device{Fingerprint: "new"})
	_, had, known = tb.Original("new")
	assert.True(t, known)
	assert.False(t, had, "known to be absent")

	var all Table[Device]
	all.SetSource(src)
	all.Len()
	all.Delete("b")
	v, had, known = all.Original("b")
	assert.True(t, known && had)
	assert.Equal(t, "b", v.Fingerprint)
	_, ok := all.Current("b")
	assert.False(t, ok)
	assert.Equal(t, "b", src.m["b"].Fingerprint, "the source's own records are untouched")
}
