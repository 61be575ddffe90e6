package portal

// SeatCount is a number of seats and the units they count: a license's
// usage, or how an update moves it.
type SeatCount struct {
	Seats, Units int
}

func (c SeatCount) add(seats, units int) SeatCount {
	return SeatCount{c.Seats + seats, c.Units + units}
}

// SeatCounter is a [SeatSource] that also keeps, by license, how many
// seats it has and the units they count, so that a license's usage costs
// one read however many seats it holds, rather than a read of them all.
// CountLicense returns a license's count as the source holds it: without
// the changes of the update that reads it, which the [SeatTable] adds.
// A store that implements it keeps the counts in step with the seats it
// writes, with [SeatTable.CountChanges].
type SeatCounter interface {
	CountLicense(license string) (seats, units int)
}

// CountChanges returns, by license, how this update's changes to the
// seats move the license's count: one seat, and its units, more for each
// seat it now has that it did not have before the update, one less for
// each it had and no longer has. Licenses it leaves as they were are not
// in the map. It returns false if a changed seat's value before the
// update is not known (see [Table.Original]): the store must then count
// again from the seats. A table without a source, such as a new
// organization's, is all change: its counts are those of all its seats.
func (t *SeatTable) CountChanges() (map[string]SeatCount, bool) {
	d := map[string]SeatCount{}
	if t.src == nil {
		for _, s := range t.m {
			d[s.License] = d[s.License].add(1, s.Units)
		}
		return d, true
	}
	for id := range t.changed {
		was, had, known := t.Original(id)
		if !known {
			return nil, false
		}
		if had {
			d[was.License] = d[was.License].add(-1, -was.Units)
		}
		if is, ok := t.m[id]; ok {
			d[is.License] = d[is.License].add(1, is.Units)
		}
	}
	for lic, c := range d {
		if c == (SeatCount{}) {
			delete(d, lic)
		}
	}
	return d, true
}

// counted returns license's usage from the source's count and this
// update's changes, if the source counts and no index entry of license
// was built (that entry is exact too, and already paid for).
func (t *SeatTable) counted(license string) (SeatCount, bool) {
	if t.src == nil || t.complete || t.byLicense[license] != nil {
		return SeatCount{}, false
	}
	c, ok := t.src.(SeatCounter)
	if !ok {
		return SeatCount{}, false
	}
	if t.delta == nil {
		// Built once, then kept up to date by reindex as Put and
		// Delete change the seats.
		d, ok := t.CountChanges()
		if !ok {
			return SeatCount{}, false
		}
		t.delta, t.stored = d, map[string]SeatCount{}
	}
	s, ok := t.stored[license]
	if !ok {
		s.Seats, s.Units = c.CountLicense(license)
		t.stored[license] = s
	}
	d := t.delta[license]
	return s.add(d.Seats, d.Units), true
}
