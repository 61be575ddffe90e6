package portal_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// registerDays registers one device a day in acme, from the harness's
// clock on, and returns the instant after the last.
func registerDays(t *testing.T, h *portalHarness, days int) time.Time {
	t.Helper()
	for i := range days {
		_, err := h.as("acme").RegisterDevice(h.ctx, portal.Device{Fingerprint: fmt.Sprintf("pc-%02d", i), OS: license.TypeWorkstation, CPUs: 1, Cores: 2})
		require.NoError(t, err)
		h.clk.Add(license.Day)
	}
	return h.clk.Now()
}

// P5: the history is kept bounded by pruning what came before an instant,
// exported first as JSON Lines; what is left keeps its numbers, and the
// pruning is itself in the history.
func TestPruneHistory_P5_ExportsThenRemoves(t *testing.T) {
	h := newPortalHarness(t)
	registerDays(t, h, 10) // entries: organization.create, then pc-00 … pc-09
	before, _, err := h.as("acme").History(h.ctx, 0, portal.MaxPage)
	require.NoError(t, err)
	require.Len(t, before, 11)

	var out bytes.Buffer
	n, err := h.p.PruneHistory(h.ctx, "acme", day("2026-01-05"), &out)
	require.NoError(t, err)
	assert.Equal(t, 5, n, "organization.create and pc-00 … pc-03")

	var exported []portal.HistoryEntry
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var e portal.HistoryEntry
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e), "one JSON object a line")
		exported = append(exported, e)
	}
	require.Len(t, exported, 5)
	assert.Equal(t, int64(1), exported[0].Seq)
	assert.Equal(t, "device.register", exported[4].Action)
	assert.Equal(t, "pc-03", exported[4].Subject)

	left, next, err := h.as("acme").History(h.ctx, 0, portal.MaxPage)
	require.NoError(t, err)
	assert.Zero(t, next)
	require.Len(t, left, 7, "6 entries left and the pruning's own")
	assert.Equal(t, "history.prune", left[0].Action)
	assert.Equal(t, int64(12), left[0].Seq, "numbers go on")
	assert.Equal(t, "#1 to #5", left[0].Subject)
	assert.Equal(t, int64(6), left[6].Seq, "what is left keeps its numbers")

	// New entries go on numbering after the pruning.
	_, err = h.as("acme").RegisterDevice(h.ctx, portal.Device{Fingerprint: "late", OS: license.TypeWorkstation, CPUs: 1, Cores: 2})
	require.NoError(t, err)
	page, _, err := h.as("acme").History(h.ctx, 0, 1)
	require.NoError(t, err)
	assert.Equal(t, int64(13), page[0].Seq)

	// Nothing before the instant: nothing pruned, nothing recorded.
	out.Reset()
	n, err = h.p.PruneHistory(h.ctx, "acme", day("2026-01-01"), &out)
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Zero(t, out.Len())
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// P5: a history that cannot be exported is not pruned; bad arguments and
// unknown organizations are refused, changing nothing.
func TestPruneHistory_P5_RefusalsChangeNothing(t *testing.T) {
	h := newPortalHarness(t)
	end := registerDays(t, h, 3)
	before, _, err := h.as("acme").History(h.ctx, 0, portal.MaxPage)
	require.NoError(t, err)

	_, err = h.p.PruneHistory(h.ctx, "acme", end, failingWriter{})
	assert.ErrorContains(t, err, "disk full")
	_, err = h.p.PruneHistory(h.ctx, "acme", time.Time{}, &bytes.Buffer{})
	assert.ErrorIs(t, err, license.ErrInvalidInput)
	_, err = h.p.PruneHistory(h.ctx, "acme", end, nil)
	assert.ErrorIs(t, err, license.ErrInvalidInput)
	_, err = h.p.PruneHistory(h.ctx, "nope", end, &bytes.Buffer{})
	assert.ErrorIs(t, err, portal.ErrNoAccess)

	after, _, err := h.as("acme").History(h.ctx, 0, portal.MaxPage)
	require.NoError(t, err)
	assert.Equal(t, before, after)
}

// P5: the vendor's own history is pruned the same way.
func TestPruneVendorHistory_P5(t *testing.T) {
	h := newPortalHarness(t) // three organizations created: three vendor entries
	h.clk.Add(license.Day)
	var out bytes.Buffer
	n, err := h.p.PruneVendorHistory(h.ctx, h.clk.Now(), &out)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	assert.Equal(t, 3, bytes.Count(out.Bytes(), []byte("\n")))
	left, _, err := h.p.VendorHistory(h.ctx, 0, portal.MaxPage)
	require.NoError(t, err)
	require.Len(t, left, 1)
	assert.Equal(t, "history.prune", left[0].Action)
	assert.Equal(t, int64(4), left[0].Seq)
}
