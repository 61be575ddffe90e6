package portal

import (
	"context"
	"maps"
	"slices"
)

// Groups lists the organization's license groups (G1), by ID: each with
// its licenses, its members in the order they joined and where the last
// placement run put them. A console lists them so that a customer can
// open one with OrgScope.Group. It returns ErrNoAccess when the actor
// cannot reach the organization.
func (s *OrgScope) Groups(ctx context.Context) ([]Group, error) {
	var out []Group
	err := s.view(ctx, func(o *Organization) error {
		for _, id := range o.Groups.IDs() {
			g, _ := o.Groups.Get(id)
			g.Licenses = slices.Clone(g.Licenses)
			g.Devices = slices.Clone(g.Devices)
			g.Placed = maps.Clone(g.Placed)
			out = append(out, g)
		}
		return nil
	})
	return out, err
}
