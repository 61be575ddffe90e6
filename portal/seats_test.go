package portal_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// D1: each scheme counts what it licenses: one per device, one per
// virtual machine (virtual machines only), the CPUs, the cores, one per
// user; a server or workstation license seats only that type.
func TestAssignSeat_D1_UnitsByScheme(t *testing.T) {
	h, _ := dsHarness(t, 0)
	acme := h.as("acme")
	lic := func(id string, scheme license.Scheme, quantity int) license.License {
		return license.License{ID: id, Scheme: scheme, Quantity: quantity, Expiry: day("2027-01-01")}
	}
	srv := lic("L-SRV", license.SchemePerDevice, 10)
	srv.Type = license.TypeServer
	for _, l := range []license.License{
		lic("L-DEV", license.SchemePerDevice, 10),
		lic("L-VM", license.SchemePerVM, 10),
		lic("L-CPU", license.SchemePerCPU, 10),
		lic("L-CORE", license.SchemePerCore, 100),
		lic("L-USER", license.SchemePerUser, 10),
		lic("L-FREE", license.SchemeUnmetered, 0),
		srv,
	} {
		dsAdd(t, h, "acme", l, portal.KeyOptions{})
	}
	dsRegister(t, h, "acme", portal.Device{Fingerprint: "phys", OS: license.TypeServer, CPUs: 2, Cores: 24})
	dsRegister(t, h, "acme", portal.Device{Fingerprint: "vm", OS: license.TypeServer, VM: true, CPUs: 1, Cores: 4})
	dsRegister(t, h, "acme", portal.Device{Fingerprint: "ws", OS: license.TypeWorkstation})

	cases := []struct {
		license, device, user string
		units                 int
		err                   error
	}{
		{license: "L-DEV", device: "phys", units: 1},
		{license: "L-DEV", device: "vm", units: 1},
		{license: "L-VM", device: "vm", units: 1},
		{license: "L-VM", device: "phys", err: portal.ErrSchemeMismatch},
		{license: "L-CPU", device: "phys", units: 2},
		{license: "L-CPU", device: "ws", units: 1}, // unknown count: one
		{license: "L-CORE", device: "phys", units: 24},
		{license: "L-CORE", device: "vm", units: 4},
		{license: "L-USER", user: "alice@acme", units: 1},
		{license: "L-USER", user: "bob@acme", units: 1},
		{license: "L-USER", device: "phys", err: portal.ErrSchemeMismatch},
		{license: "L-DEV", user: "carol@acme", err: portal.ErrSchemeMismatch},
		{license: "L-SRV", device: "ws", err: portal.ErrTypeMismatch},
		{license: "L-SRV", device: "phys", units: 1},
		{license: "L-FREE", device: "phys", units: 0},
	}
	for _, c := range cases {
		var seat portal.Seat
		var err error
		if c.user != "" {
			seat, err = acme.AssignUser(h.ctx, c.license, c.user)
		} else {
			seat, err = acme.AssignSeat(h.ctx, c.license, c.device)
		}
		if c.err != nil {
			require.ErrorIs(t, err, c.err, "%s for %s%s", c.license, c.device, c.user)
			continue
		}
		require.NoError(t, err, "%s for %s%s", c.license, c.device, c.user)
		assert.Equal(t, portal.Seat{License: c.license, Device: c.device, User: c.user, Units: c.units,
			Assigned: h.clk.Now().UTC()}, seat)
	}
	used := map[string][2]int{}
	keys, err := acme.Keys(h.ctx)
	require.NoError(t, err)
	for _, k := range keys {
		used[k.License.ID] = [2]int{k.Devices, k.Used}
	}
	assert.Equal(t, map[string][2]int{ // license → {devices or users, units}
		"L-DEV": {2, 2}, "L-VM": {1, 1}, "L-CPU": {2, 3}, "L-CORE": {2, 28},
		"L-USER": {2, 2}, "L-FREE": {1, 0}, "L-SRV": {1, 1},
	}, used)
}

