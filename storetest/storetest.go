// Package storetest checks that a store keeps licensekit's invariants, in
// the manner of testing/slogtest: every implementation of license.Store
// and portal.PortalStore runs the same suite.
//
//	func TestConformance(t *testing.T) {
//		storetest.Installations(t, func(t *testing.T) license.Store { return mustOpen(t) })
//		storetest.Portal(t, func(t *testing.T) portal.PortalStore { return mustOpen(t) })
//		storetest.Server(t, func(t *testing.T) portal.PortalStore { return mustOpen(t) }, reopen)
//	}
//
// newStore is called once per subtest and must return a new, empty store.
// The suite covers creating, reading, updating and deleting; conflicting
// writes; isolation between installations and between organizations;
// concurrent writers (no update lost, no version given twice); the order
// of an organization's history; large values; bad input; and, for a
// store that reads ahead, that the hint changes nothing but the cost;
// and, with
// Server, the tokens, webhooks and code licenses of a license server.
//
// RunMultiProcess checks a store that processes share, such as a database
// file or server: that a code, a voucher, a seat or a wallet's license is
// spent once, whichever process spends it. RunProcesses runs such
// processes for other tests of a store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// equate compares documents after a trip through a store: empty and nil
// collections are the same, and instants compare as instants.
var equate = cmp.Options{
	cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
}

