package portal_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// groupFixture is a portal harness with the organization "acme" holding
// an empty license group "site-a".
type groupFixture struct {
	*portalHarness
	s *portal.OrgScope
}

func newGroupFixture(t *testing.T, configure ...func(*portal.PortalConfig)) *groupFixture {
	t.Helper()
	f := &groupFixture{portalHarness: newPortalHarness(t, configure...)}
	f.s = f.as("acme")
	if err := f.s.CreateGroup(f.ctx, "site-a", "Site A"); err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	return f
}

// addKey adds l to acme's key storage.
func (f *groupFixture) addKey(l license.License) {
	f.tb.Helper()
	if _, err := f.s.AddKey(f.ctx, f.key(l), portal.KeyOptions{}); err != nil {
		f.tb.Fatalf("AddKey(%s): %v", l.ID, err)
	}
}

// addToGroup adds licenses to acme's key storage and to group site-a.
func (f *groupFixture) addToGroup(ls ...license.License) {
	f.tb.Helper()
	for _, l := range ls {
		f.addKey(l)
		if err := f.s.AddToGroup(f.ctx, "site-a", l.ID); err != nil {
			f.tb.Fatalf("AddToGroup(%s): %v", l.ID, err)
		}
	}
}

// register registers workstations by fingerprint, with one CPU and cores
// as given by a "fp/cores" suffix ("pc-1/8"), default 1.
func (f *groupFixture) register(fps ...string) {
	f.tb.Helper()
	for _, fp := range fps {
		d := portal.Device{Fingerprint: fp, OS: license.TypeWorkstation, CPUs: 1, Cores: 1}
		if name, cores, ok := strings.Cut(fp, "/"); ok {
			d.Fingerprint = name
			if _, err := fmt.Sscan(cores, &d.Cores); err != nil {
				f.tb.Fatalf("bad fingerprint %q", fp)
			}
		}
		if _, err := f.s.RegisterDevice(f.ctx, d); err != nil {
			f.tb.Fatalf("RegisterDevice(%s): %v", fp, err)
		}
	}
}

// join registers devices (see register) and joins them to site-a.
func (f *groupFixture) join(fps ...string) {
	f.tb.Helper()
	f.register(fps...)
	for _, fp := range fps {
		fp, _, _ = strings.Cut(fp, "/")
		if err := f.s.JoinGroup(f.ctx, "site-a", fp); err != nil {
			f.tb.Fatalf("JoinGroup(%s): %v", fp, err)
		}
	}
}

// view returns site-a's view.
func (f *groupFixture) view() portal.GroupView {
	f.tb.Helper()
	v, err := f.s.Group(f.ctx, "site-a")
	if err != nil {
		f.tb.Fatalf("Group: %v", err)
	}
	return v
}

// placement describes site-a's placement in one line: each license in the
// view's order with its devices, then the unplaced devices, such as
// "B[pc-1 pc-2] A[pc-3] unplaced[pc-4]". An invalid license is marked
// with a "!", a device counting more than one unit with its units.
func (f *groupFixture) placement() string {
	f.tb.Helper()
	return describePlacement(f.view())
}

func describePlacement(v portal.GroupView) string {
	var parts []string
	for _, gl := range v.Licenses {
		var ds []string
		for _, d := range gl.Devices {
			if d.Units != 1 {
				ds = append(ds, fmt.Sprintf("%s=%d", d.Device, d.Units))
			} else {
				ds = append(ds, d.Device)
			}
		}
		mark := ""
		if !gl.Valid {
			mark = "!"
		}
		parts = append(parts, gl.License.ID+mark+"["+strings.Join(ds, " ")+"]")
	}
	return strings.Join(parts, " ") + " unplaced[" + strings.Join(v.Unplaced, " ") + "]"
}

// usage returns the units used of each license of acme's key storage, as
// Keys reports them: "A=2 B=1".
func (f *groupFixture) usage() string {
	f.tb.Helper()
	keys, err := f.s.Keys(f.ctx)
	if err != nil {
		f.tb.Fatalf("Keys: %v", err)
	}
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k.License.ID, k.Used))
	}
	return strings.Join(parts, " ")
}