// D1: assigning a seat that exists returns it and takes no more units.
func TestAssignSeat_D1_Idempotent(t *testing.T) {
	h, st := dsHarness(t, 0)
	acme := h.as("acme")
	dsAdd(t, h, "acme", license.License{ID: "L-CORE", Scheme: license.SchemePerCore, Quantity: 64,
		Expiry: day("2027-01-01")}, portal.KeyOptions{})
	dsAdd(t, h, "acme", license.License{ID: "L-USER", Scheme: license.SchemePerUser, Quantity: 5,
		Expiry: day("2027-01-01")}, portal.KeyOptions{})
	dsRegister(t, h, "acme", dsServer("a"))
	first := dsAssign(t, h, "acme", "L-CORE", "a")
	u1, err := acme.AssignUser(h.ctx, "L-USER", "alice")
	require.NoError(t, err)
	before := dsOrg(t, st, "acme")

	h.at(day("2026-02-01"))
	second := dsAssign(t, h, "acme", "L-CORE", "a")
	assert.Equal(t, first, second, "the same seat, assigned at the first time")
	u2, err := acme.AssignUser(h.ctx, "L-USER", "alice")
	require.NoError(t, err)
	assert.Equal(t, u1, u2)
	assert.Equal(t, 8, dsUsage(t, h, "acme", "L-CORE").Used)
	assert.Equal(t, 1, dsUsage(t, h, "acme", "L-USER").Used)
	dsUnchanged(t, st, "acme", before, "assigning existing seats again")
}

// D1: an expired license takes no new seats (S12: it is expired at its
// expiry instant); seats it holds stay.
func TestAssignSeat_D1_ExpiredLicenseTakesNoNewSeats(t *testing.T) {
	h, st := dsHarness(t, 0)
	acme := h.as("acme")
	end := day("2026-06-01")
	dsAdd(t, h, "acme", license.License{ID: "L-OLD", Scheme: license.SchemePerDevice, Quantity: 10, Expiry: end},
		portal.KeyOptions{})
	dsAdd(t, h, "acme", license.License{ID: "L-LATER", Scheme: license.SchemePerDevice, Quantity: 10,
		Start: day("2026-09-01"), Expiry: day("2027-09-01")}, portal.KeyOptions{})
	for _, fp := range []string{"a", "b", "c"} {
		dsRegister(t, h, "acme", dsServer(fp))
	}
	dsAssign(t, h, "acme", "L-OLD", "a")
	h.at(end.Add(-time.Nanosecond))
	dsAssign(t, h, "acme", "L-OLD", "b")

	h.at(end)
	before := dsOrg(t, st, "acme")
	_, err := acme.AssignSeat(h.ctx, "L-OLD", "c")
	require.ErrorIs(t, err, license.ErrExpired)
	_, err = acme.AssignSeat(h.ctx, "L-LATER", "c")
	require.ErrorIs(t, err, license.ErrNotYetValid)
	dsUnchanged(t, st, "acme", before, "the refused seats")
	assert.Equal(t, 2, dsUsage(t, h, "acme", "L-OLD").Used, "the seats held stay")

	h.at(day("2026-09-01"))
	dsAssign(t, h, "acme", "L-LATER", "c")
}