// Installations runs the conformance suite for license.Store.
func Installations(t *testing.T, newStore func(t *testing.T) license.Store) {
	t.Helper()
	ctx := context.Background()
	t.Run("CreateReadUpdate", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.LoadInstallation(ctx, "app-1"); !errors.Is(err, license.ErrNotFound) {
			t.Fatalf("Load of nothing = %v, want ErrNotFound", err)
		}
		st := sampleInstallation(3)
		v, err := s.SaveInstallation(ctx, "app-1", st)
		if err != nil || v != 1 {
			t.Fatalf("first Save = %d, %v; want version 1", v, err)
		}
		got, err := s.LoadInstallation(ctx, "app-1")
		if err != nil {
			t.Fatal(err)
		}
		st.Version = 1
		if diff := cmp.Diff(st, got, equate); diff != "" {
			t.Fatalf("Load after Save (-saved +loaded):\n%s", diff)
		}
		got.History.Usage = 42
		if v, err = s.SaveInstallation(ctx, "app-1", got); err != nil || v != 2 {
			t.Fatalf("second Save = %d, %v; want version 2", v, err)
		}
		again, err := s.LoadInstallation(ctx, "app-1")
		if err != nil || again.Version != 2 || again.History.Usage != 42 {
			t.Fatalf("Load after update = version %d usage %d, %v", again.Version, again.History.Usage, err)
		}
	})
	t.Run("Conflict", func(t *testing.T) {
		s := newStore(t)
		st := sampleInstallation(1)
		mustSave(t, s, "app-1", st)
		if _, err := s.SaveInstallation(ctx, "app-1", st); !errors.Is(err, license.ErrConflict) {
			t.Fatalf("second create = %v, want ErrConflict", err)
		}
		cur, _ := s.LoadInstallation(ctx, "app-1")
		mustSave(t, s, "app-1", cur)
		stale := cur
		stale.History.Usage = 99
		if _, err := s.SaveInstallation(ctx, "app-1", stale); !errors.Is(err, license.ErrConflict) {
			t.Fatalf("stale Save = %v, want ErrConflict", err)
		}
		got, _ := s.LoadInstallation(ctx, "app-1")
		if got.Version != 2 || got.History.Usage == 99 {
			t.Fatalf("a refused Save changed the state: version %d usage %d", got.Version, got.History.Usage)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		s := newStore(t)
		mustSave(t, s, "app-1", sampleInstallation(1))
		if err := s.DeleteInstallation(ctx, "app-1", 7); !errors.Is(err, license.ErrConflict) {
			t.Fatalf("Delete with a wrong version = %v, want ErrConflict", err)
		}
		if err := s.DeleteInstallation(ctx, "app-1", 1); err != nil {
			t.Fatalf("Delete = %v", err)
		}
		if _, err := s.LoadInstallation(ctx, "app-1"); !errors.Is(err, license.ErrNotFound) {
			t.Fatalf("Load after Delete = %v, want ErrNotFound", err)
		}
		if err := s.DeleteInstallation(ctx, "app-1", 1); !errors.Is(err, license.ErrNotFound) {
			t.Fatalf("second Delete = %v, want ErrNotFound", err)
		}
		if v, err := s.SaveInstallation(ctx, "app-1", sampleInstallation(1)); err != nil || v != 1 {
			t.Fatalf("create after Delete = %d, %v; want version 1", v, err)
		}
	})
	t.Run("Isolation", func(t *testing.T) {
		s := newStore(t)
		a, b := sampleInstallation(1), sampleInstallation(2)
		b.History.Usage = 7
		mustSave(t, s, "app-a", a)
		mustSave(t, s, "app-b", b)
		ga, _ := s.LoadInstallation(ctx, "app-a")
		gb, _ := s.LoadInstallation(ctx, "app-b")
		if len(ga.Keys) != 1 || len(gb.Keys) != 2 || gb.History.Usage != 7 || ga.History.Usage == 7 {
			t.Fatalf("installations mixed: a has %d keys, b %d keys usage %d", len(ga.Keys), len(gb.Keys), gb.History.Usage)
		}
		if err := s.DeleteInstallation(ctx, "app-a", 1); err != nil {
			t.Fatal(err)
		}
		if _, err := s.LoadInstallation(ctx, "app-b"); err != nil {
			t.Fatalf("deleting one installation touched another: %v", err)
		}
	})
	t.Run("ConcurrentWriters", func(t *testing.T) {
		s := newStore(t)
		st := sampleInstallation(0)
		st.History.Usage = 0
		mustSave(t, s, "app-1", st)
		// Each writer retries on conflict: no increment may be lost.
		const writers, each = 8, 25
		var wg sync.WaitGroup
		for range writers {
			wg.Go(func() {
				for range each {
					for {
						st, err := s.LoadInstallation(ctx, "app-1")
						if err != nil {
							t.Error(err)
							return
						}
						st.History.Usage++
						if _, err = s.SaveInstallation(ctx, "app-1", st); err == nil {
							break
						} else if !errors.Is(err, license.ErrConflict) {
							t.Error(err)
							return
						}
					}
				}
			})
		}
		wg.Wait()
		got, _ := s.LoadInstallation(ctx, "app-1")
		if got.History.Usage != writers*each || got.Version != writers*each+1 {
			t.Fatalf("usage %d, version %d; want %d and %d: an update was lost", got.History.Usage, got.Version, writers*each, writers*each+1)
		}
		// Writers racing from one version: exactly one wins.
		var wins sync.WaitGroup
		won := make(chan struct{}, 16)
		for range 16 {
			wins.Go(func() {
				if _, err := s.SaveInstallation(ctx, "app-1", got); err == nil {
					won <- struct{}{}
				} else if !errors.Is(err, license.ErrConflict) {
					t.Error(err)
				}
			})
		}
		wins.Wait()
		if len(won) != 1 {
			t.Fatalf("%d writers saved from the same version, want 1", len(won))
		}
	})
	t.Run("LargeValues", func(t *testing.T) {
		s := newStore(t)
		st := sampleInstallation(2000)
		for i := range 20000 {
			st.Sent = append(st.Sent, fmt.Sprintf("expiry-notice/SN-%05d/2027-01-01T00:00:00Z", i))
		}
		mustSave(t, s, "big", st)
		got, err := s.LoadInstallation(ctx, "big")
		if err != nil {
			t.Fatal(err)
		}
		st.Version = 1
		if diff := cmp.Diff(st, got, equate); diff != "" {
			t.Fatalf("large state changed on the way (-saved +loaded):\n%.2000s", diff)
		}
	})
	t.Run("BadInput", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.LoadInstallation(ctx, ""); !errors.Is(err, license.ErrInvalidInput) {
			t.Errorf("Load of an empty ID = %v, want ErrInvalidInput", err)
		}
		if _, err := s.SaveInstallation(ctx, "", sampleInstallation(0)); !errors.Is(err, license.ErrInvalidInput) {
			t.Errorf("Save under an empty ID = %v, want ErrInvalidInput", err)
		}
		neg := sampleInstallation(0)
		neg.Version = -1
		if _, err := s.SaveInstallation(ctx, "app-1", neg); !errors.Is(err, license.ErrInvalidInput) {
			t.Errorf("Save of a negative version = %v, want ErrInvalidInput", err)
		}
		if err := s.DeleteInstallation(ctx, "app-1", -1); !errors.Is(err, license.ErrInvalidInput) {
			t.Errorf("Delete of a negative version = %v, want ErrInvalidInput", err)
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.SaveInstallation(cancelled, "app-1", sampleInstallation(0)); err == nil {
			t.Errorf("Save with a cancelled context succeeded")
		}
		if _, err := s.LoadInstallation(ctx, "app-1"); !errors.Is(err, license.ErrNotFound) {
			t.Errorf("bad input stored something: %v", err)
		}
		// IDs are opaque text: unusual ones are stored as given.
		for _, id := range []string{"../../etc/passwd", "a/b", strings.Repeat("é", 120), "café ☕"} {
			if _, err := s.SaveInstallation(ctx, id, sampleInstallation(0)); err != nil {
				t.Errorf("Save under %q = %v", id, err)
			}
			if _, err := s.LoadInstallation(ctx, id); err != nil {
				t.Errorf("Load of %q = %v", id, err)
			}
		}
	})
}