// restrictionEvents returns the restriction-exceeded events delivered
// since the last call to events, and forgets all events.
func (f *groupFixture) restrictionEvents() []license.Event {
	var out []license.Event
	for _, e := range f.events() {
		if e.Kind == portal.EventRestrictionExceeded {
			out = append(out, e)
		}
	}
	return out
}

func perDevice(id string, n int, expiry string) license.License {
	l := seatsLicense(id, n)
	l.Expiry = day(expiry)
	return l
}

func wantPlacement(t *testing.T, f *groupFixture, want string) {
	t.Helper()
	if got := f.placement(); got != want {
		t.Errorf("placement:\n got %s\nwant %s", got, want)
	}
}

// G1: the customer names the group, never a license; joining places each
// device on a license of the group, and the key storage's usage shows it.
func TestGroup_G1_JoinPlacesDevicesOnTheGroupsLicenses(t *testing.T) {
	f := newGroupFixture(t)
	f.addToGroup(perDevice("A", 2, "2027-01-01"), perDevice("B", 2, "2027-06-01"))
	f.addKey(perDevice("OUT", 5, "2028-01-01")) // not in the group: never used by it
	f.join("pc-1", "pc-2", "pc-3")

	wantPlacement(t, f, "B[pc-1 pc-2] A[pc-3] unplaced[]")
	if got, want := f.usage(), "A=1 B=2 OUT=0"; got != want {
		t.Errorf("Keys usage = %s, want %s", got, want)
	}
	v := f.view()
	if v.ID != "site-a" || v.Name != "Site A" || !reflect.DeepEqual(v.Devices, []string{"pc-1", "pc-2", "pc-3"}) {
		t.Errorf("view = %+v", v)
	}
	if v.Licenses[0].Units != 2 || v.Licenses[0].Used != 2 || v.Licenses[1].Units != 1 {
		t.Errorf("units: B %d/%d, A %d", v.Licenses[0].Units, v.Licenses[0].Used, v.Licenses[1].Units)
	}
	if !v.Next.Equal(day("2027-01-01")) {
		t.Errorf("Next = %v, want A's expiry 2027-01-01", v.Next)
	}
}

// G2: the documented rule. Licenses valid now, latest end first (no end
// before all), ties by license ID; devices in the order they joined, each
// to the first license with room.
func TestGroup_G2_RuleLatestExpiryFirstTiesByLicenseID(t *testing.T) {
	f := newGroupFixture(t)
	perpetual := seatsLicense("P", 1)
	perpetual.Expiry = time.Time{}
	// Added in an order that is neither the rule's nor the IDs'.
	f.addToGroup(perDevice("EARLY", 2, "2026-06-01"), perDevice("LATE-B", 2, "2027-01-01"),
		perpetual, perDevice("LATE-A", 2, "2027-01-01"))
	f.join("d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8")
	wantPlacement(t, f, "P[d1] LATE-A[d2 d3] LATE-B[d4 d5] EARLY[d6 d7] unplaced[d8]")
}

// G2: devices that joined with several at once are placed in the order
// given, after the current members.
func TestGroup_G2_JoinSeveralAtOnceKeepsTheirOrder(t *testing.T) {
	f := newGroupFixture(t)
	f.addToGroup(perDevice("A", 1, "2027-01-01"), perDevice("B", 2, "2026-06-01"))
	f.register("z", "y", "x")
	if err := f.s.JoinGroup(f.ctx, "site-a", "z", "y", "x"); err != nil {
		t.Fatal(err)
	}
	wantPlacement(t, f, "A[z] B[y x] unplaced[]")
	if got := f.view().Devices; !reflect.DeepEqual(got, []string{"z", "y", "x"}) {
		t.Errorf("Devices = %v, want join order z y x", got)
	}
}

// G2: a placed device stays where it is: a license added later with a
// later expiry takes the newcomers, and moves nobody.
func TestGroup_G2_PlacedDevicesStay(t *testing.T) {
	f := newGroupFixture(t)
	f.addToGroup(perDevice("A", 3, "2027-01-01"))
	f.join("pc-1", "pc-2")
	f.addToGroup(perDevice("B", 3, "2028-01-01"))
	wantPlacement(t, f, "B[] A[pc-1 pc-2] unplaced[]")
	f.join("pc-3")
	wantPlacement(t, f, "B[pc-3] A[pc-1 pc-2] unplaced[]")
	if err := f.s.Rebalance(f.ctx, "site-a"); err != nil {
		t.Fatal(err)
	}
	wantPlacement(t, f, "B[pc-3] A[pc-1 pc-2] unplaced[]")
}

