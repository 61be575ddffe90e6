package http

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// Errors of the HTTP layer itself, beside the domain's. A [Client] returns
// them, inside an [*Error], when the server answers with their codes.
var (
	// ErrUnauthenticated: the request carries no bearer token, or one the
	// server does not know (W2).
	ErrUnauthenticated = errors.New("http: missing or unknown bearer token")
	// ErrDeviceUnauthenticated: a device's request carries no activation
	// certificate, or one the server cannot verify (W2).
	ErrDeviceUnauthenticated = errors.New("http: missing or unverifiable activation certificate")
	// ErrVendorOnly: the route is the vendor's, and the token is an
	// organization's.
	ErrVendorOnly = errors.New("http: only the vendor may do this")
	// ErrMalformedRequest: the body is not one JSON value of the expected
	// shape: bad syntax, an unknown field, a value of the wrong type or
	// trailing data; or a query parameter is not a number (W4).
	ErrMalformedRequest = errors.New("http: malformed request")
	// ErrBodyTooLarge: the body exceeds the server's limit (W4).
	ErrBodyTooLarge = errors.New("http: request body too large")
	// ErrNoRoute: no route has that path.
	ErrNoRoute = errors.New("http: no such route")
	// ErrMethodNotAllowed: the path exists, but not with that method.
	ErrMethodNotAllowed = errors.New("http: method not allowed")
	// ErrInternal: the server failed; the details stay in its log.
	ErrInternal = errors.New("http: internal error")
)

// Error is an error answer of the server, as a [Client] returns it: the
// HTTP status, the stable code of the error table and the server's
// message. It matches, with errors.Is, the sentinel error the code stands
// for (such as [portal.ErrNoSuchDevice]), and the more general ones that
// sentinel implies (such as [license.ErrInvalidLicense] for
// [license.ErrExpiryBeforeStart]).
type Error struct {
	Status  int    // the HTTP status, such as 404
	Code    string // the stable code, such as "no_such_device"; "" if the body had none
	Message string // for people

	errs []error // what the code stands for, for errors.Is
}

// Error returns the server's message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the sentinel errors the code stands for.
func (e *Error) Unwrap() []error { return e.errs }

// errorBody is the JSON body of every error answer.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// errorCode is one line of the error table.
type errorCode struct {
	name   string // the Go name of the sentinel, for the API's documentation
	err    error
	status int
	code   string
	// fixed answers with the sentinel's own text rather than the error's,
	// so that the answer says nothing of where the error came from: a
	// store's details, or whether an organization exists (W3).
	fixed bool
	// implies are the more general sentinels the code also matches.
	implies []error
}

