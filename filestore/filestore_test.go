//go:build unix && !solaris && !aix

package filestore_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/licensekit/license"
	"github.com/licensekit/license/filestore"
	"github.com/licensekit/license/portal"
	"github.com/licensekit/license/storetest"
)

// MustOpen opens the store in dir, and closes it when the test ends.
func MustOpen(tb testing.TB, dir string) *filestore.Store {
	tb.Helper()
	s, err := filestore.Open(dir)
	if err != nil {
		tb.Fatalf("Open(%s): %v", dir, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	t.Run("Installations", func(t *testing.T) {
		storetest.Installations(t, func(t *testing.T) license.Store { return MustOpen(t, t.TempDir()) })
	})
	t.Run("Portal", func(t *testing.T) {
		storetest.Portal(t, func(t *testing.T) portal.PortalStore { return MustOpen(t, t.TempDir()) })
	})
}

var (
	ctx = context.Background()
	t0  = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

// hashed returns the file name of the document of ID id.
func hashed(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:]) + ".json"
}

// listing returns the files under dir, relative to it.
func listing(tb testing.TB, dir string) []string {
	tb.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func sampleState() license.InstallationState {
	return license.InstallationState{
		Created: t0,
		Keys:    []license.KeyRecord{{Key: "LK1.acme+00000000.payload.sig", Added: t0, Activated: t0}},
		History: license.History{TrialStarted: t0, LatestSeen: t0.Add(time.Hour), Usage: 3},
		Trials:  1,
		Sent:    []string{"trial-started/2026-01-01T00:00:00Z"},
	}
}

func sampleOrg(id string) *portal.Organization {
	return &portal.Organization{
		ID: id, Name: id + " Inc.", Created: t0,
		Devices:       portal.TableOf(map[string]portal.Device{"pc-1": {Fingerprint: "pc-1", OS: license.TypeWorkstation, Registered: t0}}),
		Wallet:        map[string]int{"acme-backup": 2},
		Subscriptions: map[string]portal.Subscription{},
		Delegations:   map[string]portal.Delegation{},
		History:       []portal.HistoryEntry{{Seq: 1, At: t0, Actor: "vendor", Action: "organization.create", Subject: id}},
	}
}

func TestLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "store")
	s := MustOpen(t, dir)
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", fi.Mode().Perm())
	}
	id := strings.Repeat("x/", 127) + "y" // 255 bytes, with slashes
	if _, err := s.SaveInstallation(ctx, id, sampleState()); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateOrganization(ctx, sampleOrg("acme")); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateVendor(ctx, func(v *portal.Vendor) error { v.Seq = 1; return nil }); err != nil {
		t.Fatal(err)
	}
	want := []string{
		filepath.Join("installations", strings.TrimSuffix(hashed(id), ".json")+".json"),
		filepath.Join("installations", strings.TrimSuffix(hashed(id), ".json")+".lock"),
		filepath.Join("organizations", strings.TrimSuffix(hashed("acme"), ".json")+".json"),
		filepath.Join("organizations", strings.TrimSuffix(hashed("acme"), ".json")+".lock"),
		"vendor.json", "vendor.lock",
	}
	got := listing(t, dir)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	fi, err = os.Stat(filepath.Join(dir, "vendor.json"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("document mode %v, want 0600", fi.Mode().Perm())
	}

	// Deleting an installation removes its lock file as well.
	if err := s.DeleteInstallation(ctx, id, 1); err != nil {
		t.Fatal(err)
	}
	if got := listing(t, filepath.Join(dir, "installations")); len(got) != 0 {
		t.Errorf("after Delete, installations/ holds %v", got)
	}
}

// TestLookupsLeaveNoFiles: reading, updating or deleting what does not
// exist creates nothing, so that probing IDs fills no directory.
func TestLookupsLeaveNoFiles(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, dir)
	for i := range 10 {
		id := fmt.Sprint("nobody-", i)
		if _, err := s.LoadInstallation(ctx, id); !errors.Is(err, license.ErrNotFound) {
			t.Fatalf("Load = %v, want ErrNotFound", err)
		}
		if _, err := s.SaveInstallation(ctx, id, license.InstallationState{Version: 3}); !errors.Is(err, license.ErrConflict) {
			t.Fatalf("Save of version 3 = %v, want ErrConflict", err)
		}
		if err := s.DeleteInstallation(ctx, id, 1); !errors.Is(err, license.ErrNotFound) {
			t.Fatalf("Delete = %v, want ErrNotFound", err)
		}
		if err := s.ViewOrganization(ctx, id, func(*portal.Organization) error { return nil }); !errors.Is(err, license.ErrNotFound) {
			t.Fatalf("View = %v, want ErrNotFound", err)
		}
		if err := s.UpdateOrganization(ctx, id, func(*portal.Organization) error { return nil }); !errors.Is(err, license.ErrNotFound) {
			t.Fatalf("Update = %v, want ErrNotFound", err)
		}
	}
	if err := s.ViewVendor(ctx, func(*portal.Vendor) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if got := listing(t, dir); len(got) != 0 {
		t.Errorf("look-ups left %v", got)
	}
}

