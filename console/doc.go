// Package console is the web console of a license server: the screens
// through which an organization's people, its channel partners and the
// vendor use a [portal.Portal] from a browser (U1–U5).
//
// # What it serves
//
// [Console] is an http.Handler for everything under /console/. Pages are
// rendered on the server with html/template, one layout and one template
// per screen, embedded in the binary with the style sheet; no page needs
// JavaScript, and every list is a table, every input has a label, and the
// layout holds at phone width.
//
//   - /console/signin: sign in with a bearer token of the server.
//   - /console/orgs/{org}/: the overview, each software's license state,
//     expiry and what to do next (U1); then wallet (U2), keys (U3),
//     groups and groups/{group}, history (U4), customers and delegations
//     (U5, V4).
//   - /console/vendor/: the vendor's pages: codes, vouchers and
//     revocations.
//
// # Security
//
// A sign-in checks the token with [Config.Auth] and opens a session kept
// in memory, named by a random cookie, lk_session, that is HttpOnly,
// SameSite=Lax, and Secure when the request came over TLS (or
// [Config.Secure] is set). The session keeps the token and authenticates
// it again on every request, so that a revoked token ends its sessions at
// once. Every form carries a per-session token, and a POST without the
// right one is refused with 403 and changes nothing; the sign-in form
// carries one bound to a cookie of its own.
//
// An organization's page answers exactly the same "Not found" page for an
// organization the person may not reach as for one that does not exist
// (W3, P4). A refusal of the portal is shown on the form's page, with the
// status the refusal calls for, and the portal changed nothing.
package console
