package console

import (
	"net/http"
	"strings"
)

// signinForm shows the sign-in form. Its form token is bound to a cookie
// of its own, as there is no session yet to bind it to.
func (c *Console) signinForm(w http.ResponseWriter, r *http.Request) {
	c.showSignin(w, r, http.StatusOK, "")
}

func (c *Console) showSignin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	tok := ""
	if ck, err := r.Cookie(signinCookie); err == nil && len(ck.Value) == len(randomToken()) {
		tok = ck.Value
	} else {
		tok = randomToken()
		setCookie(w, signinCookie, tok, signinPath, 0, http.SameSiteStrictMode, c.cookieSecure(r))
	}
	c.render(w, r, status, "signin", &page{Title: "Sign in", CSRF: tok, Error: msg})
}

// signin checks the token and opens a session, then sends the person to
// their start page.
func (c *Console) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	ck, err := r.Cookie(signinCookie)
	if err != nil || !(&session{csrf: ck.Value}).checkCSRF(r.PostFormValue(csrfField)) {
		c.refused(w, r, nil)
		return
	}
	secret := strings.TrimSpace(r.PostFormValue("token"))
	p, err := c.auth.Authenticate(r.Context(), secret)
	if secret == "" || err != nil {
		c.showSignin(w, r, http.StatusUnauthorized, "That token is not valid.")
		return
	}
	secure := c.cookieSecure(r)
	c.sessions.drop(r) // a new sign-in never reuses a session
	c.sessions.start(w, p, secret, secure)
	setCookie(w, signinCookie, "", signinPath, -1, http.SameSiteStrictMode, secure)
	http.Redirect(w, r, startPage(p), http.StatusSeeOther)
}

// signout ends the session.
func (c *Console) signout(w http.ResponseWriter, r *http.Request, _ *session) {
	c.sessions.end(w, r, c.cookieSecure(r))
	http.Redirect(w, r, signinPath, http.StatusSeeOther)
}
