package portal

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/licensekit/license/internal/textfield"

	"github.com/licensekit/license"
)

// Limits of what an organization keeps on each license of its key
// storage (V3). They keep an organization's document small.
const (
	// MaxSharesPerKey is how many people a license can be shared with.
	MaxSharesPerKey = 100
	// MaxCustomDataPerKey is how many custom data entries a license can
	// carry.
	MaxCustomDataPerKey = 50
)

// ShareKey shares license licenseID of the key storage with a person,
// such as an e-mail address (V3). Sharing is recorded in the history
// (P5); sharing again with the same person changes nothing and records
// nothing. The people a license is shared with are listed, sorted, in
// [KeyUsage].Shared.
//
// with is compared exactly; it must be valid text of at most 255 bytes,
// with no surrounding spaces. A license is shared with at most
// [MaxSharesPerKey] people.
//
// ShareKey returns an error wrapping ErrInvalidInput for a bad argument
// or a full list, ErrNoSuchKey when the key storage does not hold the
// license, and ErrNoAccess when the actor may not reach the organization.
func (s *OrgScope) ShareKey(ctx context.Context, licenseID, with string) error {
	if err := checkScopeArgs("license ID", licenseID, "share recipient", with); err != nil {
		return err
	}
	return s.editKey(ctx, licenseID, func(k *OrgKey) (string, string, error) {
		i, found := slices.BinarySearch(k.Shared, with)
		if found {
			return "", "", nil
		}
		if len(k.Shared) >= MaxSharesPerKey {
			return "", "", fmt.Errorf("%w: %s is already shared with %d people, the most allowed",
				license.ErrInvalidInput, licenseID, len(k.Shared))
		}
		// A new slice, so that no other copy of the organization sees it.
		k.Shared = slices.Insert(slices.Clip(k.Shared), i, with)
		return "key.share", with, nil
	})
}

// UnshareKey stops sharing license licenseID with a person (V3). It is
// recorded in the history (P5); unsharing from someone the license is not
// shared with changes nothing and records nothing.
//
// UnshareKey returns an error wrapping ErrInvalidInput for a bad argument,
// ErrNoSuchKey when the key storage does not hold the license, and
// ErrNoAccess when the actor may not reach the organization.
func (s *OrgScope) UnshareKey(ctx context.Context, licenseID, with string) error {
	if err := checkScopeArgs("license ID", licenseID, "share recipient", with); err != nil {
		return err
	}
	return s.editKey(ctx, licenseID, func(k *OrgKey) (string, string, error) {
		i, found := slices.BinarySearch(k.Shared, with)
		if !found {
			return "", "", nil
		}
		k.Shared = slices.Delete(slices.Clone(k.Shared), i, i+1)
		if len(k.Shared) == 0 {
			k.Shared = nil
		}
		return "key.unshare", with, nil
	})
}

// SetCustomData sets the organization's own data entry key to value on
// license licenseID of the key storage (V3), such as a purchase order
// number or a cost centre. This data belongs to the organization, not to
// the signed license, whose own Custom field it never changes. It is
// listed in [KeyUsage].Custom. Each change is recorded in the history
// (P5), with the entry's key but not its value; setting the value an entry
// already has changes nothing and records nothing.
//
// key must be valid text of at most 255 bytes with no surrounding spaces;
// value must be valid text of at most 255 bytes and may be empty. A
// license carries at most [MaxCustomDataPerKey] entries.
//
// SetCustomData returns an error wrapping ErrInvalidInput for a bad
// argument or a full license, ErrNoSuchKey when the key storage does not
// hold the license, and ErrNoAccess when the actor may not reach the
// organization.
func (s *OrgScope) SetCustomData(ctx context.Context, licenseID, key, value string) error {
	if err := checkScopeArgs("license ID", licenseID, "custom data key", key); err != nil {
		return err
	}
	if detail, err := textfield.Check(value, false); err != nil {
		return invalidField("custom data value", err, detail)
	}
	return s.editKey(ctx, licenseID, func(k *OrgKey) (string, string, error) {
		old, had := k.Custom[key]
		if had && old == value {
			return "", "", nil
		}
		if !had && len(k.Custom) >= MaxCustomDataPerKey {
			return "", "", fmt.Errorf("%w: %s already carries %d custom data entries, the most allowed",
				license.ErrInvalidInput, licenseID, len(k.Custom))
		}
		if k.Custom == nil {
			k.Custom = map[string]string{}
		}
		k.Custom[key] = value
		return "key.custom.set", key, nil
	})
}

// DeleteCustomData deletes the organization's data entry key from
// license licenseID (V3). It is recorded in the history (P5); deleting an
// entry the license does not carry changes nothing and records nothing.
//
// DeleteCustomData returns an error wrapping ErrInvalidInput for a bad
// argument, ErrNoSuchKey when the key storage does not hold the license,
// and ErrNoAccess when the actor may not reach the organization.
func (s *OrgScope) DeleteCustomData(ctx context.Context, licenseID, key string) error {
	if err := checkScopeArgs("license ID", licenseID, "custom data key", key); err != nil {
		return err
	}
	return s.editKey(ctx, licenseID, func(k *OrgKey) (string, string, error) {
		if _, had := k.Custom[key]; !had {
			return "", "", nil
		}
		delete(k.Custom, key)
		if len(k.Custom) == 0 {
			k.Custom = nil
		}
		return "key.custom.delete", key, nil
	})
}

// editKey runs edit on license id of the key storage, atomically. edit
// returns the history action and detail of its change, or an empty action
// when it changed nothing, which records nothing. It fails with
// ErrNoSuchKey, edit's error or ErrNoAccess.
func (s *OrgScope) editKey(ctx context.Context, id string, edit func(k *OrgKey) (action, detail string, err error)) error {
	return s.update(ctx, func(o *Organization, now time.Time) ([]license.Event, error) {
		k, ok := o.Keys.Get(id)
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrNoSuchKey, id)
		}
		action, detail, err := edit(&k)
		if err != nil || action == "" {
			return nil, err
		}
		o.Keys.Put(id, k)
		o.record(s.actor, now, action, id, detail)
		return nil, nil
	})
}

// checkScopeArgs checks pairs of names and required identifiers: valid text of
// at most 255 bytes, not empty, with no surrounding spaces. It returns an
// error wrapping ErrInvalidInput and the reason (ErrRequired or
// ErrInvalidText) for the first bad one.
func checkScopeArgs(nameValues ...string) error {
	for i := 0; i+1 < len(nameValues); i += 2 {
		name, v := nameValues[i], nameValues[i+1]
		detail, err := textfield.Check(v, true)
		if err == nil && strings.TrimSpace(v) != v {
			detail, err = "surrounding spaces", license.ErrInvalidText
		}
		if err != nil {
			return invalidField(name, err, detail)
		}
	}
	return nil
}