// D1, D4: every refusal is a typed error and changes nothing: not the
// keys, the devices, the seats, the levels or the history. Only a seat
// refused for want of room delivers an event (D4).
func TestAssignSeat_D1_D4_RefusalsChangeNothing(t *testing.T) {
	h, st := dsHarness(t, 0)
	acme := h.as("acme")
	devKey := h.key(seatsLicense("L-DEV", 1))
	_, err := acme.AddKey(h.ctx, devKey, portal.KeyOptions{})
	require.NoError(t, err)
	dsAdd(t, h, "acme", license.License{ID: "L-USER", Scheme: license.SchemePerUser, Quantity: 1,
		Expiry: day("2027-01-01")}, portal.KeyOptions{})
	dsAdd(t, h, "acme", license.License{ID: "L-OLD", Scheme: license.SchemePerDevice, Quantity: 5,
		Expiry: day("2026-02-01")}, portal.KeyOptions{})
	dsRegister(t, h, "acme", dsServer("a"))
	dsRegister(t, h, "acme", dsServer("b"))
	dsAssign(t, h, "acme", "L-DEV", "a")
	_, err = acme.AssignUser(h.ctx, "L-USER", "alice")
	require.NoError(t, err)
	h.at(day("2026-03-01"))
	h.events()

	assign := func(id, fp string) func() error {
		return func() error { _, err := acme.AssignSeat(h.ctx, id, fp); return err }
	}
	assignUser := func(id, user string) func() error {
		return func() error { _, err := acme.AssignUser(h.ctx, id, user); return err }
	}
	cases := []struct {
		name  string
		call  func() error
		err   error
		event bool // a restriction-exceeded event is delivered
	}{
		{"AssignSeat/ErrLicenseIDRequired", assign("", "b"), license.ErrInvalidInput, false},
		{"AssignSeat/ErrFingerprintRequired", assign("L-DEV", ""), license.ErrInvalidInput, false},
		{"AssignSeat/ErrFingerprintControl", assign("L-DEV", "b\n"), license.ErrInvalidText, false},
		{"AssignSeat/ErrNoSuchKey", assign("L-NONE", "b"), portal.ErrNoSuchKey, false},
		{"AssignSeat/ErrNoSuchDevice", assign("L-DEV", "ghost"), portal.ErrNoSuchDevice, false},
		{"AssignSeat/ErrExpired", assign("L-OLD", "b"), license.ErrExpired, false},
		{"AssignSeat/ErrSchemeMismatch", assign("L-USER", "b"), portal.ErrSchemeMismatch, false},
		{"AssignSeat/ErrRestrictionExceeded", assign("L-DEV", "b"), portal.ErrRestrictionExceeded, true},
		{"AssignUser/ErrUserRequired", assignUser("L-USER", ""), license.ErrInvalidInput, false},
		{"AssignUser/ErrSchemeMismatch", assignUser("L-DEV", "bob"), portal.ErrSchemeMismatch, false},
		{"AssignUser/ErrRestrictionExceeded", assignUser("L-USER", "bob"), portal.ErrRestrictionExceeded, true},
		{"ReleaseSeat/ErrNoSuchSeat", func() error { return acme.ReleaseSeat(h.ctx, "L-DEV", "b") }, portal.ErrNoSuchSeat, false},
		{"ReleaseSeat/ErrNoSuchKey", func() error { return acme.ReleaseSeat(h.ctx, "L-NONE", "a") }, portal.ErrNoSuchKey, false},
		{"ReleaseSeat/ErrInvalidInput", func() error { return acme.ReleaseSeat(h.ctx, "L-DEV", "") }, license.ErrInvalidInput, false},
		{"ReleaseUser/ErrNoSuchSeat", func() error { return acme.ReleaseUser(h.ctx, "L-USER", "bob") }, portal.ErrNoSuchSeat, false},
		{"ReleaseUser/ErrWrongUser", func() error { return acme.ReleaseUser(h.ctx, "L-DEV", "alice") }, portal.ErrNoSuchSeat, false},
		{"RemoveDevice/ErrNoSuchDevice", func() error { return acme.RemoveDevice(h.ctx, "ghost") }, portal.ErrNoSuchDevice, false},
		{"RemoveKey/ErrNoSuchKey", func() error { return acme.RemoveKey(h.ctx, "L-NONE") }, portal.ErrNoSuchKey, false},
		{"AddKey/ErrKeyInStorage", func() error {
			_, err := acme.AddKey(h.ctx, devKey, portal.KeyOptions{AutoDistribute: true})
			return err
		}, portal.ErrKeyInStorage, false},
	}
	before := dsOrg(t, st, "acme")
	keysBefore, err := acme.Keys(h.ctx)
	require.NoError(t, err)
	devicesBefore, err := acme.Devices(h.ctx)
	require.NoError(t, err)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			require.ErrorIs(t, err, c.err)
			dsUnchanged(t, st, "acme", before, c.name)
			keys, err := acme.Keys(h.ctx)
			require.NoError(t, err)
			assert.Equal(t, keysBefore, keys)
			devices, err := acme.Devices(h.ctx)
			require.NoError(t, err)
			assert.Equal(t, devicesBefore, devices)
			evs := h.events()
			if !c.event {
				assert.Empty(t, evs)
				return
			}
			require.Len(t, evs, 1)
			assert.Equal(t, portal.EventRestrictionExceeded, evs[0].Kind)
			assert.Contains(t, evs[0].ID, "/refused/")
			assert.Contains(t, evs[0].Detail, "refused")
		})
	}
}

