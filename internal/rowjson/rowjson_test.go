package rowjson_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/licensekit/license"
	"github.com/licensekit/license/internal/rowjson"
	"github.com/licensekit/license/portal"
)

var at = time.Date(2026, 3, 4, 5, 6, 7, 890, time.UTC)

// same checks that Decode gives what json.Unmarshal gives for data, the
// value and whether it failed.
func same[V any](t *testing.T, data []byte) {
	t.Helper()
	var want, got V
	wantErr := json.Unmarshal(data, &want)
	gotErr := rowjson.Decode(data, &got)
	if (wantErr == nil) != (gotErr == nil) {
		t.Fatalf("%q: error %v, encoding/json %v", data, gotErr, wantErr)
	}
	if wantErr != nil {
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("%q: differs from encoding/json (-want +got):\n%s", data, diff)
	}
}

func seeds() []string {
	seat, _ := json.Marshal(portal.Seat{License: "L-1", Device: "pc-1", Units: 4, Assigned: at})
	user, _ := json.Marshal(portal.Seat{License: "L-1", User: "ann@example.com", Units: 1, Assigned: at})
	dev, _ := json.Marshal(portal.Device{Fingerprint: "pc-1", Name: "Ann's <PC>", OS: license.TypeServer, VM: true,
		CPUs: 2, Cores: 16, Apps: []string{"backup", "mail"}, Registered: at.In(time.FixedZone("X", 3600)), Group: "site"})
	plain, _ := json.Marshal(portal.Device{Fingerprint: "pc-2", OS: license.TypeWorkstation, CPUs: 1, Cores: 4, Registered: at})
	return []string{
		string(seat), string(user), string(dev), string(plain),
		// As PostgreSQL's jsonb prints them: keys reordered, spaces.
		`{"os": "workstation", "cpus": 1, "apps": [], "cores": 4, "fingerprint": "pc-3", "registered": "2026-01-02T03:04:05Z"}`,
		`{"units": 1, "device": "pc-1", "license": "L-1", "assigned": "2026-01-02T03:04:05.5+02:00"}`,
		// What the fast path hands over, and what fails either way.
		`{"License": "L-1", "units": 1}`, `{"license": null, "units": 1.0}`, `{"units": 1e2}`, `{"units": 012}`,
		`{"units": 99999999999999999999}`, `{"device": "p\u00e9"}`, `{"device": "pé"}`, `{"apps": null}`,
		`{"vm": tru}`, `{"vm": truex}`, `{"os": "toaster"}`, `{"os": 1}`, `{"assigned": "yesterday"}`,
		`{"units": 1,}`, `{"units": 1} x`, `{"units": -}`, `{"units": -0}`, `{}`, ` { } `, `[]`, `null`, ``, `{"apps": ["a",]}`,
		`{"license": "a", "license": "b", "apps": ["x"], "apps": []}`, "{\"device\": \"a\tb\"}",
		`{"id": "g", "devices": ["a"], "placed": {"a": "L"}, "placed": {"b": "M"}}`, `{"placed": null}`, `{"placed": {"a": 1}}`,
	}
}

// TestDecodeAgreesWithEncodingJSON: the stores' fast decoding of seats and
// devices gives what encoding/json gives, for what the stores write and
// for what they never should.
func TestDecodeAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range seeds() {
		same[portal.Seat](t, []byte(s))
		same[portal.Device](t, []byte(s))
		same[portal.Group](t, []byte(s))
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range seeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		same[portal.Seat](t, data)
		same[portal.Device](t, data)
		same[portal.Group](t, data)
	})
}

func BenchmarkDecodeDevice(b *testing.B) {
	data := []byte(seeds()[3])
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var d portal.Device
			if err := json.Unmarshal(data, &d); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rowjson", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var d portal.Device
			if err := rowjson.Decode(data, &d); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestEncodeGroupReadsBack: the fast encoding of a license group decodes,
// with encoding/json, to the same group, and falls back to encoding/json
// for what it does not write.
func TestEncodeGroupReadsBack(t *testing.T) {
	groups := []portal.Group{
		{ID: "site", Name: "Site", Licenses: []string{"L-1", "L-2"}, Devices: []string{"pc-1", "pc-2", "pc-3"},
			Placed: map[string]string{"pc-1": "L-2", "pc-3": "L-1"}},
		{ID: "empty", Name: "", Licenses: []string{}, Devices: []string{}, Placed: map[string]string{}},
		{ID: "nil"},
		{ID: "esc", Name: "Ann & Bob's <site>", Devices: []string{"pc-\"1\""}, Placed: map[string]string{"pc-\"1\"": "L-1"}},
		{ID: "stray", Devices: []string{"pc-1"}, Placed: map[string]string{"pc-1": "L-1", "pc-9": "L-1"}},
		{ID: "twice", Devices: []string{"pc-1", "pc-1"}, Placed: map[string]string{"pc-1": "L-1"}},
		{ID: "é", Devices: []string{"pc-\u2028"}, Placed: map[string]string{}},
	}
	for _, g := range groups {
		b, err := rowjson.Encode(g)
		if err != nil {
			t.Fatal(err)
		}
		var back portal.Group
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if diff := cmp.Diff(g, back); diff != "" {
			t.Errorf("%s reads back otherwise (-want +got):\n%s", b, diff)
		}
		same[portal.Group](t, b)
	}
}
