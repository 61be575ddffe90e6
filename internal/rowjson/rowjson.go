// Package rowjson decodes the records that a database store reads by the
// hundred thousand, seats and devices, from the JSON its rows keep.
//
// A placement run of a large license group reads every seat and device of
// the organization; through encoding/json, decoding them costs more than
// reading them from the database. Decode reads the JSON that
// encoding/json and PostgreSQL's jsonb write for these types directly, and
// hands anything else (escapes in strings, keys in another case, nulls,
// numbers that are not plain integers) to encoding/json, so that the
// result is always what json.Unmarshal gives.
package rowjson

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/licensekit/license/portal"
)

// errSlow: the input is not one the fast path reads.
var errSlow = errors.New("rowjson: not on the fast path")

// Decode decodes data into *v, which it first sets to V's zero value, as
// json.Unmarshal does. Seats and devices take the fast path when they
// can; other types go to encoding/json.
func Decode[V any](data []byte, v *V) error {
	var zero V
	*v = zero
	var err error
	switch p := any(v).(type) {
	case *portal.Seat:
		err = decodeSeat(data, p)
	case *portal.Device:
		err = decodeDevice(data, p)
	case *portal.Group:
		err = decodeGroup(data, p)
	default:
		return json.Unmarshal(data, v)
	}
	if err == nil {
		return nil
	}
	*v = zero
	return json.Unmarshal(data, v)
}

func decodeSeat(data []byte, s *portal.Seat) error {
	return object(data, func(key []byte, sc *scanner) error {
		switch string(key) {
		case "license":
			return sc.str(&s.License)
		case "device":
			return sc.str(&s.Device)
		case "user":
			return sc.str(&s.User)
		case "units":
			return sc.int(&s.Units)
		case "assigned":
			return sc.time(&s.Assigned)
		}
		return errSlow
	})
}

func decodeDevice(data []byte, d *portal.Device) error {
	return object(data, func(key []byte, sc *scanner) error {
		switch string(key) {
		case "fingerprint":
			return sc.str(&d.Fingerprint)
		case "name":
			return sc.str(&d.Name)
		case "os":
			b, err := sc.raw()
			if err != nil {
				return err
			}
			return d.OS.UnmarshalText(b[1 : len(b)-1])
		case "vm":
			return sc.bool(&d.VM)
		case "cpus":
			return sc.int(&d.CPUs)
		case "cores":
			return sc.int(&d.Cores)
		case "apps":
			return sc.strs(&d.Apps)
		case "registered":
			return sc.time(&d.Registered)
		case "group":
			return sc.str(&d.Group)
		}
		return errSlow
	})
}

func decodeGroup(data []byte, g *portal.Group) error {
	return object(data, func(key []byte, sc *scanner) error {
		switch string(key) {
		case "id":
			return sc.str(&g.ID)
		case "name":
			return sc.str(&g.Name)
		case "licenses":
			return sc.strs(&g.Licenses)
		case "devices":
			return sc.strs(&g.Devices)
		case "placed":
			return sc.strMap(&g.Placed)
		}
		return errSlow
	})
}

// scanner reads one JSON text from the start.
type scanner struct {
	b []byte
	i int
}

// object reads a JSON object with nothing after it, calling field for
// each key with the scanner at its value.
func object(data []byte, field func(key []byte, sc *scanner) error) error {
	sc := &scanner{b: data}
	if !sc.take('{') {
		return errSlow
	}
	if !sc.take('}') {
		for {
			key, err := sc.raw()
			if err != nil {
				return err
			}
			if !sc.take(':') {
				return errSlow
			}
			if err := field(key[1:len(key)-1], sc); err != nil {
				return err
			}
			if sc.take(',') {
				continue
			}
			if sc.take('}') {
				break
			}
			return errSlow
		}
	}
	sc.space()
	if sc.i != len(sc.b) {
		return errSlow
	}
	return nil
}

func (sc *scanner) space() {
	for sc.i < len(sc.b) {
		switch sc.b[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// take skips white space and then c, if c comes next.
func (sc *scanner) take(c byte) bool {
	sc.space()
	if sc.i < len(sc.b) && sc.b[sc.i] == c {
		sc.i++
		return true
	}
	return false
}

// raw returns the bytes of a string, quotes included, without escapes
// or control characters.
func (sc *scanner) raw() ([]byte, error) {
	if !sc.take('"') {
		return nil, errSlow
	}
	start := sc.i - 1
	for sc.i < len(sc.b) {
		c := sc.b[sc.i]
		sc.i++
		switch {
		case c == '"':
			return sc.b[start:sc.i], nil
		case c == '\\' || c < 0x20 || c >= 0x80:
			// Escapes, and bytes that may not be valid UTF-8, which
			// encoding/json replaces: its own path.
			return nil, errSlow
		}
	}
	return nil, errSlow
}

func (sc *scanner) str(s *string) error {
	b, err := sc.raw()
	if err != nil {
		return err
	}
	*s = string(b[1 : len(b)-1])
	return nil
}

func (sc *scanner) time(t *time.Time) error {
	b, err := sc.raw()
	if err != nil {
		return err
	}
	return t.UnmarshalJSON(b)
}

func (sc *scanner) int(n *int) error {
	sc.space()
	start := sc.i
	if sc.i < len(sc.b) && sc.b[sc.i] == '-' {
		sc.i++
	}
	digits := sc.i
	for sc.i < len(sc.b) && sc.b[sc.i] >= '0' && sc.b[sc.i] <= '9' {
		sc.i++
	}
	// Plain integers only: no leading zero, no fraction or exponent, and
	// few enough digits not to overflow.
	if d := sc.i - digits; d == 0 || d > 18 || (d > 1 && sc.b[digits] == '0') {
		return errSlow
	}
	if sc.i < len(sc.b) {
		switch sc.b[sc.i] {
		case '.', 'e', 'E':
			return errSlow
		}
	}
	v, err := strconv.Atoi(string(sc.b[start:sc.i]))
	if err != nil {
		return errSlow
	}
	*n = v
	return nil
}

func (sc *scanner) bool(v *bool) error {
	sc.space()
	rest := sc.b[sc.i:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		*v, sc.i = true, sc.i+4
	case len(rest) >= 5 && string(rest[:5]) == "false":
		*v, sc.i = false, sc.i+5
	default:
		return errSlow
	}
	return nil
}

// strMap reads an object of strings, into a new map as encoding/json
// does into a nil one; a null goes to encoding/json.
func (sc *scanner) strMap(v *map[string]string) error {
	if !sc.take('{') {
		return errSlow
	}
	m := *v
	if m == nil {
		m = map[string]string{}
	}
	if !sc.take('}') {
		for {
			var k, s string
			if err := sc.str(&k); err != nil {
				return err
			}
			if !sc.take(':') {
				return errSlow
			}
			if err := sc.str(&s); err != nil {
				return err
			}
			m[k] = s
			if sc.take(',') {
				continue
			}
			if sc.take('}') {
				break
			}
			return errSlow
		}
	}
	*v = m
	return nil
}

// strs reads an array of strings; a null, which leaves the slice as it
// is in encoding/json, goes to encoding/json.
func (sc *scanner) strs(v *[]string) error {
	if !sc.take('[') {
		return errSlow
	}
	out := []string{}
	if !sc.take(']') {
		for {
			var s string
			if err := sc.str(&s); err != nil {
				return err
			}
			out = append(out, s)
			if sc.take(',') {
				continue
			}
			if sc.take(']') {
				break
			}
			return errSlow
		}
	}
	*v = out
	return nil
}
