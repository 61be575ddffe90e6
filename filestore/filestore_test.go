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
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/licensekit/license"
	"github.com/licensekit/license/filestore"
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
	storetest.Installations(t, func(t *testing.T) license.Store { return MustOpen(t, t.TempDir()) })
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
	for _, id := range []string{id, "app"} {
		if _, err := s.SaveInstallation(ctx, id, sampleState()); err != nil {
			t.Fatal(err)
		}
	}
	base := func(id string) string { return strings.TrimSuffix(hashed(id), ".json") }
	want := []string{
		filepath.Join("installations", base(id)+".json"),
		filepath.Join("installations", base(id)+".lock"),
		filepath.Join("installations", base("app")+".json"),
		filepath.Join("installations", base("app")+".lock"),
	}
	got := listing(t, dir)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	// Nothing but the installations: no directory for anything else.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "installations" || !entries[0].IsDir() {
		t.Errorf("the store's directory holds %v, want installations/ alone", entries)
	}
	if fi, err = os.Stat(filepath.Join(dir, "installations")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("installations/: %v, want mode 0700 (%v)", fi.Mode().Perm(), err)
	}
	if fi, err = os.Stat(filepath.Join(dir, want[0])); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file: %v, want mode 0600 (%v)", fi.Mode().Perm(), err)
	}

	// Deleting an installation removes its lock file as well.
	if err := s.DeleteInstallation(ctx, id, 1); err != nil {
		t.Fatal(err)
	}
	want = []string{base("app") + ".json", base("app") + ".lock"}
	if diff := cmp.Diff(want, listing(t, filepath.Join(dir, "installations"))); diff != "" {
		t.Errorf("after Delete, installations/ (-want +got):\n%s", diff)
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
	}
	if got := listing(t, dir); len(got) != 0 {
		t.Errorf("look-ups left %v", got)
	}
}

func TestPersistence(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, dir)
	saved := map[string]license.InstallationState{}
	for i, id := range []string{"app", "other"} {
		st := sampleState()
		st.Trials = i + 1
		if _, err := s.SaveInstallation(ctx, id, st); err != nil {
			t.Fatal(err)
		}
		st.Version = 1
		saved[id] = st
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoadInstallation(ctx, "app"); !errors.Is(err, filestore.ErrClosed) {
		t.Errorf("Load after Close = %v, want ErrClosed", err)
	}
	if _, err := s.SaveInstallation(ctx, "app", saved["app"]); !errors.Is(err, filestore.ErrClosed) {
		t.Errorf("Save after Close = %v, want ErrClosed", err)
	}
	if err := s.DeleteInstallation(ctx, "app", 1); !errors.Is(err, filestore.ErrClosed) {
		t.Errorf("Delete after Close = %v, want ErrClosed", err)
	}

	// The directory, restored without its lock files, reads the same.
	for _, f := range listing(t, dir) {
		if strings.HasSuffix(f, ".lock") {
			os.Remove(filepath.Join(dir, f))
		}
	}
	s = MustOpen(t, dir)
	for id, st := range saved {
		got, err := s.LoadInstallation(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(st, got); diff != "" {
			t.Errorf("installation %s (-saved +loaded):\n%s", id, diff)
		}
	}
}

// TestOpenCleansLeftovers: Open removes the temporary files of writers
// that died, but not one whose installation another process has locked,
// which may be in use.
func TestOpenCleansLeftovers(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, dir)
	for _, id := range []string{"app", "busy"} {
		if _, err := s.SaveInstallation(ctx, id, sampleState()); err != nil {
			t.Fatal(err)
		}
	}
	base := func(id string) string { return filepath.Join("installations", strings.TrimSuffix(hashed(id), ".json")) }
	leftovers := []string{
		base("app") + ".json.tmp-123",  // its lock is free
		base("gone") + ".json.tmp-456", // no lock file
		base("busy") + ".json.tmp-789", // locked below
	}
	for _, f := range leftovers {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(`{"half":`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Another process holds the lock of "busy".
	lock, err := os.Open(filepath.Join(dir, base("busy")+".lock"))
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

// sharedIDs are the installations that incrementAll updates.
var sharedIDs = []string{"app", "other"}

// TestStoresShareDirectory: Stores on one directory (as several processes
// would have) serialize the saves of an installation through flock: none
// is lost, no version is given twice.
func TestStoresShareDirectory(t *testing.T) {
	dir := t.TempDir()
	const stores, goroutines, each = 4, 3, 15
	var ss []*filestore.Store
	for range stores {
		ss = append(ss, MustOpen(t, dir))
	}
	createShared(t, ss[0])
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

// createShared saves the installations of sharedIDs, empty.
func createShared(t *testing.T, s *filestore.Store) {
	t.Helper()
	for _, id := range sharedIDs {
		if _, err := s.SaveInstallation(ctx, id, license.InstallationState{}); err != nil {
			t.Fatal(err)
		}
	}
}

// incrementAll adds one to the Trials of each installation of sharedIDs,
// loading and saving it again on conflict.
func incrementAll(s *filestore.Store) error {
	for _, id := range sharedIDs {
		for {
			st, err := s.LoadInstallation(ctx, id)
			if err != nil {
				return err
			}
			st.Trials++
			st.Sent = append(st.Sent, strconv.Itoa(st.Trials))
			_, err = s.SaveInstallation(ctx, id, st)
			if err == nil {
				break
			}
			if !errors.Is(err, license.ErrConflict) {
				return err
			}
		}
	}
	return nil
}

// checkIncremented checks that incrementAll ran n times: each
// installation's Trials is n, its version n+1, and Sent lists 1 to n, so
// that no save was lost and none was made on a stale state.
func checkIncremented(t *testing.T, s *filestore.Store, n int) {
	t.Helper()
	for _, id := range sharedIDs {
		st, err := s.LoadInstallation(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if st.Trials != n || st.Version != int64(n)+1 || len(st.Sent) != n {
			t.Errorf("%s: trials %d, version %d, %d sent; want %d, %d and %d: a save was lost", id, st.Trials, st.Version, len(st.Sent), n, n+1, n)
			continue
		}
		for i, v := range st.Sent {
			if v != strconv.Itoa(i+1) {
				t.Errorf("%s: sent[%d] = %q, want %d", id, i, v, i+1)
				break
			}
		}
	}
}
