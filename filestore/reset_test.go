//go:build unix && !solaris && !aix

package filestore_test

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
	"github.com/licensekit/license/filestore"
)

// DeleteInstallation deletes a damaged document whatever the version
// given: its version cannot be read.
func TestStore_DeleteCorruptInstallation(t *testing.T) {
	dir := t.TempDir()
	s, err := filestore.Open(dir)
	require.NoError(t, err)
	_, err = s.SaveInstallation(ctx, "app", sampleState())
	require.NoError(t, err)
	path := filepath.Join(dir, "installations", hashed("app"))
	require.NoError(t, os.WriteFile(path, []byte("garbage"), 0o600))
	_, err = s.LoadInstallation(ctx, "app")
	require.ErrorIs(t, err, license.ErrCorrupt)

	require.NoError(t, s.DeleteInstallation(ctx, "app", 0))
	_, err = s.LoadInstallation(ctx, "app")
	assert.ErrorIs(t, err, license.ErrNotFound)
	assert.ErrorIs(t, s.DeleteInstallation(ctx, "app", 0), license.ErrNotFound)
}

// S9: an application whose state file was damaged still starts: the
// damage is reported, and the installation starts again as one whose
// trial was used, so that corrupting the file gains nothing.
func TestManager_S9_CorruptFileStartsWithTrialUsed(t *testing.T) {
	dir := t.TempDir()
	s, err := filestore.Open(dir)
	require.NoError(t, err)
	sum := sha256.Sum256([]byte("reset"))
	sk, err := license.GenerateSigningKey("acme", bytes.NewReader(sum[:]))
	require.NoError(t, err)
	v, err := license.NewVerifier(sk.VerifyingKey())
	require.NoError(t, err)
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var events []license.Event
	cfg := license.ManagerConfig{Verifier: v, Store: s, Clock: clk, OnEvent: func(e license.Event) { events = append(events, e) }}
	m, err := license.NewManager(ctx, cfg)
	require.NoError(t, err)
	require.NoError(t, m.StartTrial(ctx))

	path := filepath.Join(dir, "installations", hashed("default"))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	data[len(data)/2] ^= 0xff
	require.NoError(t, os.WriteFile(path, data, 0o600))

	m, err = license.NewManager(ctx, cfg)
	require.NoError(t, err, "a damaged state does not stop the application")
	assert.ErrorIs(t, m.Status().StateReset, license.ErrCorrupt)
	assert.Equal(t, license.EventStateReset, events[len(events)-1].Kind)
	assert.ErrorIs(t, m.StartTrial(ctx), license.ErrTrialUsed)

	m, err = license.NewManager(ctx, cfg)
	require.NoError(t, err)
	assert.ErrorIs(t, m.StartTrial(ctx), license.ErrTrialUsed, "the new state was saved")
	assert.ErrorIs(t, m.Status().StateReset, license.ErrCorrupt, "still reported after a restart")
}
