package portal

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/licensekit/license"
)

// Errors of delegation (V4).
var (
	// ErrMembersOnly: only a member of the organization itself may do
	// this, not a partner acting under delegation: a partner may not
	// delegate further, nor withdraw or list delegations.
	ErrMembersOnly = errors.New("license: only the organization's own members may do this")
	// ErrNotDelegated: the organization has not delegated to that
	// partner, or invited it to accept a delegation; for
	// [OrgScope.AcceptDelegation], there is no such invitation, whether
	// the customer exists or not.
	ErrNotDelegated = errors.New("license: no delegation to that partner")
)

// Delegate invites partner, a channel partner's organization named by its
// ID, to manage the organization's licenses (V4), as ESET MSP and the
// Symantec portal do. The delegation is pending until a member of the
// partner accepts it with [OrgScope.AcceptDelegation]: until then the
// partner reaches nothing of the organization. Once accepted, the
// partner's members reach the organization through [Portal.Org] as its
// own members do, list its keys and hand them over (the key text is in
// [KeyUsage].Key), add keys, share them and so on, each of their actions
// recorded in the organization's history under the partner's ID (P5);
// [Portal.Customers] lists the organization for the partner.
//
// Delegate never tells whether partner exists: the answer, the pending
// invitation and the history entry are the same for an organization that
// does not exist, which simply never accepts (and could only accept if
// the vendor later created an organization with that ID: withdraw an
// invitation sent to a wrong ID with [OrgScope.Undelegate]). Get the
// partner's ID from the partner itself. Only a member of the organization
// may delegate. Delegating again to the same partner, pending or
// accepted, changes nothing and records nothing.
//
// Delegate returns an error wrapping ErrInvalidInput when partner is not a
// valid ID or is the organization itself, ErrNoAccess when the actor may
// not reach the organization, and ErrMembersOnly when the actor is a
// partner acting under delegation. Should the context end after the
// invitation is saved, it stands even though Delegate returns an error;
// calling Delegate again is safe.
func (s *OrgScope) Delegate(ctx context.Context, partner string) error {
	if err := s.checkPartner(partner); err != nil {
		return err
	}
	if err := s.members(ctx); err != nil {
		return err
	}
	// The index entry goes in before the invitation, so that a failure in
	// between leaves an entry that grants nothing rather than an
	// invitation its partner cannot list.
	if err := s.p.indexCustomer(ctx, partner, s.org, true); err != nil {
		return err
	}
	err := s.update(ctx, func(o *Organization, now time.Time) ([]license.Event, error) {
		if s.actor.Org != o.ID {
			return nil, ErrMembersOnly
		}
		if _, ok := o.Delegations[partner]; ok {
			return nil, nil
		}
		o.Delegations[partner] = Delegation{Partner: partner, Since: now, Pending: true}
		o.record(s.actor, now, "delegation.invite", partner, "")
		return nil, nil
	})
	if err != nil {
		return err
	}
	// Again: a concurrent Undelegate may have taken the entry out after
	// the first time, and before this invitation was saved.
	return s.p.indexCustomer(ctx, partner, s.org, true)
}

// Invitation is a customer's pending invitation to the partner to manage
// its licenses (V4).
type Invitation struct {
	Customer string    // the customer's organization ID
	Since    time.Time // when the customer invited the partner
}