// D4, D6: usage levels at the 90 %, 100 % and 110 % boundaries, each
// event sent once per level change, and the overage deciding when a new
// seat is refused: none by default, 10 % or 20 % when configured. A
// per-core license of 100 cores lets the test step one unit at a time.
func TestAssignSeat_D4_D6_LevelsAndOverage(t *testing.T) {
	type step struct {
		cores  int      // the new device's cores
		used   int      // usage afterwards
		level  string   // level afterwards
		events []string // delivered by the step
		err    error
	}
	info := []string{"usage-level L-CORE info"}
	warning := []string{"usage-level L-CORE warning", "restriction-exceeded L-CORE"}
	critical := []string{"usage-level L-CORE critical", "restriction-exceeded L-CORE"}
	refused := []string{"restriction-exceeded L-CORE"}
	upTo100 := []step{
		{cores: 89, used: 89},
		{cores: 1, used: 90, level: "info", events: info}, // 90 %
		{cores: 9, used: 99, level: "info"},               // no event: same level
		{cores: 1, used: 100, level: "info"},              // 100 % is still info
	}
	cases := []struct {
		overage int
		steps   []step
	}{
		{0, append(upTo100[:len(upTo100):len(upTo100)],
			step{cores: 1, used: 100, level: "info", events: refused, err: portal.ErrRestrictionExceeded},
		)},
		{10, append(upTo100[:len(upTo100):len(upTo100)],
			step{cores: 1, used: 101, level: "warning", events: warning}, // above 100 %
			step{cores: 9, used: 110, level: "warning"},                  // 110 % is still warning
			step{cores: 1, used: 110, level: "warning", events: refused, err: portal.ErrRestrictionExceeded},
		)},
		{20, append(upTo100[:len(upTo100):len(upTo100)],
			step{cores: 1, used: 101, level: "warning", events: warning},
			step{cores: 9, used: 110, level: "warning"},
			step{cores: 1, used: 111, level: "critical", events: critical}, // above 110 %
			step{cores: 9, used: 120, level: "critical"},
			step{cores: 1, used: 120, level: "critical", events: refused, err: portal.ErrRestrictionExceeded},
			step{cores: 2, used: 120, level: "critical", events: refused, err: portal.ErrRestrictionExceeded},
		)},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("Overage%d", c.overage), func(t *testing.T) {
			h, _ := dsHarness(t, c.overage)
			dsAdd(t, h, "acme", license.License{ID: "L-CORE", Scheme: license.SchemePerCore, Quantity: 100,
				Expiry: day("2027-01-01")}, portal.KeyOptions{})
			for i, s := range c.steps {
				fp := fmt.Sprintf("d%02d", i)
				dsRegister(t, h, "acme", portal.Device{Fingerprint: fp, OS: license.TypeServer, CPUs: 1, Cores: s.cores})
				_, err := h.as("acme").AssignSeat(h.ctx, "L-CORE", fp)
				if s.err != nil {
					require.ErrorIs(t, err, s.err, "step %d", i)
				} else {
					require.NoError(t, err, "step %d", i)
				}
				u := dsUsage(t, h, "acme", "L-CORE")
				assert.Equal(t, s.used, u.Used, "step %d", i)
				assert.Equal(t, s.level, u.Level, "step %d", i)
				want := s.events
				if want == nil {
					want = []string{}
				}
				assert.Equal(t, want, dsEvents(h), "step %d: %d cores", i, s.cores)
			}
		})
	}
}

