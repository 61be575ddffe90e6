package portal_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// D1: a device is registered with a fingerprint, an operating system
// (server or workstation) and its CPU and core counts; bad details get a
// typed error and change nothing.
func TestRegisterDevice_D1_Validation(t *testing.T) {
	h, st := dsHarness(t, 0)
	acme := h.as("acme")
	got := dsRegister(t, h, "acme", portal.Device{Fingerprint: "ws-1", OS: license.TypeWorkstation,
		CPUs: 1, Cores: 4, Apps: []string{"acme-backup"}, Registered: day("2020-01-01")})
	assert.Equal(t, h.clk.Now().UTC(), got.Registered, "the portal sets Registered")
	assert.Equal(t, []string{"acme-backup"}, got.Apps)

	with := func(change func(d *portal.Device)) portal.Device {
		d := dsServer("srv-1", "acme-backup")
		change(&d)
		return d
	}
	cases := []struct {
		name   string
		d      portal.Device
		reason error // matched besides ErrInvalidInput, when set
	}{
		{"ErrFingerprintRequired", with(func(d *portal.Device) { d.Fingerprint = "" }), license.ErrRequired},
		{"ErrFingerprintControl", with(func(d *portal.Device) { d.Fingerprint = "a\nb" }), license.ErrInvalidText},
		{"ErrFingerprintTooLong", with(func(d *portal.Device) { d.Fingerprint = strings.Repeat("f", 256) }), license.ErrInvalidText},
		{"ErrFingerprintNotUTF8", with(func(d *portal.Device) { d.Fingerprint = "\xff" }), license.ErrInvalidText},
		{"ErrNameControl", with(func(d *portal.Device) { d.Name = "bad\x00name" }), license.ErrInvalidText},
		{"ErrOSAny", with(func(d *portal.Device) { d.OS = license.TypeAny }), nil},
		{"ErrOSUnknown", with(func(d *portal.Device) { d.OS = 7 }), nil},
		{"ErrNegativeCPUs", with(func(d *portal.Device) { d.CPUs = -1 }), nil},
		{"ErrNegativeCores", with(func(d *portal.Device) { d.Cores = -8 }), nil},
		{"ErrFewerCoresThanCPUs", with(func(d *portal.Device) { d.CPUs, d.Cores = 4, 2 }), nil},
		{"ErrEmptyApp", with(func(d *portal.Device) { d.Apps = []string{""} }), license.ErrRequired},
		{"ErrDuplicateApp", with(func(d *portal.Device) { d.Apps = []string{"x", "y", "x"} }), nil},
		{"ErrGroupOnNewDevice", with(func(d *portal.Device) { d.Group = "site-1" }), nil},
		{"ErrGroupChanged", portal.Device{Fingerprint: "ws-1", OS: license.TypeWorkstation, Group: "site-1"}, nil},
	}
	before := dsOrg(t, st, "acme")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := acme.RegisterDevice(h.ctx, c.d)
			require.ErrorIs(t, err, license.ErrInvalidInput)
			if c.reason != nil {
				require.ErrorIs(t, err, c.reason)
			}
			dsUnchanged(t, st, "acme", before, "the refused registration")
		})
	}
	assert.Empty(t, dsEvents(h))

	// Zero counts mean unknown; a virtual machine is a device too.
	dsRegister(t, h, "acme", portal.Device{Fingerprint: "vm-1", OS: license.TypeServer, VM: true})
	devices, err := acme.Devices(h.ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"vm-1", "ws-1"}, dsFingerprints(devices))
}

// D1, D2: registration is idempotent by fingerprint: registering a device
// twice keeps one device and its registration time, takes one seat, and
// records nothing when nothing changed; new details update it in place.
func TestRegisterDevice_D1_D2_IdempotentByFingerprint(t *testing.T) {
	h, st := dsHarness(t, 0)
	acme := h.as("acme")
	dsAdd(t, h, "acme", seatsLicense("L-AUTO", 10), portal.KeyOptions{AutoDistribute: true})
	first := dsRegister(t, h, "acme", dsServer("a", "acme-backup"))
	h.at(day("2026-02-01"))
	again := dsRegister(t, h, "acme", dsServer("a", "acme-backup"))
	assert.Equal(t, first, again)

	renamed := dsServer("a", "acme-backup", "acme-db")
	renamed.Name = "renamed"
	got := dsRegister(t, h, "acme", renamed)
	assert.Equal(t, "renamed", got.Name)
	assert.Equal(t, []string{"acme-backup", "acme-db"}, got.Apps)
	assert.Equal(t, first.Registered, got.Registered, "the first registration's time")

	devices, err := acme.Devices(h.ctx)
	require.NoError(t, err)
	require.Len(t, devices, 1)
	assert.Equal(t, got, devices[0])
	u := dsUsage(t, h, "acme", "L-AUTO")
	assert.Equal(t, 1, u.Devices)
	assert.Equal(t, 1, u.Used)
	assert.Equal(t, []string{
		"admin@acme key.add L-AUTO L-AUTO acme-backup",
		"admin@acme device.register a server, 2 CPUs, 8 cores, apps: acme-backup",
		"auto-distribution seat.assign L-AUTO a",
		"admin@acme device.update a server, 2 CPUs, 8 cores, apps: acme-backup acme-db",
	}, dsActions(t, st, "acme"))

	// The returned device is a copy.
	got.Apps[0] = "changed"
	devices, err = acme.Devices(h.ctx)
	require.NoError(t, err)
	assert.Equal(t, "acme-backup", devices[0].Apps[0])
}

