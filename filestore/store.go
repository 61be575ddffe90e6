package filestore

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/licensekit/license"
)

// LoadInstallation returns the state saved under id, with its version.
// Returns license.ErrNotFound if there is none, and an error wrapping
// license.ErrCorrupt if its file is damaged.
func (s *Store) LoadInstallation(ctx context.Context, id string) (license.InstallationState, error) {
	if err := s.check(ctx, id, 0); err != nil {
		return license.InstallationState{}, err
	}
	d := s.installation(id)
	h, err := s.lock(ctx, d, false, false)
	if errors.Is(err, errNoDoc) {
		return license.InstallationState{}, license.ErrNotFound
	}
	if err != nil {
		return license.InstallationState{}, err
	}
	defer h.unlock()
	var st license.InstallationState
	version, err := s.read(d, &st)
	if errors.Is(err, errNoDoc) {
		return license.InstallationState{}, license.ErrNotFound
	}
	if err != nil {
		return license.InstallationState{}, err
	}
	st.Version = version
	return st, nil
}

// SaveInstallation saves st under id if the stored version is st.Version
// (0 when nothing is stored yet), and returns the new version, one more.
// Returns license.ErrConflict otherwise, saving nothing, and an error
// wrapping license.ErrCorrupt, saving nothing, if the stored file is
// damaged. The check and the write hold the installation's lock, so they
// are atomic across processes as well.
func (s *Store) SaveInstallation(ctx context.Context, id string, st license.InstallationState) (int64, error) {
	if err := s.check(ctx, id, st.Version); err != nil {
		return 0, err
	}
	d := s.installation(id)
	h, err := s.lock(ctx, d, true, st.Version == 0)
	if errors.Is(err, errNoDoc) {
		return 0, license.ErrConflict // st.Version > 0, and nothing is stored
	}
	if err != nil {
		return 0, err
	}
	defer h.unlock()
	version, err := s.read(d, nil)
	if err != nil && !errors.Is(err, errNoDoc) {
		return 0, err
	}
	if version != st.Version {
		return 0, license.ErrConflict
	}
	st.Version = version + 1
	if err := s.write(d, st.Version, st); err != nil {
		return 0, err
	}
	return st.Version, nil
}

// DeleteInstallation deletes the state saved under id if its version is
// version, or if its file is damaged: a damaged file has no version to
// compare, and deleting it is how a Manager starts the installation again.
// Returns license.ErrNotFound if there is none, and license.ErrConflict if
// its version differs.
func (s *Store) DeleteInstallation(ctx context.Context, id string, version int64) error {
	if err := s.check(ctx, id, version); err != nil {
		return err
	}
	d := s.installation(id)
	h, err := s.lock(ctx, d, true, false)
	if errors.Is(err, errNoDoc) {
		return license.ErrNotFound
	}
	if err != nil {
		return err
	}
	defer h.unlock()
	stored, err := s.read(d, nil)
	switch {
	case errors.Is(err, errNoDoc):
		return license.ErrNotFound
	case errors.Is(err, license.ErrCorrupt):
	case err != nil:
		return err
	case stored != version:
		return license.ErrConflict
	}
	if err := os.Remove(d.path()); err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	if err := syncDir(d.dir); err != nil {
		return err
	}
	// The lock file goes too, still under the lock: its waiters notice
	// and start again (see lockFile). Failing to remove it is harmless.
	h.remove() //nolint:errcheck
	return nil
}
