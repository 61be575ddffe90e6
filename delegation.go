package license

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Errors of delegation (V4).
var (
	// ErrMembersOnly: only a member of the organization itself may do
	// this, not a partner acting under delegation: a partner may not
	// delegate further, nor withdraw or list delegations.
	ErrMembersOnly = errors.New("license: only the organization's own members may do this")
	// ErrUnknownPartner: there is no organization with the partner ID
	// given to [OrgScope.Delegate].
	ErrUnknownPartner = errors.New("license: no such partner")
	// ErrNotDelegated: the organization has not delegated to that
	// partner.
	ErrNotDelegated = errors.New("license: no delegation to that partner")
)

// Delegate delegates the management of the organization's licenses to
// partner, a channel partner's organization (V4). From then on the
// partner's members reach the organization through [Portal.Org] as its
// own members do, list its keys and hand them over (the key text is in
// [KeyUsage].Key), add keys, share them and so on, each of their actions
// recorded in the organization's history under the partner's ID (P5);
// [Portal.Customers] lists the organization for the partner. Only a
// member of the organization may delegate. Delegating again to the same
// partner changes nothing and records nothing.
//
// Delegate returns an error wrapping ErrInvalidInput when partner is not a
// valid ID or is the organization itself, ErrNoAccess when the actor may
// not reach the organization, ErrMembersOnly when the actor is a partner
// acting under delegation, and ErrUnknownPartner when there is no
// organization partner. The actor's access is checked before the partner,
// so an actor without access learns nothing about which organizations
// exist. Should the context end after the delegation is saved, it stands
// even though Delegate returns an error; calling Delegate again is safe.
func (s *OrgScope) Delegate(ctx context.Context, partner string) error {
	if err := s.checkPartner(partner); err != nil {
		return err
	}
	if err := s.members(ctx); err != nil {
		return err
	}
	err := s.p.store.ViewOrganization(ctx, partner, func(*Organization) error { return nil })
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %s", ErrUnknownPartner, partner)
	}
	if err != nil {
		return err
	}
	// The index entry goes in before the delegation, so that a failure in
	// between leaves an entry that grants nothing rather than a
	// delegation its partner cannot list.
	if err := s.p.indexCustomer(ctx, partner, s.org, true); err != nil {
		return err
	}
	err = s.update(ctx, func(o *Organization, now time.Time) ([]Event, error) {
		if s.actor.Org != o.ID {
			return nil, ErrMembersOnly
		}
		if _, ok := o.Delegations[partner]; ok {
			return nil, nil
		}
		o.Delegations[partner] = Delegation{Partner: partner, Since: now}
		o.record(s.actor, now, "delegation.grant", partner, "")
		return nil, nil
	})
	if err != nil {
		return err
	}
	// Again: a concurrent Undelegate may have taken the entry out after
	// the first time, and before this delegation was saved.
	return s.p.indexCustomer(ctx, partner, s.org, true)
}

// Undelegate withdraws the organization's delegation to partner (V4). It
// takes effect at once: every call of the partner's members on the
// organization then fails with ErrNoAccess, and [Portal.Customers] no
// longer lists it. Only a member of the organization may withdraw a
// delegation; it is recorded in the history (P5).
//
// Undelegate returns an error wrapping ErrInvalidInput when partner is not
// a valid ID or is the organization itself, ErrNoAccess when the actor may
// not reach the organization, ErrMembersOnly when the actor is a partner
// acting under delegation, and ErrNotDelegated when the organization has
// not delegated to partner.
func (s *OrgScope) Undelegate(ctx context.Context, partner string) error {
	if err := s.checkPartner(partner); err != nil {
		return err
	}
	err := s.update(ctx, func(o *Organization, now time.Time) ([]Event, error) {
		if s.actor.Org != o.ID {
			return nil, ErrMembersOnly
		}
		if _, ok := o.Delegations[partner]; !ok {
			return nil, fmt.Errorf("%w: %s", ErrNotDelegated, partner)
		}
		delete(o.Delegations, partner)
		o.record(s.actor, now, "delegation.withdraw", partner, "")
		return nil, nil
	})
	if err != nil {
		return err
	}
	// The withdrawal is saved and in force. What follows only tidies the
	// index, which Customers checks again, so its errors are ignored.
	if s.p.indexCustomer(ctx, partner, s.org, false) != nil {
		return nil
	}
	// A concurrent Delegate may have delegated again, and added its entry,
	// before the entry was taken out: put it back.
	if still, err := s.p.delegatedTo(ctx, s.org, partner); err == nil && still {
		_ = s.p.indexCustomer(ctx, partner, s.org, true)
	}
	return nil
}

