package console

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// The vendor's pages: activation codes (K5), vouchers (K6) and
// revocation (C1, C2). vendorOnly keeps everyone else out.

// vendorList is how many records a vendor's list shows.
const vendorList = 100

type vendorData struct {
	Organizations []portal.OrgSummary
}

func (c *Console) vendorHome(w http.ResponseWriter, r *http.Request, s *session) {
	orgs, _, err := c.portal.Organizations(r.Context(), "", vendorList)
	if err != nil {
		c.showProblem(w, r, s, "Vendor", err)
		return
	}
	p := c.base(s, "Vendor", "")
	p.Data = vendorData{Organizations: orgs}
	c.render(w, r, http.StatusOK, "vendor", p)
}

// issueForm is what the vendor fills in to issue codes or vouchers: the
// template's product, quantity and term, and how many to issue.
type issueForm struct {
	Product, Quantity, Term, Count, Limit string
}

// template returns the license the form describes: per device when it
// has a quantity, unmetered otherwise, with a term in days or none.
func (f issueForm) template(now time.Time) (license.License, int, int, error) {
	l := license.License{Product: strings.TrimSpace(f.Product), IssuedAt: now}
	n, err := formInt("quantity", f.Quantity, 0)
	if err != nil {
		return l, 0, 0, err
	}
	if n > 0 {
		l.Scheme, l.Quantity = license.SchemePerDevice, n
	}
	days, err := formInt("term", f.Term, 0)
	if err != nil {
		return l, 0, 0, err
	}
	l.Term = time.Duration(days) * license.Day
	count, err := formInt("count", f.Count, 1)
	if err != nil {
		return l, 0, 0, err
	}
	limit, err := formInt("limit", f.Limit, 1)
	return l, count, limit, err
}

// formInt reads a form's whole number of zero or more, def when empty.
func formInt(name, v string, def int) (int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: the %s must be a whole number of zero or more", license.ErrInvalidInput, name)
	}
	return n, nil
}

func readIssueForm(r *http.Request) issueForm {
	return issueForm{Product: r.PostFormValue("product"), Quantity: r.PostFormValue("quantity"),
		Term: r.PostFormValue("term"), Count: r.PostFormValue("count"), Limit: r.PostFormValue("limit")}
}

type codesData struct {
	Codes []portal.ActivationCode
	Form  issueForm
}

func (c *Console) codes(w http.ResponseWriter, r *http.Request, s *session) {
	c.showCodes(w, r, s, http.StatusOK, "", issueForm{Count: "1", Limit: "1"})
}

func (c *Console) showCodes(w http.ResponseWriter, r *http.Request, s *session, status int, msg string, f issueForm) {
	codes, _, err := c.portal.ActivationCodes(r.Context(), "", vendorList)
	if err != nil {
		c.showProblem(w, r, s, "Activation codes", err)
		return
	}
	p := c.base(s, "Activation codes", "")
	p.Error, p.Data = msg, codesData{Codes: codes, Form: f}
	c.render(w, r, status, "codes", p)
}

// issueCodes issues activation codes (K5).
func (c *Console) issueCodes(w http.ResponseWriter, r *http.Request, s *session) {
	f := readIssueForm(r)
	show := func(status int, msg string) { c.showCodes(w, r, s, status, msg, f) }
	tmpl, n, limit, err := f.template(c.clock.Now())
	if err != nil {
		c.fail(w, r, s, err, show)
		return
	}
	codes, err := c.portal.IssueActivationCodes(r.Context(), tmpl, n, limit)
	if err != nil {
		c.fail(w, r, s, err, show)
		return
	}
	c.done(w, r, s, "/console/vendor/codes", "Issued "+strings.Join(codes, ", ")+".")
}

type vouchersData struct {
	Vouchers []portal.Voucher
	Form     issueForm
}

func (c *Console) vouchers(w http.ResponseWriter, r *http.Request, s *session) {
	c.showVouchers(w, r, s, http.StatusOK, "", issueForm{Count: "1"})
}

func (c *Console) showVouchers(w http.ResponseWriter, r *http.Request, s *session, status int, msg string, f issueForm) {
	vs, _, err := c.portal.Vouchers(r.Context(), "", vendorList)
	if err != nil {
		c.showProblem(w, r, s, "Vouchers", err)
		return
	}
	p := c.base(s, "Vouchers", "")
	p.Error, p.Data = msg, vouchersData{Vouchers: vs, Form: f}
	c.render(w, r, status, "vouchers", p)
}

// issueVouchers issues OEM vouchers (K6).
func (c *Console) issueVouchers(w http.ResponseWriter, r *http.Request, s *session) {
	f := readIssueForm(r)
	f.Limit = ""
	show := func(status int, msg string) { c.showVouchers(w, r, s, status, msg, f) }
	tmpl, n, _, err := f.template(c.clock.Now())
	if err != nil {
		c.fail(w, r, s, err, show)
		return
	}
	vs, err := c.portal.IssueVouchers(r.Context(), tmpl, n)
	if err != nil {
		c.fail(w, r, s, err, show)
		return
	}
	c.done(w, r, s, "/console/vendor/vouchers", "Issued "+strings.Join(vs, ", ")+".")
}

type revocationsData struct {
	Serial          uint64
	License, Reason string
}

func (c *Console) revocations(w http.ResponseWriter, r *http.Request, s *session) {
	c.showRevocations(w, r, s, http.StatusOK, "", revocationsData{})
}

func (c *Console) showRevocations(w http.ResponseWriter, r *http.Request, s *session, status int, msg string, d revocationsData) {
	_, serial, err := c.portal.RevocationList(r.Context())
	if err != nil {
		c.showProblem(w, r, s, "Revocation", err)
		return
	}
	d.Serial = serial
	p := c.base(s, "Revocation", "")
	p.Error, p.Data = msg, d
	c.render(w, r, status, "revocations", p)
}

// revoke revokes a license for good (C1); the next revocation list names
// it (C2).
func (c *Console) revoke(w http.ResponseWriter, r *http.Request, s *session) {
	d := revocationsData{License: strings.TrimSpace(r.PostFormValue("license")), Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	if err := c.portal.Revoke(r.Context(), d.License, d.Reason); err != nil {
		c.fail(w, r, s, err, func(status int, msg string) { c.showRevocations(w, r, s, status, msg, d) })
		return
	}
	c.done(w, r, s, "/console/vendor/revocations", "Revoked the license "+d.License+".")
}