// G2: assignment is deterministic: the same operations give the same
// placement whatever the order licenses were added in, and running the
// placement again (over Go's randomly ordered maps) changes nothing.
func TestGroup_G2_Deterministic(t *testing.T) {
	licenses := []license.License{
		perDevice("C", 3, "2027-01-01"), perDevice("A", 3, "2027-01-01"),
		perDevice("B", 2, "2027-06-01"), perDevice("D", 4, "2026-09-01"),
	}
	devices := []string{"n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10", "n11", "n12", "n13"}
	var first string
	for i := range 4 {
		f := newGroupFixture(t)
		ls := append([]license.License(nil), licenses...)
		for range i { // rotate the order of addition
			ls = append(ls[1:], ls[0])
		}
		f.register(devices...)
		f.addToGroup(ls...)
		if err := f.s.JoinGroup(f.ctx, "site-a", devices...); err != nil {
			t.Fatal(err)
		}
		got := f.placement()
		for range 10 {
			if err := f.s.Rebalance(f.ctx, "site-a"); err != nil {
				t.Fatal(err)
			}
			if again := f.placement(); again != got {
				t.Fatalf("Rebalance changed %s into %s", got, again)
			}
		}
		if i == 0 {
			first = got
			continue
		}
		if got != first {
			t.Errorf("licenses added in another order: %s, want %s", got, first)
		}
	}
	if want := "B[n1 n2] A[n3 n4 n5] C[n6 n7 n8] D[n9 n10 n11 n12] unplaced[n13]"; first != want {
		t.Errorf("placement %s, want %s", first, want)
	}
}

// G2: when a license expires, its devices move to the group's other
// licenses at the Rebalance at its expiry T, not at T-1ns (S12); the
// expired license stays in the group, holding nothing.
func TestGroup_G2_ExpiredLicensesDevicesMoveAtRebalance(t *testing.T) {
	f := newGroupFixture(t)
	f.addToGroup(perDevice("LONG", 3, "2028-01-01"), perDevice("SHORT", 2, "2026-06-01"))
	f.join("pc-1", "pc-2", "pc-3", "pc-4", "pc-5")
	wantPlacement(t, f, "LONG[pc-1 pc-2 pc-3] SHORT[pc-4 pc-5] unplaced[]")
	f.addToGroup(perDevice("NEW", 1, "2027-01-01"))
	f.events()

	expiry := day("2026-06-01")
	if next := f.view().Next; !next.Equal(expiry) {
		t.Fatalf("Next = %v, want SHORT's expiry %v", next, expiry)
	}
	f.at(expiry.Add(-time.Nanosecond))
	if err := f.s.Rebalance(f.ctx, "site-a"); err != nil {
		t.Fatal(err)
	}
	wantPlacement(t, f, "LONG[pc-1 pc-2 pc-3] NEW[] SHORT[pc-4 pc-5] unplaced[]")

	f.at(expiry)
	// Until the Rebalance, the view shows the expired license still
	// holding its devices.
	wantPlacement(t, f, "LONG[pc-1 pc-2 pc-3] NEW[] SHORT![pc-4 pc-5] unplaced[]")
	if err := f.s.Rebalance(f.ctx, "site-a"); err != nil {
		t.Fatal(err)
	}
	wantPlacement(t, f, "LONG[pc-1 pc-2 pc-3] NEW[pc-4] SHORT![] unplaced[pc-5]")
	if got, want := f.usage(), "LONG=3 NEW=1 SHORT=0"; got != want {
		t.Errorf("Keys usage = %s, want %s", got, want)
	}
	// D4: pc-5 found no room.
	if evs := f.restrictionEvents(); len(evs) != 1 || !strings.Contains(evs[0].Detail, "pc-5") {
		t.Errorf("restriction-exceeded events = %+v, want one naming pc-5", evs)
	}
}

