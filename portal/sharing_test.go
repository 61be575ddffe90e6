package portal_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// keyUsage returns the usage of license id in org's key storage.
func keyUsage(tb testing.TB, h *portalHarness, org, id string) portal.KeyUsage {
	tb.Helper()
	for _, k := range scopeKeys(tb, h, org) {
		if k.License.ID == id {
			return k
		}
	}
	tb.Fatalf("%s holds no %s", org, id)
	return portal.KeyUsage{}
}

// actions returns the action, subject and detail of each entry from the
// one numbered from on.
func actions(entries []portal.HistoryEntry, from int64) []string {
	var out []string
	for _, e := range entries {
		if e.Seq >= from {
			out = append(out, e.Action+" "+e.Subject+" "+e.Detail)
		}
	}
	return out
}

// TestShareKey_V3_ShareListAndUnshare: a license is shared with people,
// listed sorted in Keys, each change recorded once; sharing twice or
// unsharing someone it is not shared with changes nothing (V3, P5).
func TestShareKey_V3_ShareListAndUnshare(t *testing.T) {
	h := newPortalHarness(t)
	mustAddKey(t, h, "acme", h.key(seatsLicense("SN-A1", 10)))
	s := h.as("acme")
	h.at(day("2026-01-02"))
	require.NoError(t, s.ShareKey(h.ctx, "SN-A1", "bob@acme.example"))
	require.NoError(t, s.ShareKey(h.ctx, "SN-A1", "alice@acme.example"))
	require.NoError(t, s.ShareKey(h.ctx, "SN-A1", "bob@acme.example")) // again: idempotent
	assert.Equal(t, []string{"alice@acme.example", "bob@acme.example"}, keyUsage(t, h, "acme", "SN-A1").Shared)

	require.NoError(t, s.UnshareKey(h.ctx, "SN-A1", "bob@acme.example"))
	require.NoError(t, s.UnshareKey(h.ctx, "SN-A1", "bob@acme.example"))   // again: idempotent
	require.NoError(t, s.UnshareKey(h.ctx, "SN-A1", "Alice@acme.example")) // compared exactly
	assert.Equal(t, []string{"alice@acme.example"}, keyUsage(t, h, "acme", "SN-A1").Shared)
	require.NoError(t, s.UnshareKey(h.ctx, "SN-A1", "alice@acme.example"))
	assert.Empty(t, keyUsage(t, h, "acme", "SN-A1").Shared)

	hist := histAll(t, h, "acme")
	assert.Equal(t, []string{
		"key.share SN-A1 bob@acme.example",
		"key.share SN-A1 alice@acme.example",
		"key.unshare SN-A1 bob@acme.example",
		"key.unshare SN-A1 alice@acme.example",
	}, actions(hist, 3))
	assert.Equal(t, day("2026-01-02"), hist[len(hist)-1].At)

	// Sharing belongs to the key in storage: it goes with it.
	require.NoError(t, s.ShareKey(h.ctx, "SN-A1", "carol@acme.example"))
	require.NoError(t, s.RemoveKey(h.ctx, "SN-A1"))
	mustAddKey(t, h, "acme", h.key(seatsLicense("SN-A1", 10)))
	assert.Empty(t, keyUsage(t, h, "acme", "SN-A1").Shared)
}

