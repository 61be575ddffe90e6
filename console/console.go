package console

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// DefaultSessionTTL is how long a session lasts when
// Config.SessionTTL is zero.
const DefaultSessionTTL = 12 * time.Hour

// Authenticator tells who a bearer token's secret authenticates (W2).
// *portal.Portal is one, as is the license server's own. Authenticate
// returns an error when the secret names no principal; the console
// answers any such error as a failed sign-in.
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (portal.Principal, error)
}

// Config configures a Console. Portal and Auth are required; every other
// field's zero value is documented.
type Config struct {
	// Portal runs every operation. Required.
	Portal *portal.Portal
	// Auth checks the tokens people sign in with. Required.
	Auth Authenticator
	// Clock is the time source of the sessions and the overview. Nil
	// means the system clock.
	Clock license.Clock
	// Policy is the applications' lifecycle policy, with which the
	// overview tells each software's state (U1). The zero value means
	// license.DefaultPolicy().
	Policy license.Policy
	// SessionTTL is how long a session lasts after sign-in. Zero means
	// DefaultSessionTTL.
	SessionTTL time.Duration
	// Secure marks the cookies Secure on every request, for a server
	// behind a proxy that terminates TLS. Without it they are Secure when
	// the request itself came over TLS.
	Secure bool
	// Logger receives the details of internal errors, which the pages
	// leave out. Nil discards them.
	Logger *slog.Logger
}

// Console is the web console: an http.Handler for every path under
// /console/, which it expects in full (mount it with
// mux.Handle("/console/", c)). Build it with New. It is safe for
// concurrent use.
type Console struct {
	portal   *portal.Portal
	auth     Authenticator
	clock    license.Clock
	policy   license.Policy
	secure   bool
	log      *slog.Logger
	sessions *sessions
	pages    *pages
	mux      *http.ServeMux
}

// New returns a Console for cfg. It returns an error wrapping
// license.ErrInvalidInput when Portal or Auth is missing or SessionTTL is
// negative.
func New(cfg Config) (*Console, error) {
	if cfg.Portal == nil || cfg.Auth == nil {
		return nil, fmt.Errorf("%w: console.New needs a Portal and an Auth", license.ErrInvalidInput)
	}
	if cfg.SessionTTL < 0 {
		return nil, fmt.Errorf("%w: negative SessionTTL %s", license.ErrInvalidInput, cfg.SessionTTL)
	}
	c := &Console{portal: cfg.Portal, auth: cfg.Auth, clock: cfg.Clock, policy: cfg.Policy, secure: cfg.Secure, log: cfg.Logger}
	if c.clock == nil {
		c.clock = clock.New()
	}
	if c.policy.ExpiringWindow == 0 {
		c.policy = license.DefaultPolicy()
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	ttl := cfg.SessionTTL
	if ttl == 0 {
		ttl = DefaultSessionTTL
	}
	c.sessions = newSessions(c.clock, ttl)
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	c.pages = p
	c.routes()
	return c, nil
}

// ServeHTTP serves the console.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	c.mux.ServeHTTP(w, r)
}

