package http

import (
	"encoding/json"
	"reflect"
	"strings"

	"github.com/licensekit/license/portal"
)

// access says who may call a route.
type access int

const (
	// authenticated: any principal; an organization's routes then let the
	// portal decide whether the principal reaches the organization.
	authenticated access = iota
	// vendorOnly: the vendor's principals only.
	vendorOnly
	// public: no token needed.
	public
	// device: a device's activation certificate, in place of a token
	// (W2); the handler acts on the activation it names, on that device.
	device
)

// route is one line of the route table: an operation of the API, from
// which the server's mux, the client's requests and the OpenAPI document
// are all made, so that they cannot drift apart (W1).
type route struct {
	method  string
	pattern string // a net/http pattern's path, such as /v1/orgs/{org}/keys
	op      string // the OpenAPI operationId, and the client's name for it
	summary string
	access  access
	query   []param
	status  int          // of a successful answer: 200, or 204 with no body
	in, out reflect.Type // nil: no body
	newIn   func() any   // a new request body to decode into, or nil
	run     func(c *call, in any) (any, error)
}

// param is a query parameter, for the OpenAPI document.
type param struct {
	name, typ, about string
}

// none is the body of a route that takes or gives none.
type none struct{}

// rawJSON is an answer already encoded.
type rawJSON = json.RawMessage

// op makes a route of a handler that takes an In and gives an Out; none
// for either means no body.
func op[In, Out any](method, pattern, id, summary string, a access, fn func(c *call, in *In) (Out, error), query ...param) route {
	rt := route{method: method, pattern: pattern, op: id, summary: summary, access: a, query: query, status: 200}
	if t := reflect.TypeFor[In](); t != reflect.TypeFor[none]() {
		rt.in = t
		rt.newIn = func() any { return new(In) }
	}
	if t := reflect.TypeFor[Out](); t != reflect.TypeFor[none]() {
		rt.out = t
	} else {
		rt.status = 204
	}
	rt.run = func(c *call, in any) (any, error) {
		v, _ := in.(*In)
		if v == nil {
			v = new(In)
		}
		out, err := fn(c, v)
		if err != nil || rt.out == nil {
			return nil, err
		}
		return out, nil
	}
	return rt
}

// The query parameters of the listings.
var (
	afterParam  = param{"after", "string", "the ID the previous page ended with; empty for the first page"}
	limitParam  = param{"limit", "integer", "the most entries to return, 1 to 1000; default 100"}
	beforeParam = param{"before", "integer", "the entries numbered below this; 0 (the default) for the newest"}
)

// defaultLimit is the page size of a listing whose limit is not given.
const defaultLimit = 100

