package portal_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// lfUpgraded adds OLD (10 seats) to acme's key storage and upgrades it to
// a new license of acme-backup-pro; it returns OLD's key and the new
// license.
func lfUpgraded(t *testing.T, h *wlHarness) (string, *license.License) {
	t.Helper()
	old := h.key(seatsLicense("OLD", 10))
	_, err := h.as("acme").AddKey(h.ctx, old, portal.KeyOptions{})
	require.NoError(t, err)
	id, err := h.p.IssueUpgrade(h.ctx, "acme", "OLD", []string{"acme-backup-pro"}, 10)
	require.NoError(t, err)
	_, l, err := h.as("acme").Upgrade(h.ctx, id, "acme-backup-pro", 10)
	require.NoError(t, err)
	require.Equal(t, []string{l.ID}, h.keyIDs("acme"))
	return old, l
}

// The license traded in for an upgrade is replaced for good (V2): it
// cannot go back into the key storage, where it would count beside the
// new one, and the refusal changes nothing.
func TestPortal_V2_UpgradedLicenseCannotBeAddedAgain(t *testing.T) {
	h := newWLHarness(t)
	old, l := lfUpgraded(t, h)
	h.refused(t, portal.ErrLicenseReplaced, func() error {
		_, err := h.as("acme").AddKey(h.ctx, old, portal.KeyOptions{})
		return err
	})
	assert.Equal(t, []string{l.ID}, h.keyIDs("acme"))
}

// The license traded in for an upgrade cannot go into the wallet either
// (V2, P1).
func TestPortal_V2_P1_UpgradedLicenseCannotBeRedeemed(t *testing.T) {
	h := newWLHarness(t)
	old, _ := lfUpgraded(t, h)
	h.refused(t, portal.ErrLicenseReplaced, func() error {
		_, err := h.as("acme").Redeem(h.ctx, old, 0)
		return err
	})
	assert.Zero(t, h.wallet("acme"))
}

// Redeeming the activation code again from the same device gives its key
// back, but once that license was traded in for an upgrade it does not
// go back into the key storage (K5, V2).
func TestPortal_V2_K5_CodeRedeemedAgainDoesNotBringBackAnUpgradedLicense(t *testing.T) {
	h := newWLHarness(t)
	code := h.codes(cdTemplate("ACT"), 1, 1)[0]
	_, l, err := h.as("acme").RedeemCode(h.ctx, code, "laptop")
	require.NoError(t, err)
	id, err := h.p.IssueUpgrade(h.ctx, "acme", l.ID, []string{"acme-backup-pro"}, 10)
	require.NoError(t, err)
	_, nl, err := h.as("acme").Upgrade(h.ctx, id, "acme-backup-pro", 10)
	require.NoError(t, err)
	h.refused(t, portal.ErrLicenseReplaced, func() error {
		_, _, err := h.as("acme").RedeemCode(h.ctx, code, "laptop")
		return err
	})
	assert.Equal(t, []string{nl.ID}, h.keyIDs("acme"))
}

// A license put in the key storage has been put to use: removed from the
// storage, its licenses cannot then go into the wallet as well (P1, P2).
func TestPortal_P2_RemovedKeyCannotBeRedeemed(t *testing.T) {
	h := newWLHarness(t)
	r1 := h.walletKey("R1", 10)
	_, err := h.as("acme").AddKey(h.ctx, r1, portal.KeyOptions{})
	require.NoError(t, err)
	require.NoError(t, h.as("acme").RemoveKey(h.ctx, "R1"))
	h.refused(t, portal.ErrLicenseHeld, func() error {
		_, err := h.as("acme").Redeem(h.ctx, r1, 0)
		return err
	})
	assert.Zero(t, h.wallet("acme"))
	// It is still acme's, and may go back into its key storage (D1).
	_, err = h.as("acme").AddKey(h.ctx, r1, portal.KeyOptions{})
	require.NoError(t, err)
}

// A license redeemed into the wallet cannot go into the key storage, nor
// into another wallet, nor be upgraded (P1, P4, V2).
func TestPortal_P1_RedeemedLicenseHasNoOtherUse(t *testing.T) {
	h := newWLHarness(t)
	r1 := h.walletKey("R1", 10)
	h.redeem("acme", r1, 0)
	h.refused(t, portal.ErrKeyRedeemed, func() error {
		_, err := h.as("acme").AddKey(h.ctx, r1, portal.KeyOptions{})
		return err
	})
	h.refused(t, portal.ErrKeyRedeemed, func() error {
		_, err := h.as("acme").Redeem(h.ctx, r1, 0)
		return err
	})
	h.refused(t, portal.ErrOtherOrganization, func() error {
		_, err := h.as("globex").Redeem(h.ctx, r1, 0)
		return err
	})
	h.refused(t, portal.ErrKeyRedeemed, func() error {
		_, err := h.p.IssueUpgrade(h.ctx, "acme", "R1", []string{"acme-backup-pro"}, 10)
		return err
	})
	assert.Equal(t, 10, h.wallet("acme"))
}

// When the key storage fails after an upgrade was taken up, taking it up
// again the same way returns the same key and finishes the exchange: the
// new license in, the old one out; it stays refused with another product
// (V2).
func TestPortal_V2_UpgradeTakenUpAgainFinishesTheExchange(t *testing.T) {
	store := &cdOrgDownStore{MemoryPortalStore: portal.NewMemoryPortalStore()}
	h := newPortalHarness(t, func(c *portal.PortalConfig) { c.Store = store })
	mustAddKey(t, h, "acme", h.key(seatsLicense("OLD", 10)))
	id, err := h.p.IssueUpgrade(h.ctx, "acme", "OLD", []string{"acme-backup-pro", "acme-vault"}, 10)
	require.NoError(t, err)

	store.down.Store(true)
	key, _, err := h.as("acme").Upgrade(h.ctx, id, "acme-backup-pro", 5)
	require.ErrorIs(t, err, errOrgDown)
	store.down.Store(false)

	_, _, err = h.as("acme").Upgrade(h.ctx, id, "acme-vault", 5)
	require.ErrorIs(t, err, portal.ErrUpgradeUsed)
	again, l, err := h.as("acme").Upgrade(h.ctx, id, "acme-backup-pro", 5)
	require.NoError(t, err)
	assert.Equal(t, key, again)
	keys := scopeKeys(t, h, "acme")
	require.Len(t, keys, 1)
	assert.Equal(t, l.ID, keys[0].License.ID)

	_, err = h.p.IssueUpgrade(h.ctx, "acme", "OLD", []string{"acme-vault"}, 10)
	require.ErrorIs(t, err, portal.ErrLicenseReplaced, "a replaced license is offered no upgrade")
}