// routes registers every page. A signed-in page's handler gets the
// request's session; a POST is refused unless it carries the session's
// form token.
func (c *Console) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(assets, "static") // the directory is embedded
	m.Handle("GET /console/static/", http.StripPrefix("/console/static/", http.FileServerFS(static)))

	m.HandleFunc("GET /console/{$}", c.home)
	m.HandleFunc("GET /console/signin", c.signinForm)
	m.HandleFunc("POST /console/signin", c.signin)
	m.HandleFunc("POST /console/signout", c.signedIn(c.signout))

	org := func(pattern string, h handler) { m.HandleFunc(pattern, c.signedIn(h)) }
	org("GET /console/orgs/{org}/{$}", c.overview)
	org("GET /console/orgs/{org}/wallet", c.wallet)
	org("POST /console/orgs/{org}/wallet", c.redeem)
	org("GET /console/orgs/{org}/keys", c.keys)
	org("POST /console/orgs/{org}/keys", c.addKey)
	org("GET /console/orgs/{org}/groups", c.groups)
	org("POST /console/orgs/{org}/groups", c.createGroup)
	org("GET /console/orgs/{org}/groups/{group}", c.group)
	org("POST /console/orgs/{org}/groups/{group}/devices", c.joinGroup)
	org("POST /console/orgs/{org}/groups/{group}/licenses", c.addToGroup)
	org("GET /console/orgs/{org}/history", c.history)
	org("GET /console/orgs/{org}/customers", c.customers)
	org("POST /console/orgs/{org}/customers/accept", c.accept)
	org("GET /console/orgs/{org}/delegations", c.delegations)
	org("POST /console/orgs/{org}/delegations", c.delegate)
	org("POST /console/orgs/{org}/delegations/withdraw", c.withdraw)

	vendor := func(pattern string, h handler) { m.HandleFunc(pattern, c.signedIn(c.vendorOnly(h))) }
	vendor("GET /console/vendor/{$}", c.vendorHome)
	vendor("GET /console/vendor/codes", c.codes)
	vendor("POST /console/vendor/codes", c.issueCodes)
	vendor("GET /console/vendor/vouchers", c.vouchers)
	vendor("POST /console/vendor/vouchers", c.issueVouchers)
	vendor("GET /console/vendor/revocations", c.revocations)
	vendor("POST /console/vendor/revocations", c.revoke)

	// Whatever else lies under /console/ is not found, for whoever asks.
	m.HandleFunc("/console/", c.signedIn(func(w http.ResponseWriter, r *http.Request, s *session) {
		c.notFound(w, r, s)
	}))
	c.mux = m
}

// handler is a page's handler, for a signed-in person.
type handler func(w http.ResponseWriter, r *http.Request, s *session)

// home sends a person to their start page, or to the sign-in form.
func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	s := c.sessions.get(r)
	if s == nil {
		http.Redirect(w, r, signinPath, http.StatusSeeOther)
		return
	}
	if _, err := c.auth.Authenticate(r.Context(), s.secret); err != nil {
		c.sessions.end(w, r, c.cookieSecure(r))
		http.Redirect(w, r, signinPath, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, startPage(s.principal), http.StatusSeeOther)
}

// signedIn runs h for a request of a live session whose token still
// authenticates, with the session's form token checked on a POST; it
// sends anyone else to the sign-in form.
func (c *Console) signedIn(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := c.sessions.get(r)
		if s == nil {
			http.Redirect(w, r, signinPath, http.StatusSeeOther)
			return
		}
		p, err := c.auth.Authenticate(r.Context(), s.secret)
		if err != nil {
			// The token was revoked since: its sessions end with it.
			c.sessions.end(w, r, c.cookieSecure(r))
			http.Redirect(w, r, signinPath, http.StatusSeeOther)
			return
		}
		s.principal = p
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			if !s.checkCSRF(r.PostFormValue(csrfField)) {
				c.refused(w, r, s)
				return
			}
		}
		if p.Vendor {
			r = r.WithContext(portal.WithVendorActor(r.Context(), p.Actor.ID))
		}
		h(w, r, s)
	}
}

// vendorOnly runs h for the vendor's principals; anyone else finds
// nothing there.
func (c *Console) vendorOnly(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		if !s.principal.Vendor {
			c.notFound(w, r, s)
			return
		}
		h(w, r, s)
	}
}

// cookieSecure reports whether the request's cookies are marked Secure.
func (c *Console) cookieSecure(r *http.Request) bool { return c.secure || r.TLS != nil }

// startPage is where a principal lands after signing in.
func startPage(p portal.Principal) string {
	if p.Vendor {
		return "/console/vendor/"
	}
	return orgPath(p.Actor.Org, "")
}

// maxForm is the largest form body read: a license key is a few
// kilobytes.
const maxForm = 64 << 10