// routes is the route table: every operation of the API.
var routes = []route{
	op("GET", "/v1/openapi.json", "GetOpenAPI", "The OpenAPI document of this API.", public, getOpenAPI),

	// The vendor's: organizations, codes, vouchers, serial numbers,
	// upgrades, revocation and the vendor's history.
	op("POST", "/v1/orgs", "CreateOrganization", "Create an organization: a customer or a partner.", vendorOnly, createOrganization),
	op("GET", "/v1/orgs", "ListOrganizations", "List the organizations, by ID, a page at a time.", vendorOnly, listing((*portal.Portal).Organizations), afterParam, limitParam),
	op("POST", "/v1/codes", "IssueActivationCodes", "Issue activation codes (K5).", vendorOnly, issueActivationCodes),
	op("GET", "/v1/codes", "ListActivationCodes", "List the activation codes with their redemptions (K5).", vendorOnly, listing((*portal.Portal).ActivationCodes), afterParam, limitParam),
	op("POST", "/v1/serials", "IssueSerials", "Issue serial numbers (V1).", vendorOnly, issueWith((*portal.Portal).IssueSerials)),
	op("GET", "/v1/serials", "ListSerials", "List the serial numbers (V1).", vendorOnly, listing((*portal.Portal).Serials), afterParam, limitParam),
	op("POST", "/v1/vouchers", "IssueVouchers", "Issue OEM vouchers (K6).", vendorOnly, issueWith((*portal.Portal).IssueVouchers)),
	op("GET", "/v1/vouchers", "ListVouchers", "List the vouchers (K6).", vendorOnly, listing((*portal.Portal).Vouchers), afterParam, limitParam),
	op("POST", "/v1/upgrades", "IssueUpgrade", "Offer an organization an upgrade of one of its licenses (V2).", vendorOnly, issueUpgrade),
	op("GET", "/v1/upgrades", "ListUpgradeNotices", "List the upgrade notices (V2).", vendorOnly, listing((*portal.Portal).UpgradeNotices), afterParam, limitParam),
	op("POST", "/v1/licenses/{license}/revoke", "Revoke", "Revoke a license for good (C1).", vendorOnly, revoke),
	op("GET", "/v1/history", "VendorHistory", "The vendor's history, newest first (P5).", vendorOnly, vendorHistory, beforeParam, limitParam),
	op("POST", "/v1/activations/{activation}/revoke", "RevokeActivation", "Revoke a device's activation for good: its seat is free, its check-ins refused (C1).", vendorOnly, revokeActivation),
	op("POST", "/v1/signing-keys/{key}/revoke", "RevokeSigningKey", "Revoke a signing key, by key ID, for good (C1).", vendorOnly, revokeSigningKey),
	op("POST", "/v1/history/prune", "PruneVendorHistory", "Remove the vendor's history before an instant, and return it.", vendorOnly, pruneVendorHistory),
	op("POST", "/v1/orgs/{org}/history/prune", "PruneHistory", "Remove an organization's history before an instant, and return it.", vendorOnly, pruneHistory),

	// Devices: activation, check-in, floating leases and the revocation
	// list (A1–A6, F1–F3, C2). A device holds no bearer token: it
	// activates with a license key or an activation code, and then
	// authenticates with its activation certificate.
	op("POST", "/v1/activations", "ActivateDevice", "Activate a license on a device with its key or an activation code; the answer carries the activation certificate (A1, A3).", public, activateDevice),
	op("POST", "/v1/trials", "StartTrial", "Start a product's trial on a device, once per device (A6).", public, startTrial),
	op("POST", "/v1/checkins", "CheckIn", "Check in the activation of the certificate sent: a fresh certificate, and the revocation list when the device's is older (A4, C2).", device, checkIn),
	op("DELETE", "/v1/activations/{activation}", "Deactivate", "Deactivate the device's activation: its seat is free at once (A5).", device, deactivate),
	op("POST", "/v1/leases", "Checkout", "Check out a lease of a floating license the activation holds (F1–F3).", device, checkout),
	op("PUT", "/v1/leases/{lease}", "Heartbeat", "Extend one of the device's leases by the lease TTL (F2).", device, heartbeat),
	op("DELETE", "/v1/leases/{lease}", "Release", "Release one of the device's leases at once (F3).", device, release),
	op("GET", "/v1/revocations", "GetRevocationList", "The signed revocation list (C2).", public, getRevocationList),

	// The server's own: bearer tokens (W2) and webhooks, the vendor's.
	op("POST", "/v1/tokens", "CreateToken", "Make a bearer token for the vendor or an organization's actor; the answer is the only one with its secret (W2).", vendorOnly, createToken),
	op("GET", "/v1/tokens", "ListTokens", "List the bearer tokens, revoked or not, by ID, without their secrets or hashes (W2).", vendorOnly, listTokens, afterParam, limitParam),
	op("DELETE", "/v1/tokens/{token}", "RevokeToken", "Revoke a bearer token for good (W2).", vendorOnly, revokeToken),
	op("POST", "/v1/webhooks", "AddWebhook", "Register a webhook; the answer is the only one with its secret.", vendorOnly, addWebhook),
	op("GET", "/v1/webhooks", "ListWebhooks", "List the webhooks, by ID, without their secrets.", vendorOnly, listWebhooks),
	op("DELETE", "/v1/webhooks/{webhook}", "RemoveWebhook", "Remove a webhook.", vendorOnly, removeWebhook),

	// An organization's: key storage (D1, D2, V3).
	op("GET", "/v1/orgs/{org}/keys", "ListKeys", "The key storage, with each key's usage (D1).", authenticated, listKeys),
	op("POST", "/v1/orgs/{org}/keys", "AddKey", "Add a license key to the key storage (D1, D2).", authenticated, addKey),
	op("DELETE", "/v1/orgs/{org}/keys/{license}", "RemoveKey", "Remove a license from the key storage, with its seats.", authenticated, removeKey),
	op("PUT", "/v1/orgs/{org}/keys/{license}/custom/{name}", "SetCustomData", "Set one of the organization's own data entries on a license (V3).", authenticated, setCustomData),
	op("DELETE", "/v1/orgs/{org}/keys/{license}/custom/{name}", "DeleteCustomData", "Delete a data entry of a license (V3).", authenticated, deleteCustomData),
	op("PUT", "/v1/orgs/{org}/keys/{license}/shares/{person}", "ShareKey", "Share a license with a person (V3).", authenticated, shareKey),
	op("DELETE", "/v1/orgs/{org}/keys/{license}/shares/{person}", "UnshareKey", "Stop sharing a license with a person (V3).", authenticated, unshareKey),

	// Devices and seats (D3–D6).
	op("GET", "/v1/orgs/{org}/devices", "ListDevices", "The organization's devices.", authenticated, listDevices),
	op("GET", "/v1/orgs/{org}/devices/unactivated", "ListUnactivatedDevices", "The devices on which no application is activated (D3).", authenticated, listUnactivatedDevices),
	op("POST", "/v1/orgs/{org}/devices", "RegisterDevice", "Register a device, or update the one with its fingerprint.", authenticated, registerDevice),
	op("DELETE", "/v1/orgs/{org}/devices/{device}", "RemoveDevice", "Remove a device, releasing its seats.", authenticated, removeDevice),
	op("POST", "/v1/orgs/{org}/seats", "AssignSeat", "Give a device a seat of a license (D4, D6).", authenticated, assignSeat),
	op("DELETE", "/v1/orgs/{org}/seats/{license}/{device}", "ReleaseSeat", "Release a device's seat of a license.", authenticated, releaseSeat),
	op("GET", "/v1/orgs/{org}/leases/{license}", "ListLeases", "The live leases of a floating license, by device (F1).", authenticated, listLeases),
	op("POST", "/v1/orgs/{org}/user-seats", "AssignUser", "Give a user a seat of a per-user license.", authenticated, assignUser),
	op("DELETE", "/v1/orgs/{org}/user-seats/{license}/{user}", "ReleaseUser", "Release a user's seat of a license.", authenticated, releaseUser),

	// License groups (G1, G2).
	op("POST", "/v1/orgs/{org}/groups", "CreateGroup", "Create an empty license group (G1).", authenticated, createGroup),
	op("GET", "/v1/orgs/{org}/groups/{group}", "GetGroup", "A license group with its placement (G1, G2).", authenticated, getGroup),
	op("POST", "/v1/orgs/{org}/groups/{group}/licenses", "AddToGroup", "Put a license of the key storage into a group (G1).", authenticated, addToGroup),
	op("DELETE", "/v1/orgs/{org}/groups/{group}/licenses/{license}", "RemoveFromGroup", "Take a license out of a group (G2).", authenticated, removeFromGroup),
	op("POST", "/v1/orgs/{org}/groups/{group}/join", "JoinGroup", "Make devices members of a group, all or none (G1, G2).", authenticated, joinGroup),
	op("POST", "/v1/orgs/{org}/groups/{group}/leave", "LeaveGroup", "Take devices out of a group, all or none (G2).", authenticated, leaveGroup),
	op("POST", "/v1/orgs/{org}/groups/{group}/rebalance", "Rebalance", "Run a group's placement now (G2).", authenticated, rebalance),

	// Wallet and subscriptions (P1–P3, S7).
	op("GET", "/v1/orgs/{org}/wallet", "GetWallet", "The licenses in the wallet, by product (P1).", authenticated, getWallet),
	op("POST", "/v1/orgs/{org}/wallet/redemptions", "Redeem", "Redeem a license key into the wallet, consuming some at once (P1, P2).", authenticated, redeem),
	op("GET", "/v1/orgs/{org}/wallet/redemptions", "ListRedemptions", "The license keys redeemed into the wallet (P1, P5).", authenticated, listRedemptions),
	op("GET", "/v1/orgs/{org}/subscriptions", "ListSubscriptions", "The subscriptions, as of now (P3, S7).", authenticated, listSubscriptions),
	op("POST", "/v1/orgs/{org}/subscriptions", "Activate", "Start a product's annual subscription (S7).", authenticated, activate),
	op("POST", "/v1/orgs/{org}/subscriptions/{subscription}/consume", "Consume", "Pay a subscription's term with licenses of the wallet (P1, P2).", authenticated, consume),
	op("POST", "/v1/orgs/{org}/subscriptions/advance", "Advance", "Bring the subscriptions up to now, with their events (P3, S7).", authenticated, advance),

	// Codes, vouchers, serial numbers and upgrades, as a customer takes
	// them up (K5, K6, V1, V2).
	op("POST", "/v1/orgs/{org}/code-redemptions", "RedeemCode", "Redeem an activation code for a device (K5).", authenticated, redeemCode),
	op("POST", "/v1/orgs/{org}/voucher-conversions", "ConvertVoucher", "Convert a voucher into a license key (K6).", authenticated, convertVoucher),
	op("POST", "/v1/orgs/{org}/serial-registrations", "GetKey", "Register a serial number for its license key (V1).", authenticated, getKey),
	op("POST", "/v1/orgs/{org}/upgrades", "Upgrade", "Take up an upgrade the vendor offered (V2).", authenticated, upgrade),
	op("POST", "/v1/orgs/{org}/renewals", "Renew", "Renew a license of an activation code at the end of its validity (R5, N1–N3).", authenticated, renew),

	// Delegation to partners (V4), and the history (P5).
	op("GET", "/v1/orgs/{org}/delegations", "ListDelegations", "The organization's delegations to partners (V4).", authenticated, listDelegations),
	op("PUT", "/v1/orgs/{org}/delegations/{partner}", "Delegate", "Invite a partner to manage the organization's licenses (V4).", authenticated, delegate),
	op("DELETE", "/v1/orgs/{org}/delegations/{partner}", "Undelegate", "Withdraw a delegation or an invitation (V4).", authenticated, undelegate),
	op("GET", "/v1/orgs/{org}/invitations", "ListInvitations", "The invitations the organization received as a partner (V4).", authenticated, listInvitations),
	op("POST", "/v1/orgs/{org}/invitations/{customer}/accept", "AcceptDelegation", "Accept a customer's invitation (V4).", authenticated, acceptDelegation),
	op("POST", "/v1/orgs/{org}/invitations/{customer}/decline", "DeclineDelegation", "Decline a customer's invitation (V4).", authenticated, declineDelegation),
	op("GET", "/v1/orgs/{org}/customers", "ListCustomers", "The customers that delegated to the organization (V4).", authenticated, listCustomers),
	op("GET", "/v1/orgs/{org}/history", "History", "The organization's history, newest first (P5).", authenticated, history, beforeParam, limitParam),
}