// G2, L3: a license that has not started takes no device until its start;
// the Rebalance at its start places the unplaced devices on it.
func TestGroup_G2_L3_LicenseStartingLaterTakesDevicesAtItsStart(t *testing.T) {
	f := newGroupFixture(t)
	later := perDevice("LATER", 2, "2027-01-01")
	later.Start = day("2026-03-01")
	f.addToGroup(perDevice("NOW", 1, "2027-01-01"), later)
	f.join("pc-1", "pc-2")
	wantPlacement(t, f, "NOW[pc-1] LATER![] unplaced[pc-2]")
	if next := f.view().Next; !next.Equal(later.Start) {
		t.Errorf("Next = %v, want LATER's start", next)
	}
	f.at(later.Start)
	if err := f.s.Rebalance(f.ctx, "site-a"); err != nil {
		t.Fatal(err)
	}
	wantPlacement(t, f, "LATER[pc-2] NOW[pc-1] unplaced[]")
}

// G2: a license taken out of the group, or removed from the key storage,
// hands its devices to the group's other licenses at once.
func TestGroup_G2_RemovedLicensesDevicesMove(t *testing.T) {
	for _, how := range []string{"RemoveFromGroup", "RemoveKey"} {
		t.Run(how, func(t *testing.T) {
			f := newGroupFixture(t)
			f.addToGroup(perDevice("A", 2, "2028-01-01"), perDevice("B", 2, "2027-01-01"), perDevice("C", 1, "2026-06-01"))
			f.join("pc-1", "pc-2", "pc-3", "pc-4")
			wantPlacement(t, f, "A[pc-1 pc-2] B[pc-3 pc-4] C[] unplaced[]")
			var err error
			if how == "RemoveFromGroup" {
				err = f.s.RemoveFromGroup(f.ctx, "site-a", "A")
			} else {
				err = f.s.RemoveKey(f.ctx, "A")
			}
			if err != nil {
				t.Fatal(err)
			}
			// B keeps its devices; A's move to the room left: C takes
			// pc-1, and pc-2 finds none (D4).
			wantPlacement(t, f, "B[pc-3 pc-4] C[pc-1] unplaced[pc-2]")
			want := "A=0 B=2 C=1"
			if how == "RemoveKey" {
				want = "B=2 C=1"
			}
			if got := f.usage(); got != want {
				t.Errorf("Keys usage = %s, want %s", got, want)
			}
			if evs := f.restrictionEvents(); len(evs) != 1 {
				t.Errorf("restriction-exceeded events = %+v, want one", evs)
			}
		})
	}
}

// G2, D4: each placement run that leaves devices unplaced raises one
// restriction-exceeded event for the group, whatever the number left out,
// naming the group and the devices; a run that places everyone raises
// none.
func TestGroup_G2_D4_UnplacedDevicesRaiseRestrictionExceededOnce(t *testing.T) {
	f := newGroupFixture(t)
	f.addToGroup(perDevice("A", 2, "2027-01-01"))
	f.register("pc-1", "pc-2", "pc-3", "pc-4")
	f.events()
	if err := f.s.JoinGroup(f.ctx, "site-a", "pc-1", "pc-2", "pc-3", "pc-4"); err != nil {
		t.Fatal(err)
	}
	wantPlacement(t, f, "A[pc-1 pc-2] unplaced[pc-3 pc-4]")
	evs := f.restrictionEvents()
	if len(evs) != 1 {
		t.Fatalf("restriction-exceeded events = %+v, want one", evs)
	}
	e := evs[0]
	if e.License != "" || !e.At.Equal(f.clk.Now()) ||
		e.Detail != "group site-a: 2 devices could not be placed: pc-3, pc-4" ||
		e.ID != "restriction-exceeded/group/site-a/2026-01-01T00:00:00Z" {
		t.Errorf("event = %+v", e)
	}

	// Another run with devices still unplaced raises it again, once.
	f.at(day("2026-02-01"))
	if err := f.s.Rebalance(f.ctx, "site-a"); err != nil {
		t.Fatal(err)
	}
	if evs := f.restrictionEvents(); len(evs) != 1 {
		t.Errorf("second run: restriction-exceeded events = %+v, want one", evs)
	}

	// Room freed by a device that leaves goes to the first unplaced one.
	if err := f.s.LeaveGroup(f.ctx, "site-a", "pc-1"); err != nil {
		t.Fatal(err)
	}
	wantPlacement(t, f, "A[pc-2 pc-3] unplaced[pc-4]")
	f.events()
	if err := f.s.LeaveGroup(f.ctx, "site-a", "pc-4"); err != nil {
		t.Fatal(err)
	}
	wantPlacement(t, f, "A[pc-2 pc-3] unplaced[]")
	if evs := f.restrictionEvents(); len(evs) != 0 {
		t.Errorf("everyone placed: restriction-exceeded events = %+v, want none", evs)
	}
	if got, want := f.usage(), "A=2"; got != want {
		t.Errorf("Keys usage = %s, want %s", got, want)
	}
}

