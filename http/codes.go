package http

import (
	"context"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// Activation codes, vouchers, serial numbers and upgrades, as an
// organization takes them up (K5, K6, V1, V2). Each gives a license key,
// which the portal also puts in the key storage. Should the key storage
// refuse it afterwards, the portal returns the key with the error; the
// API answers with the error only, and asking again (the same code from
// the same device, the same serial number, the same upgrade) gives the
// key and puts it in place.

// issuedKey is a license key a code gave, and its license.
type issuedKey struct {
	Key     string           `json:"key"`
	License *license.License `json:"license"`
}

// keyOf answers with the key and license an operation gave.
func keyOf(key string, l *license.License, err error) (issuedKey, error) {
	if err != nil {
		return issuedKey{}, err
	}
	return issuedKey{Key: key, License: l}, nil
}

// orgKey calls an operation that gives a key.
func orgKey(ctx context.Context, o *OrgClient, op string, in any) (string, *license.License, error) {
	k, err := orgDo[issuedKey](ctx, o, op, in)
	return k.Key, k.License, err
}

type redeemCodeRequest struct {
	Code   string `json:"code"`
	Device string `json:"device"` // the redeeming device's fingerprint
}

func redeemCode(c *call, in *redeemCodeRequest) (issuedKey, error) {
	return keyOf(c.org().RedeemCode(c.ctx(), in.Code, in.Device))
}

// RedeemCode redeems an activation code for a device, as
// portal.OrgScope.RedeemCode does, and returns the license key.
func (o *OrgClient) RedeemCode(ctx context.Context, code, fingerprint string) (string, *license.License, error) {
	return orgKey(ctx, o, "RedeemCode", redeemCodeRequest{Code: code, Device: fingerprint})
}

type convertVoucherRequest struct {
	Voucher string `json:"voucher"`
}

func convertVoucher(c *call, in *convertVoucherRequest) (issuedKey, error) {
	return keyOf(c.org().ConvertVoucher(c.ctx(), in.Voucher))
}

// ConvertVoucher converts a voucher into a license key, as
// portal.OrgScope.ConvertVoucher does.
func (o *OrgClient) ConvertVoucher(ctx context.Context, voucher string) (string, *license.License, error) {
	return orgKey(ctx, o, "ConvertVoucher", convertVoucherRequest{Voucher: voucher})
}

type getKeyRequest struct {
	Serial       string              `json:"serial"`
	Registration portal.Registration `json:"registration"`
}

func getKey(c *call, in *getKeyRequest) (issuedKey, error) {
	return keyOf(c.org().GetKey(c.ctx(), in.Serial, in.Registration))
}

// GetKey registers a serial number with the organization's details for
// its license key, as portal.OrgScope.GetKey does.
func (o *OrgClient) GetKey(ctx context.Context, serial string, r portal.Registration) (string, *license.License, error) {
	return orgKey(ctx, o, "GetKey", getKeyRequest{Serial: serial, Registration: r})
}

type upgradeRequest struct {
	Notification string `json:"notification"`
	Product      string `json:"product"`
	Quantity     int    `json:"quantity"`
}

func upgrade(c *call, in *upgradeRequest) (issuedKey, error) {
	return keyOf(c.org().Upgrade(c.ctx(), in.Notification, in.Product, in.Quantity))
}

// Upgrade takes up an upgrade the vendor offered, as
// portal.OrgScope.Upgrade does, and returns the new license key.
func (o *OrgClient) Upgrade(ctx context.Context, notificationID, product string, quantity int) (string, *license.License, error) {
	return orgKey(ctx, o, "Upgrade", upgradeRequest{Notification: notificationID, Product: product, Quantity: quantity})
}
