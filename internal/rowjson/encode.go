package rowjson

import (
	"encoding/json"

	"github.com/licensekit/license/portal"
)

// Encode returns the JSON encoding of v, which json.Unmarshal and Decode
// read back as v. A license group, whose record lists every member and
// where each is placed, takes a fast path when its strings need no
// escaping; everything else goes to encoding/json.
func Encode[V any](v V) ([]byte, error) {
	if g, ok := any(v).(portal.Group); ok {
		if b, ok := encodeGroup(g); ok {
			return b, nil
		}
	}
	return json.Marshal(v)
}

// encodeGroup writes g as encoding/json would, but for the order of the
// placements, which follows the members' rather than the sorted one: a
// sort of 100,000 keys is most of the cost. ok is false if a string needs
// escaping.
func encodeGroup(g portal.Group) (b []byte, ok bool) {
	n := 64 + len(g.ID) + len(g.Name)
	for _, s := range g.Licenses {
		n += len(s) + 3
	}
	for _, s := range g.Devices {
		n += 2*len(s) + 24 // in devices, and in placed with a license
	}
	b = make([]byte, 0, n)
	ok = true
	str := func(s string) {
		if !plain(s) {
			ok = false
		}
		b = append(b, '"')
		b = append(b, s...)
		b = append(b, '"')
	}
	list := func(ss []string) {
		if ss == nil {
			b = append(b, "null"...)
			return
		}
		b = append(b, '[')
		for i, s := range ss {
			if i > 0 {
				b = append(b, ',')
			}
			str(s)
		}
		b = append(b, ']')
	}
	b = append(b, `{"id":`...)
	str(g.ID)
	b = append(b, `,"name":`...)
	str(g.Name)
	b = append(b, `,"licenses":`...)
	list(g.Licenses)
	b = append(b, `,"devices":`...)
	list(g.Devices)
	b = append(b, `,"placed":`...)
	if g.Placed == nil {
		b = append(b, "null}"...)
		return b, ok
	}
	b = append(b, '{')
	first, written := true, 0
	pair := func(k, v string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		str(k)
		b = append(b, ':')
		str(v)
		written++
	}
	for _, d := range g.Devices {
		if l, in := g.Placed[d]; in {
			pair(d, l)
		}
	}
	b = append(b, "}}"...)
	// Placements of devices that are not members, or members listed
	// twice: encoding/json's path.
	return b, ok && written == len(g.Placed)
}

// plain reports whether s needs no escaping in JSON: printable ASCII
// without the characters encoding/json escapes.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x80, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}
