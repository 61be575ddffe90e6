package http_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/licensekit/license"
	lkhttp "github.com/licensekit/license/http"
	"github.com/licensekit/license/portal"
)

// W1: every route is reached by its client method, which gives back what
// the portal gave: one tour through every method of Client and OrgClient,
// and the patterns it matched are the whole route table.
func TestClient_W1_EveryRouteHasItsMethod(t *testing.T) {
	h := newHarness(t)
	ctx := h.ctx
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	acme := h.acme.Org("acme")

	// Key storage (D1, V3).
	la, err := acme.AddKey(ctx, h.key(seats("LK-A", 5)), portal.KeyOptions{AutoDistribute: false})
	must("AddKey", err)
	must("SetCustomData", acme.SetCustomData(ctx, la.ID, "po", "PO-1"))
	must("ShareKey", acme.ShareKey(ctx, la.ID, "bob@acme.example"))
	keys, err := acme.Keys(ctx)
	must("Keys", err)
	if len(keys) != 1 || keys[0].Custom["po"] != "PO-1" || !slices.Equal(keys[0].Shared, []string{"bob@acme.example"}) {
		t.Fatalf("Keys = %+v; want LK-A with its custom data and share", keys)
	}
	must("UnshareKey", acme.UnshareKey(ctx, la.ID, "bob@acme.example"))
	must("DeleteCustomData", acme.DeleteCustomData(ctx, la.ID, "po"))

	// Devices and seats (D3, D4).
	for _, fp := range []string{"d1", "d2"} {
		d, err := acme.RegisterDevice(ctx, portal.Device{Fingerprint: fp, OS: license.TypeWorkstation, CPUs: 1, Cores: 4})
		must("RegisterDevice", err)
		if !d.Registered.Equal(h.clk.Now()) {
			t.Fatalf("RegisterDevice = %+v; want registered now", d)
		}
	}
	seat, err := acme.AssignSeat(ctx, la.ID, "d1")
	must("AssignSeat", err)
	if seat.License != "LK-A" || seat.Device != "d1" || seat.Units != 1 {
		t.Fatalf("AssignSeat = %+v", seat)
	}
	must("ReleaseSeat", acme.ReleaseSeat(ctx, la.ID, "d1"))
	_, err = acme.AddKey(ctx, h.key(license.License{ID: "LK-U", Scheme: license.SchemePerUser, Quantity: 2, Expiry: seats("", 1).Expiry}), portal.KeyOptions{})
	must("AddKey per user", err)
	useat, err := acme.AssignUser(ctx, "LK-U", "eve@acme.example")
	must("AssignUser", err)
	if useat.User != "eve@acme.example" {
		t.Fatalf("AssignUser = %+v", useat)
	}
	must("ReleaseUser", acme.ReleaseUser(ctx, "LK-U", "eve@acme.example"))

	// License groups (G1, G2).
	_, err = acme.AddKey(ctx, h.key(seats("LK-G", 1)), portal.KeyOptions{})
	must("AddKey group", err)
	must("CreateGroup", acme.CreateGroup(ctx, "site", "Head office"))
	must("AddToGroup", acme.AddToGroup(ctx, "site", "LK-G"))
	must("JoinGroup", acme.JoinGroup(ctx, "site", "d1", "d2"))
	g, err := acme.Group(ctx, "site")
	must("Group", err)
	if len(g.Licenses) != 1 || len(g.Licenses[0].Devices) != 1 || g.Licenses[0].Devices[0].Device != "d1" ||
		!slices.Equal(g.Unplaced, []string{"d2"}) || g.Name != "Head office" {
		t.Fatalf("Group = %+v; want d1 placed on LK-G, d2 unplaced", g)
	}
	must("LeaveGroup", acme.LeaveGroup(ctx, "site", "d2"))
	must("Rebalance", acme.Rebalance(ctx, "site"))
	must("RemoveFromGroup", acme.RemoveFromGroup(ctx, "site", "LK-G"))
	must("RemoveKey", acme.RemoveKey(ctx, "LK-G"))
	must("RemoveDevice", acme.RemoveDevice(ctx, "d2"))
	devs, err := acme.Devices(ctx)
	must("Devices", err)
	un, err := acme.UnactivatedDevices(ctx)
	must("UnactivatedDevices", err)
	if len(devs) != 1 || len(un) != 1 || un[0].Fingerprint != "d1" {
		t.Fatalf("Devices = %+v, unactivated %+v; want d1 alone, without a seat", devs, un)
	}

	// Wallet and subscriptions (P1, P2, S7).
	sub, err := acme.Activate(ctx, "backup", 2)
	must("Activate", err)
	red, err := acme.Redeem(ctx, h.key(seats("LK-W", 5)), 2)
	must("Redeem", err)
	if red.Consumed != 2 || red.Wallet != 3 || red.Subscription != sub.ID || red.By != "alice@acme" {
		t.Fatalf("Redeem = %+v", red)
	}
	wallet, err := acme.Wallet(ctx)
	must("Wallet", err)
	if !maps.Equal(wallet, map[string]int{"backup": 3}) {
		t.Fatalf("Wallet = %v; want backup: 3", wallet)
	}
	reds, err := acme.Redemptions(ctx)
	must("Redemptions", err)
	subs, err := acme.Subscriptions(ctx)
	must("Subscriptions", err)
	if len(reds) != 1 || len(subs) != 1 || subs[0].Paid != 2 {
		t.Fatalf("Redemptions = %+v, Subscriptions = %+v", reds, subs)
	}
	if _, err := acme.Consume(ctx, sub.ID, 1); !errors.Is(err, portal.ErrExceedsUsage) {
		t.Fatalf("Consume of a paid term: %v; want ErrExceedsUsage (P2)", err)
	}
	must("Advance", acme.Advance(ctx))

	// Codes, vouchers, serial numbers and upgrades (K5, K6, V1, V2).
	codes, err := h.vendor.IssueActivationCodes(ctx, h.template("C", 2), 1, 1)
	must("IssueActivationCodes", err)
	_, lc, err := acme.RedeemCode(ctx, codes[0], "d1")
	must("RedeemCode", err)
	listed, _, err := h.vendor.ActivationCodes(ctx, "", 10)
	must("ActivationCodes", err)
	if len(listed) != 1 || listed[0].Redemptions["d1"].License != lc.ID {
		t.Fatalf("ActivationCodes = %+v; want d1's redemption of %s", listed, lc.ID)
	}
	vouchers, err := h.vendor.IssueVouchers(ctx, h.template("V", 2), 1)
	must("IssueVouchers", err)
	_, _, err = acme.ConvertVoucher(ctx, vouchers[0])
	must("ConvertVoucher", err)
	if _, _, err := h.globex.Org("globex").ConvertVoucher(ctx, vouchers[0]); !errors.Is(err, portal.ErrVoucherUsed) {
		t.Fatalf("ConvertVoucher again: %v; want ErrVoucherUsed (K6)", err)
	}
	vs, _, err := h.vendor.Vouchers(ctx, "", 10)
	must("Vouchers", err)
	serials, err := h.vendor.IssueSerials(ctx, h.template("S", 2), 1)
	must("IssueSerials", err)
	_, ls, err := acme.GetKey(ctx, serials[0], portal.Registration{Company: "Acme", Contact: "Alice", Email: "alice@acme.example"})
	must("GetKey", err)
	ss, _, err := h.vendor.Serials(ctx, "", 10)
	must("Serials", err)
	if len(vs) != 1 || !vs[0].Converted || len(ss) != 1 || ss[0].Org != "acme" || ls.Organization != "acme" {
		t.Fatalf("Vouchers = %+v, Serials = %+v", vs, ss)
	}
	notice, err := h.vendor.IssueUpgrade(ctx, "acme", "LK-A", []string{"backup-pro"}, 10)
	must("IssueUpgrade", err)
	_, lu, err := acme.Upgrade(ctx, notice, "backup-pro", 8)
	must("Upgrade", err)
	ns, _, err := h.vendor.UpgradeNotices(ctx, "", 10)
	must("UpgradeNotices", err)
	if lu.Product != "backup-pro" || lu.Quantity != 8 || len(ns) != 1 || !ns[0].Used {
		t.Fatalf("Upgrade = %+v, notices %+v", lu, ns)
	}
	must("Revoke", h.vendor.Revoke(ctx, lu.ID, "refunded"))
	if _, err := acme.AssignSeat(ctx, lu.ID, "d1"); !errors.Is(err, portal.ErrNoSuchKey) {
		t.Fatalf("AssignSeat of a revoked license: %v; want ErrNoSuchKey (C1)", err)
	}

	// Delegation (V4).
	resell := h.resell.Org("reseller")
	must("Delegate", acme.Delegate(ctx, "reseller"))
	must("DeclineDelegation", resell.DeclineDelegation(ctx, "acme"))
	must("Delegate again", acme.Delegate(ctx, "reseller"))
	inv, err := resell.Invitations(ctx)
	must("Invitations", err)
	must("AcceptDelegation", resell.AcceptDelegation(ctx, "acme"))
	dels, err := acme.Delegations(ctx)
	must("Delegations", err)
	cust, err := resell.Customers(ctx)
	must("Customers", err)
	if len(inv) != 1 || len(dels) != 1 || dels[0].Pending || !slices.Equal(cust, []string{"acme"}) {
		t.Fatalf("Invitations = %+v, Delegations = %+v, Customers = %v", inv, dels, cust)
	}
	must("Undelegate", acme.Undelegate(ctx, "reseller"))

	// Bearer tokens (W2) and webhooks: the secrets come once, at creation.
	secret, tok, err := h.vendor.CreateToken(ctx, portal.Principal{Actor: portal.Actor{ID: "ci@acme", Org: "acme"}}, "CI")
	must("CreateToken", err)
	toks, _, err := h.vendor.Tokens(ctx, "", 10)
	must("Tokens", err)
	if secret == "" || tok.Hash != "" || tok.Principal.Actor.ID != "ci@acme" || !tok.Created.Equal(h.clk.Now()) ||
		!slices.Contains(toks, tok) { // the harness's 4, and this one, each without its hash
		t.Fatalf("CreateToken = %q, %+v; Tokens = %+v", secret, tok, toks)
	}
	if _, err := h.client(secret).Org("acme").Devices(ctx); err != nil {
		t.Fatalf("the new token's Devices: %v", err)
	}
	must("RevokeToken", h.vendor.RevokeToken(ctx, tok.ID))
	hook, err := h.vendor.AddWebhook(ctx, "https://hooks.example/licenses", []license.EventKind{license.EventRenewed})
	must("AddWebhook", err)
	hooks, err := h.vendor.Webhooks(ctx)
	must("Webhooks", err)
	if hook.Secret == "" || len(hooks) != 1 || hooks[0].ID != hook.ID || hooks[0].Secret != "" ||
		!slices.Equal(hooks[0].Events, []license.EventKind{license.EventRenewed}) {
		t.Fatalf("AddWebhook = %+v; Webhooks = %+v", hook, hooks)
	}
	must("RemoveWebhook", h.vendor.RemoveWebhook(ctx, hook.ID))

	// Renewal of the code's license, within 30 days of its end (R5, N1).
	h.clk.Set(lc.Expiry.Add(-10 * license.Day))
	renewal, err := acme.Renew(ctx, license.RenewalRequest{SoftwareID: "backup-agent", LicenseID: lc.ID})
	must("Renew", err)
	if rl, _, err := license.DecodeUnverified(renewal); err != nil || rl.ID == lc.ID || !rl.Start.Equal(lc.Expiry) {
		t.Fatalf("Renew = %+v, %v; want a new license from %v", rl, err, lc.Expiry)
	}

	// A device: activation, check-in, leases, deactivation, its trial and
	// the revocation list (A1, A4–A6, F1–F3, C1, C2).
	dc := h.device()
	floating := h.key(license.License{ID: "LK-F", Scheme: license.SchemeFloating, Quantity: 1, Expiry: h.clk.Now().Add(365 * license.Day)})
	_, err = acme.AddKey(ctx, floating, portal.KeyOptions{})
	must("AddKey floating", err)
	_, act, err := dc.Activate(ctx, portal.ActivationRequest{Key: floating, Fingerprint: "d1"})
	must("Activate", err)
	resp, err := dc.CheckIn(ctx, license.CheckInRequest{ActivationID: act.ID, Fingerprint: "d1"})
	must("CheckIn", err)
	if resp.Certificate == "" || resp.RevocationList == "" {
		t.Fatalf("CheckIn = %+v; want a certificate and the list, as the device holds none", resp)
	}
	lease, err := dc.Checkout(ctx, act.ID, "LK-F")
	must("Checkout", err)
	_, err = dc.Heartbeat(ctx, act.ID, lease.ID)
	must("Heartbeat", err)
	leases, err := acme.Leases(ctx, "LK-F")
	must("Leases", err)
	if len(leases) != 1 || leases[0].ID != lease.ID {
		t.Fatalf("Leases = %+v; want %s", leases, lease.ID)
	}
	must("Release", dc.Release(ctx, act.ID, lease.ID))
	must("Deactivate", dc.Deactivate(ctx, act.ID))
	_, trial, err := dc.StartTrial(ctx, "backup", "d2")
	must("StartTrial", err)
	must("RevokeActivation", h.vendor.RevokeActivation(ctx, trial.ID, "chargeback"))
	must("RevokeSigningKey", h.vendor.RevokeSigningKey(ctx, "old+0123456789abcdef", "retired"))
	list, err := dc.RevocationList(ctx)
	must("RevocationList", err)
	if rl, err := h.verifier().VerifyRevocationList(list); err != nil || !rl.RevokesActivation(trial.ID) || !rl.RevokesSigningKey("old+0123456789abcdef") {
		t.Fatalf("RevocationList = %+v, %v; want the trial's activation and the key revoked", rl, err)
	}

	// Histories and the vendor's listings (P5).
	orgs, next, err := h.vendor.Organizations(ctx, "", 2)
	must("Organizations", err)
	if len(orgs) != 2 || orgs[0].ID != "acme" || next != "globex" {
		t.Fatalf("Organizations = %+v, %q; want acme, globex and a cursor", orgs, next)
	}
	page, next2, err := acme.History(ctx, 0, 3)
	must("History", err)
	older, _, err := acme.History(ctx, next2, 3)
	must("History, next page", err)
	if len(page) != 3 || len(older) != 3 || older[0].Seq >= page[2].Seq {
		t.Fatalf("History pages %+v then %+v; want newest first", page, older)
	}
	vh, _, err := h.vendor.VendorHistory(ctx, 0, 1000)
	must("VendorHistory", err)
	h.clk.Add(time.Hour)
	var export bytes.Buffer
	n, err := h.vendor.PruneHistory(ctx, "acme", h.clk.Now(), &export)
	must("PruneHistory", err)
	if n == 0 || strings.Count(export.String(), "\n") != n {
		t.Fatalf("PruneHistory = %d, export of %d lines", n, strings.Count(export.String(), "\n"))
	}
	var first portal.HistoryEntry
	if err := json.Unmarshal([]byte(strings.SplitN(export.String(), "\n", 2)[0]), &first); err != nil || first.Seq != 1 {
		t.Fatalf("first exported entry %+v, %v; want entry 1", first, err)
	}
	export.Reset()
	n, err = h.vendor.PruneVendorHistory(ctx, h.clk.Now(), &export)
	must("PruneVendorHistory", err)
	if n != len(vh) {
		t.Fatalf("PruneVendorHistory = %d; want the %d entries of the vendor's history", n, len(vh))
	}
	doc, err := h.vendor.OpenAPI(ctx)
	must("OpenAPI", err)
	if !json.Valid(doc) {
		t.Fatal("OpenAPI document is not JSON")
	}

	seen := h.patterns()
	for _, rt := range lkhttp.Routes() {
		if !seen[rt.Method+" "+rt.Pattern] {
			t.Errorf("no client method reached %s %s (%s)", rt.Method, rt.Pattern, rt.Op)
		}
	}
}

// A client needs an absolute http or https base URL; path parameters that
// cannot be one path segment are refused before anything is sent.
func TestClient_BadInput(t *testing.T) {
	for _, u := range []string{"", "licenses.example.com", "ftp://x", "http://", "http://x?q=1", "::"} {
		if _, err := lkhttp.NewClient(u, "t", lkhttp.ClientConfig{}); !errors.Is(err, license.ErrInvalidInput) {
			t.Errorf("NewClient(%q): %v; want ErrInvalidInput", u, err)
		}
	}
	h := newHarness(t)
	before := h.snapshot()
	for _, fp := range []string{"", ".", ".."} {
		if err := h.acme.Org("acme").RemoveDevice(h.ctx, fp); !errors.Is(err, license.ErrInvalidInput) {
			t.Errorf("RemoveDevice(%q): %v; want ErrInvalidInput", fp, err)
		}
	}
	if h.snapshot() != before {
		t.Fatal("a refused call changed the store")
	}
}
