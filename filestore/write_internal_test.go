package filestore

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// recordingFS is the operating system's file system, recording each step
// of writeFile, and failing the temporary file's Sync when failSync is
// set.
type recordingFS struct {
	osFS
	steps    []string
	failSync bool
}

type recordingFile struct {
	*os.File
	fs *recordingFS
}

func (r *recordingFS) createTemp(dir, pattern string) (tempFile, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	r.steps = append(r.steps, "create temp")
	return recordingFile{f, r}, nil
}

func (f recordingFile) Write(b []byte) (int, error) {
	f.fs.steps = append(f.fs.steps, "write temp")
	return f.File.Write(b)
}

func (f recordingFile) Sync() error {
	f.fs.steps = append(f.fs.steps, "fsync temp")
	if f.fs.failSync {
		return errors.New("injected fsync failure")
	}
	return f.File.Sync()
}

func (f recordingFile) Close() error {
	f.fs.steps = append(f.fs.steps, "close temp")
	return f.File.Close()
}

func (r *recordingFS) rename(from, to string) error {
	r.steps = append(r.steps, "rename temp over document")
	return r.osFS.rename(from, to)
}

func (r *recordingFS) remove(name string) error {
	r.steps = append(r.steps, "remove temp")
	return r.osFS.remove(name)
}

func (r *recordingFS) syncDir(dir string) error {
	r.steps = append(r.steps, "fsync dir")
	return r.osFS.syncDir(dir)
}

func openRecorded(t *testing.T) (*Store, *recordingFS) {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	rec := &recordingFS{}
	s.fs = rec
	return s, rec
}

// Every write of every kind of document writes a temporary file, flushes
// it to disk, renames it over the document and then flushes the
// directory, in that order: a crash test cannot see a missing or
// misplaced fsync, since a killed process loses nothing the kernel holds.
func TestWrite_FsyncOrder(t *testing.T) {
	ctx := context.Background()
	want := []string{"create temp", "write temp", "fsync temp", "close temp", "rename temp over document", "fsync dir"}
	for name, write := range map[string]func(*Store) error{
		"SaveInstallation": func(s *Store) error {
			_, err := s.SaveInstallation(ctx, "app", license.InstallationState{})
			return err
		},
		"CreateOrganization": func(s *Store) error {
			return s.CreateOrganization(ctx, &portal.Organization{ID: "acme"})
		},
		"UpdateVendor": func(s *Store) error {
			return s.UpdateVendor(ctx, func(v *portal.Vendor) error { v.Seq++; return nil })
		},
	} {
		s, rec := openRecorded(t)
		if err := write(s); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !slices.Equal(rec.steps, want) {
			t.Errorf("%s wrote in the steps\n%q\nwant\n%q", name, rec.steps, want)
		}
	}
}

// A failed fsync of the temporary file renames nothing: the old document
// stays, and the temporary file is removed.
func TestWrite_FailedFsyncKeepsTheOldDocument(t *testing.T) {
	ctx := context.Background()
	s, rec := openRecorded(t)
	if err := s.UpdateVendor(ctx, func(v *portal.Vendor) error { v.Seq = 1; return nil }); err != nil {
		t.Fatal(err)
	}
	rec.failSync, rec.steps = true, nil
	if err := s.UpdateVendor(ctx, func(v *portal.Vendor) error { v.Seq = 2; return nil }); err == nil {
		t.Fatal("UpdateVendor succeeded although fsync failed")
	}
	if slices.Contains(rec.steps, "rename temp over document") || !slices.Contains(rec.steps, "remove temp") {
		t.Errorf("steps after a failed fsync: %q", rec.steps)
	}
	err := s.ViewVendor(ctx, func(v *portal.Vendor) error {
		if v.Seq != 1 {
			t.Errorf("vendor Seq %d after a failed write, want 1", v.Seq)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// A document whose envelope names the right ID but another kind is
// refused with ErrCorrupt for its kind alone: the ID check cannot catch
// it.
func TestRead_OtherKindSameID(t *testing.T) {
	s, _ := openRecorded(t)
	s.fs = osFS{}
	for _, d := range []doc{s.installation("x"), s.organization("x"), s.vendor()} {
		for _, kind := range []string{kindInstallation, kindOrganization, kindVendor} {
			if kind == d.kind {
				continue
			}
			if err := os.MkdirAll(d.dir, 0o700); err != nil {
				t.Fatal(err)
			}
			other := d
			other.kind = kind
			if err := s.write(other, 1, map[string]string{}); err != nil {
				t.Fatal(err)
			}
			_, err := s.read(d, nil)
			if !errors.Is(err, license.ErrCorrupt) || !strings.Contains(err.Error(), "kind") {
				t.Errorf("%s %q holding a %s: read = %v, want ErrCorrupt for its kind", d.kind, d.id, kind, err)
			}
		}
	}
	if _, err := s.LoadInstallation(context.Background(), "x"); !errors.Is(err, license.ErrCorrupt) {
		t.Errorf("LoadInstallation of a vendor document under its ID = %v, want ErrCorrupt", err)
	}
}