// D6: releasing seats lowers the level; a level is sent again when usage
// enters it again.
func TestReleaseSeat_D6_LevelsFallAndRise(t *testing.T) {
	h, st := dsHarness(t, 10)
	acme := h.as("acme")
	dsAdd(t, h, "acme", seatsLicense("L-10", 10), portal.KeyOptions{})
	for i := range 11 {
		fp := fmt.Sprintf("d%02d", i)
		dsRegister(t, h, "acme", dsServer(fp))
		dsAssign(t, h, "acme", "L-10", fp)
	}
	assert.Equal(t, []string{"usage-level L-10 info", "usage-level L-10 warning", "restriction-exceeded L-10"}, dsEvents(h))

	require.NoError(t, acme.ReleaseSeat(h.ctx, "L-10", "d10"))
	assert.Equal(t, []string{"usage-level L-10 info"}, dsEvents(h), "11 → 10 of 10")
	require.NoError(t, acme.ReleaseSeat(h.ctx, "L-10", "d09"))
	assert.Empty(t, dsEvents(h), "9 of 10 is still info")
	require.NoError(t, acme.ReleaseSeat(h.ctx, "L-10", "d08"))
	assert.Empty(t, dsEvents(h), "falling below 90 % sends nothing")
	assert.Empty(t, dsUsage(t, h, "acme", "L-10").Level)
	dsAssign(t, h, "acme", "L-10", "d08")
	assert.Equal(t, []string{"usage-level L-10 info"}, dsEvents(h), "back to 90 %")

	actions := dsActions(t, st, "acme")
	assert.Equal(t, []string{
		"admin@acme seat.release L-10 d10",
		"admin@acme seat.release L-10 d09",
		"admin@acme seat.release L-10 d08",
		"admin@acme seat.assign L-10 d08",
	}, actions[len(actions)-4:])
	require.ErrorIs(t, acme.ReleaseSeat(h.ctx, "L-10", "d10"), portal.ErrNoSuchSeat, "released already")
}

// D4, D6: 1,000 goroutines, each registering its own device and taking a
// seat of a 100-seat license with no overage: exactly 100 succeed, every
// other one gets ErrRestrictionExceeded and its restriction-exceeded event,
// and the usage levels are sent once.
func TestAssignSeat_D4_D6_ConcurrentSeatsNeverOverspent(t *testing.T) {
	h, _ := dsHarness(t, 0)
	acme := h.as("acme")
	dsAdd(t, h, "acme", seatsLicense("L-100", 100), portal.KeyOptions{})
	const n = 1000
	var ok, exceeded atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			fp := fmt.Sprintf("dev-%04d", i)
			if _, err := acme.RegisterDevice(h.ctx, dsServer(fp)); err != nil {
				t.Errorf("RegisterDevice(%s): %v", fp, err)
				return
			}
			_, err := acme.AssignSeat(h.ctx, "L-100", fp)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, portal.ErrRestrictionExceeded):
				exceeded.Add(1)
			default:
				t.Errorf("AssignSeat(%s): %v", fp, err)
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 100, ok.Load())
	assert.EqualValues(t, n-100, exceeded.Load())

	u := dsUsage(t, h, "acme", "L-100")
	assert.Equal(t, 100, u.Used)
	assert.Equal(t, 100, u.Devices)
	assert.Equal(t, "info", u.Level)
	devices, err := acme.Devices(h.ctx)
	require.NoError(t, err)
	assert.Len(t, devices, n)
	un, err := acme.UnactivatedDevices(h.ctx)
	require.NoError(t, err)
	assert.Len(t, un, n-100)

	count := map[string]int{}
	for _, e := range dsEvents(h) {
		count[e]++
	}
	assert.Equal(t, map[string]int{"usage-level L-100 info": 1, "restriction-exceeded L-100": n - 100}, count)
}