// Delegations lists the organization's delegations (V4), by partner ID.
// Only a member of the organization may list them, so that a partner does
// not learn which other partners a customer has.
//
// Delegations returns ErrNoAccess when the actor may not reach the
// organization, and ErrMembersOnly when the actor is a partner acting
// under delegation.
func (s *OrgScope) Delegations(ctx context.Context) ([]Delegation, error) {
	var out []Delegation
	err := s.view(ctx, func(o *Organization) error {
		if s.actor.Org != o.ID {
			return ErrMembersOnly
		}
		for _, id := range slices.Sorted(maps.Keys(o.Delegations)) {
			out = append(out, o.Delegations[id])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Customers lists, sorted, the organizations that delegated to the
// actor's organization and still do (V4): the customers a partner
// manages. A partner sees only those; an organization nobody delegated
// to, or that does not exist, gets an empty list. Each customer's
// delegation is checked at the time of the call, so one withdrawn a
// moment ago is not listed.
//
// Customers returns an error wrapping ErrInvalidInput when actor.Org is
// not a valid ID.
func (p *Portal) Customers(ctx context.Context, actor Actor) ([]string, error) {
	if err := checkScopeArgs("actor's organization", actor.Org); err != nil {
		return nil, err
	}
	var listed []string
	err := p.store.ViewVendor(ctx, func(v *Vendor) error {
		listed = slices.Clone(v.Customers[actor.Org])
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range listed {
		ok, err := p.delegatedTo(ctx, c, actor.Org)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// delegatedTo reports whether organization customer delegates to
// partner now. A customer that does not exist delegates to nobody.
func (p *Portal) delegatedTo(ctx context.Context, customer, partner string) (bool, error) {
	var ok bool
	err := p.store.ViewOrganization(ctx, customer, func(o *Organization) error {
		_, ok = o.Delegations[partner]
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return ok && customer != partner, err
}

// indexCustomer adds customer to, or removes it from, the vendor's index
// of the customers that delegated to partner. The index's slices and map
// are replaced, never changed in place.
func (p *Portal) indexCustomer(ctx context.Context, partner, customer string, add bool) error {
	return p.store.UpdateVendor(ctx, func(v *Vendor) error {
		cs := v.Customers[partner]
		i, found := slices.BinarySearch(cs, customer)
		if found == add {
			return nil
		}
		if add {
			cs = slices.Insert(slices.Clip(cs), i, customer)
		} else {
			cs = slices.Delete(slices.Clone(cs), i, i+1)
		}
		m := maps.Clone(v.Customers)
		if m == nil {
			m = map[string][]string{}
		}
		if len(cs) == 0 {
			delete(m, partner)
		} else {
			m[partner] = cs
		}
		v.Customers = m
		return nil
	})
}

// members checks that the actor is a member of the organization: it
// returns ErrNoAccess when the actor may not reach it, and ErrMembersOnly
// when the actor reaches it under delegation.
func (s *OrgScope) members(ctx context.Context) error {
	return s.view(ctx, func(o *Organization) error {
		if s.actor.Org != o.ID {
			return ErrMembersOnly
		}
		return nil
	})
}

// checkPartner checks a partner ID given to Delegate or Undelegate.
func (s *OrgScope) checkPartner(partner string) error {
	if err := checkScopeArgs("partner", partner); err != nil {
		return err
	}
	if partner == s.org {
		return fmt.Errorf("%w: an organization cannot delegate to itself", ErrInvalidInput)
	}
	return nil
}
