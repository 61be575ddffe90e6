package filestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// CreateOrganization saves a new organization under o.ID. Returns
// portal.ErrOrgExists if one with that ID exists (even a damaged one:
// nothing is overwritten), and an error wrapping license.ErrInvalidInput
// if o is nil or has no ID.
func (s *Store) CreateOrganization(ctx context.Context, o *portal.Organization) error {
	if o == nil {
		return fmt.Errorf("%w: nil organization", license.ErrInvalidInput)
	}
	if err := s.check(ctx, o.ID, 0); err != nil {
		return err
	}
	d := s.organization(o.ID)
	h, err := s.lock(ctx, d, true, true)
	if err != nil {
		return err
	}
	defer h.unlock()
	switch _, err := os.Lstat(d.path()); {
	case err == nil:
		return portal.ErrOrgExists
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("filestore: %w", err)
	}
	return s.write(d, 1, o)
}

// UpdateOrganization runs fn on a copy of the organization with that ID,
// freshly read from its file, and saves what fn leaves unless fn returns
// an error, which is returned. fn runs under the organization's exclusive
// lock, so no other update of it, in this process or another, runs in
// between; it may read or update other documents, but not this one.
// Returns license.ErrNotFound if there is no such organization, an error
// wrapping license.ErrCorrupt if its file is damaged, and one wrapping
// license.ErrInvalidInput if fn changes the organization's ID (nothing is
// saved then).
func (s *Store) UpdateOrganization(ctx context.Context, id string, fn func(*portal.Organization) error) error {
	if err := s.check(ctx, id, 0); err != nil {
		return err
	}
	if fn == nil {
		return fmt.Errorf("%w: nil function", license.ErrInvalidInput)
	}
	d := s.organization(id)
	h, err := s.lock(ctx, d, true, false)
	if errors.Is(err, errNoDoc) {
		return license.ErrNotFound
	}
	if err != nil {
		return err
	}
	defer h.unlock()
	o, version, err := s.readOrganization(d)
	if err != nil {
		return err
	}
	if err := fn(o); err != nil {
		return err
	}
	if o.ID != id {
		return fmt.Errorf("%w: the organization's ID changed from %q to %q", license.ErrInvalidInput, id, o.ID)
	}
	return s.write(d, version+1, o)
}

// ViewOrganization runs fn on a copy of the organization with that ID,
// freshly read from its file. The read holds the organization's shared
// lock; fn runs after it is released, on a copy nothing else sees, so fn
// may call the store. Returns license.ErrNotFound if there is no such
// organization, and an error wrapping license.ErrCorrupt if its file is
// damaged.
func (s *Store) ViewOrganization(ctx context.Context, id string, fn func(*portal.Organization) error) error {
	if err := s.check(ctx, id, 0); err != nil {
		return err
	}
	if fn == nil {
		return fmt.Errorf("%w: nil function", license.ErrInvalidInput)
	}
	d := s.organization(id)
	h, err := s.lock(ctx, d, false, false)
	if errors.Is(err, errNoDoc) {
		return license.ErrNotFound
	}
	if err != nil {
		return err
	}
	o, _, err := s.readOrganization(d)
	h.unlock()
	if err != nil {
		return err
	}
	return fn(o)
}

// readOrganization reads organization d, or returns license.ErrNotFound.
func (s *Store) readOrganization(d doc) (*portal.Organization, int64, error) {
	o := new(portal.Organization)
	version, err := s.read(d, o)
	switch {
	case errors.Is(err, errNoDoc):
		return nil, 0, license.ErrNotFound
	case err != nil:
		return nil, 0, err
	case o.ID != d.id:
		return nil, 0, corrupt(d, "holds the organization %q", o.ID)
	}
	return o, version, nil
}

// UpdateVendor runs fn on a copy of the vendor's document, freshly read
// from its file (an empty document if there is none yet), and saves what
// fn leaves unless fn returns an error, which is returned. fn runs under
// the document's exclusive lock, so no other update of it, in this
// process or another, runs in between; it may read or update
// organizations, but not the vendor's document. Returns an error wrapping
// license.ErrCorrupt if the file is damaged.
func (s *Store) UpdateVendor(ctx context.Context, fn func(*portal.Vendor) error) error {
	if err := s.check(ctx, vendorName, 0); err != nil {
		return err
	}
	if fn == nil {
		return fmt.Errorf("%w: nil function", license.ErrInvalidInput)
	}
	d := s.vendor()
	h, err := s.lock(ctx, d, true, true)
	if err != nil {
		return err
	}
	defer h.unlock()
	v, version, err := s.readVendor(d)
	if err != nil {
		return err
	}
	if err := fn(v); err != nil {
		return err
	}
	return s.write(d, version+1, v)
}

// ViewVendor runs fn on a copy of the vendor's document, freshly read
// from its file (an empty document if there is none yet). The read holds
// the document's shared lock; fn runs after it is released, on a copy
// nothing else sees. Returns an error wrapping license.ErrCorrupt if the
// file is damaged.
func (s *Store) ViewVendor(ctx context.Context, fn func(*portal.Vendor) error) error {
	if err := s.check(ctx, vendorName, 0); err != nil {
		return err
	}
	if fn == nil {
		return fmt.Errorf("%w: nil function", license.ErrInvalidInput)
	}
	d := s.vendor()
	var v *portal.Vendor
	h, err := s.lock(ctx, d, false, false)
	switch {
	case errors.Is(err, errNoDoc):
		v = emptyVendor(new(portal.Vendor))
	case err != nil:
		return err
	default:
		v, _, err = s.readVendor(d)
		h.unlock()
		if err != nil {
			return err
		}
	}
	return fn(v)
}

// readVendor reads the vendor's document, or returns an empty one, of
// version 0, if there is none.
func (s *Store) readVendor(d doc) (*portal.Vendor, int64, error) {
	v := new(portal.Vendor)
	version, err := s.read(d, v)
	if err != nil && !errors.Is(err, errNoDoc) {
		return nil, 0, err
	}
	return emptyVendor(v), version, nil
}

// emptyVendor gives v's nil customer index an empty map, as the portal
// does for a new vendor document, so that the portal can add to it (its
// tables need nothing).
func emptyVendor(v *portal.Vendor) *portal.Vendor {
	if v.Customers == nil {
		v.Customers = map[string][]string{}
	}
	return v
}
