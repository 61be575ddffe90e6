package license

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/licensekit/license/internal/textfield"
)

// Errors of revocation lists.
var (
	// ErrMalformedRevocationList: the text is not a revocation list of
	// this package, or was cut or changed.
	ErrMalformedRevocationList = errors.New("license: malformed revocation list")
	// ErrStaleRevocationList: the list's serial is older than that of a
	// list already loaded; it never replaces it (C2).
	ErrStaleRevocationList = errors.New("license: revocation list older than the one loaded")
)

// revocationPrefix starts every revocation list: "LR" and the format
// version, then the signer's key ID.
const revocationPrefix = "LR"

// MaxRevocationListSize is the longest revocation list text, whitespace
// included, that VerifyRevocationList reads.
const MaxRevocationListSize = 16 << 20

// RevocationList is what the vendor revoked (C1), as a license server
// publishes it to applications, signed by the vendor's key (C2): the IDs
// of the licenses, activations (certificates) and signing keys revoked.
// Its Serial only grows: an application keeps the newest list it loaded
// and refuses an older one, so that nobody can undo a revocation by
// handing it an old list.
//
// Its text form is that of a license key with another prefix:
//
//	LR1.name+hash.payload.signature
//
// and the payload, in this order:
//
//	Serial                   u64, at least 1
//	Issued                   i64 Unix nanoseconds
//	Licenses, Activations,
//	SigningKeys              each a u24-length-prefixed list of
//	                         u8-length-prefixed IDs, strictly ascending
type RevocationList struct {
	Serial      uint64    `json:"serial"`
	Issued      time.Time `json:"issued"`
	Licenses    []string  `json:"licenses,omitempty"`     // license IDs
	Activations []string  `json:"activations,omitempty"`  // certificate IDs
	SigningKeys []string  `json:"signing_keys,omitempty"` // key IDs, as VerifyingKey.KeyID gives them
}

// Validate reports whether r can be signed: a serial, an issue instant,
// and IDs of printable text of at most 255 bytes. Its errors wrap
// ErrInvalidInput.
func (r *RevocationList) Validate() error {
	if r == nil {
		return fmt.Errorf("%w: no revocation list", ErrInvalidInput)
	}
	if r.Serial == 0 || r.Issued.IsZero() {
		return fmt.Errorf("%w: a revocation list needs a serial and an issue instant", ErrInvalidInput)
	}
	for _, ids := range [][]string{r.Licenses, r.Activations, r.SigningKeys} {
		for _, id := range ids {
			if why, err := textfield.Check(id, true); err != nil {
				return fmt.Errorf("%w: %w: revoked ID %s", ErrInvalidInput, err, why)
			}
		}
	}
	return nil
}

// RevokesLicense reports whether the list revokes the license with that ID.
func (r *RevocationList) RevokesLicense(id string) bool {
	_, ok := slices.BinarySearch(r.Licenses, id)
	return ok
}

// RevokesActivation reports whether the list revokes the activation with
// that ID.
func (r *RevocationList) RevokesActivation(id string) bool {
	_, ok := slices.BinarySearch(r.Activations, id)
	return ok
}

// RevokesSigningKey reports whether the list revokes the signing key with
// that key ID.
func (r *RevocationList) RevokesSigningKey(keyID string) bool {
	_, ok := slices.BinarySearch(r.SigningKeys, keyID)
	return ok
}

// SignRevocationList returns the text of list r, signed by k (C2). The
// IDs are written sorted, once each. It returns the error of
// [RevocationList.Validate] if r is not valid.
func (k *SigningKey) SignRevocationList(r *RevocationList) (string, error) {
	if err := k.usable(); err != nil {
		return "", err
	}
	if err := r.Validate(); err != nil {
		return "", err
	}
	b := cryptobyte.NewBuilder(nil)
	b.AddUint64(r.Serial)
	b.AddUint64(uint64(r.Issued.UnixNano()))
	for _, ids := range [][]string{r.Licenses, r.Activations, r.SigningKeys} {
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, id := range slices.Compact(slices.Sorted(slices.Values(ids))) {
				str8(b, id)
			}
		})
	}
	payload, err := b.Bytes()
	if err != nil {
		return "", fmt.Errorf("license: encoding revocation list %d: %w", r.Serial, err)
	}
	return k.sign(revocationPrefix+strconv.Itoa(Version)+"."+k.KeyID()+".", payload), nil
}

