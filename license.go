package license

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/licensekit/license/internal/textfield"
	"github.com/licensekit/license/internal/wording"
)

// License is what a vendor grants a customer (rule L1). A vendor fills one
// in, signs it with [SigningKey.Sign] and sends the resulting license key;
// the customer's application gets it back from [Verifier.Verify].
//
// Instants are UTC (S12): a license valid until T is valid at T-1ns and
// expired at T. A license key stores instants to the nanosecond, as UTC,
// between the years 1678 and 2262.
//
// A License is a plain value: the zero value is not a valid license, and
// [License.Validate] says why.
type License struct {
	// ID is the license's serial number, unique among the vendor's licenses.
	ID string `json:"id"`
	// Product names the licensed product.
	Product string `json:"product"`
	// Edition is free text such as "standard" or "enterprise"; reserve
	// keys must match it exactly (R2).
	Edition string `json:"edition,omitempty"`
	// Type says which operating systems the license covers.
	Type Type `json:"type"`
	// Scheme says what the quantity counts. The zero value,
	// SchemeUnmetered, counts nothing.
	Scheme Scheme `json:"scheme"`
	// Quantity is the number of devices, virtual machines, CPUs, cores or
	// users the license covers. Required for a counted scheme, zero
	// otherwise.
	Quantity int `json:"quantity,omitempty"`
	// MinDevices is the smallest number of devices the license may be
	// sold for (D5); zero means no minimum. At most Quantity.
	MinDevices int `json:"min_devices,omitempty"`
	// Features are the entitlements the license grants. They form a set:
	// a license key stores them sorted, so the License that
	// [Verifier.Verify] returns lists them in sorted order.
	Features []string `json:"features,omitempty"`
	// Organization is the customer organization the license belongs to.
	Organization string `json:"organization,omitempty"`
	// IssuedAt is when the vendor issued the license. Required.
	IssuedAt time.Time `json:"issued_at"`
	// Start is the first instant at which the license grants anything
	// (L3). The zero value sets no start.
	Start time.Time `json:"start,omitzero"`
	// Expiry is the first instant at which the license no longer grants
	// anything (S12). The zero value sets no fixed expiry: the license is
	// perpetual, or has a Term.
	Expiry time.Time `json:"expiry,omitzero"`
	// Term is the length of a license whose validity starts at activation
	// rather than at issue, such as an annual subscription (L2). A license
	// has an Expiry, a Term, or neither (perpetual), never both. In JSON it
	// is a string such as "365d" or "720h".
	Term time.Duration `json:"-"`
	// ActivateBy is the latest instant at which a term license may be
	// activated (L2): adding it to an installation later is refused with
	// [ErrActivationClosed], and its term never ends later than
	// ActivateBy + Term, however often it is activated again (for example
	// after the installation's stored state was deleted). It needs a Term,
	// and is not before IssuedAt nor Start. The zero value sets no
	// deadline. A renewal key's deadline should leave room for an early
	// renewal, whose term starts at the old expiry (N3).
	ActivateBy time.Time `json:"activate_by,omitzero"`
	// Trial marks a trial license (S10): it must end, by Expiry or Term.
	Trial bool `json:"trial,omitempty"`
	// Partner names the channel partner that issued the license, if any.
	Partner string `json:"partner,omitempty"`
	// Custom holds the vendor's or customer's own data (V3). Keys are text
	// of at most 255 bytes; values are UTF-8 of at most 65,535 bytes.
	Custom map[string]string `json:"custom,omitempty"`
}

// MaxPayloadSize is the largest encoded license, in bytes, that a license
// key can carry. It keeps keys short enough to paste and bounds the work
// a verifier does on untrusted input.
const MaxPayloadSize = 32 << 10