// D4, D6: registering a device again with new counts counts its seats
// again, which may raise the usage levels past the overage without refusal
// (the device is already licensed); a change its seats cannot count is
// refused and changes nothing.
func TestRegisterDevice_D4_D6_NewCountsRecountSeats(t *testing.T) {
	h, st := dsHarness(t, 0)
	acme := h.as("acme")
	dsAdd(t, h, "acme", license.License{ID: "L-CORE", Product: "acme-backup", Scheme: license.SchemePerCore,
		Quantity: 16, Expiry: day("2027-01-01")}, portal.KeyOptions{})
	dsAdd(t, h, "acme", license.License{ID: "L-VM", Product: "acme-vm", Scheme: license.SchemePerVM,
		Quantity: 4, Expiry: day("2027-01-01")}, portal.KeyOptions{})
	dsRegister(t, h, "acme", dsServer("a"))
	dsAssign(t, h, "acme", "L-CORE", "a")
	assert.Equal(t, 8, dsUsage(t, h, "acme", "L-CORE").Used)
	assert.Empty(t, dsEvents(h))

	grown := dsServer("a")
	grown.Cores = 16
	dsRegister(t, h, "acme", grown)
	assert.Equal(t, 16, dsUsage(t, h, "acme", "L-CORE").Used)
	assert.Equal(t, []string{"usage-level L-CORE info"}, dsEvents(h))

	grown.Cores = 20
	dsRegister(t, h, "acme", grown)
	u := dsUsage(t, h, "acme", "L-CORE")
	assert.Equal(t, 20, u.Used)
	assert.Equal(t, "critical", u.Level)
	assert.Equal(t, []string{"usage-level L-CORE critical", "restriction-exceeded L-CORE"}, dsEvents(h))

	vm := portal.Device{Fingerprint: "vm", OS: license.TypeServer, VM: true, CPUs: 1, Cores: 2}
	dsRegister(t, h, "acme", vm)
	dsAssign(t, h, "acme", "L-VM", "vm")
	before := dsOrg(t, st, "acme")
	vm.VM = false
	_, err := acme.RegisterDevice(h.ctx, vm)
	require.ErrorIs(t, err, portal.ErrSchemeMismatch, "a per-VM seat on a physical machine")
	dsUnchanged(t, st, "acme", before, "the refused registration")
	assert.Empty(t, dsEvents(h))
}

