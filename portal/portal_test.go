package portal_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// resellerBob is a member of the partner organization "reseller".
var resellerBob = portal.Actor{ID: "bob@reseller", Org: "reseller"}

// asPartner returns the scope of resellerBob acting on org.
func asPartner(h *portalHarness, org string) *portal.OrgScope { return h.p.Org(resellerBob, org) }

// histAll returns org's whole history, oldest first, as one of its
// members reads it.
func histAll(tb testing.TB, h *portalHarness, org string) []portal.HistoryEntry {
	tb.Helper()
	page, next, err := h.as(org).History(h.ctx, 0, portal.MaxHistoryPage)
	require.NoError(tb, err)
	require.Zero(tb, next, "history longer than one page")
	out := make([]portal.HistoryEntry, 0, len(page))
	for i := len(page) - 1; i >= 0; i-- {
		out = append(out, page[i])
	}
	return out
}

// scopeKeys returns org's key storage as one of its members reads it.
func scopeKeys(tb testing.TB, h *portalHarness, org string) []portal.KeyUsage {
	tb.Helper()
	keys, err := h.as(org).Keys(h.ctx)
	require.NoError(tb, err)
	return keys
}

// mustAddKey adds key to org's key storage as one of its members.
func mustAddKey(tb testing.TB, h *portalHarness, org, key string) *license.License {
	tb.Helper()
	l, err := h.as(org).AddKey(h.ctx, key, portal.KeyOptions{})
	require.NoError(tb, err)
	return l
}

// scopeOps are the operations of an OrgScope, each called with valid
// arguments for a key storage that holds SN-A1; key is a key any
// organization could add.
func scopeOps(key string) map[string]func(context.Context, *portal.OrgScope) error {
	return map[string]func(context.Context, *portal.OrgScope) error{
		"Keys": func(ctx context.Context, s *portal.OrgScope) error {
			_, err := s.Keys(ctx)
			return err
		},
		"AddKey": func(ctx context.Context, s *portal.OrgScope) error {
			_, err := s.AddKey(ctx, key, portal.KeyOptions{})
			return err
		},
		"RemoveKey": func(ctx context.Context, s *portal.OrgScope) error { return s.RemoveKey(ctx, "SN-A1") },
		"ShareKey": func(ctx context.Context, s *portal.OrgScope) error {
			return s.ShareKey(ctx, "SN-A1", "mallory@globex")
		},
		"UnshareKey": func(ctx context.Context, s *portal.OrgScope) error {
			return s.UnshareKey(ctx, "SN-A1", "carol@acme")
		},
		"SetCustomData": func(ctx context.Context, s *portal.OrgScope) error {
			return s.SetCustomData(ctx, "SN-A1", "po", "stolen")
		},
		"DeleteCustomData": func(ctx context.Context, s *portal.OrgScope) error {
			return s.DeleteCustomData(ctx, "SN-A1", "po")
		},
		"Delegate":   func(ctx context.Context, s *portal.OrgScope) error { return s.Delegate(ctx, "globex") },
		"Undelegate": func(ctx context.Context, s *portal.OrgScope) error { return s.Undelegate(ctx, "reseller") },
		"Delegations": func(ctx context.Context, s *portal.OrgScope) error {
			_, err := s.Delegations(ctx)
			return err
		},
		"History": func(ctx context.Context, s *portal.OrgScope) error {
			_, _, err := s.History(ctx, 0, 10)
			return err
		},
	}
}

