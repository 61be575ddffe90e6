package console

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// assets are the page templates and the style sheet.
//
//go:embed templates static
var assets embed.FS

// screens are the templates, one per screen, each rendered in the
// layout.
var screens = []string{
	"signin", "problem", "overview", "wallet", "keys", "groups", "group", "history",
	"customers", "delegations", "vendor", "codes", "vouchers", "revocations",
}

// pages are the parsed templates, by screen.
type pages struct{ byName map[string]*template.Template }

func parsePages() (*pages, error) {
	funcs := template.FuncMap{
		"orgPath": orgPath,
		"date":    date,
		"instant": instant,
	}
	ps := &pages{byName: make(map[string]*template.Template, len(screens))}
	for _, name := range screens {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/parts.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console: parsing the %s page: %w", name, err)
		}
		ps.byName[name] = t
	}
	return ps, nil
}

// page is what the layout shows around a screen.
type page struct {
	Title     string            // the page's one h1
	Principal *portal.Principal // who is signed in; nil on the sign-in form
	Org       string            // the organization whose pages the navigation links; "" for none
	OwnOrg    bool              // Org is the principal's own organization
	CSRF      string            // the form token
	Flash     string            // what the last form did
	Error     string            // a refusal, shown on the form's page
	Data      any               // the screen's own data
}

// render writes the page of screen name with status.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	var b bytes.Buffer
	if err := c.pages.byName[name].Execute(&b, p); err != nil {
		c.log.LogAttrs(r.Context(), slog.LevelError, "console: rendering a page",
			slog.String("page", name), slog.String("error", err.Error()))
		http.Error(w, "Something went wrong.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// base returns the layout's data for a signed-in page about org, or
// about no organization when org is "".
func (c *Console) base(s *session, title, org string) *page {
	p := &page{Title: title, Principal: &s.principal, Org: org, CSRF: s.csrf, Flash: s.takeFlash()}
	p.OwnOrg = org != "" && (s.principal.Vendor || org == s.principal.Actor.Org)
	return p
}

// notFound answers the one "Not found" page: the same, byte for byte,
// for an organization the principal may not reach as for one that does
// not exist (W3), as it names neither.
func (c *Console) notFound(w http.ResponseWriter, r *http.Request, s *session) {
	p := &page{Title: "Not found", Principal: &s.principal, CSRF: s.csrf,
		Data: "There is nothing here, or nothing you may see."}
	c.render(w, r, http.StatusNotFound, "problem", p)
}

// refused answers a form posted without its form token, or with a wrong
// one: nothing was done.
func (c *Console) refused(w http.ResponseWriter, r *http.Request, s *session) {
	p := &page{Title: "Refused", Data: "The form's security token is missing or wrong. Nothing was changed."}
	if s != nil {
		p.Principal, p.CSRF = &s.principal, s.csrf
	}
	c.render(w, r, http.StatusForbidden, "problem", p)
}

// internal answers an error that is not a refusal of the portal: its
// details go to the log, not to the page.
func (c *Console) internal(w http.ResponseWriter, r *http.Request, s *session, err error) {
	c.log.LogAttrs(r.Context(), slog.LevelError, "console: internal error",
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("error", err.Error()))
	p := &page{Title: "Something went wrong", Principal: &s.principal, CSRF: s.csrf,
		Data: "The server could not do that. Try again later."}
	c.render(w, r, http.StatusInternalServerError, "problem", p)
}

// fail answers err: the "Not found" page when the principal may not
// reach the organization; a refusal of the portal on the form's page,
// which show renders with the status and message given; anything else
// as an internal error.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *session, err error, show func(status int, msg string)) {
	if errors.Is(err, portal.ErrNoAccess) {
		c.notFound(w, r, s)
		return
	}
	status, msg, ok := refusal(err)
	if !ok {
		c.internal(w, r, s, err)
		return
	}
	show(status, msg)
}

// badRequest are the refusals of malformed input, answered 400; the
// other refusals are conflicts with what the portal holds, 409.
var badRequest = []error{
	license.ErrInvalidInput, license.ErrInvalidLicense, license.ErrMalformedKey,
	license.ErrUnsupportedVersion, license.ErrUnknownSigner, license.ErrRetiredSigner,
	license.ErrBadSignature, portal.ErrBadCode,
}

// refusal returns the status and the message for people of a refusal of
// the portal or of package license, whose errors all wrap one of their
// sentinels, which say "license: …"; ok is false for anything else (a
// store's or the context's error), whose text is not for the page.
func refusal(err error) (status int, msg string, ok bool) {
	text := err.Error()
	if !strings.Contains(text, sentinelPrefix) || errors.Is(err, license.ErrCorrupt) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return 0, "", false
	}
	status = http.StatusConflict
	for _, e := range badRequest {
		if errors.Is(err, e) {
			status = http.StatusBadRequest
			break
		}
	}
	if errors.Is(err, portal.ErrMembersOnly) {
		status = http.StatusForbidden
	}
	return status, sentence(strings.ReplaceAll(text, sentinelPrefix, "")) + " Nothing was changed.", true
}

// sentinelPrefix starts the text of every error of packages license and
// portal.
const sentinelPrefix = "license: "

// sentence makes text a sentence: a capital first, a full stop last.
func sentence(text string) string {
	if text == "" {
		return text
	}
	text = strings.ToUpper(text[:1]) + text[1:]
	if !strings.HasSuffix(text, ".") {
		text += "."
	}
	return text
}

// orgPath is the path of an organization's page: its overview with
// suffix "".
func orgPath(org, suffix string) string {
	return "/console/orgs/" + url.PathEscape(org) + "/" + suffix
}

// date writes an instant's day, UTC, or "never" for the zero instant.
func date(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.DateOnly)
}

// instant writes an instant to the minute, UTC.
func instant(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
