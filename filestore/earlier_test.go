//go:build unix && !solaris && !aix

package filestore_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// earlierRelease is a store's directory as an earlier release left it,
// which also kept a portal's documents: installation "app" (sampleState,
// version 1), organization "acme" and the vendor's document, their lock
// files, and a temporary file of each of these two, as a crash leaves.
const earlierRelease = "testdata/earlier-release"

// mustRead returns the content of the file at path.
func mustRead(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestOpenEarlierRelease: a directory written by an earlier release opens,
// its installation reads as it was saved and can be saved again, and the
// portal's documents it holds are neither read nor changed nor removed.
func TestOpenEarlierRelease(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(earlierRelease)); err != nil {
		t.Fatal(err)
	}
	// Damage the portal's documents: the store must not read them.
	for _, rel := range []string{filepath.Join("organizations", hashed("acme")), "vendor.json"} {
		if err := os.WriteFile(filepath.Join(dir, rel), []byte("damaged"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	before := map[string][]byte{}
	for _, rel := range listing(t, dir) {
		before[rel] = mustRead(t, filepath.Join(dir, rel))
	}

	s := MustOpen(t, dir)
	got, err := s.LoadInstallation(ctx, "app")
	if err != nil {
		t.Fatalf("Load of an earlier release's installation: %v", err)
	}
	want := sampleState()
	want.Version = 1
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("installation (-saved +loaded):\n%s", diff)
	}
	got.Trials++
	if v, err := s.SaveInstallation(ctx, "app", got); err != nil || v != 2 {
		t.Fatalf("Save over an earlier release's installation = %d, %v; want version 2", v, err)
	}

	for rel, data := range before {
		if filepath.Dir(rel) == "installations" {
			continue
		}
		if now := mustRead(t, filepath.Join(dir, rel)); !bytes.Equal(now, data) {
			t.Errorf("%s was changed", rel)
		}
	}
}