// TestPortal_P4_OtherOrganizationIsIndistinguishableFromNone: an actor of
// another organization, a partner without delegation, or an actor with no
// organization, gets ErrNoAccess from every read and write, the very same
// error as for an organization that does not exist, and changes nothing
// (P4, V4).
func TestPortal_P4_OtherOrganizationIsIndistinguishableFromNone(t *testing.T) {
	h := newPortalHarness(t)
	mustAddKey(t, h, "acme", h.key(seatsLicense("SN-A1", 10)))
	require.NoError(t, h.as("acme").ShareKey(h.ctx, "SN-A1", "carol@acme"))
	require.NoError(t, h.as("acme").SetCustomData(h.ctx, "SN-A1", "po", "PO-1"))
	mustDelegate(t, h, "acme", "reseller")
	require.NoError(t, h.as("acme").Undelegate(h.ctx, "reseller"))
	keysBefore, histBefore := scopeKeys(t, h, "acme"), histAll(t, h, "acme")

	free := h.key(seatsLicense("SN-FREE", 5)) // made out to no organization
	actors := []portal.Actor{
		{ID: "mallory@globex", Org: "globex"},
		resellerBob, // a partner acme no longer delegates to
		{ID: "anonymous"},
		{},
	}
	for name, op := range scopeOps(free) {
		for _, a := range actors {
			t.Run(name+"/"+a.Org, func(t *testing.T) {
				onAcme := op(h.ctx, h.p.Org(a, "acme"))
				onNone := op(h.ctx, h.p.Org(a, "nope"))
				require.ErrorIs(t, onAcme, portal.ErrNoAccess)
				require.ErrorIs(t, onNone, portal.ErrNoAccess)
				assert.Equal(t, onNone, onAcme, "the error tells acme from a missing organization")
				assert.Equal(t, onNone.Error(), onAcme.Error())
			})
		}
	}

	assert.Equal(t, keysBefore, scopeKeys(t, h, "acme"), "acme's key storage changed")
	assert.Equal(t, histBefore, histAll(t, h, "acme"), "acme's history changed")
	assert.Empty(t, scopeKeys(t, h, "globex"))
	// The refused AddKey claimed the license for nobody: acme still can.
	mustAddKey(t, h, "acme", free)
}

// TestPortal_P4_MembersReachOnlyTheirOwnOrganization: the same operations
// succeed for a member of the organization (P4).
func TestPortal_P4_MembersReachOnlyTheirOwnOrganization(t *testing.T) {
	h := newPortalHarness(t)
	mustAddKey(t, h, "acme", h.key(seatsLicense("SN-A1", 10)))
	require.NoError(t, h.as("acme").ShareKey(h.ctx, "SN-A1", "carol@acme"))
	mustDelegate(t, h, "acme", "reseller")
	ops := scopeOps(h.key(seatsLicense("SN-FREE", 5)))
	for _, name := range []string{"Keys", "AddKey", "ShareKey", "UnshareKey", "SetCustomData",
		"DeleteCustomData", "Delegate", "Undelegate", "Delegations", "History", "RemoveKey"} {
		require.NoError(t, ops[name](h.ctx, h.as("acme")), name)
	}
	assert.Len(t, ops, 11, "an operation is not in the list above")
	assert.Equal(t, "acme", h.as("acme").ID())
}

// TestPortal_P4_LicenseNeverMovesBetweenOrganizations: once an
// organization holds a license, no other organization can add it, even
// after the first removed it from its key storage; a license made out to
// one organization goes into no other's (P4).
func TestPortal_P4_LicenseNeverMovesBetweenOrganizations(t *testing.T) {
	h := newPortalHarness(t)
	key := h.key(seatsLicense("SN-A1", 10))
	mustAddKey(t, h, "acme", key)

	_, err := h.as("globex").AddKey(h.ctx, key, portal.KeyOptions{})
	require.ErrorIs(t, err, portal.ErrOtherOrganization)
	assert.Contains(t, err.Error(), "SN-A1")

	require.NoError(t, h.as("acme").RemoveKey(h.ctx, "SN-A1"))
	_, err = h.as("globex").AddKey(h.ctx, key, portal.KeyOptions{})
	require.ErrorIs(t, err, portal.ErrOtherOrganization, "removed from acme, it is still acme's")
	assert.Empty(t, scopeKeys(t, h, "globex"))

	// It goes back to the organization it belongs to.
	mustAddKey(t, h, "acme", key)

	t.Run("MadeOutToAnother", func(t *testing.T) {
		l := seatsLicense("SN-A2", 3)
		l.Organization = "acme"
		key := h.key(l)
		_, err := h.as("globex").AddKey(h.ctx, key, portal.KeyOptions{})
		require.ErrorIs(t, err, portal.ErrOtherOrganization)
		mustAddKey(t, h, "acme", key)
	})

	t.Run("PartnerCannotTakeACustomersLicense", func(t *testing.T) {
		// Under delegation the partner adds a key for acme: it is acme's,
		// and the partner cannot put it in its own storage (P4, V4).
		mustDelegate(t, h, "acme", "reseller")
		key := h.key(seatsLicense("SN-A3", 3))
		_, err := asPartner(h, "acme").AddKey(h.ctx, key, portal.KeyOptions{})
		require.NoError(t, err)
		_, err = asPartner(h, "reseller").AddKey(h.ctx, key, portal.KeyOptions{})
		require.ErrorIs(t, err, portal.ErrOtherOrganization)
		assert.Empty(t, scopeKeys(t, h, "reseller"))
	})
}