// byOp indexes the routes by operation, for the client.
var byOp = func() map[string]*route {
	m := make(map[string]*route, len(routes))
	for i := range routes {
		m[routes[i].op] = &routes[i]
	}
	return m
}()

// fill returns the route's path with args in place of its parameters, in
// order, each escaped as one path segment.
func (rt *route) fill(args []string) string {
	var b strings.Builder
	rest := rt.pattern
	for _, a := range args {
		i := strings.IndexByte(rest, '{')
		j := strings.IndexByte(rest, '}')
		if i < 0 || j < i {
			break
		}
		b.WriteString(rest[:i])
		b.WriteString(escapeSegment(a))
		rest = rest[j+1:]
	}
	b.WriteString(rest)
	return b.String()
}

// pathParams returns the names of the route's path parameters, in order.
func (rt *route) pathParams() []string {
	var names []string
	rest := rt.pattern
	for {
		i := strings.IndexByte(rest, '{')
		j := strings.IndexByte(rest, '}')
		if i < 0 || j < i {
			return names
		}
		names = append(names, rest[i+1:j])
		rest = rest[j+1:]
	}
}

// getOpenAPI serves the OpenAPI document.
func getOpenAPI(c *call, _ *none) (rawJSON, error) { return c.s.openapi, nil }

// convert returns xs, each converted by f: the portal's types to the
// API's, and back.
func convert[From, To any](xs []From, f func(From) To) []To {
	out := make([]To, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}