// VerifyRevocationList checks a revocation list's text against the
// trusted keys and returns the list, as [Verifier.Verify] does a license
// key: it fails with an error wrapping ErrMalformedRevocationList, a
// [*SignerError], ErrBadSignature or ErrUnsupportedVersion.
func (v *Verifier) VerifyRevocationList(text string) (*RevocationList, error) {
	p, err := parseSigned(text, revocationPrefix, MaxRevocationListSize, ErrMalformedRevocationList)
	if err != nil {
		return nil, err
	}
	if _, err := v.checkSignature(p); err != nil {
		return nil, err
	}
	d := decoder{all: string(p.payload), s: cryptobyte.String(p.payload)}
	r := &RevocationList{Serial: d.u64(), Issued: d.instant()}
	for _, ids := range []*[]string{&r.Licenses, &r.Activations, &r.SigningKeys} {
		var list cryptobyte.String
		if !d.s.ReadUint24LengthPrefixed(&list) {
			d.fail("short list")
			break
		}
		sub := decoder{all: d.all[:len(d.all)-len(d.s)], s: list, parent: &d}
		for !sub.s.Empty() && !d.bad {
			id := sub.str8()
			if n := len(*ids); n > 0 && id <= (*ids)[n-1] {
				d.fail("IDs not strictly ascending")
			}
			*ids = append(*ids, id)
		}
	}
	if !d.s.Empty() {
		d.fail("trailing bytes")
	}
	if d.bad {
		return nil, fmt.Errorf("%w: %s", ErrMalformedRevocationList, d.why)
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedRevocationList, err)
	}
	return r, nil
}

// loadedList is a revocation list a Verifier or a Manager has loaded,
// with the text it came from.
type loadedList struct {
	list *RevocationList
	text string
}

// serial returns the serial of the list, or 0 for none.
func (ll *loadedList) serial() uint64 {
	if ll == nil {
		return 0
	}
	return ll.list.Serial
}

// LoadRevocationList verifies a revocation list and, when it is newer
// than the one loaded, makes it the Verifier's (C2): from then on Verify
// refuses the licenses it names and VerifyCertificate the activations it
// names, with errors wrapping [ErrRevoked], and the trusted signing keys
// it names are retired, as Retire does (C3). Loading the list already
// loaded again does nothing.
//
// It fails, changing nothing, with the errors of VerifyRevocationList,
// or an error wrapping [ErrStaleRevocationList] for a list older than the
// one loaded: an old list never undoes a revocation.
func (v *Verifier) LoadRevocationList(text string) error {
	r, err := v.VerifyRevocationList(text)
	if err != nil {
		return err
	}
	_, err = v.loadList(&loadedList{list: r, text: text})
	return err
}

// loadList makes ll the Verifier's list if it is newer than the one it
// has, and retires the signing keys it names. It returns the list the
// Verifier holds then. An older list fails with ErrStaleRevocationList.
func (v *Verifier) loadList(ll *loadedList) (*loadedList, error) {
	for {
		cur := v.revoked.Load()
		switch {
		case ll.serial() < cur.serial():
			return cur, fmt.Errorf("%w: serial %d, %d is loaded", ErrStaleRevocationList, ll.serial(), cur.serial())
		case ll.serial() == cur.serial():
			return cur, nil
		}
		// Retire first: once the list is visible, no key it names is
		// accepted any more, from the cache or otherwise.
		for _, id := range ll.list.SigningKeys {
			if _, ok := v.keys[id]; ok {
				_ = v.Retire(id) // it trusts the key: Retire cannot fail
			}
		}
		if v.revoked.CompareAndSwap(cur, ll) {
			return ll, nil
		}
	}
}

// checkRevoked refuses a license the loaded revocation list names.
func (v *Verifier) checkRevoked(l *License) error {
	if ll := v.revoked.Load(); ll != nil && ll.list.RevokesLicense(l.ID) {
		return fmt.Errorf("%w: license %q is on revocation list %d", ErrRevoked, l.ID, ll.list.Serial)
	}
	return nil
}