// errorTable maps every sentinel error of packages license and portal,
// and of this package, to one status and one stable code (W3). An error is
// answered with the first line it matches, so the specific come before
// the general: a license's reasons before ErrInvalidLicense, everything
// before ErrInvalidInput. An error that matches no line is answered 500
// "internal", with nothing of its text.
var errorTable = []errorCode{
	// This package's.
	{name: "ErrUnauthenticated", err: ErrUnauthenticated, status: http.StatusUnauthorized, code: "unauthenticated", fixed: true},
	{name: "ErrDeviceUnauthenticated", err: ErrDeviceUnauthenticated, status: http.StatusUnauthorized, code: "device_unauthenticated", fixed: true},
	{name: "ErrVendorOnly", err: ErrVendorOnly, status: http.StatusForbidden, code: "vendor_only", fixed: true},
	{name: "ErrMalformedRequest", err: ErrMalformedRequest, status: http.StatusBadRequest, code: "malformed_request"},
	{name: "ErrBodyTooLarge", err: ErrBodyTooLarge, status: http.StatusRequestEntityTooLarge, code: "body_too_large", fixed: true},
	{name: "ErrNoRoute", err: ErrNoRoute, status: http.StatusNotFound, code: "no_route", fixed: true},
	{name: "ErrMethodNotAllowed", err: ErrMethodNotAllowed, status: http.StatusMethodNotAllowed, code: "method_not_allowed", fixed: true},
	{name: "ErrInternal", err: ErrInternal, status: http.StatusInternalServerError, code: "internal", fixed: true},

	// Package portal's: organizations and access (P4, V4). A foreign
	// organization and a missing one get this same answer.
	{name: "portal.ErrNoAccess", err: portal.ErrNoAccess, status: http.StatusNotFound, code: "no_such_organization", fixed: true},
	{name: "portal.ErrOrgExists", err: portal.ErrOrgExists, status: http.StatusConflict, code: "organization_exists"},
	{name: "portal.ErrOtherOrganization", err: portal.ErrOtherOrganization, status: http.StatusConflict, code: "other_organization"},
	{name: "portal.ErrMembersOnly", err: portal.ErrMembersOnly, status: http.StatusForbidden, code: "members_only"},
	{name: "portal.ErrNotDelegated", err: portal.ErrNotDelegated, status: http.StatusNotFound, code: "not_delegated"},
	// Codes, vouchers, serial numbers and upgrades (K5, K6, V1, V2).
	{name: "portal.ErrBadCode", err: portal.ErrBadCode, status: http.StatusBadRequest, code: "bad_code"},
	{name: "portal.ErrUnknownCode", err: portal.ErrUnknownCode, status: http.StatusNotFound, code: "unknown_code"},
	{name: "portal.ErrCodeUsed", err: portal.ErrCodeUsed, status: http.StatusConflict, code: "code_used"},
	{name: "portal.ErrVoucherUsed", err: portal.ErrVoucherUsed, status: http.StatusConflict, code: "voucher_used"},
	{name: "portal.ErrUpgradeUsed", err: portal.ErrUpgradeUsed, status: http.StatusConflict, code: "upgrade_used"},
	{name: "portal.ErrNotOffered", err: portal.ErrNotOffered, status: http.StatusConflict, code: "not_offered"},
	// Key storage, devices, seats and groups (D1–D6, G1, G2).
	{name: "portal.ErrKeyInStorage", err: portal.ErrKeyInStorage, status: http.StatusConflict, code: "key_in_storage"},
	{name: "portal.ErrNoSuchKey", err: portal.ErrNoSuchKey, status: http.StatusNotFound, code: "no_such_key"},
	{name: "portal.ErrNotFromCode", err: portal.ErrNotFromCode, status: http.StatusNotFound, code: "not_from_code"},
	{name: "portal.ErrBadToken", err: portal.ErrBadToken, status: http.StatusUnauthorized, code: "bad_token", fixed: true},
	{name: "portal.ErrNoSuchDevice", err: portal.ErrNoSuchDevice, status: http.StatusNotFound, code: "no_such_device"},
	{name: "portal.ErrNoSuchSeat", err: portal.ErrNoSuchSeat, status: http.StatusNotFound, code: "no_such_seat"},
	{name: "portal.ErrRestrictionExceeded", err: portal.ErrRestrictionExceeded, status: http.StatusConflict, code: "restriction_exceeded"},
	{name: "portal.ErrTypeMismatch", err: portal.ErrTypeMismatch, status: http.StatusConflict, code: "type_mismatch"},
	{name: "portal.ErrSchemeMismatch", err: portal.ErrSchemeMismatch, status: http.StatusConflict, code: "scheme_mismatch"},
	{name: "portal.ErrNoSuchGroup", err: portal.ErrNoSuchGroup, status: http.StatusNotFound, code: "no_such_group"},
	{name: "portal.ErrGroupExists", err: portal.ErrGroupExists, status: http.StatusConflict, code: "group_exists"},
	{name: "portal.ErrLicenseInGroup", err: portal.ErrLicenseInGroup, status: http.StatusConflict, code: "license_in_group"},
	{name: "portal.ErrDeviceInGroup", err: portal.ErrDeviceInGroup, status: http.StatusConflict, code: "device_in_group"},
	{name: "portal.ErrNotInGroup", err: portal.ErrNotInGroup, status: http.StatusNotFound, code: "not_in_group"},
	// A license's life, the wallet and subscriptions (P1–P3, S7, C1).
	{name: "portal.ErrLicenseHeld", err: portal.ErrLicenseHeld, status: http.StatusConflict, code: "license_held"},
	{name: "portal.ErrLicenseReplaced", err: portal.ErrLicenseReplaced, status: http.StatusConflict, code: "license_replaced"},
	{name: "portal.ErrLicenseRevoked", err: portal.ErrLicenseRevoked, status: http.StatusConflict, code: "license_revoked"},
	{name: "portal.ErrKeyRedeemed", err: portal.ErrKeyRedeemed, status: http.StatusConflict, code: "key_redeemed"},
	{name: "portal.ErrNoSubscription", err: portal.ErrNoSubscription, status: http.StatusNotFound, code: "no_such_subscription"},
	{name: "portal.ErrSubscriptionExists", err: portal.ErrSubscriptionExists, status: http.StatusConflict, code: "subscription_exists"},
	{name: "portal.ErrSubscriptionLapsed", err: portal.ErrSubscriptionLapsed, status: http.StatusConflict, code: "subscription_lapsed"},
	{name: "portal.ErrWalletShort", err: portal.ErrWalletShort, status: http.StatusConflict, code: "wallet_short"},
	{name: "portal.ErrExceedsUsage", err: portal.ErrExceedsUsage, status: http.StatusConflict, code: "exceeds_usage"},
	// Online activation, floating leases (A1–A6, F1–F3).
	{name: "portal.ErrNoSuchActivation", err: portal.ErrNoSuchActivation, status: http.StatusNotFound, code: "no_such_activation"},
	{name: "portal.ErrDeactivated", err: portal.ErrDeactivated, status: http.StatusConflict, code: "deactivated"},
	{name: "portal.ErrActivationRevoked", err: portal.ErrActivationRevoked, status: http.StatusConflict, code: "activation_revoked"},
	{name: "portal.ErrNoTrial", err: portal.ErrNoTrial, status: http.StatusNotFound, code: "no_trial"},
	{name: "portal.ErrRedeemInPortal", err: portal.ErrRedeemInPortal, status: http.StatusConflict, code: "redeem_in_portal"},
	{name: "portal.ErrNotFloating", err: portal.ErrNotFloating, status: http.StatusConflict, code: "not_floating"},
	{name: "portal.ErrNoLease", err: portal.ErrNoLease, status: http.StatusConflict, code: "no_lease"},
	{name: "portal.ErrNoSuchLease", err: portal.ErrNoSuchLease, status: http.StatusNotFound, code: "no_such_lease"},
	{name: "portal.ErrLeaseExpired", err: portal.ErrLeaseExpired, status: http.StatusConflict, code: "lease_expired"},

	// Package license's: keys (K1–K3). A key whose key ID has a bad name
	// is a malformed key first.
	{name: "license.ErrMalformedKey", err: license.ErrMalformedKey, status: http.StatusBadRequest, code: "malformed_key"},
	{name: "license.ErrMalformedCertificate", err: license.ErrMalformedCertificate, status: http.StatusBadRequest, code: "malformed_certificate"},
	{name: "license.ErrWrongDevice", err: license.ErrWrongDevice, status: http.StatusForbidden, code: "wrong_device"},
	{name: "license.ErrMalformedRevocationList", err: license.ErrMalformedRevocationList, status: http.StatusBadRequest, code: "malformed_revocation_list"},
	{name: "license.ErrStaleRevocationList", err: license.ErrStaleRevocationList, status: http.StatusConflict, code: "stale_revocation_list"},
	{name: "license.ErrUnsupportedVersion", err: license.ErrUnsupportedVersion, status: http.StatusBadRequest, code: "unsupported_version"},
	{name: "license.ErrUnknownSigner", err: license.ErrUnknownSigner, status: http.StatusBadRequest, code: "unknown_signer"},
	{name: "license.ErrRetiredSigner", err: license.ErrRetiredSigner, status: http.StatusBadRequest, code: "retired_signer"},
	{name: "license.ErrBadSignature", err: license.ErrBadSignature, status: http.StatusBadRequest, code: "bad_signature"},
	{name: "license.ErrMalformedVerifyingKey", err: license.ErrMalformedVerifyingKey, status: http.StatusBadRequest, code: "malformed_verifying_key"},
	{name: "license.ErrMalformedSigningKey", err: license.ErrMalformedSigningKey, status: http.StatusBadRequest, code: "malformed_signing_key"},
	{name: "license.ErrInvalidKeyName", err: license.ErrInvalidKeyName, status: http.StatusBadRequest, code: "invalid_key_name"},
	{name: "license.ErrNoVerifyingKeys", err: license.ErrNoVerifyingKeys, status: http.StatusBadRequest, code: "no_verifying_keys"},
	{name: "license.ErrDuplicateKeyID", err: license.ErrDuplicateKeyID, status: http.StatusBadRequest, code: "duplicate_key_id"},
	// A license's rules (License.Validate): each reason, then the rule
	// itself. Required and invalid text also qualify bad input, and come
	// after it.
	{name: "license.ErrUnknownType", err: license.ErrUnknownType, status: http.StatusBadRequest, code: "unknown_type", implies: []error{license.ErrInvalidLicense}},
	{name: "license.ErrUnknownScheme", err: license.ErrUnknownScheme, status: http.StatusBadRequest, code: "unknown_scheme", implies: []error{license.ErrInvalidLicense}},
	{name: "license.ErrQuantityRequired", err: license.ErrQuantityRequired, status: http.StatusBadRequest, code: "quantity_required", implies: []error{license.ErrInvalidLicense}},
	{name: "license.ErrExpiryBeforeStart", err: license.ErrExpiryBeforeStart, status: http.StatusBadRequest, code: "expiry_before_start", implies: []error{license.ErrInvalidLicense}},
	{name: "license.ErrExpiryAndTerm", err: license.ErrExpiryAndTerm, status: http.StatusBadRequest, code: "expiry_and_term", implies: []error{license.ErrInvalidLicense}},
	{name: "license.ErrOutOfRange", err: license.ErrOutOfRange, status: http.StatusBadRequest, code: "out_of_range", implies: []error{license.ErrInvalidLicense}},
	{name: "license.ErrDuplicate", err: license.ErrDuplicate, status: http.StatusBadRequest, code: "duplicate", implies: []error{license.ErrInvalidLicense}},
	{name: "license.ErrInconsistent", err: license.ErrInconsistent, status: http.StatusBadRequest, code: "inconsistent", implies: []error{license.ErrInvalidLicense}},
	{name: "license.ErrTooLarge", err: license.ErrTooLarge, status: http.StatusBadRequest, code: "too_large", implies: []error{license.ErrInvalidLicense}},
	{name: "license.ErrInvalidLicense", err: license.ErrInvalidLicense, status: http.StatusBadRequest, code: "invalid_license"},
	// A license's validity (L2, L3, S12).
	{name: "license.ErrNotYetValid", err: license.ErrNotYetValid, status: http.StatusConflict, code: "not_yet_valid"},
	{name: "license.ErrExpired", err: license.ErrExpired, status: http.StatusConflict, code: "expired"},
	{name: "license.ErrNotActivated", err: license.ErrNotActivated, status: http.StatusConflict, code: "not_activated"},
	{name: "license.ErrActivationClosed", err: license.ErrActivationClosed, status: http.StatusConflict, code: "activation_closed"},
	// An installation's state (S1–S10, R1–R7, N1–N3), for the device
	// routes.
	{name: "license.ErrUnlicensed", err: license.ErrUnlicensed, status: http.StatusForbidden, code: "unlicensed"},
	{name: "license.ErrTrialEnded", err: license.ErrTrialEnded, status: http.StatusForbidden, code: "trial_ended"},
	{name: "license.ErrInsufficientLicenses", err: license.ErrInsufficientLicenses, status: http.StatusForbidden, code: "insufficient_licenses"},
	{name: "license.ErrPending", err: license.ErrPending, status: http.StatusForbidden, code: "pending"},
	{name: "license.ErrSuspended", err: license.ErrSuspended, status: http.StatusForbidden, code: "suspended"},
	{name: "license.ErrDeleted", err: license.ErrDeleted, status: http.StatusForbidden, code: "deleted"},
	{name: "license.ErrRevoked", err: license.ErrRevoked, status: http.StatusForbidden, code: "revoked"},
	{name: "license.ErrAgreementRevoked", err: license.ErrAgreementRevoked, status: http.StatusForbidden, code: "agreement_revoked"},
	{name: "license.ErrFeatureNotLicensed", err: license.ErrFeatureNotLicensed, status: http.StatusPaymentRequired, code: FeatureNotLicensed},
	{name: "license.ErrClockRollback", err: license.ErrClockRollback, status: http.StatusForbidden, code: "clock_rollback"},
	{name: "license.ErrCheckInLapsed", err: license.ErrCheckInLapsed, status: http.StatusForbidden, code: "checkin_lapsed"},
	{name: "license.ErrTrialUsed", err: license.ErrTrialUsed, status: http.StatusConflict, code: "trial_used"},
	{name: "license.ErrKeyHeld", err: license.ErrKeyHeld, status: http.StatusConflict, code: "key_held"},
	{name: "license.ErrUnknownLicense", err: license.ErrUnknownLicense, status: http.StatusNotFound, code: "unknown_license"},
	{name: "license.ErrWrongProduct", err: license.ErrWrongProduct, status: http.StatusBadRequest, code: "wrong_product"},
	{name: "license.ErrNotReserve", err: license.ErrNotReserve, status: http.StatusConflict, code: "not_reserve"},
	{name: "license.ErrAlreadyRevoked", err: license.ErrAlreadyRevoked, status: http.StatusConflict, code: "already_revoked"},
	{name: "license.ErrInvalidUsage", err: license.ErrInvalidUsage, status: http.StatusBadRequest, code: "invalid_usage"},
	{name: "license.ErrNoActiveKey", err: license.ErrNoActiveKey, status: http.StatusConflict, code: "no_active_key"},
	{name: "license.ErrReserveMismatch", err: license.ErrReserveMismatch, status: http.StatusBadRequest, code: "reserve_mismatch"},
	{name: "license.ErrReserveExpired", err: license.ErrReserveExpired, status: http.StatusConflict, code: "reserve_expired"},
	{name: "license.ErrReserveIsActive", err: license.ErrReserveIsActive, status: http.StatusConflict, code: "reserve_is_active"},
	{name: "license.ErrAlreadyReserve", err: license.ErrAlreadyReserve, status: http.StatusConflict, code: "already_reserve"},
	{name: "license.ErrReserveTrial", err: license.ErrReserveTrial, status: http.StatusBadRequest, code: "reserve_trial"},
	{name: "license.ErrReserveSlotTaken", err: license.ErrReserveSlotTaken, status: http.StatusConflict, code: "reserve_slot_taken"},
	{name: "license.ErrNotRenewable", err: license.ErrNotRenewable, status: http.StatusConflict, code: "not_renewable"},
	{name: "license.ErrRenewalMismatch", err: license.ErrRenewalMismatch, status: http.StatusBadRequest, code: "renewal_mismatch"},
	{name: "license.ErrInvalidPolicy", err: license.ErrInvalidPolicy, status: http.StatusBadRequest, code: "invalid_policy"},
	{name: "license.ErrUnknownActivation", err: license.ErrUnknownActivation, status: http.StatusNotFound, code: "activation_not_held"},
	{name: "license.ErrStaleCertificate", err: license.ErrStaleCertificate, status: http.StatusConflict, code: "stale_certificate"},
	// Stores: their messages may name tables or files, so only the
	// sentinel's text goes out.
	{name: "license.ErrNotFound", err: license.ErrNotFound, status: http.StatusNotFound, code: "not_found", fixed: true},
	{name: "license.ErrEnvNotSet", err: license.ErrEnvNotSet, status: http.StatusBadRequest, code: "env_not_set"},
	{name: "license.ErrConflict", err: license.ErrConflict, status: http.StatusConflict, code: "conflict", fixed: true},
	{name: "license.ErrCorrupt", err: license.ErrCorrupt, status: http.StatusInternalServerError, code: "corrupt", fixed: true},
	// The general ones last.
	{name: "license.ErrInvalidInput", err: license.ErrInvalidInput, status: http.StatusBadRequest, code: "invalid_input"},
	{name: "license.ErrRequired", err: license.ErrRequired, status: http.StatusBadRequest, code: "required", implies: []error{license.ErrInvalidInput}},
	{name: "license.ErrInvalidText", err: license.ErrInvalidText, status: http.StatusBadRequest, code: "invalid_text", implies: []error{license.ErrInvalidInput}},
}