// D1: 1,000 goroutines assigning the same device take one seat, and all
// get that seat.
func TestAssignSeat_D1_ConcurrentSameDeviceOneSeat(t *testing.T) {
	h, st := dsHarness(t, 0)
	acme := h.as("acme")
	dsAdd(t, h, "acme", seatsLicense("L-100", 100), portal.KeyOptions{})
	dsRegister(t, h, "acme", dsServer("shared"))
	const n = 1000
	seats := make([]portal.Seat, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			seat, err := acme.AssignSeat(h.ctx, "L-100", "shared")
			assert.NoError(t, err)
			seats[i] = seat
		})
	}
	wg.Wait()
	for _, s := range seats {
		assert.Equal(t, seats[0], s)
	}
	u := dsUsage(t, h, "acme", "L-100")
	assert.Equal(t, 1, u.Used)
	assert.Equal(t, 1, u.Devices)
	var assigned int
	for _, a := range dsActions(t, st, "acme") {
		if strings.Contains(a, "seat.assign") {
			assigned++
		}
	}
	assert.Equal(t, 1, assigned)
}

// D6: the overage is a percentage of the quantity, rounded down, not a
// number of units: with 10 %, a license of 20 units takes 22 (not 30), one
// of 1,000 takes 1,100 (not 1,010), one of 15 takes 16; with 50 %, one of
// 20 takes 30 (not 70). At quantity 100 the two readings agree, so these
// quantities tell them apart.
func TestOverage_D6_PercentOfQuantity(t *testing.T) {
	for _, c := range []struct{ quantity, overage, limit int }{
		{20, 10, 22}, {1000, 10, 1100}, {15, 10, 16}, {20, 50, 30}, {20, 0, 20},
	} {
		t.Run(fmt.Sprintf("Quantity%d/Overage%d", c.quantity, c.overage), func(t *testing.T) {
			h, _ := dsHarness(t, c.overage)
			dsAdd(t, h, "acme", license.License{ID: "L-CORE", Scheme: license.SchemePerCore, Quantity: c.quantity,
				Expiry: day("2027-01-01")}, portal.KeyOptions{})
			dsRegister(t, h, "acme", portal.Device{Fingerprint: "big", OS: license.TypeServer, CPUs: 1, Cores: c.limit})
			dsRegister(t, h, "acme", portal.Device{Fingerprint: "one-more", OS: license.TypeServer, CPUs: 1, Cores: 1})
			_, err := h.as("acme").AssignSeat(h.ctx, "L-CORE", "big")
			require.NoError(t, err, "%d cores: up to the limit", c.limit)
			_, err = h.as("acme").AssignSeat(h.ctx, "L-CORE", "one-more")
			require.ErrorIs(t, err, portal.ErrRestrictionExceeded, "one core beyond the limit")
			assert.Equal(t, c.limit, dsUsage(t, h, "acme", "L-CORE").Used)
		})
	}
}

// D2, D6: automatic distribution stops at the same limit: 22 of 30
// devices get a seat of a 20-device license under a 10 % overage.
func TestAutoDistribute_D2_D6_StopsAtPercentOverage(t *testing.T) {
	h, _ := dsHarness(t, 10)
	dsAdd(t, h, "acme", seatsLicense("L-AUTO", 20), portal.KeyOptions{AutoDistribute: true})
	for i := range 30 {
		dsRegister(t, h, "acme", portal.Device{Fingerprint: fmt.Sprintf("pc-%02d", i), OS: license.TypeWorkstation,
			Apps: []string{"acme-backup"}})
	}
	u := dsUsage(t, h, "acme", "L-AUTO")
	assert.Equal(t, 22, u.Used)
	assert.Equal(t, 22, u.Devices)
	unactivated, err := h.as("acme").UnactivatedDevices(h.ctx)
	require.NoError(t, err)
	assert.Len(t, unactivated, 8)
}