// G2, L1: a device counts its cores on a per-core license and its CPUs on
// a per-CPU one; it goes to the first license with room for all of them,
// and a later, smaller device may still fill the room it left.
func TestGroup_G2_L1_UnitsPerCoreAndPerCPU(t *testing.T) {
	f := newGroupFixture(t)
	cores := license.License{ID: "CORES", Scheme: license.SchemePerCore, Quantity: 8, Expiry: day("2028-01-01")}
	cpus := license.License{ID: "CPUS", Scheme: license.SchemePerCPU, Quantity: 2, Expiry: day("2027-01-01")}
	f.addToGroup(cores, cpus)
	f.register("big/6", "mid/4", "small/2")
	dual := portal.Device{Fingerprint: "dual", OS: license.TypeServer, CPUs: 2, Cores: 16}
	if _, err := f.s.RegisterDevice(f.ctx, dual); err != nil {
		t.Fatal(err)
	}
	if err := f.s.JoinGroup(f.ctx, "site-a", "big", "mid", "small", "dual"); err != nil {
		t.Fatal(err)
	}
	// big: 6 cores on CORES; mid: 4 cores do not fit the 2 left, so one
	// CPU on CPUS; small: 2 cores fill CORES; dual: 2 CPUs, 1 left on
	// CPUS: unplaced.
	wantPlacement(t, f, "CORES[big=6 small=2] CPUS[mid] unplaced[dual]")
	if got, want := f.usage(), "CORES=8 CPUS=1"; got != want {
		t.Errorf("Keys usage = %s, want %s", got, want)
	}
}

