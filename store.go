package license

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// Errors a [Store] returns.
var (
	// ErrNotFound: nothing is stored under that ID.
	ErrNotFound = errors.New("license: not found")
	// ErrConflict: the stored version is not the one the change was based
	// on; another writer got there first. Load again and retry.
	ErrConflict = errors.New("license: conflicting write")
	// ErrCorrupt: stored data was damaged (a checksum does not match, a
	// document does not decode). It is reported, never read as empty.
	ErrCorrupt = errors.New("license: stored data is corrupt")
	// ErrInvalidInput: an argument is empty, negative or malformed.
	ErrInvalidInput = errors.New("license: invalid input")
)

// Store keeps the state of installations, so that a restarted application
// picks up where it stopped and sends no event twice. Writes are
// conditional on the version read (optimistic concurrency), so two
// processes sharing a store never overwrite each other's changes. Every
// method returns ErrCorrupt rather than damaged data, and an error
// wrapping ErrInvalidInput for an empty ID or a negative version.
// Implementations must be safe for concurrent use; the package storetest
// checks one.
//
// A document that is corrupt has no version that can be read:
// DeleteInstallation deletes it whatever the version given, so that a
// Manager can start the installation again (S9).
type Store interface {
	// LoadInstallation returns the state saved under id. Returns
	// ErrNotFound if there is none.
	LoadInstallation(ctx context.Context, id string) (InstallationState, error)
	// SaveInstallation saves st under id if the stored version is
	// st.Version (0 when nothing is stored yet), and returns the new
	// version. Returns ErrConflict otherwise, saving nothing.
	SaveInstallation(ctx context.Context, id string, st InstallationState) (version int64, err error)
	// DeleteInstallation deletes the state saved under id if the stored
	// version is version, or if the stored state is corrupt. Returns
	// ErrNotFound if there is none, and ErrConflict if its version
	// differs.
	DeleteInstallation(ctx context.Context, id string, version int64) error
}

// InstallationState is what a [Manager] persists for one installation.
type InstallationState struct {
	Version int64       `json:"version"` // set by the Store
	Created time.Time   `json:"created"` // when the installation was first seen
	Keys    []KeyRecord `json:"keys"`    // the license keys held, in the order added
	History History     `json:"history"` // trial, revocation, deletion, latest time seen, usage
	Trials  int         `json:"trials"`  // trials started, by StartTrial or a trial key (S10)
	Sent    []string    `json:"sent"`    // IDs of the events recorded, sorted
	Outbox  []Event     `json:"outbox"`  // events recorded but maybe not yet delivered
	Renewed []string    `json:"renewed"` // licenses whose automatic renewal was attempted (R5)

	// Certificates are the activation certificates held, in the order
	// their activations were first accepted (A1–A5). A state saved
	// before certificates existed has none.
	Certificates []CertificateRecord `json:"certificates,omitempty"`
	// RevocationList is the text of the newest revocation list loaded
	// (C2), verified again on load, so that a restart never goes back to
	// an older one.
	RevocationList string `json:"revocation_list,omitempty"`
}

// CertificateRecord is an activation certificate an installation holds,
// as stored: the newest certificate of one activation, re-verified on
// load, and what happened to that activation here.
type CertificateRecord struct {
	ID      string    `json:"id"`               // the activation's ID, the certificates' ID
	Text    string    `json:"text"`             // the newest certificate's text
	Added   time.Time `json:"added"`            // when the activation was first accepted here
	Removed time.Time `json:"removed,omitzero"` // when it was removed after deactivation (A5)
	// Revoked is when a revocation list naming the activation was
	// loaded (C3); zero if none did.
	Revoked time.Time `json:"revoked,omitzero"`
	// RevokedLicenses is when a revocation list naming each of its
	// licenses was loaded (C3), by license ID.
	RevokedLicenses map[string]time.Time `json:"revoked_licenses,omitempty"`
}

// KeyRecord is a license key an installation holds, as stored: the key's
// text, re-verified on load, and what happened to it here.
type KeyRecord struct {
	Key       string    `json:"key"`
	Added     time.Time `json:"added"`
	Activated time.Time `json:"activated,omitzero"`
	Reserve   bool      `json:"reserve,omitempty"`
	Promoted  time.Time `json:"promoted,omitzero"`
	Revoked   time.Time `json:"revoked,omitzero"`
	Removed   time.Time `json:"removed,omitzero"` // kept, so that what it granted stays history
	RenewalOf string    `json:"renewal_of,omitempty"`
	Code      string    `json:"code,omitempty"`
}

// clone returns a deep copy, so that a Store never shares slices with its
// callers.
func (st InstallationState) clone() InstallationState {
	st.Keys = slices.Clone(st.Keys)
	st.Sent = slices.Clone(st.Sent)
	st.Outbox = slices.Clone(st.Outbox)
	st.Renewed = slices.Clone(st.Renewed)
	st.Certificates = slices.Clone(st.Certificates)
	for i := range st.Certificates {
		st.Certificates[i].RevokedLicenses = maps.Clone(st.Certificates[i].RevokedLicenses)
	}
	return st
}

// MemoryStore is a [Store] that keeps everything in memory: for tests,
// and for applications that do not need their state to outlive the
// process. The zero MemoryStore is ready to use; it is safe for
// concurrent use.
type MemoryStore struct {
	mu    sync.Mutex
	state map[string]InstallationState
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// LoadInstallation returns a copy of the state saved under id, or
// ErrNotFound.
func (s *MemoryStore) LoadInstallation(ctx context.Context, id string) (InstallationState, error) {
	if err := checkStoreArgs(ctx, id, 0); err != nil {
		return InstallationState{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.state[id]
	if !ok {
		return InstallationState{}, ErrNotFound
	}
	return st.clone(), nil
}

// SaveInstallation saves a copy of st under id if the stored version is
// st.Version, or returns ErrConflict.
func (s *MemoryStore) SaveInstallation(ctx context.Context, id string, st InstallationState) (int64, error) {
	if err := checkStoreArgs(ctx, id, st.Version); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state[id].Version != st.Version {
		return 0, ErrConflict
	}
	if s.state == nil {
		s.state = map[string]InstallationState{}
	}
	st = st.clone()
	st.Version++
	s.state[id] = st
	return st.Version, nil
}

// DeleteInstallation deletes the state saved under id if its version is
// version.
func (s *MemoryStore) DeleteInstallation(ctx context.Context, id string, version int64) error {
	if err := checkStoreArgs(ctx, id, version); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.state[id]
	switch {
	case !ok:
		return ErrNotFound
	case st.Version != version:
		return ErrConflict
	}
	delete(s.state, id)
	return nil
}

// checkStoreArgs checks what every Store method receives: a live context,
// an ID and a version that is not negative.
func checkStoreArgs(ctx context.Context, id string, version int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if id == "" {
		return fmt.Errorf("%w: empty ID", ErrInvalidInput)
	}
	if version < 0 {
		return fmt.Errorf("%w: negative version %d", ErrInvalidInput, version)
	}
	return nil
}
