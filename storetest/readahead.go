package storetest

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// readAhead checks a portal.ReadAheadStore: an update told what it is
// about to read sees, and saves, exactly what it would untold, whatever
// the hint names (records that exist, records that do not, IDs the store
// refuses); it fails as UpdateOrganization fails; and what it reads
// ahead is locked as its own reads would lock it, so that no update of
// a key read ahead is lost.
func readAhead(t *testing.T, newStore func(t *testing.T) portal.PortalStore) {
	ctx := context.Background()
	if _, ok := newStore(t).(portal.ReadAheadStore); !ok {
		t.Skip("the store does not read ahead")
	}
	open := func(t *testing.T) (portal.ReadAheadStore, *portal.Organization) {
		s := newStore(t).(portal.ReadAheadStore)
		o := sampleOrganization("acme", 3)
		if err := s.CreateOrganization(ctx, o); err != nil {
			t.Fatal(err)
		}
		return s, o
	}
	ahead := portal.ReadAhead{
		Keys:    []string{"SN-1", "SN-none", "SN-1", "bad\x00id", "\xff", ""},
		Devices: []string{"pc-1", "pc-none", "bad\x00id", ""},
	}

	t.Run("SeesAndSavesWhatAnUpdateDoes", func(t *testing.T) {
		s, want := open(t)
		err := s.UpdateOrganizationAhead(ctx, "acme", ahead, func(o *portal.Organization) error {
			k, ok := o.Keys.Get("SN-1")
			if !ok || !cmp.Equal(k, want.Keys.Peek("SN-1"), equate) {
				t.Errorf("key SN-1 read ahead = %+v, %v; want %+v", k, ok, want.Keys.Peek("SN-1"))
			}
			if _, ok := o.Keys.Get("SN-none"); ok {
				t.Error("key SN-none read ahead exists")
			}
			if d, ok := o.Devices.Get("pc-1"); !ok || !cmp.Equal(d, want.Devices.Peek("pc-1"), equate) {
				t.Errorf("device pc-1 read ahead = %+v, %v", d, ok)
			}
			if _, ok := o.Devices.Get("pc-none"); ok {
				t.Error("device pc-none read ahead exists")
			}
			if st, ok := o.Seats.Get("SN-1|device|pc-0"); !ok || st.Units != 1 {
				t.Errorf("seat of pc-0 = %+v, %v", st, ok)
			}
			if _, ok := o.Seats.Get("SN-1|device|pc-1"); ok {
				t.Error("pc-1 holds a seat it never had")
			}
			if n, u := o.Seats.Usage("SN-1"); n != 1 || u != 1 {
				t.Errorf("SN-1 usage = %d seats, %d units; want 1, 1", n, u)
			}
			if lv, ok := o.Levels.Get("SN-1"); !ok || lv != "info" {
				t.Errorf("SN-1 level = %q, %v; want info", lv, ok)
			}
			// The update reads what it was not told of as well.
			if _, ok := o.Devices.Get("pc-2"); !ok {
				t.Error("device pc-2, not read ahead, is missing")
			}
			o.Seats.Put("SN-1|device|pc-1", portal.Seat{License: "SN-1", Device: "pc-1", Units: 1, Assigned: t0})
			o.Devices.Delete("pc-2")
			o.Levels.Put("SN-1", "warning")
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want.Seats.Put("SN-1|device|pc-1", portal.Seat{License: "SN-1", Device: "pc-1", Units: 1, Assigned: t0})
		want.Devices.Delete("pc-2")
		want.Levels.Put("SN-1", "warning")
		mustEqualOrg(t, s, want)
	})

	t.Run("FailsAsAnUpdateFails", func(t *testing.T) {
		s, want := open(t)
		refused := errors.New("refused")
		err := s.UpdateOrganizationAhead(ctx, "acme", ahead, func(o *portal.Organization) error {
			o.Seats.Delete("SN-1|device|pc-0")
			o.Devices.Delete("pc-1")
			return refused
		})
		if !errors.Is(err, refused) {
			t.Fatalf("failed update = %v, want fn's error", err)
		}
		mustEqualOrg(t, s, want)
		noop := func(*portal.Organization) error { return nil }
		if err := s.UpdateOrganizationAhead(ctx, "nope", ahead, noop); !errors.Is(err, license.ErrNotFound) {
			t.Errorf("update of no organization = %v, want ErrNotFound", err)
		}
		for _, id := range []string{"", "bad\x00id"} {
			if err := s.UpdateOrganizationAhead(ctx, id, ahead, noop); !errors.Is(err, license.ErrInvalidInput) {
				t.Errorf("update of organization %q = %v, want ErrInvalidInput", id, err)
			}
		}
		if err := s.UpdateOrganizationAhead(ctx, "acme", ahead, nil); !errors.Is(err, license.ErrInvalidInput) {
			t.Errorf("update with no function = %v, want ErrInvalidInput", err)
		}
		mustEqualOrg(t, s, want)
	})

	t.Run("LocksWhatItReadsAhead", func(t *testing.T) {
		s, _ := open(t)
		const writers, each = 8, 10
		var wg sync.WaitGroup
		for range writers {
			wg.Go(func() {
				for range each {
					err := s.UpdateOrganizationAhead(ctx, "acme", portal.ReadAhead{Keys: []string{"SN-1"}}, func(o *portal.Organization) error {
						k, ok := o.Keys.Get("SN-1")
						if !ok || k.Custom == nil {
							return errors.New("key SN-1, read ahead, is missing")
						}
						n, _ := strconv.Atoi(k.Custom["n"])
						k.Custom["n"] = strconv.Itoa(n + 1)
						o.Keys.Put("SN-1", k)
						return nil
					})
					if err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		_ = s.ViewOrganization(ctx, "acme", func(o *portal.Organization) error {
			if n := o.Keys.Peek("SN-1").Custom["n"]; n != strconv.Itoa(writers*each) {
				t.Errorf("the key's count is %s, want %d: an update was lost", n, writers*each)
			}
			return nil
		})
	})
}
