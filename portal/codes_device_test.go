package portal_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// cdUnactivated returns the fingerprints of org's devices with no
// activated application (D3).
func (h *wlHarness) cdUnactivated(org string) []string {
	h.tb.Helper()
	ds, err := h.as(org).UnactivatedDevices(h.ctx)
	require.NoError(h.tb, err)
	return dsFingerprints(ds)
}

// Redeeming an activation code activates the device: a fingerprint never
// registered is registered, and the device gets its seat of the license
// the code gave, so it is no longer listed among the devices with no
// activated application (K5, D3).
func TestRedeemCode_K5_D3_RegistersTheDeviceAndGivesItItsSeat(t *testing.T) {
	h := newWLHarness(t)
	codes := h.codes(cdTemplate("ACT"), 2, 1)
	_, err := h.as("acme").RegisterDevice(h.ctx, portal.Device{Fingerprint: "desk-1", OS: license.TypeWorkstation})
	require.NoError(t, err)
	require.Equal(t, []string{"desk-1"}, h.cdUnactivated("acme"))

	_, l, err := h.as("acme").RedeemCode(h.ctx, codes[0], "laptop-1")
	require.NoError(t, err)
	devices, err := h.as("acme").Devices(h.ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"desk-1", "laptop-1"}, dsFingerprints(devices), "the new fingerprint is registered")
	assert.Equal(t, []string{"acme-backup"}, devices[1].Apps)
	u := dsUsage(t, h.portalHarness, "acme", l.ID)
	assert.Equal(t, 1, u.Devices)
	assert.Equal(t, []string{"desk-1"}, h.cdUnactivated("acme"))

	_, l2, err := h.as("acme").RedeemCode(h.ctx, codes[1], "desk-1")
	require.NoError(t, err)
	assert.Equal(t, 1, dsUsage(t, h.portalHarness, "acme", l2.ID).Devices)
	assert.Empty(t, h.cdUnactivated("acme"), "a registered device gets its seat too")

	// Redeeming again from the same device changes nothing.
	orgs, v := h.snapshot()
	_, _, err = h.as("acme").RedeemCode(h.ctx, codes[1], "desk-1")
	require.NoError(t, err)
	orgs2, v2 := h.snapshot()
	assert.Equal(t, orgs, orgs2)
	assert.Equal(t, v, v2)
}

// When the device cannot have a seat of the code's license, RedeemCode
// refuses with a typed error, changes nothing and spends nothing: the code
// keeps its use for another device (K5, D3, D6).
func TestRedeemCode_K5_D3_NoSeatLeftRefusedAndCodeNotSpent(t *testing.T) {
	h := newWLHarness(t)
	perCore := cdTemplate("CORE")
	perCore.Scheme = license.SchemePerCore
	perCore.Quantity = 4
	coreCode := h.codes(perCore, 1, 1)[0]
	servers := cdTemplate("SRV")
	servers.Type = license.TypeServer
	serverCode := h.codes(servers, 1, 1)[0]
	_, err := h.as("acme").RegisterDevice(h.ctx, portal.Device{Fingerprint: "big", OS: license.TypeServer, CPUs: 2, Cores: 16})
	require.NoError(t, err)
	_, err = h.as("acme").RegisterDevice(h.ctx, portal.Device{Fingerprint: "desk", OS: license.TypeWorkstation})
	require.NoError(t, err)

	h.refused(t, portal.ErrRestrictionExceeded, func() error {
		_, _, err := h.as("acme").RedeemCode(h.ctx, coreCode, "big")
		return err
	})
	h.refused(t, portal.ErrTypeMismatch, func() error {
		_, _, err := h.as("acme").RedeemCode(h.ctx, serverCode, "desk")
		return err
	})

	// The codes still serve a device that fits.
	_, err = h.as("acme").RegisterDevice(h.ctx, portal.Device{Fingerprint: "small", OS: license.TypeServer, CPUs: 1, Cores: 4})
	require.NoError(t, err)
	_, l, err := h.as("acme").RedeemCode(h.ctx, coreCode, "small")
	require.NoError(t, err)
	assert.Equal(t, 4, dsUsage(t, h.portalHarness, "acme", l.ID).Used)
	_, _, err = h.as("acme").RedeemCode(h.ctx, serverCode, "new-server")
	require.NoError(t, err)
	assert.Equal(t, []string{"big", "desk"}, h.cdUnactivated("acme"))
}
