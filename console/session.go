package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// Cookie and field names.
const (
	sessionCookie = "lk_session" // names a session
	signinCookie  = "lk_signin"  // the sign-in form's token, before any session
	csrfField     = "csrf"       // every form's hidden token field
	signinPath    = "/console/signin"
)

// session is one person's sign-in. The principal is refreshed from the
// token on every request; csrf is the token every form carries; flash is
// a message for the next page shown, such as what a form did.
type session struct {
	id        string
	secret    string // the bearer token signed in with: never written anywhere
	principal portal.Principal
	csrf      string
	expires   time.Time

	mu    sync.Mutex
	flash string
}

// checkCSRF reports whether v is the session's form token, in constant
// time.
func (s *session) checkCSRF(v string) bool {
	return v != "" && subtle.ConstantTimeCompare([]byte(v), []byte(s.csrf)) == 1
}

// setFlash keeps msg for the next page the session shows.
func (s *session) setFlash(msg string) {
	s.mu.Lock()
	s.flash = msg
	s.mu.Unlock()
}

// takeFlash returns the message kept for this page, once.
func (s *session) takeFlash() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.flash
	s.flash = ""
	return m
}

// sessions are the live sessions, in memory: a restart signs everyone
// out, which a console can afford.
type sessions struct {
	clock license.Clock
	ttl   time.Duration

	mu   sync.Mutex
	byID map[string]*session
}

func newSessions(clk license.Clock, ttl time.Duration) *sessions {
	return &sessions{clock: clk, ttl: ttl, byID: make(map[string]*session)}
}

// start opens a session for the principal of secret and sets its cookie.
func (ss *sessions) start(w http.ResponseWriter, p portal.Principal, secret string, secure bool) *session {
	now := ss.clock.Now()
	s := &session{id: randomToken(), secret: secret, principal: p, csrf: randomToken(), expires: now.Add(ss.ttl)}
	ss.mu.Lock()
	for id, o := range ss.byID { // sweep the expired ones, which nobody can use
		if !now.Before(o.expires) {
			delete(ss.byID, id)
		}
	}
	ss.byID[s.id] = s
	ss.mu.Unlock()
	setCookie(w, sessionCookie, s.id, "/console/", int(ss.ttl/time.Second), http.SameSiteLaxMode, secure)
	return s
}

// get returns the live session the request's cookie names, or nil.
func (ss *sessions) get(r *http.Request) *session {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.byID[ck.Value]
	if s == nil {
		return nil
	}
	if !ss.clock.Now().Before(s.expires) {
		delete(ss.byID, s.id)
		return nil
	}
	return s
}

// end ends the request's session, if any, and clears its cookie.
func (ss *sessions) end(w http.ResponseWriter, r *http.Request, secure bool) {
	ss.drop(r)
	setCookie(w, sessionCookie, "", "/console/", -1, http.SameSiteLaxMode, secure)
}

// drop ends the request's session, if any, leaving its cookie.
func (ss *sessions) drop(r *http.Request) {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		ss.mu.Lock()
		delete(ss.byID, ck.Value)
		ss.mu.Unlock()
	}
}

// setCookie sets an HttpOnly cookie; maxAge -1 deletes it.
func setCookie(w http.ResponseWriter, name, value, path string, maxAge int, site http.SameSite, secure bool) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, SameSite: site, Secure: secure})
}

// randomToken returns 32 random bytes in unpadded base64url.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}
