package portal_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// Helpers of the key storage, device and seat tests (prefixed ds so that
// they cannot collide with the other portal tests' helpers).

// dsHarness returns a portal harness with the given overage (D6) over a
// MemoryPortalStore the test can read whole, for history and before/after
// comparisons.
func dsHarness(tb testing.TB, overage int) (*portalHarness, *portal.MemoryPortalStore) {
	tb.Helper()
	st := portal.NewMemoryPortalStore()
	h := newPortalHarness(tb, func(c *portal.PortalConfig) {
		c.Store = st
		c.Overage = overage
	})
	return h, st
}

// dsOrg returns a copy of organization org as stored.
func dsOrg(tb testing.TB, st *portal.MemoryPortalStore, org string) *portal.Organization {
	tb.Helper()
	var c *portal.Organization
	require.NoError(tb, st.ViewOrganization(context.Background(), org, func(o *portal.Organization) error {
		c = o.Clone()
		return nil
	}))
	return c
}

// dsActions returns the actions of org's history as "action subject
// detail" lines, skipping the organization's creation.
func dsActions(tb testing.TB, st *portal.MemoryPortalStore, org string) []string {
	tb.Helper()
	var out []string
	for _, e := range dsOrg(tb, st, org).History[1:] {
		out = append(out, strings.TrimSpace(e.Actor+" "+e.Action+" "+e.Subject+" "+e.Detail))
	}
	return out
}

// dsUnchanged fails the test if org differs from before.
func dsUnchanged(tb testing.TB, st *portal.MemoryPortalStore, org string, before *portal.Organization, what string) {
	tb.Helper()
	if diff := cmp.Diff(before, dsOrg(tb, st, org)); diff != "" {
		tb.Errorf("%s changed the organization (-before +after):\n%s", what, diff)
	}
}

// dsAdd adds the key of l to org's key storage.
func dsAdd(tb testing.TB, h *portalHarness, org string, l license.License, opts portal.KeyOptions) {
	tb.Helper()
	_, err := h.as(org).AddKey(h.ctx, h.key(l), opts)
	require.NoError(tb, err, "AddKey(%s)", l.ID)
}

// dsServer returns a physical server with fingerprint fp, 2 CPUs and 8
// cores, on which apps are installed.
func dsServer(fp string, apps ...string) portal.Device {
	return portal.Device{Fingerprint: fp, Name: "host " + fp, OS: license.TypeServer, CPUs: 2, Cores: 8, Apps: apps}
}

// dsRegister registers d in org.
func dsRegister(tb testing.TB, h *portalHarness, org string, d portal.Device) portal.Device {
	tb.Helper()
	got, err := h.as(org).RegisterDevice(h.ctx, d)
	require.NoError(tb, err, "RegisterDevice(%s)", d.Fingerprint)
	return got
}

// dsAssign gives device fp a seat of license id in org.
func dsAssign(tb testing.TB, h *portalHarness, org, id, fp string) portal.Seat {
	tb.Helper()
	seat, err := h.as(org).AssignSeat(h.ctx, id, fp)
	require.NoError(tb, err, "AssignSeat(%s, %s)", id, fp)
	return seat
}

// dsUsage returns the usage of license id in org's key storage.
func dsUsage(tb testing.TB, h *portalHarness, org, id string) portal.KeyUsage {
	tb.Helper()
	keys, err := h.as(org).Keys(h.ctx)
	require.NoError(tb, err)
	for _, k := range keys {
		if k.License.ID == id {
			return k
		}
	}
	tb.Fatalf("%s is not in %s's key storage", id, org)
	return portal.KeyUsage{}
}

// dsFingerprints returns the fingerprints of devices.
func dsFingerprints(devices []portal.Device) []string {
	out := []string{}
	for _, d := range devices {
		out = append(out, d.Fingerprint)
	}
	return out
}

// dsEvents returns the events delivered since the last call as "kind
// license" lines, with the level of usage-level events.
func dsEvents(h *portalHarness) []string {
	out := []string{}
	for _, e := range h.events() {
		line := string(e.Kind) + " " + e.License
		if e.Kind == portal.EventUsageLevel {
			i := strings.LastIndex(e.Detail, "(")
			line += " " + strings.TrimSuffix(e.Detail[i+1:], ")")
		}
		out = append(out, line)
	}
	return out
}