// G2: a per-virtual-machine license of the group takes only virtual
// machines; a per-user license cannot join a group of devices.
func TestGroup_G2_SchemesThatCannotCountADevice(t *testing.T) {
	f := newGroupFixture(t)
	vms := license.License{ID: "VMS", Scheme: license.SchemePerVM, Quantity: 5, Expiry: day("2028-01-01")}
	f.addToGroup(vms, perDevice("PCS", 5, "2027-01-01"))
	f.register("pc")
	if _, err := f.s.RegisterDevice(f.ctx, portal.Device{Fingerprint: "vm", OS: license.TypeServer, VM: true}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.JoinGroup(f.ctx, "site-a", "pc", "vm"); err != nil {
		t.Fatal(err)
	}
	wantPlacement(t, f, "VMS[vm] PCS[pc] unplaced[]")

	users := license.License{ID: "USERS", Scheme: license.SchemePerUser, Quantity: 5, Expiry: day("2027-01-01")}
	f.addKey(users)
	if err := f.s.AddToGroup(f.ctx, "site-a", "USERS"); !errors.Is(err, portal.ErrSchemeMismatch) {
		t.Errorf("AddToGroup(per-user license) = %v, want ErrSchemeMismatch", err)
	}
}

// G2, D6: placement fills a license up to its quantity, never into the
// overage the portal allows for seats assigned one by one, and reports
// the license's usage level as seats do.
func TestGroup_G2_D6_PlacementStaysWithinTheQuantity(t *testing.T) {
	f := newGroupFixture(t, func(c *portal.PortalConfig) { c.Overage = 50 })
	f.addToGroup(perDevice("A", 2, "2027-01-01"))
	f.register("pc-1", "pc-2", "pc-3")
	f.events()
	if err := f.s.JoinGroup(f.ctx, "site-a", "pc-1", "pc-2", "pc-3"); err != nil {
		t.Fatal(err)
	}
	wantPlacement(t, f, "A[pc-1 pc-2] unplaced[pc-3]")
	var got []string
	for _, e := range f.events() {
		got = append(got, string(e.Kind)+" "+e.License+" "+e.Detail)
	}
	want := []string{
		"usage-level A A: 2 of 2 used (info)",
		"restriction-exceeded  group site-a: 1 device could not be placed: pc-3",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events:\n got %q\nwant %q", got, want)
	}
	// G1: nobody picks a group's license by hand, not even within the
	// overage: the group places its devices.
	f.register("pc-x")
	if _, err := f.s.AssignSeat(f.ctx, "A", "pc-x"); !errors.Is(err, portal.ErrLicenseInGroup) {
		t.Errorf("AssignSeat on a group's license = %v, want ErrLicenseInGroup", err)
	}
}

// G2: LeaveGroup releases the device's seat; a device that left may join
// another group.
func TestGroup_G2_LeaveReleasesTheSeat(t *testing.T) {
	f := newGroupFixture(t)
	f.addToGroup(perDevice("A", 2, "2027-01-01"))
	f.join("pc-1", "pc-2")
	if err := f.s.LeaveGroup(f.ctx, "site-a", "pc-1"); err != nil {
		t.Fatal(err)
	}
	wantPlacement(t, f, "A[pc-2] unplaced[]")
	if got, want := f.usage(), "A=1"; got != want {
		t.Errorf("Keys usage = %s, want %s", got, want)
	}
	if err := f.s.CreateGroup(f.ctx, "site-b", ""); err != nil {
		t.Fatal(err)
	}
	if err := f.s.JoinGroup(f.ctx, "site-b", "pc-1"); err != nil {
		t.Errorf("JoinGroup(site-b) after leaving: %v", err)
	}
}

// G2, P5: each group operation is in the history, with the placement
// runs that moved devices.
func TestGroup_G2_P5_OperationsAreRecorded(t *testing.T) {
	f := newGroupFixture(t)
	f.addToGroup(perDevice("A", 1, "2027-01-01"))
	f.join("pc-1")
	if err := f.s.Rebalance(f.ctx, "site-a"); err != nil { // moves nothing: not recorded
		t.Fatal(err)
	}
	entries, _, err := f.s.History(f.ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "group.") {
			got = append(got, e.Action+" "+e.Subject+" "+e.Detail)
		}
	}
	want := []string{ // newest first
		"group.place site-a 1 placed, 0 moved, 0 lost their place, 0 unplaced",
		"group.join site-a pc-1",
		"group.add-license site-a A",
		"group.create site-a Site A",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("history:\n got %q\nwant %q", got, want)
	}
}

