package portal

import (
	"time"

	"github.com/licensekit/license"
)

// ActivationCode is a short code the vendor hands out, which customers
// redeem for a license key (K5).
type ActivationCode struct {
	Code        string                `json:"code"`     // normalized: groups of base32 and a check character
	Template    license.License       `json:"template"` // what each redemption's license carries
	Limit       int                   `json:"limit"`    // how many devices may redeem it
	Issued      time.Time             `json:"issued"`
	Redemptions map[string]Redemption `json:"redemptions"` // by device fingerprint
}

// Redemption is one device's redemption of an activation code.
type Redemption struct {
	Org     string    `json:"org"`
	License string    `json:"license"` // the license ID issued
	Key     string    `json:"key"`     // the license key issued
	At      time.Time `json:"at"`
}

// Voucher is an OEM voucher: it converts into a license once (K6).
type Voucher struct {
	ID        string          `json:"id"`
	Template  license.License `json:"template"`
	Issued    time.Time       `json:"issued"`
	Converted bool            `json:"converted,omitempty"`
	Org       string          `json:"org,omitempty"` // who converted it
	Key       string          `json:"key,omitempty"`
	At        time.Time       `json:"at,omitzero"`
}

// Serial is a serial number that, with the customer's registration
// details, gives a license key (V1).
type Serial struct {
	Serial       string          `json:"serial"`
	Template     license.License `json:"template"`
	Issued       time.Time       `json:"issued"`
	Org          string          `json:"org,omitempty"` // who registered it
	Registration Registration    `json:"registration,omitzero"`
	Key          string          `json:"key,omitempty"`
	At           time.Time       `json:"at,omitzero"`
}

// Registration is what a customer gives with a serial number (V1).
type Registration struct {
	Company string `json:"company"`
	Contact string `json:"contact"`
	Email   string `json:"email"`
	Country string `json:"country,omitempty"`
}

// UpgradeNotice is an upgrade the vendor offers an organization for one of
// its licenses: its notification ID, with a product and a quantity, gives a
// new key (V2).
type UpgradeNotice struct {
	ID          string    `json:"id"`
	Org         string    `json:"org"`      // the organization it is for
	From        string    `json:"from"`     // the license ID upgraded
	Products    []string  `json:"products"` // products it may upgrade to
	MaxQuantity int       `json:"max_quantity"`
	Issued      time.Time `json:"issued"`
	Used        bool      `json:"used,omitempty"`
	Product     string    `json:"product,omitempty"`  // the product taken, once used
	Quantity    int       `json:"quantity,omitempty"` // the quantity taken, once used
	Key         string    `json:"key,omitempty"`
	At          time.Time `json:"at,omitzero"`
}