// Validate reports whether the license is consistent and can be signed.
// It returns nil, or every problem found joined with errors.Join; each is
// a [*LicenseError] that matches [ErrInvalidLicense] and its reason, such
// as [ErrExpiryBeforeStart] or [ErrQuantityRequired].
func (l *License) Validate() error {
	if l == nil {
		return &LicenseError{Field: "License", Err: ErrRequired, Detail: "nil license"}
	}
	var errs []error
	add := func(field string, err error, detail string) {
		errs = append(errs, &LicenseError{Field: field, Err: err, Detail: detail})
	}
	text := func(field, s string, required bool) {
		if detail, err := textfield.Check(s, required); err != nil {
			add(field, err, detail)
		}
	}
	instant := func(field string, t time.Time, required bool) {
		if t.IsZero() {
			if required {
				add(field, ErrRequired, "")
			}
			return
		}
		if !inNanoRange(t) {
			add(field, ErrOutOfRange, t.UTC().Format(time.RFC3339)+" is outside 1678–2262")
		}
	}

	text("ID", l.ID, true)
	text("Product", l.Product, true)
	text("Edition", l.Edition, false)
	text("Organization", l.Organization, false)
	text("Partner", l.Partner, false)
	if l.Type > TypeWorkstation {
		add("Type", ErrUnknownType, "value "+strconv.Itoa(int(l.Type)))
	}
	switch {
	case int(l.Scheme) >= len(schemeNames):
		add("Scheme", ErrUnknownScheme, "value "+strconv.Itoa(int(l.Scheme)))
	case l.Quantity < 0 || l.Quantity > math.MaxInt32:
		add("Quantity", ErrOutOfRange, strconv.Itoa(l.Quantity))
	case l.Scheme.Counted() && l.Quantity == 0:
		add("Quantity", ErrQuantityRequired, "scheme "+l.Scheme.String())
	case !l.Scheme.Counted() && l.Quantity != 0:
		add("Quantity", ErrInconsistent, "an unmetered license has no quantity")
	}
	switch {
	case l.MinDevices < 0 || l.MinDevices > math.MaxInt32:
		add("MinDevices", ErrOutOfRange, strconv.Itoa(l.MinDevices))
	case l.MinDevices > l.Quantity:
		add("MinDevices", ErrInconsistent, fmt.Sprintf("minimum %d exceeds quantity %d", l.MinDevices, l.Quantity))
	}
	for i, f := range l.Features {
		// The field name is built only on error: decoded licenses pass
		// through here on every verification.
		if detail, err := textfield.Check(f, true); err != nil {
			add("Features["+strconv.Itoa(i)+"]", err, detail)
		}
	}
	if dup, ok := textfield.Duplicate(l.Features); ok {
		add("Features", ErrDuplicate, strconv.Quote(dup))
	}
	for k, v := range l.Custom {
		text("Custom key", k, true)
		if !utf8.ValidString(v) || len(v) > math.MaxUint16 {
			add("Custom["+strconv.Quote(k)+"]", ErrInvalidText, "values are UTF-8 of at most 65535 bytes")
		}
	}
	instant("IssuedAt", l.IssuedAt, true)
	instant("Start", l.Start, false)
	instant("Expiry", l.Expiry, false)
	instant("ActivateBy", l.ActivateBy, false)
	if !l.ActivateBy.IsZero() {
		switch {
		case l.Term <= 0:
			add("ActivateBy", ErrInconsistent, "an activation deadline needs a term")
		case !l.IssuedAt.IsZero() && l.ActivateBy.Before(l.IssuedAt):
			add("ActivateBy", ErrInconsistent, "activate by "+wording.Instant(l.ActivateBy)+", before its issue at "+wording.Instant(l.IssuedAt))
		case !l.Start.IsZero() && l.ActivateBy.Before(l.Start):
			add("ActivateBy", ErrInconsistent, "activate by "+wording.Instant(l.ActivateBy)+", before its start at "+wording.Instant(l.Start))
		}
	}
	if !l.Expiry.IsZero() {
		if !l.Start.IsZero() && !l.Expiry.After(l.Start) {
			add("Expiry", ErrExpiryBeforeStart, wording.Instant(l.Expiry)+" is not after "+wording.Instant(l.Start))
		}
		if !l.IssuedAt.IsZero() && !l.Expiry.After(l.IssuedAt) {
			add("Expiry", ErrInconsistent, "expires "+wording.Instant(l.Expiry)+", not after its issue at "+wording.Instant(l.IssuedAt))
		}
	}
	switch {
	case l.Term < 0:
		add("Term", ErrOutOfRange, l.Term.String())
	case l.Term > 0 && !l.Expiry.IsZero():
		add("Term", ErrExpiryAndTerm, "")
	case l.Trial && l.Term == 0 && l.Expiry.IsZero():
		add("Trial", ErrInconsistent, "a trial needs an expiry or a term")
	}
	if len(errs) == 0 && payloadSize(l) > MaxPayloadSize {
		add("License", ErrTooLarge, fmt.Sprintf("%d bytes encoded, at most %d", payloadSize(l), MaxPayloadSize))
	}
	return errors.Join(errs...)
}