func mustSave(t *testing.T, s license.Store, id string, st license.InstallationState) {
	t.Helper()
	if _, err := s.SaveInstallation(context.Background(), id, st); err != nil {
		t.Fatalf("Save(%s): %v", id, err)
	}
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// sampleInstallation returns a state with n keys and every field set.
func sampleInstallation(n int) license.InstallationState {
	st := license.InstallationState{
		Created: t0,
		History: license.History{TrialStarted: t0, LatestSeen: t0.Add(time.Hour + time.Nanosecond), FirstActivated: t0, Usage: 3},
		Trials:  1,
		Sent:    []string{"trial-started/2026-01-01T00:00:00Z"},
		Outbox:  []license.Event{{ID: "e1", Kind: license.EventActivated, At: t0, License: "SN-1", Detail: "d"}},
		Renewed: []string{"SN-0"},
	}
	for i := range n {
		st.Keys = append(st.Keys, license.KeyRecord{
			Key: fmt.Sprintf("LK1.acme+00000000.%08d.sig", i), Added: t0, Activated: t0.Add(time.Duration(i)),
			Reserve: i%2 == 1, RenewalOf: "SN-x", Code: "CODE",
		})
	}
	return st
}

// Portal runs the conformance suite for portal.PortalStore.
func Portal(t *testing.T, newStore func(t *testing.T) portal.PortalStore) {
	t.Helper()
	ctx := context.Background()
	t.Run("CreateReadUpdate", func(t *testing.T) {
		s := newStore(t)
		if err := s.ViewOrganization(ctx, "acme", func(*portal.Organization) error { return nil }); !errors.Is(err, license.ErrNotFound) {
			t.Fatalf("View of nothing = %v, want ErrNotFound", err)
		}
		o := sampleOrganization("acme", 3)
		if err := s.CreateOrganization(ctx, o); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateOrganization(ctx, sampleOrganization("acme", 0)); !errors.Is(err, portal.ErrOrgExists) {
			t.Fatalf("second Create = %v, want ErrOrgExists", err)
		}
		mustEqualOrg(t, s, o)
		err := s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
			o.Wallet["acme-backup"] += 5
			o.Name = "Acme Renamed"
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		o.Wallet["acme-backup"] += 5
		o.Name = "Acme Renamed"
		mustEqualOrg(t, s, o)
		if err := s.UpdateOrganization(ctx, "nope", func(*portal.Organization) error { return nil }); !errors.Is(err, license.ErrNotFound) {
			t.Fatalf("Update of nothing = %v, want ErrNotFound", err)
		}
	})
	t.Run("FailedUpdateChangesNothing", func(t *testing.T) {
		s := newStore(t)
		o := sampleOrganization("acme", 2)
		if err := s.CreateOrganization(ctx, o); err != nil {
			t.Fatal(err)
		}
		usage := func() (seats, units int) {
			_ = s.ViewOrganization(ctx, "acme", func(o *portal.Organization) error {
				seats, units = o.Seats.Usage("SN-1")
				return nil
			})
			return seats, units
		}
		if n, u := usage(); n != 1 || u != 1 {
			t.Fatalf("SN-1 has %d seats, %d units; want 1, 1", n, u)
		}
		refused := errors.New("refused")
		change := func(o *portal.Organization) {
			o.Wallet["acme-backup"] = -100
			o.Devices.Delete("pc-0")
			d, _ := o.Devices.Get("pc-1")
			d.Apps = append(d.Apps, "other")
			o.Devices.Put("pc-1", d)
			o.Keys.Put("SN-2", portal.OrgKey{Key: "LK1.x"})
			o.Seats.Delete("SN-1|device|pc-0")
			o.Seats.Put("SN-1|device|pc-1", portal.Seat{License: "SN-1", Device: "pc-1", Units: 7})
			o.Seats.Put("SN-1|device|pc-1", portal.Seat{License: "SN-1", Device: "pc-1", Units: 9})
			g, _ := o.Groups.Get("site")
			g.Placed["pc-1"] = "SN-1"
			o.Groups.Put("site", g)
			o.Groups.Delete("site")
			o.Leases.Delete("FLOAT-1|pc-0")
			o.Leases.Put("FLOAT-2|pc-1", portal.Lease{ID: "FLOAT-2|pc-1", License: "FLOAT-2", Fingerprint: "pc-1"})
			o.History = append(o.History, portal.HistoryEntry{Seq: 99, Action: "nothing"})
		}
		err := s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
			change(o)
			return refused
		})
		if !errors.Is(err, refused) {
			t.Fatalf("Update = %v, want fn's error", err)
		}
		mustEqualOrg(t, s, o)
		if n, u := usage(); n != 1 || u != 1 {
			t.Errorf("after a failed update, SN-1 has %d seats, %d units; want 1, 1", n, u)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("an update whose function panics did not panic")
				}
			}()
			_ = s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
				change(o)
				panic("update panics")
			})
		}()
		mustEqualOrg(t, s, o)
		if n, u := usage(); n != 1 || u != 1 {
			t.Errorf("after a panicking update, SN-1 has %d seats, %d units; want 1, 1", n, u)
		}
		changeVendor := func(v *portal.Vendor) {
			v.Seq = 1000
			v.Owners.Put("SN-1", "acme")
			v.Codes.Put("C", portal.ActivationCode{Code: "C", Limit: 1})
			v.Customers["reseller"] = append(v.Customers["reseller"], "acme")
			v.Activations.Put("act-1", portal.Activation{ID: "act-1", Fingerprint: "pc-1"})
			v.DeviceActivations.Put("SN-1|pc-1", portal.ActivationRef{Activation: "act-1"})
			v.TrialStarts.Put("acme-backup|pc-1", portal.ActivationRef{Activation: "act-1"})
			v.Revocations.Put("license:SN-1", portal.Revocation{Kind: portal.RevokedLicense, ID: "SN-1", Serial: 2})
			v.RevocationCount = 1
			v.History = append(v.History, portal.HistoryEntry{Seq: 1, Action: "nothing"})
		}
		err = s.UpdateVendor(ctx, func(v *portal.Vendor) error {
			changeVendor(v)
			return refused
		})
		if !errors.Is(err, refused) {
			t.Fatalf("UpdateVendor = %v, want fn's error", err)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("a vendor update whose function panics did not panic")
				}
			}()
			_ = s.UpdateVendor(ctx, func(v *portal.Vendor) error {
				changeVendor(v)
				panic("update panics")
			})
		}()
		_ = s.ViewVendor(ctx, func(v *portal.Vendor) error {
			if v.Activations.Len()+v.DeviceActivations.Len()+v.TrialStarts.Len()+v.Revocations.Len() != 0 || v.RevocationCount != 0 {
				t.Errorf("a refused vendor update changed activations or revocations: count %d", v.RevocationCount)
			}
			if v.Seq != 0 || v.Owners.Len() != 0 || v.Codes.Len() != 0 || len(v.Customers) != 0 || len(v.History) != 0 {
				t.Errorf("a refused vendor update changed the vendor: seq %d, owners %d, codes %d, customers %v, history %d",
					v.Seq, v.Owners.Len(), v.Codes.Len(), v.Customers, len(v.History))
			}
			return nil
		})
	})
	t.Run("OrganizationIsolation", func(t *testing.T) {
		s := newStore(t)
		for _, id := range []string{"acme", "globex"} {
			if err := s.CreateOrganization(ctx, sampleOrganization(id, 1)); err != nil {
				t.Fatal(err)
			}
		}
		err := s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
			o.Wallet["acme-backup"] = 77
			o.Devices.Put("secret-pc", portal.Device{Fingerprint: "secret-pc"})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		_ = s.ViewOrganization(ctx, "globex", func(o *portal.Organization) error {
			if o.ID != "globex" || o.Wallet["acme-backup"] == 77 {
				t.Errorf("globex sees acme's wallet")
			}
			if _, ok := o.Devices.Get("secret-pc"); ok {
				t.Errorf("globex sees acme's device")
			}
			return nil
		})
	})
	t.Run("ConcurrentWriters", func(t *testing.T) {
		s := newStore(t)
		o := sampleOrganization("acme", 0)
		o.Wallet = map[string]int{}
		if err := s.CreateOrganization(ctx, o); err != nil {
			t.Fatal(err)
		}
		const writers, each = 8, 25
		var wg sync.WaitGroup
		for range writers {
			wg.Go(func() {
				for range each {
					if err := s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
						o.Wallet["acme-backup"]++
						return nil
					}); err != nil {
						t.Error(err)
					}
					if err := s.UpdateVendor(ctx, func(v *portal.Vendor) error {
						v.Seq++
						return nil
					}); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		_ = s.ViewOrganization(ctx, "acme", func(o *portal.Organization) error {
			if o.Wallet["acme-backup"] != writers*each {
				t.Errorf("wallet %d, want %d: an update was lost", o.Wallet["acme-backup"], writers*each)
			}
			return nil
		})
		_ = s.ViewVendor(ctx, func(v *portal.Vendor) error {
			if v.Seq != writers*each {
				t.Errorf("vendor seq %d, want %d: an update was lost", v.Seq, writers*each)
			}
			return nil
		})
	})
	// A license's seats are its own, whatever the IDs of the others: a
	// store that finds them by the start of their IDs must not count
	// those of a license whose ID starts with this one's.
	t.Run("SeatsOfLicensesSharingAPrefix", func(t *testing.T) {
		s := newStore(t)
		if err := s.CreateOrganization(ctx, sampleOrganization("acme", 0)); err != nil {
			t.Fatal(err)
		}
		seats := map[string]portal.Seat{
			"L|device|pc-1":   {License: "L", Device: "pc-1", Units: 1},
			"L|device|pc-2":   {License: "L", Device: "pc-2", Units: 2},
			"L|x|device|pc-3": {License: "L|x", Device: "pc-3", Units: 4},
			"L2|device|pc-4":  {License: "L2", Device: "pc-4", Units: 8},
			"K|device|pc-5":   {License: "K", Device: "pc-5", Units: 16},
		}
		if err := s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
			for id, st := range seats {
				o.Seats.Put(id, st)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"L": 3, "L|x": 4, "L2": 8, "K": 16, "M": 0}
		if err := s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
			for _, lic := range []string{"L", "L|x"} {
				o.Keys.Put(lic, portal.OrgKey{Key: "key of " + lic, License: &license.License{ID: lic}})
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		// A store may read a license's seats along with its key: the
		// seats of another license whose ID starts as this one's are
		// found as theirs, and a seat that does not exist is not found.
		if err := s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
			o.Keys.Get("L")
			if st, ok := o.Seats.Get("L|x|device|pc-3"); !ok || st.License != "L|x" {
				t.Errorf("seat L|x|device|pc-3 = %+v, %v; want license L|x's", st, ok)
			}
			if st, ok := o.Seats.Get("L|device|pc-9"); ok {
				t.Errorf("seat L|device|pc-9 = %+v; there is none", st)
			}
			if _, units := o.Seats.Usage("L"); units != 3 {
				t.Errorf("license L uses %d units after its key was read, want 3", units)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
			for lic, units := range want {
				if _, got := o.Seats.Usage(lic); got != units {
					t.Errorf("license %q uses %d units, want %d", lic, got, units)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("SeatCounts", func(t *testing.T) { seatCounts(t, newStore) })
	t.Run("ReadAhead", func(t *testing.T) { readAhead(t, newStore) })
	t.Run("HistoryOrder", func(t *testing.T) {
		s := newStore(t)
		o := sampleOrganization("acme", 0)
		o.History = nil
		if err := s.CreateOrganization(ctx, o); err != nil {
			t.Fatal(err)
		}
		const updates, perUpdate = 50, 40
		for i := range updates {
			err := s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
				for range perUpdate {
					n := int64(1) // after the newest entry (a HistoryStore gives only that one)
					if len(o.History) > 0 {
						n = o.History[len(o.History)-1].Seq + 1
					}
					o.History = append(o.History, portal.HistoryEntry{
						Seq: n, At: t0.Add(time.Duration(n) * time.Second), Actor: "alice", Org: "acme",
						Action: "seat.assign", Subject: fmt.Sprintf("pc-%d", i),
					})
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		h := history(t, s, "acme")
		if len(h) != updates*perUpdate {
			t.Fatalf("history holds %d entries, want %d", len(h), updates*perUpdate)
		}
		for i, e := range h {
			if e.Seq != int64(i)+1 || !e.At.Equal(t0.Add(time.Duration(i+1)*time.Second)) {
				t.Fatalf("history[%d] = seq %d at %s: out of order", i, e.Seq, e.At)
			}
		}
	})
	t.Run("HistoryApart", func(t *testing.T) {
		s := newStore(t)
		hs, apart := s.(portal.HistoryStore)
		if !apart {
			t.Skip("the store keeps histories in the documents")
		}
		o := sampleOrganization("acme", 0)
		if err := s.CreateOrganization(ctx, o); err != nil {
			t.Fatal(err)
		}
		for i := range 9 { // entries 2 to 10, one a day
			err := s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
				if len(o.History) != 1 || o.History[0].Seq != int64(i+1) {
					t.Fatalf("update %d: fn's history holds %d entries, newest %v; want only the newest", i, len(o.History), o.History)
				}
				o.History = append(o.History, portal.HistoryEntry{Seq: int64(i + 2), At: t0.Add(time.Duration(i+1) * 24 * time.Hour), Actor: "alice", Action: "seat.assign"})
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		page, next, err := hs.HistoryPage(ctx, "acme", 0, 3)
		if err != nil || len(page) != 3 || page[0].Seq != 10 || page[2].Seq != 8 || next != 8 {
			t.Fatalf("first page = %d entries from %v, next %d, %v; want 10, 9, 8 and next 8", len(page), page, next, err)
		}
		page, next, err = hs.HistoryPage(ctx, "acme", 3, 5)
		if err != nil || len(page) != 2 || page[1].Seq != 1 || next != 0 {
			t.Fatalf("last page = %v, next %d, %v; want 2 and 1, next 0", page, next, err)
		}
		if _, _, err := hs.HistoryPage(ctx, "nope", 0, 5); !errors.Is(err, license.ErrNotFound) {
			t.Errorf("HistoryPage of nothing = %v, want ErrNotFound", err)
		}
		if _, _, _, err := hs.PruneHistory(ctx, "acme", t0.Add(24*time.Hour), failingWriter{}); err == nil {
			t.Errorf("PruneHistory with a failing writer succeeded")
		}
		if n := len(history(t, s, "acme")); n != 10 {
			t.Fatalf("a failed prune left %d entries, want 10", n)
		}
		var out strings.Builder
		n, first, last, err := hs.PruneHistory(ctx, "acme", t0.Add(3*24*time.Hour+time.Hour), &out)
		if err != nil || n != 4 || first != 1 || last != 4 || strings.Count(out.String(), "\n") != 4 {
			t.Fatalf("PruneHistory = %d (#%d to #%d), %v, %d lines; want 4 (#1 to #4) and 4 lines", n, first, last, err, strings.Count(out.String(), "\n"))
		}
		if h := history(t, s, "acme"); len(h) != 6 || h[0].Seq != 5 {
			t.Fatalf("after pruning: %d entries from #%d; want 6 from #5", len(h), h[0].Seq)
		}
		if _, _, _, err := hs.PruneHistory(ctx, "nope", t0, &out); !errors.Is(err, license.ErrNotFound) {
			t.Errorf("PruneHistory of nothing = %v, want ErrNotFound", err)
		}
		// The vendor's own history.
		err = s.UpdateVendor(ctx, func(v *portal.Vendor) error {
			v.History = append(v.History, portal.HistoryEntry{Seq: 1, At: t0, Actor: "carol", Action: "codes.issue"})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if page, _, err := hs.HistoryPage(ctx, "", 0, 10); err != nil || len(page) != 1 || page[0].Action != "codes.issue" {
			t.Fatalf("vendor history = %v, %v", page, err)
		}
	})
	t.Run("LargeValues", func(t *testing.T) {
		s := newStore(t)
		o := sampleOrganization("big", 20000)
		if err := s.CreateOrganization(ctx, o); err != nil {
			t.Fatal(err)
		}
		mustEqualOrg(t, s, o)
	})
	t.Run("Vendor", func(t *testing.T) {
		s := newStore(t)
		// A new store's vendor document is empty but writable.
		err := s.UpdateVendor(ctx, func(v *portal.Vendor) error {
			v.Seq = 3
			v.Owners.Put("SN-1", "acme")
			v.Codes.Put("C", portal.ActivationCode{Code: "C", Limit: 1, Issued: t0,
				Redemptions: map[string]portal.Redemption{"pc-1": {Org: "acme", License: "SN-1", Key: "k", At: t0}}})
			v.Vouchers.Put("V", portal.Voucher{ID: "V", Issued: t0})
			v.Serials.Put("S", portal.Serial{Serial: "S", Issued: t0})
			v.Upgrades.Put("U", portal.UpgradeNotice{ID: "U", Org: "acme", Products: []string{"p"}, MaxQuantity: 2, Issued: t0})
			v.Lives.Put("SN-1", portal.LicenseLife{State: portal.LifeReplaced, Since: t0, By: "SN-2"})
			v.Organizations.Put("acme", portal.OrgSummary{ID: "acme", Name: "Acme", Created: t0})
			v.History = []portal.HistoryEntry{{Seq: 1, At: t0, Actor: "carol", Action: "license.revoke", Subject: "SN-9"}}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		_ = s.ViewVendor(ctx, func(v *portal.Vendor) error {
			if v.Seq != 3 || v.Owners.Peek("SN-1") != "acme" || v.Codes.Peek("C").Redemptions["pc-1"].Key != "k" ||
				v.Upgrades.Peek("U").MaxQuantity != 2 || v.Vouchers.Peek("V").ID != "V" || v.Serials.Peek("S").Serial != "S" ||
				v.Lives.Peek("SN-1").By != "SN-2" || !v.Lives.Peek("SN-1").Since.Equal(t0) || v.Organizations.Peek("acme").Name != "Acme" ||
				len(v.History) != 1 || v.History[0].Seq != 1 {
				t.Errorf("vendor document changed on the way: %+v", v)
			}
			if _, apart := s.(portal.HistoryStore); !apart && v.History[0].Subject != "SN-9" {
				t.Errorf("vendor history changed on the way: %+v", v.History)
			}
			return nil
		})
		if hs, ok := s.(portal.HistoryStore); ok {
			page, _, err := hs.HistoryPage(ctx, "", 0, 10)
			if err != nil || len(page) != 1 || page[0].Subject != "SN-9" {
				t.Errorf("vendor history = %v, %v; want the entry written", page, err)
			}
		}
	})
	t.Run("ActivationsLeasesRevocations", func(t *testing.T) {
		activationsLeasesRevocations(ctx, t, newStore(t))
	})
	t.Run("BadInput", func(t *testing.T) {
		s := newStore(t)
		if err := s.CreateOrganization(ctx, sampleOrganization("", 0)); !errors.Is(err, license.ErrInvalidInput) {
			t.Errorf("Create with an empty ID = %v, want ErrInvalidInput", err)
		}
		if err := s.UpdateOrganization(ctx, "", func(*portal.Organization) error { return nil }); !errors.Is(err, license.ErrInvalidInput) {
			t.Errorf("Update of an empty ID = %v, want ErrInvalidInput", err)
		}
		if err := s.ViewOrganization(ctx, "", func(*portal.Organization) error { return nil }); !errors.Is(err, license.ErrInvalidInput) {
			t.Errorf("View of an empty ID = %v, want ErrInvalidInput", err)
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.CreateOrganization(cancelled, sampleOrganization("acme", 0)); err == nil {
			t.Errorf("Create with a cancelled context succeeded")
		}
		if err := s.ViewOrganization(ctx, "acme", func(*portal.Organization) error { return nil }); !errors.Is(err, license.ErrNotFound) {
			t.Errorf("bad input stored something: %v", err)
		}
		for _, id := range []string{"../../etc/passwd", "a/b", strings.Repeat("é", 120)} {
			if err := s.CreateOrganization(ctx, sampleOrganization(id, 0)); err != nil {
				t.Errorf("Create %q = %v", id, err)
			}
			if err := s.ViewOrganization(ctx, id, func(o *portal.Organization) error {
				if o.ID != id {
					t.Errorf("View %q gave %q", id, o.ID)
				}
				return nil
			}); err != nil {
				t.Errorf("View %q = %v", id, err)
			}
		}
	})
}

// sampleOrganization returns an organization with n devices and every
// kind of record.
func sampleOrganization(id string, n int) *portal.Organization {
	l := &license.License{ID: "SN-1", Product: "acme-backup", Scheme: license.SchemePerDevice, Quantity: 10,
		Features: []string{"backup"}, IssuedAt: t0, Expiry: t0.Add(365 * 24 * time.Hour)}
	o := &portal.Organization{
		ID: id, Name: id + " Inc.", Created: t0,
		Keys: portal.TableOf(map[string]portal.OrgKey{"SN-1": {Key: "LK1.k", License: l, Added: t0, AddedBy: "alice",
			AutoDistribute: true, Group: "site", Shared: []string{"bob"}, Custom: map[string]string{"po": "42"}}}),
		Seats:         portal.SeatsOf(map[string]portal.Seat{"SN-1|device|pc-0": {License: "SN-1", Device: "pc-0", Units: 1, Assigned: t0}}),
		Groups:        portal.TableOf(map[string]portal.Group{"site": {ID: "site", Name: "Site", Licenses: []string{"SN-1"}, Devices: []string{"pc-0"}, Placed: map[string]string{"pc-0": "SN-1"}}}),
		Wallet:        map[string]int{"acme-backup": 3},
		Subscriptions: map[string]portal.Subscription{"acme-backup": {ID: "acme-backup", Product: "acme-backup", Devices: 5, Paid: 5, Activated: t0, Due: t0.Add(365 * 24 * time.Hour)}},
		Delegations:   map[string]portal.Delegation{"reseller": {Partner: "reseller", Since: t0}},
		Levels:        portal.TableOf(map[string]string{"SN-1": "info"}),
		Leases: portal.LeasesOf(map[string]portal.Lease{"FLOAT-1|pc-0": {ID: "FLOAT-1|pc-0", License: "FLOAT-1", Org: id,
			Activation: "act-1", Fingerprint: "pc-0", Expires: t0.Add(15 * time.Minute)}}),
		History: []portal.HistoryEntry{{Seq: 1, At: t0, Actor: "vendor", Action: "organization.create", Subject: id}},
	}
	for i := range n {
		fp := fmt.Sprintf("pc-%d", i)
		o.Devices.Put(fp, portal.Device{Fingerprint: fp, Name: "PC " + fp, OS: license.TypeWorkstation, CPUs: 1, Cores: 4,
			Apps: []string{"acme-backup"}, Registered: t0})
	}
	return o
}

// mustEqualOrg checks that the store holds want.
func mustEqualOrg(t *testing.T, s portal.PortalStore, want *portal.Organization) {
	t.Helper()
	err := s.ViewOrganization(context.Background(), want.ID, func(got *portal.Organization) error {
		opts := []cmp.Option{equate, cmpopts.IgnoreUnexported(portal.Organization{})}
		if _, apart := s.(portal.HistoryStore); apart {
			opts = append(opts, cmpopts.IgnoreFields(portal.Organization{}, "History"))
		}
		if diff := cmp.Diff(want, got, opts...); diff != "" {
			t.Errorf("organization %s (-want +stored):\n%.3000s", want.ID, diff)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("View(%s): %v", want.ID, err)
	}
	if diff := cmp.Diff(want.History, history(t, s, want.ID), equate, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("history of %s (-want +stored):\n%.3000s", want.ID, diff)
	}
}

// history returns the whole history of organization org, oldest first:
// read in pages from a HistoryStore, from the document otherwise.
func history(t *testing.T, s portal.PortalStore, org string) []portal.HistoryEntry {
	t.Helper()
	hs, apart := s.(portal.HistoryStore)
	if !apart {
		var h []portal.HistoryEntry
		if err := s.ViewOrganization(context.Background(), org, func(o *portal.Organization) error {
			h = slices.Clone(o.History)
			return nil
		}); err != nil {
			t.Fatalf("View(%s): %v", org, err)
		}
		return h
	}
	var h []portal.HistoryEntry
	for before := int64(0); ; {
		page, next, err := hs.HistoryPage(context.Background(), org, before, portal.MaxPage)
		if err != nil {
			t.Fatalf("HistoryPage(%s, %d): %v", org, before, err)
		}
		h = append(h, page...)
		if next == 0 {
			break
		}
		before = next
	}
	slices.Reverse(h)
	return h
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
