package sqlite

import (
	"context"
	"fmt"

	"github.com/licensekit/license"
	"github.com/licensekit/license/internal/sealed"
)

// LoadInstallation returns the state saved under id. It returns
// license.ErrNotFound if there is none, and an error matching
// license.ErrCorrupt if it fails its checksum or does not decode.
func (s *Store) LoadInstallation(ctx context.Context, id string) (license.InstallationState, error) {
	if err := sealed.CheckArgs(ctx, id, 0, checkID); err != nil {
		return license.InstallationState{}, err
	}
	var st license.InstallationState
	err := s.read(ctx, func(t *tx) error {
		version, data, sum, ok, err := loadInstallation(t, id)
		if err != nil {
			return err
		}
		if !ok {
			return license.ErrNotFound
		}
		if err := sealed.Decode(data, sum, &st); err != nil {
			return fmt.Errorf("%w: installation %q: %w", license.ErrCorrupt, id, err)
		}
		st.Version = version
		return nil
	})
	if err != nil {
		return license.InstallationState{}, err
	}
	return st, nil
}

func loadInstallation(t *tx, id string) (version int64, data, sum []byte, ok bool, err error) {
	ok, err = t.queryRow(sqlLoadInstallation, []any{id}, &version, &data, &sum)
	if err != nil {
		return 0, nil, nil, false, fmt.Errorf("sqlite: load installation %q: %w", id, err)
	}
	return version, data, sum, ok, nil
}

// SaveInstallation saves st under id if the stored version is st.Version
// (0: nothing is stored under id), and returns the new version, one more.
// It returns license.ErrConflict, saving nothing, if another writer
// changed or created it first.
func (s *Store) SaveInstallation(ctx context.Context, id string, st license.InstallationState) (int64, error) {
	if err := sealed.CheckArgs(ctx, id, st.Version, checkID); err != nil {
		return 0, err
	}
	base := st.Version
	st.Version = base + 1
	data, sum, err := sealed.Encode(st)
	if err != nil {
		return 0, fmt.Errorf("sqlite: save installation %q: %w", id, err)
	}
	err = s.write(ctx, func(t *tx) error {
		var res interface{ RowsAffected() (int64, error) }
		var err error
		if base == 0 {
			res, err = t.exec(sqlInsertInstallation, id, data, sum)
		} else {
			res, err = t.exec(sqlUpdateInstallation, data, sum, id, base)
		}
		if err != nil {
			return fmt.Errorf("sqlite: save installation %q: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return license.ErrConflict
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return base + 1, nil
}

// DeleteInstallation deletes the state saved under id if its version is
// version, or if the stored state is corrupt (its version cannot be
// trusted, and deleting it is how a Manager starts the installation
// again). It returns license.ErrNotFound if there is none, and
// license.ErrConflict if its version differs.
func (s *Store) DeleteInstallation(ctx context.Context, id string, version int64) error {
	if err := sealed.CheckArgs(ctx, id, version, checkID); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		stored, data, sum, ok, err := loadInstallation(t, id)
		if err != nil {
			return err
		}
		if !ok {
			return license.ErrNotFound
		}
		if stored != version && sealed.Decode(data, sum, new(license.InstallationState)) == nil {
			return license.ErrConflict
		}
		if _, err := t.exec(sqlDeleteInstallation, id); err != nil {
			return fmt.Errorf("sqlite: delete installation %q: %w", id, err)
		}
		return nil
	})
}

var (
	sqlLoadInstallation   = prepared("SELECT version, data, checksum FROM installations WHERE id = ?")
	sqlInsertInstallation = prepared("INSERT INTO installations (id, version, data, checksum) VALUES (?, 1, ?, ?) ON CONFLICT (id) DO NOTHING")
	sqlUpdateInstallation = prepared("UPDATE installations SET version = version + 1, data = ?, checksum = ? WHERE id = ? AND version = ?")
	sqlDeleteInstallation = prepared("DELETE FROM installations WHERE id = ?")
)
