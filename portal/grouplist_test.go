package portal_test

import (
	"errors"
	"testing"

	"github.com/licensekit/license/portal"
)

// G1: the groups an organization created are listed by ID, with their
// names; another organization's actor gets ErrNoAccess, as for a missing
// organization.
func TestGroups_G1_ListedByID(t *testing.T) {
	h := newPortalHarness(t)
	acme := h.as("acme")
	if gs, err := acme.Groups(h.ctx); err != nil || len(gs) != 0 {
		t.Fatalf("Groups of a new organization = %v, %v; want none", gs, err)
	}
	for _, g := range [][2]string{{"paris", "Paris office"}, {"berlin", "Berlin office"}} {
		if err := acme.CreateGroup(h.ctx, g[0], g[1]); err != nil {
			t.Fatal(err)
		}
	}
	gs, err := acme.Groups(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 2 || gs[0].ID != "berlin" || gs[0].Name != "Berlin office" || gs[1].ID != "paris" {
		t.Fatalf("Groups = %+v, want berlin then paris", gs)
	}
	for _, org := range []string{"acme", "nowhere"} {
		other := h.p.Org(portal.Actor{ID: "eve@globex", Org: "globex"}, org)
		if _, err := other.Groups(h.ctx); !errors.Is(err, portal.ErrNoAccess) {
			t.Fatalf("globex listing %s's groups: %v, want ErrNoAccess", org, err)
		}
	}
}