// The range of instants that UnixNano represents exactly.
var (
	minInstant = time.Unix(0, math.MinInt64)
	maxInstant = time.Unix(0, math.MaxInt64)
)

func inNanoRange(t time.Time) bool {
	return !t.Before(minInstant) && !t.After(maxInstant)
}

// Period returns the interval [from, until) in which the license grants
// anything, given the instant it was activated. A zero from means no start;
// a zero until means no end (a perpetual license).
//
// A license with a fixed Expiry runs from its Start to its Expiry whatever
// the activation. A term license (L2) starts its term when it is activated,
// or at its Start if it was activated earlier (L3), and ends Term later,
// but never later than ActivateBy + Term when it has an activation
// deadline (L2); until it is activated, ok is false.
func (l *License) Period(activated time.Time) (from, until time.Time, ok bool) {
	from = l.Start
	if l.Term <= 0 {
		return from, l.Expiry, true
	}
	if activated.IsZero() {
		return time.Time{}, time.Time{}, false
	}
	if from.IsZero() || activated.After(from) {
		from = activated
	}
	until = from.Add(l.Term)
	if last := l.ActivateBy.Add(l.Term); !l.ActivateBy.IsZero() && until.After(last) {
		until = last
	}
	return from, until, true
}

// CanActivateAt reports whether the license may be activated at instant
// t: nil, or an error wrapping [ErrActivationClosed] once its ActivateBy
// has passed (L2).
func (l *License) CanActivateAt(t time.Time) error {
	if !l.ActivateBy.IsZero() && t.After(l.ActivateBy) {
		return fmt.Errorf("%w: %s had to be activated by %s", ErrActivationClosed, l.ID, wording.Instant(l.ActivateBy))
	}
	return nil
}

// ValidAt reports whether the license grants anything at instant t, given
// the instant it was activated (zero if never). It returns nil,
// [ErrNotYetValid] before the start (L3), [ErrExpired] at or after the end
// (S12), or [ErrNotActivated] for a term license not yet activated (L2).
// It judges the license's own dates only; trials, grace periods and
// revocations are the lifecycle's business.
func (l *License) ValidAt(t, activated time.Time) error {
	from, until, ok := l.Period(activated)
	switch {
	case !ok:
		return ErrNotActivated
	case !from.IsZero() && t.Before(from):
		return fmt.Errorf("%w: starts %s", ErrNotYetValid, wording.Instant(from))
	case !until.IsZero() && !t.Before(until):
		return fmt.Errorf("%w: ended %s", ErrExpired, wording.Instant(until))
	}
	return nil
}

// Type is the kind of operating system a license covers (L1). Reserve keys
// for virtual machines must match it (R2).
type Type uint8

// The license types. The zero value is TypeAny.
const (
	TypeAny         Type = iota // "any": servers and workstations alike
	TypeServer                  // "server"
	TypeWorkstation             // "workstation"
)

var typeNames = [...]string{TypeAny: "any", TypeServer: "server", TypeWorkstation: "workstation"}

// String returns the type's name, as ParseType reads it.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// ParseType reads a type name: "any", "server" or "workstation".
func ParseType(s string) (Type, error) {
	if i := slices.Index(typeNames[:], s); i >= 0 {
		return Type(i), nil
	}
	return 0, &LicenseError{Field: "Type", Err: ErrUnknownType, Detail: strconv.Quote(s) + "; want any, server or workstation"}
}

// MarshalText writes the type's name.
func (t Type) MarshalText() ([]byte, error) {
	if int(t) >= len(typeNames) {
		return nil, &LicenseError{Field: "Type", Err: ErrUnknownType, Detail: t.String()}
	}
	return []byte(t.String()), nil
}

// UnmarshalText reads a type name with [ParseType].
func (t *Type) UnmarshalText(b []byte) error {
	v, err := ParseType(string(b))
	if err == nil {
		*t = v
	}
	return err
}

// Scheme is what a license's quantity counts (L1).
type Scheme uint8

// The licensing schemes. The zero value, SchemeUnmetered, counts nothing.
const (
	SchemeUnmetered Scheme = iota // "unmetered": no quantity
	SchemePerDevice               // "device": one per device
	SchemePerVM                   // "vm": one per virtual machine
	SchemePerCPU                  // "cpu": one per physical CPU
	SchemePerCore                 // "core": one per CPU core
	SchemePerUser                 // "user": one per user or mailbox
	// SchemeFloating ("floating") counts concurrent leases across all
	// devices (F1): the license server lends one of Quantity leases to a
	// device while it runs and takes it back when the lease lapses.
	// Encoders older than this value refuse it as an unknown scheme,
	// which is why it needs no new format version.
	SchemeFloating
)

