package filestore

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/licensekit/license"
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

// Every save, the first one and those over a saved state, writes a
// temporary file, flushes it to disk, renames it over the state file and
// then flushes the directory, in that order: a crash test cannot see a
// missing or misplaced fsync, since a killed process loses nothing the
// kernel holds.
func TestWrite_FsyncOrder(t *testing.T) {
	ctx := context.Background()
	want := []string{"create temp", "write temp", "fsync temp", "close temp", "rename temp over document", "fsync dir"}
	s, rec := openRecorded(t)
	for _, name := range []string{"first SaveInstallation", "SaveInstallation over version 1"} {
		st, err := s.LoadInstallation(ctx, "app")
		if err != nil && !errors.Is(err, license.ErrNotFound) {
			t.Fatal(err)
		}
		rec.steps = nil
		st.Trials++
		if _, err := s.SaveInstallation(ctx, "app", st); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !slices.Equal(rec.steps, want) {
			t.Errorf("%s wrote in the steps\n%q\nwant\n%q", name, rec.steps, want)
		}
	}
}

// A failed fsync of the temporary file renames nothing: the old state
// stays, and the temporary file is removed.
func TestWrite_FailedFsyncKeepsTheOldDocument(t *testing.T) {
	ctx := context.Background()
	s, rec := openRecorded(t)
	if _, err := s.SaveInstallation(ctx, "app", license.InstallationState{Trials: 1}); err != nil {
		t.Fatal(err)
	}
	rec.failSync, rec.steps = true, nil
	if _, err := s.SaveInstallation(ctx, "app", license.InstallationState{Version: 1, Trials: 2}); err == nil {
		t.Fatal("SaveInstallation succeeded although fsync failed")
	}
	if slices.Contains(rec.steps, "rename temp over document") || !slices.Contains(rec.steps, "remove temp") {
		t.Errorf("steps after a failed fsync: %q", rec.steps)
	}
	st, err := s.LoadInstallation(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	if st.Version != 1 || st.Trials != 1 {
		t.Errorf("version %d, trials %d after a failed write, want 1 and 1", st.Version, st.Trials)
	}
	d := s.installation("app")
	entries, err := os.ReadDir(d.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// A state file whose envelope is whole, with a valid checksum and the
// right ID, but says another kind of document (those an earlier release
// kept for a portal, or any other) is refused with ErrCorrupt for its kind
// alone: neither the checksum nor the ID check can catch it.
func TestRead_OtherKindSameID(t *testing.T) {
	ctx := context.Background()
	s, _ := openRecorded(t)
	d := s.installation("x")
	for _, other := range []string{"organization", "vendor", "Installation", ""} {
		e := envelope{Format: format, Kind: other, ID: d.id, Version: 1, Doc: []byte(`{}`)}
		e.SHA256 = e.checksum()
		data, err := json.Marshal(&e)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(d.path(), data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err = s.read(d, nil)
		if !errors.Is(err, license.ErrCorrupt) || !strings.Contains(err.Error(), "kind") {
			t.Errorf("installation %q holding a %q: read = %v, want ErrCorrupt for its kind", d.id, other, err)
		}
		if _, err := s.LoadInstallation(ctx, d.id); !errors.Is(err, license.ErrCorrupt) {
			t.Errorf("LoadInstallation of a %q under its ID = %v, want ErrCorrupt", other, err)
		}
		if _, err := s.SaveInstallation(ctx, d.id, license.InstallationState{Version: 1}); !errors.Is(err, license.ErrCorrupt) {
			t.Errorf("SaveInstallation over a %q under its ID = %v, want ErrCorrupt", other, err)
		}
	}
}
