package http

import (
	"context"

	"github.com/licensekit/license/portal"
)

// An organization's wallet and subscriptions (P1–P3, S7).

func getWallet(c *call, _ *none) (map[string]int, error) { return c.org().Wallet(c.ctx()) }

// Wallet returns the licenses in the wallet by product, as
// portal.OrgScope.Wallet does.
func (o *OrgClient) Wallet(ctx context.Context) (map[string]int, error) {
	return orgDo[map[string]int](ctx, o, "GetWallet", nil)
}

type redeemRequest struct {
	Key     string `json:"key"`
	Consume int    `json:"consume"` // consumed at once; the rest go into the wallet
}

func redeem(c *call, in *redeemRequest) (portal.WalletRedemption, error) {
	return c.org().Redeem(c.ctx(), in.Key, in.Consume)
}

// Redeem redeems a license key into the wallet, as portal.OrgScope.Redeem
// does.
func (o *OrgClient) Redeem(ctx context.Context, key string, consume int) (portal.WalletRedemption, error) {
	return orgDo[portal.WalletRedemption](ctx, o, "Redeem", redeemRequest{Key: key, Consume: consume})
}

func listRedemptions(c *call, _ *none) ([]portal.WalletRedemption, error) {
	return c.org().Redemptions(c.ctx())
}

// Redemptions lists the license keys redeemed into the wallet, as
// portal.OrgScope.Redemptions does.
func (o *OrgClient) Redemptions(ctx context.Context) ([]portal.WalletRedemption, error) {
	return orgDo[[]portal.WalletRedemption](ctx, o, "ListRedemptions", nil)
}

func listSubscriptions(c *call, _ *none) ([]portal.Subscription, error) {
	return c.org().Subscriptions(c.ctx())
}

// Subscriptions lists the subscriptions as of now, as
// portal.OrgScope.Subscriptions does.
func (o *OrgClient) Subscriptions(ctx context.Context) ([]portal.Subscription, error) {
	return orgDo[[]portal.Subscription](ctx, o, "ListSubscriptions", nil)
}

type activateRequest struct {
	Product string `json:"product"`
	Devices int    `json:"devices"` // licenses of current usage, per term
}

func activate(c *call, in *activateRequest) (portal.Subscription, error) {
	return c.org().Activate(c.ctx(), in.Product, in.Devices)
}

// Activate starts a product's annual subscription, as
// portal.OrgScope.Activate does.
func (o *OrgClient) Activate(ctx context.Context, product string, devices int) (portal.Subscription, error) {
	return orgDo[portal.Subscription](ctx, o, "Activate", activateRequest{Product: product, Devices: devices})
}

type consumeRequest struct {
	N int `json:"n"`
}

func consume(c *call, in *consumeRequest) (portal.Subscription, error) {
	return c.org().Consume(c.ctx(), c.path("subscription"), in.N)
}

// Consume pays a subscription's term with n licenses of the wallet, as
// portal.OrgScope.Consume does.
func (o *OrgClient) Consume(ctx context.Context, subscriptionID string, n int) (portal.Subscription, error) {
	return orgDo[portal.Subscription](ctx, o, "Consume", consumeRequest{N: n}, subscriptionID)
}

func advance(c *call, _ *none) (none, error) { return none{}, c.org().Advance(c.ctx()) }

// Advance brings the subscriptions up to now, as portal.OrgScope.Advance
// does; the events go to the server's portal.
func (o *OrgClient) Advance(ctx context.Context) error {
	return orgCall0(ctx, o, "Advance", nil)
}
