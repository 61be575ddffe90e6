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
	"github.com/licensekit/license/portal"
)

// corruptCase is one kind of document, to damage.
type corruptCase struct {
	name string
	file string // relative to the store's directory
	// write saves the document (twice, so that its version is 2), and
	// a document of the same kind under another ID, "other".
	write func(tb testing.TB, s *filestore.Store)
	// read reads the document and returns it, to compare.
	read func(s *filestore.Store) (any, error)
	// writes tries each write of the document; each must fail, and
	// write nothing. updated is set if an update function ran.
	writes func(s *filestore.Store, updated *bool) map[string]error
}

var corruptCases = []corruptCase{{
	name: "Installation",
	file: filepath.Join("installations", hashed("app")),
	write: func(tb testing.TB, s *filestore.Store) {
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
	},
	read: func(s *filestore.Store) (any, error) { return s.LoadInstallation(ctx, "app") },
	writes: func(s *filestore.Store, _ *bool) map[string]error {
		st := sampleState()
		st.Version = 2
		_, save := s.SaveInstallation(ctx, "app", st)
		// Delete is the way out: see TestManager_S9_CorruptFileStartsWithTrialUsed.
		return map[string]error{"Save": save}
	},
}, {
	name: "Organization",
	file: filepath.Join("organizations", hashed("acme")),
	write: func(tb testing.TB, s *filestore.Store) {
		for _, id := range []string{"acme", "other"} {
			if err := s.CreateOrganization(ctx, sampleOrg(id)); err != nil {
				tb.Fatal(err)
			}
		}
		if err := s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error { o.Wallet["acme-backup"]++; return nil }); err != nil {
			tb.Fatal(err)
		}
	},
	read: func(s *filestore.Store) (any, error) {
		var got *portal.Organization
		err := s.ViewOrganization(ctx, "acme", func(o *portal.Organization) error { got = o; return nil })
		return got, err
	},
	writes: func(s *filestore.Store, updated *bool) map[string]error {
		return map[string]error{
			"Update": s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
				*updated = true
				o.Name = "overwritten"
				return nil
			}),
		}
	},
}, {
	name: "Vendor",
	file: "vendor.json",
	write: func(tb testing.TB, s *filestore.Store) {
		for i := range 2 {
			if err := s.UpdateVendor(ctx, func(v *portal.Vendor) error {
				v.Seq++
				v.Owners.Put(fmt.Sprint("SN-", i), "acme")
				v.Customers["reseller"] = []string{"acme"}
				return nil
			}); err != nil {
				tb.Fatal(err)
			}
		}
	},
	read: func(s *filestore.Store) (any, error) {
		var got *portal.Vendor
		err := s.ViewVendor(ctx, func(v *portal.Vendor) error { got = v; return nil })
		return got, err
	},
	writes: func(s *filestore.Store, updated *bool) map[string]error {
		return map[string]error{
			"Update": s.UpdateVendor(ctx, func(v *portal.Vendor) error {
				*updated = true
				v.Seq = 1000
				return nil
			}),
		}
	},
}}

// TestCorrupt damages a document file in every way (each bit of three
// in each byte flipped, every truncation, garbage, another document's
// file) and checks that reading it fails with ErrCorrupt, or, for the
// changes JSON ignores (the case of a letter in a field name of the
// envelope, the final newline), reads the document unchanged: never
// damaged data, never "not found".
func TestCorrupt(t *testing.T) {
	for _, c := range corruptCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			s := MustOpen(t, dir)
			c.write(t, s)
			path := filepath.Join(dir, c.file)
			good, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want, err := c.read(s)
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
			other := func(rel string) []byte {
				b, err := os.ReadFile(filepath.Join(dir, rel))
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			damages = append(damages,
				damage{"Garbage/Text", []byte("not json at all\n")},
				damage{"Garbage/Null", []byte("null")},
				damage{"Garbage/EmptyObject", []byte("{}")},
				damage{"Garbage/Zeros", make([]byte, len(good))},
				damage{"Garbage/Trailing", append(bytes.Clone(good), "x"...)},
				damage{"Garbage/Twice", append(bytes.Clone(good), good...)},
				damage{"Garbage/EnvelopeOnly", []byte(`{"format":1,"kind":"vendor","id":"","version":1}`)},
			)
			switch c.name {
			case "Installation":
				damages = append(damages, damage{"OtherID", other(filepath.Join("installations", hashed("other")))})
			case "Organization":
				damages = append(damages, damage{"OtherID", other(filepath.Join("organizations", hashed("other")))})
			}
			// A document of another kind where this one should be.
			if c.name == "Installation" {
				if err := s.UpdateVendor(ctx, func(*portal.Vendor) error { return nil }); err != nil {
					t.Fatal(err)
				}
				damages = append(damages, damage{"OtherKind", other("vendor.json")})
			} else {
				if _, err := s.SaveInstallation(ctx, "kind-probe", sampleState()); err != nil {
					t.Fatal(err)
				}
				damages = append(damages, damage{"OtherKind", other(filepath.Join("installations", hashed("kind-probe")))})
			}

			harmless := 0
			for _, d := range damages {
				if err := os.WriteFile(path, d.data, 0o600); err != nil {
					t.Fatal(err)
				}
				got, err := c.read(s)
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
		})
	}
}

// TestCorruptNotOverwritten: the writes of a damaged document fail with
// ErrCorrupt and leave the file as it is, for a person to repair.
func TestCorruptNotOverwritten(t *testing.T) {
	for _, c := range corruptCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			s := MustOpen(t, dir)
			c.write(t, s)
			path := filepath.Join(dir, c.file)
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
				updated := false
				for op, err := range c.writes(s, &updated) {
					if !errors.Is(err, license.ErrCorrupt) {
						t.Errorf("%s: %s = %v, want ErrCorrupt", name, op, err)
					}
				}
				if updated {
					t.Errorf("%s: the update function ran on a damaged document", name)
				}
				if c.name == "Organization" {
					if err := s.CreateOrganization(ctx, sampleOrg("acme")); !errors.Is(err, portal.ErrOrgExists) {
						t.Errorf("%s: Create over a damaged organization = %v, want ErrOrgExists", name, err)
					}
				}
				if now, err := os.ReadFile(path); err != nil || !bytes.Equal(now, damaged) {
					t.Errorf("%s: the damaged file was changed (%v)", name, err)
				}
				// Reopening neither repairs nor hides it.
				s2 := MustOpen(t, dir)
				if _, err := c.read(s2); !errors.Is(err, license.ErrCorrupt) {
					t.Errorf("%s: read after reopening = %v, want ErrCorrupt", name, err)
				}
			}
		})
	}
}