// internalError is the table's line for errors it does not know.
var internalError = lookupCode("internal")

// byCode indexes the table by code, for the client.
var byCode = func() map[string]*errorCode {
	m := make(map[string]*errorCode, len(errorTable))
	for i := range errorTable {
		m[errorTable[i].code] = &errorTable[i]
	}
	return m
}()

func lookupCode(code string) *errorCode {
	for i := range errorTable {
		if errorTable[i].code == code {
			return &errorTable[i]
		}
	}
	panic("http: no error code " + code)
}

// classify returns the table's line for err, and the message to answer
// with: the error's own, or the sentinel's when the line is fixed.
// Unknown errors are internal.
func classify(err error) (*errorCode, string) {
	for i := range errorTable {
		e := &errorTable[i]
		if errors.Is(err, e.err) {
			if e.fixed {
				return e, e.err.Error()
			}
			return e, err.Error()
		}
	}
	return internalError, internalError.err.Error()
}

// errorFromBody turns an error answer back into an *Error that matches
// the code's sentinels. A body that is not the server's (a proxy's page,
// say) gives an *Error with no code, which matches nothing.
func errorFromBody(status int, body []byte) *Error {
	e := &Error{Status: status, Message: http.StatusText(status)}
	var b errorBody
	if json.Unmarshal(body, &b) != nil || b.Code == "" {
		return e
	}
	e.Code, e.Message = b.Code, b.Message
	if line, ok := byCode[b.Code]; ok {
		e.errs = append([]error{line.err}, line.implies...)
	}
	return e
}
