//go:build unix && !solaris && !aix

package filestore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/filestore"
)

// The store never follows a symbolic link nor reads a file that is not
// regular, where one of its state files or lock files should be: a link
// could make it write outside its directory, and a FIFO would block a
// read forever, holding the installation's lock.

// lockFile returns the path of the lock file of installation id in dir.
func lockFile(dir, id string) string {
	return filepath.Join(dir, "installations", strings.TrimSuffix(hashed(id), ".json")+".lock")
}

// A dangling symbolic link as a lock file: the first save of the
// installation fails with ErrNotRegular and creates nothing where the
// link points.
func TestSpecialFiles_DanglingSymlinkLock(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, dir)
	outside := filepath.Join(t.TempDir(), "created-outside")
	if err := os.Symlink(outside, lockFile(dir, "app")); err != nil {
		t.Fatal(err)
	}
	_, err := s.SaveInstallation(ctx, "app", sampleState())
	if !errors.Is(err, filestore.ErrNotRegular) {
		t.Errorf("SaveInstallation with a dangling link as lock file = %v, want ErrNotRegular", err)
	}
	if _, err := os.Lstat(outside); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the link's target was created outside the store (%v)", err)
	}
	if _, err := s.SaveInstallation(ctx, "other", sampleState()); err != nil {
		t.Errorf("another installation is not affected: %v", err)
	}
}

// A symbolic link as a state file, even to a valid one: reading it fails
// with ErrCorrupt and ErrNotRegular, and saving over it with
// ErrNotRegular, leaving the link.
func TestSpecialFiles_SymlinkedDocument(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, dir)
	if _, err := s.SaveInstallation(ctx, "app", sampleState()); err != nil {
		t.Fatal(err)
	}
	doc := filepath.Join(dir, "installations", hashed("app"))
	moved := filepath.Join(t.TempDir(), "elsewhere.json")
	if err := os.Rename(doc, moved); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(moved, doc); err != nil {
		t.Fatal(err)
	}
	_, err := s.LoadInstallation(ctx, "app")
	if !errors.Is(err, filestore.ErrNotRegular) || !errors.Is(err, license.ErrCorrupt) {
		t.Errorf("Load of a symlinked state file = %v, want ErrCorrupt and ErrNotRegular", err)
	}
	st := sampleState()
	st.Version = 1
	_, err = s.SaveInstallation(ctx, "app", st)
	if !errors.Is(err, filestore.ErrNotRegular) {
		t.Errorf("Save over a symlinked state file = %v, want ErrNotRegular", err)
	}
	if fi, err := os.Lstat(doc); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced or removed (%v)", err)
	}
}

// A FIFO as a state file: with a deadline on the context, reading it
// returns ErrNotRegular at once instead of waiting forever for a writer,
// and the installation's lock is free again.
func TestSpecialFiles_FIFODocument(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, dir)
	if _, err := s.SaveInstallation(ctx, "app", sampleState()); err != nil {
		t.Fatal(err)
	}
	doc := filepath.Join(dir, "installations", hashed("app"))
	if err := os.Remove(doc); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(doc, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := s.LoadInstallation(c, "app")
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, filestore.ErrNotRegular) || !errors.Is(err, license.ErrCorrupt) {
			t.Errorf("Load of a FIFO state file = %v, want ErrCorrupt and ErrNotRegular", err)
		}
	case <-time.After(30 * time.Second):
		// Far beyond the context's deadline: the read ignores it.
		t.Fatal("Load of a FIFO state file still blocks after its context's deadline")
	}
	if _, err := s.SaveInstallation(ctx, "other", sampleState()); err != nil {
		t.Fatal(err)
	}
	st := sampleState()
	st.Version = 1
	_, err := s.SaveInstallation(ctx, "app", st)
	if !errors.Is(err, filestore.ErrNotRegular) {
		t.Errorf("Save after the refused read = %v, want ErrNotRegular (the lock is free)", err)
	}
}