// D1: the key storage lists each key with its usage (which application,
// how many devices), and removing a key removes its seats.
func TestKeyStorage_D1_AddListRemoveWithUsage(t *testing.T) {
	h, st := dsHarness(t, 0)
	acme := h.as("acme")
	dev := seatsLicense("L-DEV", 10)
	cores := license.License{ID: "L-CORE", Product: "acme-db", Scheme: license.SchemePerCore, Quantity: 64,
		Expiry: day("2027-01-01")}
	devKey := h.key(dev)
	got, err := acme.AddKey(h.ctx, devKey, portal.KeyOptions{})
	require.NoError(t, err)
	assert.Equal(t, "L-DEV", got.ID)
	dsAdd(t, h, "acme", cores, portal.KeyOptions{AutoDistribute: false})

	_, err = acme.AddKey(h.ctx, devKey, portal.KeyOptions{})
	require.ErrorIs(t, err, portal.ErrKeyInStorage, "the same key twice")
	_, err = acme.AddKey(h.ctx, "not a key", portal.KeyOptions{})
	require.ErrorIs(t, err, license.ErrMalformedKey)

	for _, fp := range []string{"a", "b", "c"} {
		dsRegister(t, h, "acme", dsServer(fp))
	}
	dsAssign(t, h, "acme", "L-DEV", "a")
	dsAssign(t, h, "acme", "L-DEV", "b")
	dsAssign(t, h, "acme", "L-CORE", "a")

	keys, err := acme.Keys(h.ctx)
	require.NoError(t, err)
	require.Len(t, keys, 2)
	core, devU := keys[0], keys[1] // by license ID
	assert.Equal(t, "L-CORE", core.License.ID)
	assert.Equal(t, "acme-db", core.Application)
	assert.Equal(t, 1, core.Devices)
	assert.Equal(t, 8, core.Used, "per core: the device's 8 cores")
	assert.Equal(t, "L-DEV", devU.License.ID)
	assert.Equal(t, devKey, devU.Key)
	assert.Equal(t, "acme-backup", devU.Application)
	assert.Equal(t, 2, devU.Devices)
	assert.Equal(t, 2, devU.Used)
	assert.Equal(t, 2, devU.Billable)
	assert.Empty(t, devU.Level)
	assert.False(t, devU.AutoDistribute)

	require.NoError(t, acme.RemoveKey(h.ctx, "L-DEV"))
	keys, err = acme.Keys(h.ctx)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	assert.Equal(t, "L-CORE", keys[0].License.ID)
	un, err := acme.UnactivatedDevices(h.ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"b", "c"}, dsFingerprints(un), "b lost its only seat with L-DEV")
	require.ErrorIs(t, acme.RemoveKey(h.ctx, "L-DEV"), portal.ErrNoSuchKey)

	// The license stays acme's (P4): acme may add it again.
	_, err = acme.AddKey(h.ctx, devKey, portal.KeyOptions{})
	require.NoError(t, err)
	assert.Zero(t, dsUsage(t, h, "acme", "L-DEV").Devices, "removing a key removed its seats for good")

	assert.Equal(t, []string{
		"admin@acme key.add L-DEV L-DEV acme-backup",
		"admin@acme key.add L-CORE L-CORE acme-db",
		"admin@acme device.register a server, 2 CPUs, 8 cores",
		"admin@acme device.register b server, 2 CPUs, 8 cores",
		"admin@acme device.register c server, 2 CPUs, 8 cores",
		"admin@acme seat.assign L-DEV a",
		"admin@acme seat.assign L-DEV b",
		"admin@acme seat.assign L-CORE a",
		"admin@acme key.remove L-DEV L-DEV acme-backup",
		"admin@acme key.add L-DEV L-DEV acme-backup",
	}, dsActions(t, st, "acme"))
}

// D1, P4: a license made out to another organization is refused, and
// changes nothing.
func TestKeyStorage_D1_P4_LicenseOfAnotherOrganization(t *testing.T) {
	h, st := dsHarness(t, 0)
	l := seatsLicense("L-GLOBEX", 5)
	l.Organization = "globex"
	key := h.key(l)
	before := dsOrg(t, st, "acme")
	_, err := h.as("acme").AddKey(h.ctx, key, portal.KeyOptions{})
	require.ErrorIs(t, err, portal.ErrOtherOrganization)
	dsUnchanged(t, st, "acme", before, "the refused AddKey")
	_, err = h.as("globex").AddKey(h.ctx, key, portal.KeyOptions{})
	require.NoError(t, err, "the refusal claimed nothing")
}

