package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// seatCounts checks that a license's usage, which a store may keep as a
// count beside the seats, stays that of its seats: through puts and
// deletes in one update and across several, a seat moved to another
// license with other units, licenses whose IDs share a prefix, and an
// update that fails.
func seatCounts(t *testing.T, newStore func(t *testing.T) portal.PortalStore) {
	ctx := context.Background()
	s := newStore(t)
	o := sampleOrganization("acme", 0)
	o.Keys = portal.TableOf(map[string]portal.OrgKey{
		"L":   {Key: "key of L", License: &license.License{ID: "L"}},
		"L|x": {Key: "key of L|x", License: &license.License{ID: "L|x"}},
	})
	o.Seats = portal.SeatsOf(map[string]portal.Seat{
		"L|device|pc-0":   {License: "L", Device: "pc-0", Units: 1},
		"L|x|device|pc-9": {License: "L|x", Device: "pc-9", Units: 8},
	})
	if err := s.CreateOrganization(ctx, o); err != nil {
		t.Fatal(err)
	}
	type usage struct{ seats, units int }
	check := func(t *testing.T, o *portal.Organization, when string, want map[string]usage) {
		t.Helper()
		for lic, w := range want {
			if n, u := o.Seats.Usage(lic); n != w.seats || u != w.units {
				t.Errorf("%s: license %q has %d seats of %d units, want %d of %d", when, lic, n, u, w.seats, w.units)
			}
		}
	}
	update := func(t *testing.T, fn func(o *portal.Organization) error) error {
		t.Helper()
		return s.UpdateOrganization(ctx, "acme", fn)
	}
	// stored checks the usage in a new update and in a view, first from
	// what the store keeps, then against the seats themselves.
	stored := func(t *testing.T, when string, want map[string]usage) {
		t.Helper()
		if err := update(t, func(o *portal.Organization) error {
			o.Keys.Get("L") // a store may read the license's usage with its key
			check(t, o, when, want)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.ViewOrganization(ctx, "acme", func(o *portal.Organization) error {
			check(t, o, when+" (view)", want)
			counted := map[string]usage{}
			for _, st := range o.Seats.All() {
				c := counted[st.License]
				counted[st.License] = usage{c.seats + 1, c.units + st.Units}
			}
			for lic, w := range want {
				if counted[lic] != w {
					t.Errorf("%s: license %q holds %+v in its seats, want %+v", when, lic, counted[lic], w)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	created := map[string]usage{"L": {1, 1}, "L|x": {1, 8}, "M": {}}
	stored(t, "created", created)

	if err := update(t, func(o *portal.Organization) error {
		o.Seats.Put("L|device|pc-1", portal.Seat{License: "L", Device: "pc-1", Units: 2})
		check(t, o, "first put", map[string]usage{"L": {2, 3}, "L|x": {1, 8}})
		o.Seats.Put("L|x|device|pc-2", portal.Seat{License: "L|x", Device: "pc-2", Units: 4})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	added := map[string]usage{"L": {2, 3}, "L|x": {2, 12}, "M": {}}
	stored(t, "after puts", added)

	if err := update(t, func(o *portal.Organization) error {
		o.Keys.Get("L")
		check(t, o, "before any change", added)
		o.Seats.Put("L|device|pc-3", portal.Seat{License: "L", Device: "pc-3", Units: 1})
		check(t, o, "a seat added", map[string]usage{"L": {3, 4}})
		o.Seats.Delete("L|device|pc-0")
		check(t, o, "a seat deleted", map[string]usage{"L": {2, 3}})
		o.Seats.Put("L|device|pc-1", portal.Seat{License: "L", Device: "pc-1", Units: 5})
		check(t, o, "a seat's units changed", map[string]usage{"L": {2, 6}})
		// Moved to L: the seat's ID still starts with "L|x|".
		o.Seats.Put("L|x|device|pc-2", portal.Seat{License: "L", Device: "pc-2", Units: 3})
		check(t, o, "a seat moved", map[string]usage{"L": {3, 9}, "L|x": {1, 8}})
		o.Seats.Put("L|device|pc-4", portal.Seat{License: "L", Device: "pc-4", Units: 7})
		o.Seats.Delete("L|device|pc-4")
		o.Seats.Delete("L|device|pc-404") // no such seat
		check(t, o, "a seat put and deleted", map[string]usage{"L": {3, 9}, "L|x": {1, 8}, "M": {}})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	changed := map[string]usage{"L": {3, 9}, "L|x": {1, 8}, "M": {}}
	stored(t, "after changes", changed)

	boom := errors.New("boom")
	if err := update(t, func(o *portal.Organization) error {
		o.Seats.Put("L|device|pc-5", portal.Seat{License: "L", Device: "pc-5", Units: 1})
		o.Seats.Delete("L|x|device|pc-9")
		o.Seats.Put("M|device|pc-6", portal.Seat{License: "M", Device: "pc-6", Units: 2})
		check(t, o, "in a failing update", map[string]usage{"L": {4, 10}, "L|x": {}, "M": {1, 2}})
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("failing update = %v, want %v", err, boom)
	}
	stored(t, "after a failed update", changed)
}
