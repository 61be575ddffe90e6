package portal_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// A revoked license stops counting in its organization at once: it leaves
// the key storage with its seats; and its ID is never used again, by
// anyone, in any way (C1).
func TestPortal_C1_RevokedLicenseStopsCountingAndIsNeverUsedAgain(t *testing.T) {
	h := newWLHarness(t)
	key := h.key(seatsLicense("SN-1", 10))
	_, err := h.as("acme").AddKey(h.ctx, key, portal.KeyOptions{})
	require.NoError(t, err)
	_, err = h.as("acme").RegisterDevice(h.ctx, portal.Device{Fingerprint: "fp-1", OS: license.TypeServer})
	require.NoError(t, err)
	_, err = h.as("acme").AssignSeat(h.ctx, "SN-1", "fp-1")
	require.NoError(t, err)

	h.at(day("2026-02-01"))
	ctx := portal.WithVendorActor(h.ctx, "carol@vendor")
	require.NoError(t, h.p.Revoke(ctx, "SN-1", "chargeback"))
	assert.Empty(t, h.keyIDs("acme"))
	unactivated, err := h.as("acme").UnactivatedDevices(h.ctx)
	require.NoError(t, err)
	assert.Len(t, unactivated, 1, "its seat went with it")
	assert.Contains(t, h.historyActions("acme"), "carol@vendor license.revoke SN-1")

	h.refused(t, portal.ErrLicenseRevoked, func() error {
		_, err := h.as("acme").AddKey(h.ctx, key, portal.KeyOptions{})
		return err
	})
	h.refused(t, portal.ErrLicenseRevoked, func() error {
		_, err := h.as("acme").Redeem(h.ctx, key, 0)
		return err
	})
	h.refused(t, portal.ErrLicenseRevoked, func() error {
		_, err := h.p.IssueUpgrade(h.ctx, "acme", "SN-1", []string{"acme-backup-pro"}, 5)
		return err
	})
	h.refused(t, portal.ErrOtherOrganization, func() error {
		_, err := h.as("globex").AddKey(h.ctx, key, portal.KeyOptions{})
		return err
	})

	// Revoking again changes nothing.
	orgs, v := h.snapshot()
	require.NoError(t, h.p.Revoke(ctx, "SN-1", "again"))
	orgs2, v2 := h.snapshot()
	assert.Empty(t, cmp.Diff(orgs, orgs2))
	assert.Empty(t, cmp.Diff(v, v2))
}

// A revoked license that went into the wallet takes out of the wallet
// what is left of it; what a term consumed stays consumed (C1, P2).
func TestPortal_C1_RevokedWalletLicensesLeaveTheWallet(t *testing.T) {
	h := newWLHarness(t)
	h.activate("acme", 4)
	h.redeem("acme", h.walletKey("W-1", 10), 4)
	h.redeem("acme", h.walletKey("W-2", 3), 0)
	require.Equal(t, 9, h.wallet("acme"))

	require.NoError(t, h.p.Revoke(h.ctx, "W-1", "refunded"))
	assert.Equal(t, 3, h.wallet("acme"), "W-1's 6 spare licenses left, W-2's stay")
	assert.Equal(t, 4, h.sub("acme").Paid)
	rs, err := h.as("acme").Redemptions(h.ctx)
	require.NoError(t, err)
	assert.Equal(t, day("2026-01-01"), rs[0].Revoked)
	assert.True(t, rs[1].Revoked.IsZero())

	require.NoError(t, h.p.Revoke(h.ctx, "W-1", "again"))
	assert.Equal(t, 3, h.wallet("acme"), "revoking again takes nothing more")
}

// A license ID the portal never saw can be revoked, and is then never
// taken; the portal never issues a revoked ID (C1).
func TestPortal_C1_UnknownLicenseRevokedIsNeverTaken(t *testing.T) {
	h := newWLHarness(t)
	require.NoError(t, h.p.Revoke(h.ctx, "SN-LEAKED", "published on a forum"))
	h.refused(t, portal.ErrLicenseRevoked, func() error {
		_, err := h.as("acme").AddKey(h.ctx, h.key(seatsLicense("SN-LEAKED", 10)), portal.KeyOptions{})
		return err
	})

	require.NoError(t, h.p.Revoke(h.ctx, "ACT-1", "pre-emptive"))
	code := h.codes(cdTemplate("ACT"), 1, 1)[0]
	_, l, err := h.as("acme").RedeemCode(h.ctx, code, "laptop")
	require.NoError(t, err)
	assert.Equal(t, "ACT-2", l.ID)
}

// Revoke refuses bad input with a typed error and changes nothing (C1).
func TestPortal_C1_RevokeBadInput(t *testing.T) {
	h := newWLHarness(t)
	for name, c := range map[string]struct{ id, reason string }{
		"NoID":        {"", "x"},
		"ControlChar": {"SN\x00", "x"},
		"LongReason":  {"SN-1", strings.Repeat("r", 256)},
	} {
		t.Run(name, func(t *testing.T) {
			h.refused(t, license.ErrInvalidInput, func() error { return h.p.Revoke(h.ctx, c.id, c.reason) })
		})
	}
}
