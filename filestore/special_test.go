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
	"github.com/licensekit/license/portal"
)

// The store never follows a symbolic link nor reads a file that is not
// regular, where one of its documents or lock files should be: a link
// could make it write outside its directory, and a FIFO would block a
// read forever, holding the document's lock.

// A dangling symbolic link as a lock file: creating the organization
// fails with ErrNotRegular and creates nothing where the link points.
func TestSpecialFiles_DanglingSymlinkLock(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, dir)
	outside := filepath.Join(t.TempDir(), "created-outside")
	lock := filepath.Join(dir, "organizations", strings.TrimSuffix(hashed("acme"), ".json")+".lock")
	if err := os.Symlink(outside, lock); err != nil {
		t.Fatal(err)
	}
	err := s.CreateOrganization(ctx, sampleOrg("acme"))
	if !errors.Is(err, filestore.ErrNotRegular) {
		t.Errorf("CreateOrganization with a dangling link as lock file = %v, want ErrNotRegular", err)
	}
	if _, err := os.Lstat(outside); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the link's target was created outside the store (%v)", err)
	}
	if err := s.UpdateVendor(ctx, func(*portal.Vendor) error { return nil }); err != nil {
		t.Errorf("another document is not affected: %v", err)
	}
}

// A symbolic link as a document, even to a valid document: reading it
// fails with ErrCorrupt and ErrNotRegular.
func TestSpecialFiles_SymlinkedDocument(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, dir)
	if err := s.CreateOrganization(ctx, sampleOrg("acme")); err != nil {
		t.Fatal(err)
	}
	doc := filepath.Join(dir, "organizations", hashed("acme"))
	moved := filepath.Join(t.TempDir(), "elsewhere.json")
	if err := os.Rename(doc, moved); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(moved, doc); err != nil {
		t.Fatal(err)
	}
	err := s.ViewOrganization(ctx, "acme", func(*portal.Organization) error { return nil })
	if !errors.Is(err, filestore.ErrNotRegular) || !errors.Is(err, license.ErrCorrupt) {
		t.Errorf("View of a symlinked document = %v, want ErrCorrupt and ErrNotRegular", err)
	}
	err = s.UpdateOrganization(ctx, "acme", func(*portal.Organization) error { return nil })
	if !errors.Is(err, filestore.ErrNotRegular) {
		t.Errorf("Update of a symlinked document = %v, want ErrNotRegular", err)
	}
	if fi, err := os.Lstat(doc); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced or removed (%v)", err)
	}
}

// A FIFO as a document: with a deadline on the context, reading it
// returns ErrNotRegular at once instead of waiting forever for a writer,
// and the document's lock is free again.
func TestSpecialFiles_FIFODocument(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, dir)
	if err := s.CreateOrganization(ctx, sampleOrg("acme")); err != nil {
		t.Fatal(err)
	}
	doc := filepath.Join(dir, "organizations", hashed("acme"))
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
		done <- s.ViewOrganization(c, "acme", func(*portal.Organization) error { return nil })
	}()
	select {
	case err := <-done:
		if !errors.Is(err, filestore.ErrNotRegular) || !errors.Is(err, license.ErrCorrupt) {
			t.Errorf("View of a FIFO document = %v, want ErrCorrupt and ErrNotRegular", err)
		}
	case <-time.After(30 * time.Second):
		// Far beyond the context's deadline: the read ignores it.
		t.Fatal("View of a FIFO document still blocks after its context's deadline")
	}
	if err := s.UpdateVendor(ctx, func(*portal.Vendor) error { return nil }); err != nil {
		t.Fatal(err)
	}
	err := s.UpdateOrganization(ctx, "acme", func(*portal.Organization) error { return nil })
	if !errors.Is(err, filestore.ErrNotRegular) {
		t.Errorf("Update after the refused read = %v, want ErrNotRegular (the lock is free)", err)
	}
}