// TestShareKey_V3_BadInputChangesNothing: a bad argument gets
// ErrInvalidInput with the reason, a license not in storage ErrNoSuchKey;
// nothing changes (V3).
func TestShareKey_V3_BadInputChangesNothing(t *testing.T) {
	h := newPortalHarness(t)
	mustAddKey(t, h, "acme", h.key(seatsLicense("SN-A1", 10)))
	s := h.as("acme")
	require.NoError(t, s.ShareKey(h.ctx, "SN-A1", "carol@acme"))
	keys, hist := scopeKeys(t, h, "acme"), histAll(t, h, "acme")

	for _, c := range []struct {
		name, id, with string
		reason         error
	}{
		{"EmptyLicenseID", "", "x@acme", license.ErrRequired},
		{"EmptyRecipient", "SN-A1", "", license.ErrRequired},
		{"ControlChar", "SN-A1", "x\x00@acme", license.ErrInvalidText},
		{"Newline", "SN-A1", "x@acme\n", license.ErrInvalidText},
		{"InvalidUTF8", "SN-A1", "x\xff@acme", license.ErrInvalidText},
		{"TooLong", "SN-A1", strings.Repeat("x", 256), license.ErrInvalidText},
		{"SurroundingSpaces", "SN-A1", " x@acme ", license.ErrInvalidText},
		{"LicenseIDSpaces", "SN-A1 ", "x@acme", license.ErrInvalidText},
		{"OnlySpaces", "SN-A1", "   ", license.ErrInvalidText},
	} {
		t.Run(c.name, func(t *testing.T) {
			for op, err := range map[string]error{
				"ShareKey":   s.ShareKey(h.ctx, c.id, c.with),
				"UnshareKey": s.UnshareKey(h.ctx, c.id, c.with),
			} {
				require.ErrorIs(t, err, license.ErrInvalidInput, op)
				require.ErrorIs(t, err, c.reason, op)
				assert.NotErrorIs(t, err, portal.ErrNoAccess, op)
			}
		})
	}
	t.Run("ErrNoSuchKey", func(t *testing.T) {
		err := s.ShareKey(h.ctx, "SN-NONE", "x@acme")
		require.ErrorIs(t, err, portal.ErrNoSuchKey)
		assert.Contains(t, err.Error(), "SN-NONE")
		require.ErrorIs(t, s.UnshareKey(h.ctx, "SN-NONE", "x@acme"), portal.ErrNoSuchKey)
	})
	assert.Equal(t, keys, scopeKeys(t, h, "acme"))
	assert.Equal(t, hist, histAll(t, h, "acme"))
}

// TestShareKey_V3_AtMostMaxSharesPerKey: a license is shared with at most
// MaxSharesPerKey people; one more gets ErrInvalidInput (V3).
func TestShareKey_V3_AtMostMaxSharesPerKey(t *testing.T) {
	h := newPortalHarness(t)
	mustAddKey(t, h, "acme", h.key(seatsLicense("SN-A1", 10)))
	s := h.as("acme")
	for i := range portal.MaxSharesPerKey {
		require.NoError(t, s.ShareKey(h.ctx, "SN-A1", fmt.Sprintf("u%03d@acme", i)))
	}
	hist := histAll(t, h, "acme")
	err := s.ShareKey(h.ctx, "SN-A1", "one-more@acme")
	require.ErrorIs(t, err, license.ErrInvalidInput)
	assert.Contains(t, err.Error(), "SN-A1")
	require.NoError(t, s.ShareKey(h.ctx, "SN-A1", "u000@acme"), "sharing again is no new share")
	assert.Equal(t, hist, histAll(t, h, "acme"))
	assert.Len(t, keyUsage(t, h, "acme", "SN-A1").Shared, portal.MaxSharesPerKey)

	require.NoError(t, s.UnshareKey(h.ctx, "SN-A1", "u042@acme"))
	require.NoError(t, s.ShareKey(h.ctx, "SN-A1", "one-more@acme"))
}

// TestCustomData_V3_SetListAndDelete: the organization keeps its own data
// on each license, listed in Keys, apart from the signed license's own
// custom data; each change is recorded with the entry's key (V3, P5).
func TestCustomData_V3_SetListAndDelete(t *testing.T) {
	h := newPortalHarness(t)
	l := seatsLicense("SN-A1", 10)
	l.Custom = map[string]string{"po": "signed-by-vendor"}
	mustAddKey(t, h, "acme", h.key(l))
	s := h.as("acme")
	h.at(day("2026-01-05"))

	require.NoError(t, s.SetCustomData(h.ctx, "SN-A1", "po", "PO-1"))
	require.NoError(t, s.SetCustomData(h.ctx, "SN-A1", "cost centre", "CC 9 — Lyon"))
	require.NoError(t, s.SetCustomData(h.ctx, "SN-A1", "note", ""))   // an empty value is a value
	require.NoError(t, s.SetCustomData(h.ctx, "SN-A1", "po", "PO-1")) // same value: nothing
	require.NoError(t, s.SetCustomData(h.ctx, "SN-A1", "po", "PO-2"))
	u := keyUsage(t, h, "acme", "SN-A1")
	assert.Equal(t, map[string]string{"po": "PO-2", "cost centre": "CC 9 — Lyon", "note": ""}, u.Custom)
	assert.Equal(t, map[string]string{"po": "signed-by-vendor"}, u.License.Custom, "the signed license changed")

	require.NoError(t, s.DeleteCustomData(h.ctx, "SN-A1", "po"))
	require.NoError(t, s.DeleteCustomData(h.ctx, "SN-A1", "po")) // again: nothing
	require.NoError(t, s.DeleteCustomData(h.ctx, "SN-A1", "note"))
	require.NoError(t, s.DeleteCustomData(h.ctx, "SN-A1", "cost centre"))
	assert.Empty(t, keyUsage(t, h, "acme", "SN-A1").Custom)

	hist := histAll(t, h, "acme")
	assert.Equal(t, []string{
		"key.custom.set SN-A1 po",
		"key.custom.set SN-A1 cost centre",
		"key.custom.set SN-A1 note",
		"key.custom.set SN-A1 po",
		"key.custom.delete SN-A1 po",
		"key.custom.delete SN-A1 note",
		"key.custom.delete SN-A1 cost centre",
	}, actions(hist, 3))
	for _, e := range hist[2:] {
		assert.NotContains(t, e.Detail, "PO-", "the history holds a value")
		assert.Equal(t, day("2026-01-05"), e.At)
	}
}

