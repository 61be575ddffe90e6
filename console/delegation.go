package console

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/licensekit/license/portal"
)

// A partner's customers and a customer's delegations (U5, V4). Both pages
// belong to the organization itself: a partner acting for a customer
// finds neither on the customer's side.

type customersData struct {
	Customers   []string
	Invitations []portal.Invitation
}

// ownOrg reports whether the path's organization is the principal's own,
// or the vendor's to act on as a member.
func ownOrg(r *http.Request, s *session) bool {
	return s.principal.Vendor || r.PathValue("org") == s.principal.Actor.Org
}

// actorFor is the actor that acts on the path's organization.
func actorFor(r *http.Request, s *session) portal.Actor {
	if s.principal.Vendor {
		return portal.Actor{ID: s.principal.Actor.ID, Org: r.PathValue("org")}
	}
	return s.principal.Actor
}

func (c *Console) customers(w http.ResponseWriter, r *http.Request, s *session) {
	c.showCustomers(w, r, s, http.StatusOK, "")
}

// showCustomers lists exactly the customers that delegated to the
// organization, each a link to its pages, and the invitations waiting.
func (c *Console) showCustomers(w http.ResponseWriter, r *http.Request, s *session, status int, msg string) {
	if !ownOrg(r, s) {
		c.notFound(w, r, s)
		return
	}
	sc := c.scope(r, s)
	var d customersData
	var err error
	if d.Invitations, err = sc.Invitations(r.Context()); err != nil {
		c.showProblem(w, r, s, "Customers", err)
		return
	}
	if d.Customers, err = c.portal.Customers(r.Context(), actorFor(r, s)); err != nil {
		c.showProblem(w, r, s, "Customers", err)
		return
	}
	p := c.base(s, "Customers", sc.ID())
	p.Error, p.Data = msg, d
	c.render(w, r, status, "customers", p)
}

// accept accepts a customer's invitation.
func (c *Console) accept(w http.ResponseWriter, r *http.Request, s *session) {
	if !ownOrg(r, s) {
		c.notFound(w, r, s)
		return
	}
	sc := c.scope(r, s)
	customer := strings.TrimSpace(r.PostFormValue("customer"))
	if err := sc.AcceptDelegation(r.Context(), customer); err != nil {
		c.fail(w, r, s, err, func(status int, msg string) { c.showCustomers(w, r, s, status, msg) })
		return
	}
	c.done(w, r, s, orgPath(sc.ID(), "customers"), "You now manage the licenses of "+customer+".")
}

type delegationsData struct {
	Delegations []portal.Delegation
	Partner     string
}

func (c *Console) delegations(w http.ResponseWriter, r *http.Request, s *session) {
	c.showDelegations(w, r, s, http.StatusOK, "", "")
}

func (c *Console) showDelegations(w http.ResponseWriter, r *http.Request, s *session, status int, msg, partner string) {
	if !ownOrg(r, s) {
		c.notFound(w, r, s)
		return
	}
	sc := c.scope(r, s)
	ds, err := sc.Delegations(r.Context())
	if err != nil {
		c.showProblem(w, r, s, "Delegation", err)
		return
	}
	p := c.base(s, "Delegation", sc.ID())
	p.Error, p.Data = msg, delegationsData{Delegations: ds, Partner: partner}
	c.render(w, r, status, "delegations", p)
}

// delegate invites a partner to manage the organization's licenses.
func (c *Console) delegate(w http.ResponseWriter, r *http.Request, s *session) {
	c.delegation(w, r, s, (*portal.OrgScope).Delegate, "Invited %s to manage your licenses: they will once they accept.")
}

// withdraw withdraws a delegation, or an invitation: the partner reaches
// nothing of the organization from then on.
func (c *Console) withdraw(w http.ResponseWriter, r *http.Request, s *session) {
	c.delegation(w, r, s, (*portal.OrgScope).Undelegate, "Withdrew the delegation to %s.")
}

func (c *Console) delegation(w http.ResponseWriter, r *http.Request, s *session,
	op func(*portal.OrgScope, context.Context, string) error, done string) {
	if !ownOrg(r, s) {
		c.notFound(w, r, s)
		return
	}
	sc := c.scope(r, s)
	partner := strings.TrimSpace(r.PostFormValue("partner"))
	if err := op(sc, r.Context(), partner); err != nil {
		c.fail(w, r, s, err, func(status int, msg string) { c.showDelegations(w, r, s, status, msg, partner) })
		return
	}
	c.done(w, r, s, orgPath(sc.ID(), "delegations"), fmt.Sprintf(done, partner))
}
