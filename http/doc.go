// Package http is the license server's HTTP API over a [portal.Portal],
// and its Go client, side by side.
//
// # What the server serves
//
// [Server] serves every operation of [portal.Portal] and
// [portal.OrgScope] as one route under /v1 (W1): the vendor's (creating
// organizations; issuing activation codes, serial numbers, vouchers and
// upgrades; revoking licenses, activations and signing keys; the vendor's
// history; the server's bearer tokens and webhooks) and each
// organization's, under /v1/orgs/{org}/
// (key storage, devices and seats, license groups, wallet and
// subscriptions, redeeming codes, vouchers, serial numbers and upgrades,
// renewing the licenses of codes, delegation to partners, history). Bodies
// are JSON, in both directions; GET /v1/openapi.json serves the OpenAPI
// 3.1 document of every route, made from the same table as the routes
// themselves.
//
// Every error answer has one status and the body
//
//	{"code": "no_such_device", "message": "license: no such device"}
//
// whose code is stable: one table maps each sentinel error of packages
// license and portal to its status and code (W3). An error the table does
// not know is answered 500 "internal", with nothing of its text, which
// goes to the server's log instead. A request about another
// organization's data gets the very answer a request about a missing
// organization gets: 404 "no_such_organization".
//
// A request body is at most [ServerConfig.MaxBodyBytes] (1 MiB by
// default; larger is 413 "body_too_large"), and is one JSON value with no
// unknown field and nothing after it; anything else is 400
// "malformed_request", and a bad value is 400 too, with the code of the
// portal's error (W4). Nothing changes on any error: the portal applies
// each operation whole or not at all.
//
// # Authentication
//
// Every route but the OpenAPI document, the revocation list and the
// devices' (see Devices below) needs a bearer token, sent as
// "Authorization: Bearer <secret>" (W2). [ServerConfig.Auth] tells who the
// secret names, as a [portal.Principal]; a missing, unknown or revoked
// token is 401 "unauthenticated". A vendor's principal may call the
// vendor's routes and act on every organization, as a member of it, with
// its own ID in the histories (P5). An organization's principal may not
// call the vendor's routes (403 "vendor_only"), and reaches what the
// portal lets its actor reach: its own organization, and the customers
// that delegated to it (V4).
//
// The portal keeps the tokens, hashed, and is the Authenticator a
// deployed server is given. The vendor's first token is made on the
// server's machine with [portal.Portal.CreateToken]; the others, for the
// vendor's people and services or for an organization's, through POST
// /v1/tokens, whose answer is the only one that carries the token's
// secret. No answer carries a token's hash, which would let its reader
// test guesses offline. DELETE /v1/tokens/{token} revokes a token: its
// next request is 401.
//
// Making and revoking tokens is the vendor's alone, an organization's
// administrator included: the portal knows no roles within an
// organization, so a token one of its members made would reach all that
// an administrator's reaches, and a leaked token could mint others that
// outlive its revocation. An organization asks the vendor for its tokens.
//
// A webhook's secret, with which its deliveries are signed, is in the
// answer of POST /v1/webhooks and in no other: GET /v1/webhooks lists the
// webhooks without their secrets (and with any password in their URLs
// masked), so that what reads the list, or a vendor's token stolen later,
// cannot forge deliveries. A lost secret is replaced by removing the
// webhook and adding it again.
//
// POST /v1/orgs/{org}/renewals renews the license of an activation code
// (R5): an application's [license.Manager] whose Renewer is the
// [OrgClient] of its organization asks it at the end of the license's
// validity. The application then holds an organization's token, with all
// the rights of the organization's: give it a token of its own actor
// (such as "renewals@acme"), which the histories name and which can be
// revoked alone, and keep it off machines the organization does not
// control.
//
// # Devices
//
// An application reaches the server from the device it runs on with a
// [DeviceClient], which holds no bearer token. POST /v1/activations
// activates a license on the device with its license key or an
// activation code, and POST /v1/trials starts a product's trial: what
// authenticates them is the key or the code itself (A1, A6). Their answer
// carries the activation certificate, which authenticates the device's
// other requests, sent as
//
//	Authorization: Activation <certificate>
//
// the server verifying it with [ServerConfig.Verifier] (W2): POST
// /v1/checkins for a fresh certificate, with the revocation list when
// the device's is older (A4, C2); DELETE /v1/activations/{activation}
// to deactivate (A5); POST /v1/leases, PUT and DELETE
// /v1/leases/{lease} to check out, extend and release a floating
// license's lease (F1–F3). The server takes the activation and the device
// from the certificate, never from the body or the path: a request naming
// another activation is 404 "no_such_activation", another device 403
// "wrong_device", another device's lease 404 "no_such_lease". A missing,
// forged or unverifiable certificate is 401 "device_unauthenticated". A
// certificate past its NotAfter still authenticates: a device back after
// an outage checks in with it, and the portal refuses what was
// deactivated or revoked. GET /v1/revocations serves the signed
// revocation list to anyone (C2): it is public, and its signature, not
// the channel, is what an application trusts.
//
// # What it cannot stop
//
// The network is hostile. The server speaks plain HTTP: serve it behind
// TLS (http.Server.ServeTLS, or a proxy that terminates TLS), or every
// token and license key it carries can be read and replayed. A bearer
// token is a secret that whoever holds it may use, from anywhere, until
// it is revoked; the server cannot tell a stolen token from its owner.
// Keep tokens out of URLs and logs (the server never logs them), give
// each person or service its own, and revoke the ones that leak. The
// server limits what one request may send, but not how many requests a
// client sends: rate limiting, like TLS, is the deployer's.
//
// An activation certificate is a credential too: whoever copies it can
// check in, deactivate and take leases for its activation from anywhere.
// What it cannot do is grant anything on a device with another
// fingerprint (A2). The fingerprint is the device's own word: on a
// machine the user controls, it can be made to read as another's, so
// that a copied certificate is accepted there. Activation limits how
// many devices hold a seat; it does not stop a determined user copying
// an installation onto a machine whose fingerprint was forged. A license
// key or an activation code activates whatever device presents it, up to
// the license's quantity or the code's limit: keep codes to their
// customers, and rate-limit POST /v1/activations and POST /v1/trials, to
// which anyone may send guesses.
//
// # The client
//
// [Client] has one method per route, each taking a context first and
// giving the portal's own types; [Client.Org] gives an organization's
// operations as [portal.OrgScope] has them. An error answer becomes an
// [*Error] that matches, with errors.Is, the sentinel the server met:
//
//	err := client.Org("acme").ReleaseSeat(ctx, "LK-7", "laptop-1")
//	if errors.Is(err, portal.ErrNoSuchSeat) { … }
package http