// TestPortal_P4_CreateOrganization: an organization ID is taken once;
// a bad ID gets ErrInvalidInput and creates nothing.
func TestPortal_P4_CreateOrganization(t *testing.T) {
	h := newPortalHarness(t)
	before := histAll(t, h, "acme")

	t.Run("ErrOrgExists", func(t *testing.T) {
		err := h.p.CreateOrganization(h.ctx, "acme", "Another Acme")
		require.ErrorIs(t, err, portal.ErrOrgExists)
		assert.Equal(t, before, histAll(t, h, "acme"), "the existing organization changed")
	})

	for name, id := range map[string]string{
		"ErrRequired":    "",
		"ControlChar":    "ac\x00me",
		"Newline":        "ac\nme",
		"InvalidUTF8":    "ac\xffme",
		"TooLong":        strings.Repeat("a", 256),
		"TooLongUnicode": strings.Repeat("é", 128),
	} {
		t.Run(name, func(t *testing.T) {
			err := h.p.CreateOrganization(h.ctx, id, "Bad")
			require.ErrorIs(t, err, license.ErrInvalidInput)
			assert.NotEmpty(t, err.Error())
			_, err = h.p.Org(portal.Actor{ID: "x", Org: id}, id).Keys(h.ctx)
			require.ErrorIs(t, err, portal.ErrNoAccess, "the organization was created")
		})
	}

	t.Run("OK", func(t *testing.T) {
		require.NoError(t, h.p.CreateOrganization(h.ctx, strings.Repeat("é", 127), "Longest"))
		require.NoError(t, h.p.CreateOrganization(h.ctx, "initech", "Initech"))
		hist := histAll(t, h, "initech")
		require.Len(t, hist, 1)
		assert.Equal(t, portal.HistoryEntry{Seq: 1, At: day("2026-01-01"), Actor: "vendor",
			Action: "organization.create", Subject: "initech", Detail: "Initech"}, hist[0])
	})
}

// TestPortal_P4_CanceledContext: a canceled context changes nothing.
func TestPortal_P4_CanceledContext(t *testing.T) {
	h := newPortalHarness(t)
	mustAddKey(t, h, "acme", h.key(seatsLicense("SN-A1", 10)))
	before := histAll(t, h, "acme")
	ctx, cancel := context.WithCancel(h.ctx)
	cancel()
	for name, op := range scopeOps(h.key(seatsLicense("SN-FREE", 5))) {
		err := op(ctx, h.as("acme"))
		require.Error(t, err, name)
		assert.True(t, errors.Is(err, context.Canceled), "%s: %v", name, err)
	}
	assert.Equal(t, before, histAll(t, h, "acme"))
}