// TestEmptyVendor: with no vendor document yet, the vendor's maps are
// ready to take entries, in views and in updates.
func TestEmptyVendor(t *testing.T) {
	s := MustOpen(t, t.TempDir())
	check := func(v *portal.Vendor) error {
		if v.Customers == nil {
			return fmt.Errorf("nil map in %+v", v)
		}
		return nil
	}
	if err := s.ViewVendor(ctx, check); err != nil {
		t.Fatal(err)
	}
	// A document saved with nil maps reads back with empty ones.
	if err := s.UpdateVendor(ctx, func(v *portal.Vendor) error {
		if err := check(v); err != nil {
			return err
		}
		*v = portal.Vendor{Seq: 9}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateVendor(ctx, check); err != nil {
		t.Fatal(err)
	}
	if err := s.ViewVendor(ctx, func(v *portal.Vendor) error {
		if v.Seq != 9 {
			return fmt.Errorf("seq %d, want 9", v.Seq)
		}
		return check(v)
	}); err != nil {
		t.Fatal(err)
	}
}

func TestPersistence(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, dir)
	st := sampleState()
	if _, err := s.SaveInstallation(ctx, "app", st); err != nil {
		t.Fatal(err)
	}
	o := sampleOrg("acme")
	if err := s.CreateOrganization(ctx, o); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateVendor(ctx, func(v *portal.Vendor) error { v.Owners.Put("SN-1", "acme"); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoadInstallation(ctx, "app"); !errors.Is(err, filestore.ErrClosed) {
		t.Errorf("Load after Close = %v, want ErrClosed", err)
	}
	if err := s.ViewVendor(ctx, func(*portal.Vendor) error { return nil }); !errors.Is(err, filestore.ErrClosed) {
		t.Errorf("ViewVendor after Close = %v, want ErrClosed", err)
	}

	// The directory, restored without its lock files, reads the same.
	for _, f := range listing(t, dir) {
		if strings.HasSuffix(f, ".lock") {
			os.Remove(filepath.Join(dir, f))
		}
	}
	s = MustOpen(t, dir)
	got, err := s.LoadInstallation(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	st.Version = 1
	if diff := cmp.Diff(st, got); diff != "" {
		t.Errorf("installation (-saved +loaded):\n%s", diff)
	}
	if err := s.ViewOrganization(ctx, "acme", func(got *portal.Organization) error {
		if diff := cmp.Diff(o, got); diff != "" {
			t.Errorf("organization (-saved +loaded):\n%s", diff)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.ViewVendor(ctx, func(v *portal.Vendor) error {
		if v.Owners.Peek("SN-1") != "acme" {
			t.Errorf("owners %v", v.Owners)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestUpdateOrganization(t *testing.T) {
	s := MustOpen(t, t.TempDir())
	if err := s.CreateOrganization(ctx, sampleOrg("acme")); err != nil {
		t.Fatal(err)
	}
	t.Run("ErrInvalidInput/IDChanged", func(t *testing.T) {
		err := s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
			o.ID, o.Name = "globex", "changed"
			return nil
		})
		if !errors.Is(err, license.ErrInvalidInput) {
			t.Fatalf("Update changing the ID = %v, want ErrInvalidInput", err)
		}
		s.ViewOrganization(ctx, "acme", func(o *portal.Organization) error {
			if o.ID != "acme" || o.Name == "changed" {
				t.Errorf("a refused update was saved: %s %q", o.ID, o.Name)
			}
			return nil
		})
	})
	t.Run("ErrInvalidInput/NilFunc", func(t *testing.T) {
		if err := s.UpdateOrganization(ctx, "acme", nil); !errors.Is(err, license.ErrInvalidInput) {
			t.Errorf("Update(nil) = %v", err)
		}
		if err := s.UpdateVendor(ctx, nil); !errors.Is(err, license.ErrInvalidInput) {
			t.Errorf("UpdateVendor(nil) = %v", err)
		}
		if err := s.CreateOrganization(ctx, nil); !errors.Is(err, license.ErrInvalidInput) {
			t.Errorf("CreateOrganization(nil) = %v", err)
		}
	})
	t.Run("Nested", func(t *testing.T) {
		// Documents have separate locks, as in MemoryPortalStore: an
		// update may read and update the others.
		if err := s.CreateOrganization(ctx, sampleOrg("reseller")); err != nil {
			t.Fatal(err)
		}
		err := s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
			if err := s.ViewOrganization(ctx, "reseller", func(*portal.Organization) error { return nil }); err != nil {
				return err
			}
			return s.UpdateVendor(ctx, func(v *portal.Vendor) error {
				v.Seq++
				return s.UpdateOrganization(ctx, "reseller", func(r *portal.Organization) error {
					r.Wallet["acme-backup"]++
					return nil
				})
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestOpenCleansLeftovers: Open removes the temporary files of writers
// that died, but not one whose document another process has locked, which
// may be in use.
func TestOpenCleansLeftovers(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, dir)
	if _, err := s.SaveInstallation(ctx, "app", sampleState()); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateOrganization(ctx, sampleOrg("busy")); err != nil {
		t.Fatal(err)
	}
	base := func(id string) string { return strings.TrimSuffix(hashed(id), ".json") }
	leftovers := []string{
		filepath.Join("installations", base("app")+".json.tmp-123"),  // its lock is free
		filepath.Join("installations", base("gone")+".json.tmp-456"), // no lock file
		filepath.Join("organizations", base("busy")+".json.tmp-789"), // locked below
		"vendor.json.tmp-1",
	}
	for _, f := range leftovers {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(`{"half":`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Another process holds the lock of "busy".
	lock, err := os.Open(filepath.Join(dir, "organizations", base("busy")+".lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	MustOpen(t, dir)
	var left []string
	for _, f := range listing(t, dir) {
		if strings.Contains(f, ".tmp-") {
			left = append(left, f)
		}
	}
	if diff := cmp.Diff([]string{leftovers[2]}, left); diff != "" {
		t.Errorf("temporary files left (-want +got):\n%s", diff)
	}
	// Leftovers never stand in for a document.
	if _, err := s.LoadInstallation(ctx, "gone"); !errors.Is(err, license.ErrNotFound) {
		t.Errorf("Load(gone) = %v, want ErrNotFound", err)
	}
}

// TestStoresShareDirectory: Stores on one directory (as several processes
// would have) serialize their updates of a document through flock: none is
// lost, no version is given twice.
func TestStoresShareDirectory(t *testing.T) {
	dir := t.TempDir()
	const stores, goroutines, each = 4, 3, 15
	var ss []*filestore.Store
	for range stores {
		ss = append(ss, MustOpen(t, dir))
	}
	if err := ss[0].CreateOrganization(ctx, sampleOrg("acme")); err != nil {
		t.Fatal(err)
	}
	if _, err := ss[0].SaveInstallation(ctx, "app", license.InstallationState{}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, s := range ss {
		for range goroutines {
			wg.Go(func() {
				for range each {
					if err := incrementAll(s); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	checkIncremented(t, ss[0], stores*goroutines*each)
}

// incrementAll adds one to a counter in each kind of document: the
// organization's wallet and history, the vendor's Seq and the
// installation's Trials (retrying on conflict).
func incrementAll(s *filestore.Store) error {
	err := s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
		o.Wallet["n"]++
		o.History = append(o.History, portal.HistoryEntry{Seq: int64(len(o.History)) + 1, Action: "n"})
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.UpdateVendor(ctx, func(v *portal.Vendor) error { v.Seq++; return nil }); err != nil {
		return err
	}
	for {
		st, err := s.LoadInstallation(ctx, "app")
		if err != nil {
			return err
		}
		st.Trials++
		_, err = s.SaveInstallation(ctx, "app", st)
		if !errors.Is(err, license.ErrConflict) {
			return err
		}
	}
}

// checkIncremented checks that incrementAll ran n times.
func checkIncremented(t *testing.T, s *filestore.Store, n int) {
	t.Helper()
	err := s.ViewOrganization(ctx, "acme", func(o *portal.Organization) error {
		if o.Wallet["n"] != n || len(o.History) != n+1 {
			return fmt.Errorf("organization: wallet %d, %d history entries; want %d and %d: an update was lost", o.Wallet["n"], len(o.History), n, n+1)
		}
		for i, e := range o.History {
			if e.Seq != int64(i)+1 {
				return fmt.Errorf("history[%d].Seq = %d", i, e.Seq)
			}
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	if err := s.ViewVendor(ctx, func(v *portal.Vendor) error {
		if v.Seq != int64(n) {
			return fmt.Errorf("vendor: seq %d, want %d: an update was lost", v.Seq, n)
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	st, err := s.LoadInstallation(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	if st.Trials != n || st.Version != int64(n)+1 {
		t.Errorf("installation: trials %d, version %d; want %d and %d", st.Trials, st.Version, n, n+1)
	}
}