// TestCustomData_V3_BadInputChangesNothing: a bad key or value, a full
// license or a license not in storage is refused with a typed error and
// changes nothing (V3).
func TestCustomData_V3_BadInputChangesNothing(t *testing.T) {
	h := newPortalHarness(t)
	mustAddKey(t, h, "acme", h.key(seatsLicense("SN-A1", 10)))
	s := h.as("acme")
	require.NoError(t, s.SetCustomData(h.ctx, "SN-A1", "po", "PO-1"))
	keys, hist := scopeKeys(t, h, "acme"), histAll(t, h, "acme")

	for _, c := range []struct {
		name, id, key, value string
		reason               error
	}{
		{"EmptyLicenseID", "", "po", "v", license.ErrRequired},
		{"EmptyKey", "SN-A1", "", "v", license.ErrRequired},
		{"KeyTooLong", "SN-A1", strings.Repeat("k", 256), "v", license.ErrInvalidText},
		{"KeyControlChar", "SN-A1", "p\to", "v", license.ErrInvalidText},
		{"KeySpaces", "SN-A1", "po ", "v", license.ErrInvalidText},
		{"ValueTooLong", "SN-A1", "po", strings.Repeat("v", 256), license.ErrInvalidText},
		{"ValueControlChar", "SN-A1", "po", "PO\r\n2", license.ErrInvalidText},
		{"ValueInvalidUTF8", "SN-A1", "po", "\xc3\x28", license.ErrInvalidText},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := s.SetCustomData(h.ctx, c.id, c.key, c.value)
			require.ErrorIs(t, err, license.ErrInvalidInput)
			require.ErrorIs(t, err, c.reason)
			assert.NotEmpty(t, err.Error())
		})
	}
	for _, c := range []struct{ name, id, key string }{
		{"DeleteEmptyLicenseID", "", "po"},
		{"DeleteEmptyKey", "SN-A1", ""},
		{"DeleteKeyTooLong", "SN-A1", strings.Repeat("k", 256)},
	} {
		t.Run(c.name, func(t *testing.T) {
			require.ErrorIs(t, s.DeleteCustomData(h.ctx, c.id, c.key), license.ErrInvalidInput)
		})
	}
	t.Run("ErrNoSuchKey", func(t *testing.T) {
		require.ErrorIs(t, s.SetCustomData(h.ctx, "SN-NONE", "po", "v"), portal.ErrNoSuchKey)
		require.ErrorIs(t, s.DeleteCustomData(h.ctx, "SN-NONE", "po"), portal.ErrNoSuchKey)
	})
	t.Run("Longest", func(t *testing.T) {
		// 255 bytes each is allowed; it is set, then put back.
		require.NoError(t, s.SetCustomData(h.ctx, "SN-A1", strings.Repeat("k", 255), strings.Repeat("v", 255)))
		require.NoError(t, s.DeleteCustomData(h.ctx, "SN-A1", strings.Repeat("k", 255)))
		hist = histAll(t, h, "acme")
	})
	assert.Equal(t, keys, scopeKeys(t, h, "acme"))
	assert.Equal(t, hist, histAll(t, h, "acme"))
}

