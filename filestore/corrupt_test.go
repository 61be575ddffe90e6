//go:build unix && !solaris && !aix

package filestore_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/licensekit/license"
	"github.com/licensekit/license/filestore"
)

// The damaged file is the state of installation "app", saved twice so
// that its version is 2; "other" is another installation.
var corruptFile = filepath.Join("installations", hashed("app"))

// writeCorruptible saves "app" twice and "other" once, and returns the
// state of "app" as loaded.
func writeCorruptible(tb testing.TB, s *filestore.Store) license.InstallationState {
	tb.Helper()
	st := sampleState()
	for _, id := range []string{"app", "app", "other"} {
		v, err := s.SaveInstallation(ctx, id, st)
		if err != nil {
			tb.Fatal(err)
		}
		st.Version = v
		if id == "app" && v == 2 {
			st.Version = 0
		}
	}
	got, err := s.LoadInstallation(ctx, "app")
	if err != nil {
		tb.Fatal(err)
	}
	return got
}

// TestCorrupt damages a state file in every way (each bit of three in
// each byte flipped, every truncation, garbage, another installation's
// file, documents of other kinds) and checks that reading it fails with
// ErrCorrupt, or, for the changes JSON ignores (the case of a letter in a
// field name of the envelope, the final newline), reads the state
// unchanged: never damaged data, never "not found".
func TestCorrupt(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, dir)
	want := writeCorruptible(t, s)
	path := filepath.Join(dir, corruptFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	type damage struct {
		name string
		data []byte
	}
	var damages []damage
	for i := range good {
		for _, mask := range []byte{0x01, 0x20, 0x80} {
			d := bytes.Clone(good)
			d[i] ^= mask
			damages = append(damages, damage{fmt.Sprintf("Flip/%d^%#x", i, mask), d})
		}
	}
	for n := range len(good) {
		damages = append(damages, damage{fmt.Sprintf("Truncate/%d", n), good[:n]})
	}
	damages = append(damages,
		damage{"Garbage/Text", []byte("not json at all\n")},
		damage{"Garbage/Null", []byte("null")},
		damage{"Garbage/EmptyObject", []byte("{}")},
		damage{"Garbage/Zeros", make([]byte, len(good))},
		damage{"Garbage/Trailing", append(bytes.Clone(good), "x"...)},
		damage{"Garbage/Twice", append(bytes.Clone(good), good...)},
		damage{"Garbage/EnvelopeOnly", []byte(`{"format":1,"kind":"installation","id":"app","version":1}`)},
		damage{"OtherID", mustRead(t, filepath.Join(dir, "installations", hashed("other")))},
		// Documents of another kind where this one should be: an
		// organization and the vendor's document, as an earlier release
		// wrote them (TestRead_OtherKindSameID has other kinds under the
		// installation's own ID).
		damage{"OtherKind/Organization", mustRead(t, filepath.Join(earlierRelease, "organizations", hashed("acme")))},
		damage{"OtherKind/Vendor", mustRead(t, filepath.Join(earlierRelease, "vendor.json"))},
	)

	harmless := 0
	for _, d := range damages {
		if err := os.WriteFile(path, d.data, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := s.LoadInstallation(ctx, "app")
		switch {
		case errors.Is(err, license.ErrCorrupt):
		case err != nil:
			t.Errorf("%s: read = %v, want ErrCorrupt", d.name, err)
		case cmp.Equal(got, want) && (strings.HasSuffix(d.name, "^0x20") || string(d.data) == strings.TrimSuffix(string(good), "\n")):
			// JSON matches field names regardless of case,
			// and the final newline is only for people.
			harmless++
		default:
			t.Errorf("%s: read damaged data without error: %s", d.name, cmp.Diff(want, got))
		}
	}
	t.Logf("%d damaged files: %d refused with ErrCorrupt, %d read unchanged (field-name case, final newline)", len(damages), len(damages)-harmless, harmless)
}

// TestCorruptNotOverwritten: a save over a damaged state file fails with
// ErrCorrupt and leaves the file as it is, for a person to repair.
// DeleteInstallation is the way out: see
// TestManager_S9_CorruptFileStartsWithTrialUsed.
func TestCorruptNotOverwritten(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, dir)
	writeCorruptible(t, s)
	path := filepath.Join(dir, corruptFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(good)
	flipped[len(flipped)-10] ^= 0x01 // inside the document
	for name, damaged := range map[string][]byte{
		"Flip": flipped, "Truncated": good[:len(good)/2], "Empty": {}, "Garbage": []byte("\x00\xff garbage"),
	} {
		if err := os.WriteFile(path, damaged, 0o600); err != nil {
			t.Fatal(err)
		}
		st := sampleState()
		st.Version = 2
		if _, err := s.SaveInstallation(ctx, "app", st); !errors.Is(err, license.ErrCorrupt) {
			t.Errorf("%s: Save = %v, want ErrCorrupt", name, err)
		}
		if now, err := os.ReadFile(path); err != nil || !bytes.Equal(now, damaged) {
			t.Errorf("%s: the damaged file was changed (%v)", name, err)
		}
		// Reopening neither repairs nor hides it.
		s2 := MustOpen(t, dir)
		if _, err := s2.LoadInstallation(ctx, "app"); !errors.Is(err, license.ErrCorrupt) {
			t.Errorf("%s: read after reopening = %v, want ErrCorrupt", name, err)
		}
	}
}