// Bad input gets a typed error and changes nothing: not the group, not
// the key storage, not the history.
func TestGroup_G1_RefusalsAreTypedAndChangeNothing(t *testing.T) {
	f := newGroupFixture(t)
	f.addToGroup(perDevice("A", 1, "2027-01-01"))
	f.addKey(perDevice("FREE", 1, "2027-01-01"))
	f.join("member")
	f.register("loose")
	if err := f.s.CreateGroup(f.ctx, "site-b", ""); err != nil {
		t.Fatal(err)
	}
	f.addKey(perDevice("B-LIC", 1, "2027-01-01"))
	if err := f.s.AddToGroup(f.ctx, "site-b", "B-LIC"); err != nil {
		t.Fatal(err)
	}
	ctx := f.ctx
	cases := []struct {
		name string
		do   func() error
		want error
	}{
		{"CreateGroup/ErrGroupExists", func() error { return f.s.CreateGroup(ctx, "site-a", "again") }, portal.ErrGroupExists},
		{"CreateGroup/ErrInvalidInput", func() error { return f.s.CreateGroup(ctx, "", "x") }, license.ErrInvalidInput},
		{"CreateGroup/ErrInvalidInput/name", func() error { return f.s.CreateGroup(ctx, "g", "a\nb") }, license.ErrInvalidInput},
		{"AddToGroup/ErrNoSuchGroup", func() error { return f.s.AddToGroup(ctx, "nope", "FREE") }, portal.ErrNoSuchGroup},
		{"AddToGroup/ErrNoSuchKey", func() error { return f.s.AddToGroup(ctx, "site-a", "NOPE") }, portal.ErrNoSuchKey},
		{"AddToGroup/ErrLicenseInGroup/same", func() error { return f.s.AddToGroup(ctx, "site-a", "A") }, portal.ErrLicenseInGroup},
		{"AddToGroup/ErrLicenseInGroup/other", func() error { return f.s.AddToGroup(ctx, "site-a", "B-LIC") }, portal.ErrLicenseInGroup},
		{"RemoveFromGroup/ErrNoSuchGroup", func() error { return f.s.RemoveFromGroup(ctx, "nope", "A") }, portal.ErrNoSuchGroup},
		{"RemoveFromGroup/ErrNotInGroup", func() error { return f.s.RemoveFromGroup(ctx, "site-a", "FREE") }, portal.ErrNotInGroup},
		{"RemoveFromGroup/ErrNotInGroup/other", func() error { return f.s.RemoveFromGroup(ctx, "site-a", "B-LIC") }, portal.ErrNotInGroup},
		{"JoinGroup/ErrNoSuchGroup", func() error { return f.s.JoinGroup(ctx, "nope", "loose") }, portal.ErrNoSuchGroup},
		{"JoinGroup/ErrNoSuchDevice", func() error { return f.s.JoinGroup(ctx, "site-a", "loose", "ghost") }, portal.ErrNoSuchDevice},
		{"JoinGroup/ErrDeviceInGroup", func() error { return f.s.JoinGroup(ctx, "site-b", "loose", "member") }, portal.ErrDeviceInGroup},
		{"JoinGroup/ErrInvalidInput/none", func() error { return f.s.JoinGroup(ctx, "site-a") }, license.ErrInvalidInput},
		{"JoinGroup/ErrInvalidInput/empty", func() error { return f.s.JoinGroup(ctx, "site-a", "") }, license.ErrInvalidInput},
		{"JoinGroup/ErrInvalidInput/twice", func() error { return f.s.JoinGroup(ctx, "site-a", "loose", "loose") }, license.ErrInvalidInput},
		{"LeaveGroup/ErrNoSuchGroup", func() error { return f.s.LeaveGroup(ctx, "nope", "member") }, portal.ErrNoSuchGroup},
		{"LeaveGroup/ErrNotInGroup", func() error { return f.s.LeaveGroup(ctx, "site-a", "member", "loose") }, portal.ErrNotInGroup},
		{"LeaveGroup/ErrNotInGroup/other", func() error { return f.s.LeaveGroup(ctx, "site-b", "member") }, portal.ErrNotInGroup},
		{"LeaveGroup/ErrInvalidInput", func() error { return f.s.LeaveGroup(ctx, "site-a", "member", "member") }, license.ErrInvalidInput},
		{"Rebalance/ErrNoSuchGroup", func() error { return f.s.Rebalance(ctx, "nope") }, portal.ErrNoSuchGroup},
		{"Group/ErrNoSuchGroup", func() error { _, err := f.s.Group(ctx, "nope"); return err }, portal.ErrNoSuchGroup},
	}
	before := f.snapshot()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.do()
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if after := f.snapshot(); after != before {
				t.Errorf("a refusal changed the organization:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// snapshot describes acme's groups, key storage usage, devices and
// history length.
func (f *groupFixture) snapshot() string {
	f.tb.Helper()
	var b strings.Builder
	for _, g := range []string{"site-a", "site-b"} {
		if v, err := f.s.Group(f.ctx, g); err == nil {
			fmt.Fprintf(&b, "%s: %s; ", g, describePlacement(v))
		}
	}
	b.WriteString(f.usage())
	devices, err := f.s.Devices(f.ctx)
	if err != nil {
		f.tb.Fatal(err)
	}
	for _, d := range devices {
		fmt.Fprintf(&b, " %s@%s", d.Fingerprint, d.Group)
	}
	entries, _, err := f.s.History(f.ctx, 0, 1)
	if err != nil {
		f.tb.Fatal(err)
	}
	fmt.Fprintf(&b, "; history %d", entries[0].Seq)
	return b.String()
}

// P4, V4: another organization's actor reaches none of acme's groups:
// every operation fails with ErrNoAccess, as for an organization that
// does not exist.
func TestGroup_P4_OtherOrganizationHasNoAccess(t *testing.T) {
	f := newGroupFixture(t)
	f.addToGroup(perDevice("A", 1, "2027-01-01"))
	f.join("pc-1")
	before := f.snapshot()
	intruder := f.p.Org(portal.Actor{ID: "eve@globex", Org: "globex"}, "acme")
	ghost := f.p.Org(portal.Actor{ID: "eve@globex", Org: "globex"}, "no-such-org")
	for _, s := range []*portal.OrgScope{intruder, ghost} {
		ops := map[string]func() error{
			"CreateGroup":     func() error { return s.CreateGroup(f.ctx, "site-x", "") },
			"AddToGroup":      func() error { return s.AddToGroup(f.ctx, "site-a", "A") },
			"RemoveFromGroup": func() error { return s.RemoveFromGroup(f.ctx, "site-a", "A") },
			"JoinGroup":       func() error { return s.JoinGroup(f.ctx, "site-a", "pc-1") },
			"LeaveGroup":      func() error { return s.LeaveGroup(f.ctx, "site-a", "pc-1") },
			"Rebalance":       func() error { return s.Rebalance(f.ctx, "site-a") },
			"Group":           func() error { _, err := s.Group(f.ctx, "site-a"); return err },
		}
		for name, op := range ops {
			if err := op(); !errors.Is(err, portal.ErrNoAccess) {
				t.Errorf("%s on %s = %v, want ErrNoAccess", name, s.ID(), err)
			}
		}
	}
	if after := f.snapshot(); after != before {
		t.Errorf("changed:\nbefore %s\nafter  %s", before, after)
	}
}

// V4: a partner the customer delegated to manages its groups.
func TestGroup_V4_PartnerUnderDelegationManagesGroups(t *testing.T) {
	f := newGroupFixture(t)
	f.addToGroup(perDevice("A", 1, "2027-01-01"))
	f.register("pc-1")
	if err := f.s.Delegate(f.ctx, "reseller"); err != nil {
		t.Fatal(err)
	}
	if err := f.p.Org(portal.Actor{ID: "bob@reseller", Org: "reseller"}, "reseller").AcceptDelegation(f.ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	partner := f.p.Org(portal.Actor{ID: "bob@reseller", Org: "reseller"}, "acme")
	if err := partner.JoinGroup(f.ctx, "site-a", "pc-1"); err != nil {
		t.Fatal(err)
	}
	wantPlacement(t, f, "A[pc-1] unplaced[]")
}

// G2: a device removed from the organization leaves its group; the next
// run gives its room to an unplaced member.
func TestGroup_G2_RemovedDeviceFreesItsRoom(t *testing.T) {
	f := newGroupFixture(t)
	f.addToGroup(perDevice("A", 1, "2027-01-01"))
	f.join("pc-1", "pc-2")
	if err := f.s.RemoveDevice(f.ctx, "pc-1"); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Rebalance(f.ctx, "site-a"); err != nil {
		t.Fatal(err)
	}
	wantPlacement(t, f, "A[pc-2] unplaced[]")
	if got := f.view().Devices; !reflect.DeepEqual(got, []string{"pc-2"}) {
		t.Errorf("Devices = %v", got)
	}
}

// G2: a seat a license held before it joined a group counts against its
// quantity: placement uses only the room left.
func TestGroup_G2_SeatsOutsideTheGroupReduceTheRoom(t *testing.T) {
	f := newGroupFixture(t)
	f.addKey(perDevice("A", 2, "2028-01-01"))
	f.register("outsider")
	if _, err := f.s.AssignSeat(f.ctx, "A", "outsider"); err != nil {
		t.Fatal(err)
	}
	if err := f.s.AddToGroup(f.ctx, "site-a", "A"); err != nil {
		t.Fatal(err)
	}
	f.addToGroup(perDevice("B", 2, "2027-01-01"))
	f.join("pc-1", "pc-2", "pc-3")
	wantPlacement(t, f, "A[pc-1] B[pc-2 pc-3] unplaced[]")
	v := f.view()
	if a := v.Licenses[0]; a.Units != 1 || a.Used != 2 {
		t.Errorf("A: Units %d, Used %d; want 1 for the group, 2 in all", a.Units, a.Used)
	}
	if got, want := f.usage(), "A=2 B=2"; got != want {
		t.Errorf("Keys usage = %s, want %s", got, want)
	}
}