// D3: the devices on which no application is activated are those holding
// no seat; Devices lists them all, by fingerprint.
func TestUnactivatedDevices_D3(t *testing.T) {
	h, _ := dsHarness(t, 0)
	acme := h.as("acme")
	dsAdd(t, h, "acme", seatsLicense("L-DEV", 10), portal.KeyOptions{})
	dsAdd(t, h, "acme", license.License{ID: "L-USER", Scheme: license.SchemePerUser, Quantity: 10,
		Expiry: day("2027-01-01")}, portal.KeyOptions{})
	for _, fp := range []string{"c", "a", "b"} {
		dsRegister(t, h, "acme", dsServer(fp))
	}
	un, err := acme.UnactivatedDevices(h.ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c"}, dsFingerprints(un))

	dsAssign(t, h, "acme", "L-DEV", "b")
	_, err = acme.AssignUser(h.ctx, "L-USER", "alice@acme") // a user holds no device
	require.NoError(t, err)
	un, err = acme.UnactivatedDevices(h.ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "c"}, dsFingerprints(un))
	all, err := acme.Devices(h.ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c"}, dsFingerprints(all))

	require.NoError(t, acme.ReleaseSeat(h.ctx, "L-DEV", "b"))
	un, err = acme.UnactivatedDevices(h.ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c"}, dsFingerprints(un))

	// Another organization's devices are not listed.
	other, err := h.as("globex").UnactivatedDevices(h.ctx)
	require.NoError(t, err)
	assert.Empty(t, other)
}

// D1, D3, D6: removing a device releases its seats, which lowers the
// usage levels; removing it again is refused.
func TestRemoveDevice_D1_D3_D6_ReleasesSeats(t *testing.T) {
	h, st := dsHarness(t, 10)
	acme := h.as("acme")
	dsAdd(t, h, "acme", seatsLicense("L-DEV", 1), portal.KeyOptions{})
	dsAdd(t, h, "acme", license.License{ID: "L-CPU", Product: "acme-db", Scheme: license.SchemePerCPU,
		Quantity: 4, Expiry: day("2027-01-01")}, portal.KeyOptions{})
	dsRegister(t, h, "acme", dsServer("a"))
	dsRegister(t, h, "acme", dsServer("b"))
	dsAssign(t, h, "acme", "L-DEV", "a")
	dsAssign(t, h, "acme", "L-CPU", "a")
	dsAssign(t, h, "acme", "L-CPU", "b")
	assert.Equal(t, "info", dsUsage(t, h, "acme", "L-CPU").Level, "4 CPUs of 4")
	h.events()

	require.NoError(t, acme.RemoveDevice(h.ctx, "a"))
	assert.Zero(t, dsUsage(t, h, "acme", "L-DEV").Used)
	u := dsUsage(t, h, "acme", "L-CPU")
	assert.Equal(t, 2, u.Used)
	assert.Empty(t, u.Level)
	assert.Empty(t, dsEvents(h), "falling below 90 % sends nothing")
	devices, err := acme.Devices(h.ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"b"}, dsFingerprints(devices))
	actions := dsActions(t, st, "acme")
	assert.Equal(t, []string{
		"admin@acme seat.release L-CPU a",
		"admin@acme seat.release L-DEV a",
		"admin@acme device.remove a",
	}, actions[len(actions)-3:])

	before := dsOrg(t, st, "acme")
	require.ErrorIs(t, acme.RemoveDevice(h.ctx, "a"), portal.ErrNoSuchDevice)
	require.ErrorIs(t, acme.RemoveDevice(h.ctx, ""), license.ErrInvalidInput)
	dsUnchanged(t, st, "acme", before, "the refused removals")

	// The fingerprint can register again, as a new device.
	h.at(day("2026-03-01"))
	again := dsRegister(t, h, "acme", dsServer("a"))
	assert.Equal(t, day("2026-03-01"), again.Registered)
}

// D1: goroutines registering the same device at once register one device.
func TestRegisterDevice_D1_ConcurrentSameFingerprint(t *testing.T) {
	h, st := dsHarness(t, 0)
	acme := h.as("acme")
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			_, err := acme.RegisterDevice(h.ctx, dsServer("same"))
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	devices, err := acme.Devices(h.ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"same"}, dsFingerprints(devices))
	assert.Equal(t, []string{"admin@acme device.register same server, 2 CPUs, 8 cores"}, dsActions(t, st, "acme"))
	assert.Equal(t, h.clk.Now().UTC(), devices[0].Registered)
}

// D1, D3, G2: removing a device of a license group takes it out of the
// group, and the room it frees goes at once to the group's unplaced
// devices.
func TestRemoveDevice_D1_D3_G2_FreesRoomInItsGroup(t *testing.T) {
	h, _ := dsHarness(t, 0)
	acme := h.as("acme")
	require.NoError(t, acme.CreateGroup(h.ctx, "site", "Site"))
	dsAdd(t, h, "acme", seatsLicense("L-1", 1), portal.KeyOptions{})
	require.NoError(t, acme.AddToGroup(h.ctx, "site", "L-1"))
	dsRegister(t, h, "acme", dsServer("a"))
	dsRegister(t, h, "acme", dsServer("b"))
	require.NoError(t, acme.JoinGroup(h.ctx, "site", "a", "b"))
	g, err := acme.Group(h.ctx, "site")
	require.NoError(t, err)
	require.Equal(t, []string{"b"}, g.Unplaced)

	require.NoError(t, acme.RemoveDevice(h.ctx, "a"))
	g, err = acme.Group(h.ctx, "site")
	require.NoError(t, err)
	assert.Equal(t, []string{"b"}, g.Devices)
	assert.Empty(t, g.Unplaced)
	un, err := acme.UnactivatedDevices(h.ctx)
	require.NoError(t, err)
	assert.Empty(t, un, "b took a's seat")
	assert.Equal(t, 1, dsUsage(t, h, "acme", "L-1").Used)
}