var schemeNames = [...]string{
	SchemeUnmetered: "unmetered",
	SchemePerDevice: "device",
	SchemePerVM:     "vm",
	SchemePerCPU:    "cpu",
	SchemePerCore:   "core",
	SchemePerUser:   "user",
	SchemeFloating:  "floating",
}

// Counted reports whether the scheme counts something, so that a license
// under it needs a quantity. Every scheme but SchemeUnmetered does;
// SchemeFloating counts concurrent leases rather than devices.
func (s Scheme) Counted() bool { return s != SchemeUnmetered }

// String returns the scheme's name, as ParseScheme reads it.
func (s Scheme) String() string {
	if int(s) < len(schemeNames) {
		return schemeNames[s]
	}
	return "Scheme(" + strconv.Itoa(int(s)) + ")"
}

// ParseScheme reads a scheme name: "unmetered", "device", "vm", "cpu",
// "core", "user" or "floating".
func ParseScheme(s string) (Scheme, error) {
	if i := slices.Index(schemeNames[:], s); i >= 0 {
		return Scheme(i), nil
	}
	return 0, &LicenseError{Field: "Scheme", Err: ErrUnknownScheme, Detail: strconv.Quote(s) + "; want " + strings.Join(schemeNames[:], ", ")}
}

// MarshalText writes the scheme's name.
func (s Scheme) MarshalText() ([]byte, error) {
	if int(s) >= len(schemeNames) {
		return nil, &LicenseError{Field: "Scheme", Err: ErrUnknownScheme, Detail: s.String()}
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads a scheme name with [ParseScheme].
func (s *Scheme) UnmarshalText(b []byte) error {
	v, err := ParseScheme(string(b))
	if err == nil {
		*s = v
	}
	return err
}

// ParseTerm reads a term: a whole number of days such as "365d", or a Go
// duration such as "720h" or "90m". The term must be positive.
func ParseTerm(s string) (time.Duration, error) {
	bad := func(why string) error {
		return &LicenseError{Field: "Term", Err: ErrOutOfRange, Detail: strconv.Quote(s) + ": " + why}
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n > int64(math.MaxInt64/(24*time.Hour)) {
			return 0, bad("want a number of days such as 365d")
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, bad("want days such as 365d or a duration such as 720h")
		}
	}
	if d <= 0 {
		return 0, bad("must be positive")
	}
	return d, nil
}

// FormatTerm writes a term as ParseTerm reads it: whole days as "365d",
// anything else as a Go duration.
func FormatTerm(d time.Duration) string {
	const day = 24 * time.Hour
	if d > 0 && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return d.String()
}

// licenseJSON has License's fields without its methods, so that
// MarshalJSON and UnmarshalJSON can reuse the struct tags.
type licenseJSON License

type licenseWithTerm struct {
	*licenseJSON
	Term string `json:"term,omitempty"`
}

// MarshalJSON writes the license with its term as a string such as "365d".
func (l License) MarshalJSON() ([]byte, error) {
	aux := licenseWithTerm{licenseJSON: (*licenseJSON)(&l)}
	if l.Term != 0 {
		aux.Term = FormatTerm(l.Term)
	}
	return json.Marshal(aux)
}

// UnmarshalJSON reads a license written by MarshalJSON. Unknown fields are
// an error, so that a misspelt "expiry" cannot issue a perpetual license;
// on error the license is left unchanged.
func (l *License) UnmarshalJSON(b []byte) error {
	var v License
	aux := licenseWithTerm{licenseJSON: (*licenseJSON)(&v)}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&aux); err != nil {
		return fmt.Errorf("license: reading JSON: %w", err)
	}
	if aux.Term != "" {
		d, err := ParseTerm(aux.Term)
		if err != nil {
			return err
		}
		v.Term = d
	}
	*l = v
	return nil
}

// Clone returns a copy of l that shares no slice or map with it: a
// template can be filled in for each customer without changing the
// original.
func (l License) Clone() License {
	l.Features = slices.Clone(l.Features)
	l.Custom = maps.Clone(l.Custom)
	return l
}