// TestCustomData_V3_AtMostMaxCustomDataPerKey: a license carries at most
// MaxCustomDataPerKey entries; changing one it carries is still allowed
// (V3).
func TestCustomData_V3_AtMostMaxCustomDataPerKey(t *testing.T) {
	h := newPortalHarness(t)
	mustAddKey(t, h, "acme", h.key(seatsLicense("SN-A1", 10)))
	s := h.as("acme")
	for i := range portal.MaxCustomDataPerKey {
		require.NoError(t, s.SetCustomData(h.ctx, "SN-A1", fmt.Sprintf("k%02d", i), "v"))
	}
	err := s.SetCustomData(h.ctx, "SN-A1", "one-more", "v")
	require.ErrorIs(t, err, license.ErrInvalidInput)
	assert.Len(t, keyUsage(t, h, "acme", "SN-A1").Custom, portal.MaxCustomDataPerKey)
	require.NoError(t, s.SetCustomData(h.ctx, "SN-A1", "k00", "changed"))
	require.NoError(t, s.DeleteCustomData(h.ctx, "SN-A1", "k01"))
	require.NoError(t, s.SetCustomData(h.ctx, "SN-A1", "one-more", "v"))
}

// TestSharing_V3_ListedDataIsACopy: changing what Keys returns changes
// nothing in the key storage, and a change made after a Keys call does
// not show through what it returned (V3).
func TestSharing_V3_ListedDataIsACopy(t *testing.T) {
	h := newPortalHarness(t)
	mustAddKey(t, h, "acme", h.key(seatsLicense("SN-A1", 10)))
	s := h.as("acme")
	require.NoError(t, s.ShareKey(h.ctx, "SN-A1", "b@acme"))
	require.NoError(t, s.ShareKey(h.ctx, "SN-A1", "d@acme"))
	require.NoError(t, s.SetCustomData(h.ctx, "SN-A1", "po", "PO-1"))

	u := keyUsage(t, h, "acme", "SN-A1")
	u.Shared[0] = "mallory"
	u.Custom["po"] = "forged"
	u.Custom["extra"] = "x"
	u = keyUsage(t, h, "acme", "SN-A1")
	assert.Equal(t, []string{"b@acme", "d@acme"}, u.Shared)
	assert.Equal(t, map[string]string{"po": "PO-1"}, u.Custom)

	require.NoError(t, s.ShareKey(h.ctx, "SN-A1", "a@acme"))
	require.NoError(t, s.SetCustomData(h.ctx, "SN-A1", "po", "PO-2"))
	assert.Equal(t, []string{"b@acme", "d@acme"}, u.Shared)
	assert.Equal(t, map[string]string{"po": "PO-1"}, u.Custom)
	assert.Equal(t, []string{"a@acme", "b@acme", "d@acme"}, keyUsage(t, h, "acme", "SN-A1").Shared)
}

// TestSharing_V3_PartnerManagesUnderDelegation: a partner the customer
// delegated to shares licenses and keeps custom data on them; its actions
// are recorded under its own organization (V3, V4, P5).
func TestSharing_V3_PartnerManagesUnderDelegation(t *testing.T) {
	h := newPortalHarness(t)
	mustAddKey(t, h, "acme", h.key(seatsLicense("SN-A1", 10)))
	mustDelegate(t, h, "acme", "reseller")
	at := day("2026-01-01").Add(3 * time.Hour)
	h.at(at)
	p := asPartner(h, "acme")
	require.NoError(t, p.ShareKey(h.ctx, "SN-A1", "it@acme"))
	require.NoError(t, p.SetCustomData(h.ctx, "SN-A1", "reseller-order", "R-77"))
	u := keyUsage(t, h, "acme", "SN-A1")
	assert.Equal(t, []string{"it@acme"}, u.Shared)
	assert.Equal(t, map[string]string{"reseller-order": "R-77"}, u.Custom)

	hist := histAll(t, h, "acme")
	for _, e := range hist[len(hist)-2:] {
		assert.Equal(t, "bob@reseller", e.Actor)
		assert.Equal(t, "reseller", e.Org)
		assert.Equal(t, at, e.At)
	}

	require.NoError(t, h.as("acme").Undelegate(h.ctx, "reseller"))
	require.ErrorIs(t, p.UnshareKey(h.ctx, "SN-A1", "it@acme"), portal.ErrNoAccess)
	require.ErrorIs(t, p.DeleteCustomData(h.ctx, "SN-A1", "reseller-order"), portal.ErrNoAccess)
	assert.Equal(t, u, keyUsage(t, h, "acme", "SN-A1"))
}