// D1, P4: a license held by one organization cannot be added by another,
// even after the first removed it from its key storage.
func TestKeyStorage_D1_P4_SameLicenseInTwoOrganizations(t *testing.T) {
	h, st := dsHarness(t, 0)
	key := h.key(seatsLicense("L-1", 5))
	_, err := h.as("acme").AddKey(h.ctx, key, portal.KeyOptions{})
	require.NoError(t, err)

	before := dsOrg(t, st, "globex")
	_, err = h.as("globex").AddKey(h.ctx, key, portal.KeyOptions{})
	require.ErrorIs(t, err, portal.ErrOtherOrganization)
	dsUnchanged(t, st, "globex", before, "the refused AddKey")

	require.NoError(t, h.as("acme").RemoveKey(h.ctx, "L-1"))
	_, err = h.as("globex").AddKey(h.ctx, key, portal.KeyOptions{})
	require.ErrorIs(t, err, portal.ErrOtherOrganization, "a removed license stays its organization's")
}

// D1, P4: an actor of another organization gets ErrNoAccess from every
// key storage, device and seat operation, with the same error as for an
// organization that does not exist, and changes nothing.
func TestKeyStorage_D1_D3_P4_OtherOrganizationNoAccess(t *testing.T) {
	h, st := dsHarness(t, 0)
	dsAdd(t, h, "acme", seatsLicense("L-ACME", 5), portal.KeyOptions{})
	dsRegister(t, h, "acme", dsServer("a"))
	dsAssign(t, h, "acme", "L-ACME", "a")
	before := dsOrg(t, st, "acme")
	eve := portal.Actor{ID: "eve@globex", Org: "globex"}
	fresh := h.key(seatsLicense("L-NEW", 5))

	calls := map[string]func(s *portal.OrgScope) error{
		"AddKey": func(s *portal.OrgScope) error {
			_, err := s.AddKey(h.ctx, fresh, portal.KeyOptions{})
			return err
		},
		"Keys": func(s *portal.OrgScope) error {
			_, err := s.Keys(h.ctx)
			return err
		},
		"RemoveKey": func(s *portal.OrgScope) error { return s.RemoveKey(h.ctx, "L-ACME") },
		"RegisterDevice": func(s *portal.OrgScope) error {
			_, err := s.RegisterDevice(h.ctx, dsServer("evil"))
			return err
		},
		"Devices": func(s *portal.OrgScope) error {
			_, err := s.Devices(h.ctx)
			return err
		},
		"UnactivatedDevices": func(s *portal.OrgScope) error {
			_, err := s.UnactivatedDevices(h.ctx)
			return err
		},
		"RemoveDevice": func(s *portal.OrgScope) error { return s.RemoveDevice(h.ctx, "a") },
		"AssignSeat": func(s *portal.OrgScope) error {
			_, err := s.AssignSeat(h.ctx, "L-ACME", "a")
			return err
		},
		"AssignUser": func(s *portal.OrgScope) error {
			_, err := s.AssignUser(h.ctx, "L-ACME", "bob")
			return err
		},
		"ReleaseSeat": func(s *portal.OrgScope) error { return s.ReleaseSeat(h.ctx, "L-ACME", "a") },
		"ReleaseUser": func(s *portal.OrgScope) error { return s.ReleaseUser(h.ctx, "L-ACME", "bob") },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			errAcme := call(h.p.Org(eve, "acme"))
			errNone := call(h.p.Org(eve, "no-such-org"))
			require.ErrorIs(t, errAcme, portal.ErrNoAccess)
			require.ErrorIs(t, errNone, portal.ErrNoAccess)
			assert.Equal(t, errNone.Error(), errAcme.Error(), "the error reveals whether acme exists")
		})
	}
	dsUnchanged(t, st, "acme", before, "the refused calls")
	assert.Empty(t, dsEvents(h))

	// The refused AddKey claimed nothing: globex may add the license.
	_, err := h.as("globex").AddKey(h.ctx, fresh, portal.KeyOptions{})
	require.NoError(t, err)
}