// TestPortal_P4_WholeAPIRefusesOtherOrganizations: the devices, seats,
// license groups, wallet, codes, vouchers, serial numbers and upgrades of
// an organization are out of reach of another organization's actor too:
// ErrNoAccess, the same as for an organization that does not exist, and
// nothing is changed or spent (P4).
func TestPortal_P4_WholeAPIRefusesOtherOrganizations(t *testing.T) {
	h := newPortalHarness(t)
	acme := h.as("acme")
	mustAddKey(t, h, "acme", h.key(seatsLicense("SN-A1", 10)))
	mustAddKey(t, h, "acme", h.key(license.License{ID: "SN-U1", Scheme: license.SchemePerUser, Quantity: 5,
		Features: []string{"mail"}, Expiry: day("2027-01-01")}))
	_, err := acme.RegisterDevice(h.ctx, portal.Device{Fingerprint: "fp-1", OS: license.TypeServer})
	require.NoError(t, err)
	_, err = acme.AssignSeat(h.ctx, "SN-A1", "fp-1")
	require.NoError(t, err)
	require.NoError(t, acme.CreateGroup(h.ctx, "g1", "Lyon"))
	_, err = acme.Activate(h.ctx, "acme-backup", 5)
	require.NoError(t, err)

	template := license.License{ID: "TPL", Product: "acme-backup", Scheme: license.SchemePerDevice, Quantity: 1,
		Features: []string{"backup"}, Expiry: day("2027-01-01")}
	codes, err := h.p.IssueActivationCodes(h.ctx, template, 1, 1)
	require.NoError(t, err)
	vouchers, err := h.p.IssueVouchers(h.ctx, template, 1)
	require.NoError(t, err)
	serials, err := h.p.IssueSerials(h.ctx, template, 1)
	require.NoError(t, err)
	notice, err := h.p.IssueUpgrade(h.ctx, "acme", "SN-A1", []string{"acme-backup-pro"}, 5)
	require.NoError(t, err)
	walletKey := h.key(seatsLicense("SN-W1", 5))
	reg := portal.Registration{Company: "Globex", Contact: "Mallory", Email: "mallory@globex.example"}

	snapshot := func() []any {
		t.Helper()
		devices, err := acme.Devices(h.ctx)
		require.NoError(t, err)
		group, err := acme.Group(h.ctx, "g1")
		require.NoError(t, err)
		subs, err := acme.Subscriptions(h.ctx)
		require.NoError(t, err)
		wallet, err := acme.Wallet(h.ctx)
		require.NoError(t, err)
		return []any{scopeKeys(t, h, "acme"), devices, group, subs, wallet, histAll(t, h, "acme")}
	}
	before := snapshot()

	ops := map[string]func(context.Context, *portal.OrgScope) error{
		"RegisterDevice": func(ctx context.Context, s *portal.OrgScope) error {
			_, err := s.RegisterDevice(ctx, portal.Device{Fingerprint: "fp-2", OS: license.TypeWorkstation})
			return err
		},
		"Devices": func(ctx context.Context, s *portal.OrgScope) error { _, err := s.Devices(ctx); return err },
		"UnactivatedDevices": func(ctx context.Context, s *portal.OrgScope) error {
			_, err := s.UnactivatedDevices(ctx)
			return err
		},
		"RemoveDevice": func(ctx context.Context, s *portal.OrgScope) error { return s.RemoveDevice(ctx, "fp-1") },
		"AssignSeat": func(ctx context.Context, s *portal.OrgScope) error {
			_, err := s.AssignSeat(ctx, "SN-A1", "fp-1")
			return err
		},
		"AssignUser": func(ctx context.Context, s *portal.OrgScope) error {
			_, err := s.AssignUser(ctx, "SN-U1", "u@acme")
			return err
		},
		"ReleaseSeat":     func(ctx context.Context, s *portal.OrgScope) error { return s.ReleaseSeat(ctx, "SN-A1", "fp-1") },
		"ReleaseUser":     func(ctx context.Context, s *portal.OrgScope) error { return s.ReleaseUser(ctx, "SN-U1", "u@acme") },
		"CreateGroup":     func(ctx context.Context, s *portal.OrgScope) error { return s.CreateGroup(ctx, "g2", "Paris") },
		"AddToGroup":      func(ctx context.Context, s *portal.OrgScope) error { return s.AddToGroup(ctx, "g1", "SN-A1") },
		"RemoveFromGroup": func(ctx context.Context, s *portal.OrgScope) error { return s.RemoveFromGroup(ctx, "g1", "SN-A1") },
		"JoinGroup":       func(ctx context.Context, s *portal.OrgScope) error { return s.JoinGroup(ctx, "g1", "fp-1") },
		"LeaveGroup":      func(ctx context.Context, s *portal.OrgScope) error { return s.LeaveGroup(ctx, "g1", "fp-1") },
		"Rebalance":       func(ctx context.Context, s *portal.OrgScope) error { return s.Rebalance(ctx, "g1") },
		"Group":           func(ctx context.Context, s *portal.OrgScope) error { _, err := s.Group(ctx, "g1"); return err },
		"Redeem": func(ctx context.Context, s *portal.OrgScope) error {
			_, err := s.Redeem(ctx, walletKey, 0)
			return err
		},
		"Activate": func(ctx context.Context, s *portal.OrgScope) error {
			_, err := s.Activate(ctx, "acme-mail", 3)
			return err
		},
		"Consume": func(ctx context.Context, s *portal.OrgScope) error {
			_, err := s.Consume(ctx, "acme-backup", 1)
			return err
		},
		"Advance": func(ctx context.Context, s *portal.OrgScope) error { return s.Advance(ctx) },
		"Subscriptions": func(ctx context.Context, s *portal.OrgScope) error {
			_, err := s.Subscriptions(ctx)
			return err
		},
		"Wallet": func(ctx context.Context, s *portal.OrgScope) error { _, err := s.Wallet(ctx); return err },
		"Redemptions": func(ctx context.Context, s *portal.OrgScope) error {
			_, err := s.Redemptions(ctx)
			return err
		},
		"RedeemCode": func(ctx context.Context, s *portal.OrgScope) error {
			_, _, err := s.RedeemCode(ctx, codes[0], "fp-9")
			return err
		},
		"ConvertVoucher": func(ctx context.Context, s *portal.OrgScope) error {
			_, _, err := s.ConvertVoucher(ctx, vouchers[0])
			return err
		},
		"GetKey": func(ctx context.Context, s *portal.OrgScope) error {
			_, _, err := s.GetKey(ctx, serials[0], reg)
			return err
		},
		"Upgrade": func(ctx context.Context, s *portal.OrgScope) error {
			_, _, err := s.Upgrade(ctx, notice, "acme-backup-pro", 1)
			return err
		},
	}
	for _, a := range []portal.Actor{{ID: "mallory@globex", Org: "globex"}, resellerBob} {
		for name, op := range ops {
			onAcme := op(h.ctx, h.p.Org(a, "acme"))
			onNone := op(h.ctx, h.p.Org(a, "nope"))
			require.ErrorIs(t, onAcme, portal.ErrNoAccess, "%s by %s", name, a.Org)
			assert.Equal(t, onNone, onAcme, "%s by %s: the error tells acme from a missing organization", name, a.Org)
		}
	}
	assert.Equal(t, before, snapshot(), "acme changed")

	// Nothing was spent: acme still redeems, converts, registers, upgrades.
	_, _, err = acme.RedeemCode(h.ctx, codes[0], "fp-9")
	require.NoError(t, err)
	_, _, err = acme.ConvertVoucher(h.ctx, vouchers[0])
	require.NoError(t, err)
	_, _, err = acme.GetKey(h.ctx, serials[0], portal.Registration{Company: "Acme", Contact: "Alice", Email: "alice@acme.example"})
	require.NoError(t, err)
	_, _, err = acme.Upgrade(h.ctx, notice, "acme-backup-pro", 1)
	require.NoError(t, err)
	_, err = acme.Redeem(h.ctx, walletKey, 0)
	require.NoError(t, err)
}
