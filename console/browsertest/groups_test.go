package browsertest

import (
	"context"
	"slices"
	"testing"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// A member adds two keys to the key storage, creates a license group,
// adds both licenses to it and then a device, all through the console's
// forms; the group's page shows the license the portal placed the device
// on (G1, U4): the one that lasts longest, by the placement rule (G2), as
// the API reports it too.
func TestConsole_G1_G2_U4_DevicePlacedInAGroup(t *testing.T) {
	ctx := context.Background()
	b := newBrowser(t)
	s := startServer(t)
	token := s.createOrg(t, "acme", "Acme Inc.")
	acme := s.vendor.Org("acme")
	// The console has no form to register a device: the device's
	// agent does that, over the API.
	const fp = "fp-paris-ws-01"
	if _, err := acme.RegisterDevice(ctx, portal.Device{Fingerprint: fp, Name: "Paris workstation 1", OS: license.TypeWorkstation}); err != nil {
		t.Fatal(err)
	}

	ada := b.newUser(t, s, "acme")
	ada.signIn(token)
	ada.follow("Key storage")
	for _, key := range []string{
		s.key(t, "SN-SPRING", "backup", 3, 90),
		s.key(t, "SN-YEAR", "backup", 3, 365),
	} {
		ada.fill("License key", key)
		ada.press("Add key")
		ada.want(200, "Key storage")
	}
	ada.follow("Groups")
	ada.want(200, "License groups")
	ada.createGroup("paris", "Paris office")
	ada.follow("Groups")
	ada.shot("groups")
	ada.click(`//main//a[normalize-space()="Paris office"]`, "open the group")
	ada.want(200, "Paris office")
	for _, id := range []string{"SN-SPRING", "SN-YEAR"} {
		ada.fill("License", id)
		ada.press("Add license")
		ada.want(200, "Paris office")
	}
	ada.fill("Device", fp)
	ada.press("Add to group")
	ada.want(200, "Paris office")
	ada.shot("group")

	var placed string
	for _, row := range ada.table("Placed on") {
		if row["Device"] == fp {
			placed = row["Placed on"]
		}
	}
	g, err := acme.Group(ctx, "paris")
	if err != nil {
		t.Fatal(err)
	}
	var want string
	for _, l := range g.Licenses {
		if slices.ContainsFunc(l.Devices, func(d portal.GroupSeat) bool { return d.Device == fp }) {
			want = l.License.ID
		}
	}
	if placed != want || want != "SN-YEAR" {
		t.Errorf("the group's page shows %s placed on %q; the portal placed it on %q, want SN-YEAR, the license that lasts longest", fp, placed, want)
	}
}

// createGroup creates a license group with the form of the page License
// groups, which leads to the group's page.
func (u *user) createGroup(id, name string) {
	u.t.Helper()
	u.fill("ID", id)
	u.fill("Name", name)
	u.press("Create group")
	u.want(200, name)
}