// D2: a key marked for automatic distribution is deployed to the devices
// that need it: those with its product installed, of the type it covers,
// and with no seat of that product yet, while it has room; devices
// registered later get it at registration, once.
func TestKeyStorage_D2_AutoDistribution(t *testing.T) {
	h, st := dsHarness(t, 0)
	acme := h.as("acme")
	dsAdd(t, h, "acme", seatsLicense("L-MANUAL", 5), portal.KeyOptions{})
	dsRegister(t, h, "acme", dsServer("a", "acme-backup"))
	dsRegister(t, h, "acme", dsServer("b", "acme-backup", "acme-db"))
	dsRegister(t, h, "acme", dsServer("c", "acme-db"))
	dsRegister(t, h, "acme", dsServer("d"))
	ws := dsServer("w", "acme-backup")
	ws.OS = license.TypeWorkstation
	dsRegister(t, h, "acme", ws)
	dsAssign(t, h, "acme", "L-MANUAL", "a") // a already has acme-backup
	h.events()

	auto := seatsLicense("L-AUTO", 3)
	auto.Type = license.TypeServer
	dsAdd(t, h, "acme", auto, portal.KeyOptions{AutoDistribute: true})
	u := dsUsage(t, h, "acme", "L-AUTO")
	assert.True(t, u.AutoDistribute)
	assert.Equal(t, 1, u.Devices, "only b: a has a seat of the product, c and d lack it, w is a workstation")

	// A server registered later with the product gets it at once, and
	// registering it again takes no second seat.
	dsRegister(t, h, "acme", dsServer("e", "acme-backup"))
	dsRegister(t, h, "acme", dsServer("e", "acme-backup"))
	assert.Equal(t, 2, dsUsage(t, h, "acme", "L-AUTO").Used)
	// The third seat fills it (100 %: info, D6); the fourth finds no room.
	dsRegister(t, h, "acme", dsServer("f", "acme-backup"))
	dsRegister(t, h, "acme", dsServer("g", "acme-backup"))
	assert.Equal(t, 3, dsUsage(t, h, "acme", "L-AUTO").Used)
	assert.Equal(t, []string{"usage-level L-AUTO info"}, dsEvents(h))

	un, err := acme.UnactivatedDevices(h.ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"c", "d", "g", "w"}, dsFingerprints(un))

	var auto2 []string
	for _, e := range dsOrg(t, st, "acme").History {
		if e.Actor == "auto-distribution" {
			auto2 = append(auto2, e.Action+" "+e.Subject+" "+e.Detail)
		}
	}
	assert.Equal(t, []string{"seat.assign L-AUTO b", "seat.assign L-AUTO e", "seat.assign L-AUTO f"}, auto2)

	// Neither a key without the mark nor an expired one is distributed.
	dsRegister(t, h, "acme", dsServer("h", "acme-db"))
	dsAdd(t, h, "acme", license.License{ID: "L-DB", Product: "acme-db", Scheme: license.SchemePerDevice,
		Quantity: 10, Expiry: day("2026-06-01")}, portal.KeyOptions{})
	assert.Zero(t, dsUsage(t, h, "acme", "L-DB").Devices, "not marked")
	h.at(day("2026-07-01"))
	dsAdd(t, h, "acme", license.License{ID: "L-DB-OLD", Product: "acme-db", Scheme: license.SchemePerDevice,
		Quantity: 10, IssuedAt: day("2026-01-01"), Expiry: day("2026-06-01")}, portal.KeyOptions{AutoDistribute: true})
	assert.Zero(t, dsUsage(t, h, "acme", "L-DB-OLD").Devices, "expired")
	dsRegister(t, h, "acme", dsServer("i", "acme-db"))
	assert.Zero(t, dsUsage(t, h, "acme", "L-DB-OLD").Devices, "expired")
}

// D5: a license's minimum number of devices is a floor on what is billed
// (KeyUsage.Billable = max(Used, MinDevices)); it reserves no seat and
// changes neither the usage levels nor the overage.
func TestKeyUsage_D5_MinDevicesIsABillingFloor(t *testing.T) {
	h, _ := dsHarness(t, 0)
	l := seatsLicense("L-MIN", 10)
	l.MinDevices = 5
	dsAdd(t, h, "acme", l, portal.KeyOptions{})
	u := dsUsage(t, h, "acme", "L-MIN")
	assert.Equal(t, 0, u.Used)
	assert.Equal(t, 5, u.Billable, "billed for the minimum with no device")
	assert.Empty(t, u.Level)

	for i := range 10 {
		fp := fmt.Sprintf("d%02d", i)
		dsRegister(t, h, "acme", dsServer(fp))
		dsAssign(t, h, "acme", "L-MIN", fp)
		u := dsUsage(t, h, "acme", "L-MIN")
		assert.Equal(t, i+1, u.Used)
		assert.Equal(t, max(i+1, 5), u.Billable, "after %d seats", i+1)
	}
	// Ten seats of ten: the quantity, not the minimum, limits the seats.
	dsRegister(t, h, "acme", dsServer("d10"))
	_, err := h.as("acme").AssignSeat(h.ctx, "L-MIN", "d10")
	require.ErrorIs(t, err, portal.ErrRestrictionExceeded)
	assert.Equal(t, []string{"usage-level L-MIN info", "restriction-exceeded L-MIN"}, dsEvents(h))
}