// Invitations lists, by customer ID, the pending invitations the
// organization received as a partner (V4): the customers that delegated
// to it and wait for it to accept. Only the organization's own members
// see them. It returns ErrNoAccess when the actor may not reach the
// organization, and ErrMembersOnly when the actor acts under delegation.
func (s *OrgScope) Invitations(ctx context.Context) ([]Invitation, error) {
	if err := s.members(ctx); err != nil {
		return nil, err
	}
	var out []Invitation
	err := s.p.eachCustomer(ctx, s.org, func(customer string, d Delegation) {
		if d.Pending {
			out = append(out, Invitation{Customer: customer, Since: d.Since})
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AcceptDelegation accepts, for the organization as a partner, the
// customer's invitation to manage its licenses (V4): from then on the
// organization's members reach the customer, until it withdraws the
// delegation. It is recorded in the customer's history under the actor
// (P5). Accepting an accepted delegation changes nothing. Only the
// organization's own members may accept.
//
// AcceptDelegation returns an error wrapping ErrInvalidInput when
// customer is not a valid ID or is the organization itself, ErrNoAccess
// when the actor may not reach the organization, ErrMembersOnly when the
// actor acts under delegation, and ErrNotDelegated when the customer did
// not invite the organization, whether the customer exists or not.
func (s *OrgScope) AcceptDelegation(ctx context.Context, customer string) error {
	return s.answer(ctx, customer, true)
}

// DeclineDelegation declines, for the organization as a partner, the
// customer's pending invitation (V4): it is removed, recorded in the
// customer's history (P5), and no longer listed. Its errors are those of
// [OrgScope.AcceptDelegation]; a delegation already accepted is not an
// invitation, and gets ErrNotDelegated.
func (s *OrgScope) DeclineDelegation(ctx context.Context, customer string) error {
	return s.answer(ctx, customer, false)
}

// answer accepts or declines customer's invitation to the organization.
func (s *OrgScope) answer(ctx context.Context, customer string, accept bool) error {
	if err := s.checkPartner(customer); err != nil {
		return err
	}
	if err := s.members(ctx); err != nil {
		return err
	}
	now := s.p.now()
	err := s.p.store.UpdateOrganization(ctx, customer, func(o *Organization) error {
		d, ok := o.Delegations[s.org]
		switch {
		case ok && !d.Pending && accept:
			return nil // accepted already
		case !ok || !d.Pending:
			return fmt.Errorf("%w: no invitation from %s", ErrNotDelegated, customer)
		case accept:
			d.Pending, d.Accepted = false, now
			o.Delegations[s.org] = d
			o.record(s.actor, now, "delegation.accept", s.org, "")
		default:
			delete(o.Delegations, s.org)
			o.record(s.actor, now, "delegation.decline", s.org, "")
		}
		return nil
	})
	if errors.Is(err, license.ErrNotFound) {
		return fmt.Errorf("%w: no invitation from %s", ErrNotDelegated, customer)
	}
	return err
}

// Undelegate withdraws the organization's delegation to partner, or its
// pending invitation (V4). It takes effect at once: every call of the partner's members on the
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
	err := s.update(ctx, func(o *Organization, now time.Time) ([]license.Event, error) {
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
	if _, still, err := s.p.delegation(ctx, s.org, partner); err == nil && still {
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
// actor's organization, whose invitation it accepted, and still do (V4): the customers a partner
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
	var out []string
	err := p.eachCustomer(ctx, actor.Org, func(customer string, d Delegation) {
		if !d.Pending {
			out = append(out, customer)
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachCustomer calls fn, in order of customer ID, with each organization
// that delegated to partner, or invited it, now, and its delegation.
func (p *Portal) eachCustomer(ctx context.Context, partner string, fn func(customer string, d Delegation)) error {
	var listed []string
	err := p.store.ViewVendor(ctx, func(v *Vendor) error {
		listed = slices.Clone(v.Customers[partner])
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range listed {
		d, ok, err := p.delegation(ctx, c, partner)
		if err != nil {
			return err
		}
		if ok {
			fn(c, d)
		}
	}
	return nil
}

// delegation returns organization customer's delegation to partner now,
// accepted or pending. A customer that does not exist delegates to
// nobody.
func (p *Portal) delegation(ctx context.Context, customer, partner string) (Delegation, bool, error) {
	var d Delegation
	var ok bool
	err := p.store.ViewOrganization(ctx, customer, func(o *Organization) error {
		d, ok = o.Delegations[partner]
		return nil
	})
	if errors.Is(err, license.ErrNotFound) {
		return Delegation{}, false, nil
	}
	return d, ok && customer != partner, err
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
		return fmt.Errorf("%w: an organization cannot delegate to itself", license.ErrInvalidInput)
	}
	return nil
}
