package portal_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// ctWalk reads a whole listing in pages of size, checking each page's
// cursor, and returns the IDs in the order read.
func ctWalk[T any](t *testing.T, size int, list func(after string, limit int) ([]T, string, error), id func(T) string) []string {
	t.Helper()
	var ids []string
	after := ""
	for range 1000 {
		page, next, err := list(after, size)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page), size)
		for _, e := range page {
			ids = append(ids, id(e))
		}
		if next == "" {
			return ids
		}
		require.Len(t, page, size, "a page before the last is full")
		assert.Equal(t, id(page[len(page)-1]), next, "next is the last ID of the page")
		after = next
	}
	t.Fatal("the listing never ends")
	return nil
}

// The vendor lists organizations, activation codes with their
// redemptions, vouchers, serial numbers and upgrade notices, a page at a
// time, in ascending order of ID, each entry once (K5, K6, V1, V2).
func TestVendorListings_PagedByCursor(t *testing.T) {
	h := newWLHarness(t)
	for i := range 4 {
		require.NoError(t, h.p.CreateOrganization(h.ctx, fmt.Sprintf("org-%d", i), "Org"))
	}
	codes := h.codes(cdTemplate("ACT"), 5, 2)
	_, l, err := h.as("acme").RedeemCode(h.ctx, codes[0], "laptop")
	require.NoError(t, err)
	vouchers, err := h.p.IssueVouchers(h.ctx, cdTemplate("OEM"), 3)
	require.NoError(t, err)
	serials, err := h.p.IssueSerials(h.ctx, cdTemplate("SER"), 3)
	require.NoError(t, err)
	var notices []string
	for range 3 {
		n, err := h.p.IssueUpgrade(h.ctx, "acme", l.ID, []string{"acme-backup-pro"}, 5)
		require.NoError(t, err)
		notices = append(notices, n)
	}
	sorted := func(s []string) []string { return slices.Sorted(slices.Values(s)) }

	for _, size := range []int{1, 2, 3, portal.MaxPage} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			orgs := ctWalk(t, size, func(a string, n int) ([]portal.OrgSummary, string, error) {
				return h.p.Organizations(h.ctx, a, n)
			}, func(o portal.OrgSummary) string { return o.ID })
			assert.Equal(t, []string{"acme", "globex", "org-0", "org-1", "org-2", "org-3", "reseller"}, orgs)
			assert.Equal(t, sorted(codes), ctWalk(t, size, func(a string, n int) ([]portal.ActivationCode, string, error) {
				return h.p.ActivationCodes(h.ctx, a, n)
			}, func(c portal.ActivationCode) string { return c.Code }))
			assert.Equal(t, sorted(vouchers), ctWalk(t, size, func(a string, n int) ([]portal.Voucher, string, error) {
				return h.p.Vouchers(h.ctx, a, n)
			}, func(v portal.Voucher) string { return v.ID }))
			assert.Equal(t, sorted(serials), ctWalk(t, size, func(a string, n int) ([]portal.Serial, string, error) {
				return h.p.Serials(h.ctx, a, n)
			}, func(s portal.Serial) string { return s.Serial }))
			assert.Equal(t, sorted(notices), ctWalk(t, size, func(a string, n int) ([]portal.UpgradeNotice, string, error) {
				return h.p.UpgradeNotices(h.ctx, a, n)
			}, func(u portal.UpgradeNotice) string { return u.ID }))
		})
	}

	// A code comes with its redemptions; what a listing returns is a copy.
	page, _, err := h.p.ActivationCodes(h.ctx, "", portal.MaxPage)
	require.NoError(t, err)
	for _, c := range page {
		if c.Code == codes[0] {
			assert.Equal(t, portal.Redemption{Org: "acme", License: l.ID, Key: c.Redemptions["laptop"].Key, At: day("2026-01-01")},
				c.Redemptions["laptop"])
			c.Redemptions["intruder"] = portal.Redemption{Org: "globex"}
			c.Template.Features[0] = "changed"
		} else {
			assert.Empty(t, c.Redemptions)
		}
	}
	_, v := h.snapshot()
	assert.Len(t, v.Codes.Peek(codes[0]).Redemptions, 1)
	assert.Equal(t, []string{"backup"}, v.Codes.Peek(codes[0]).Template.Features)

	orgs, next, err := h.p.Organizations(h.ctx, "zzz", 10)
	require.NoError(t, err)
	assert.Empty(t, orgs)
	assert.Empty(t, next)
}

// Every listing refuses a page size out of range with ErrInvalidInput.
func TestVendorListings_PageSize(t *testing.T) {
	h := newWLHarness(t)
	for _, n := range []int{0, -1, portal.MaxPage + 1} {
		for name, list := range map[string]func() error{
			"Organizations":   func() error { _, _, err := h.p.Organizations(h.ctx, "", n); return err },
			"ActivationCodes": func() error { _, _, err := h.p.ActivationCodes(h.ctx, "", n); return err },
			"Vouchers":        func() error { _, _, err := h.p.Vouchers(h.ctx, "", n); return err },
			"Serials":         func() error { _, _, err := h.p.Serials(h.ctx, "", n); return err },
			"UpgradeNotices":  func() error { _, _, err := h.p.UpgradeNotices(h.ctx, "", n); return err },
			"VendorHistory":   func() error { _, _, err := h.p.VendorHistory(h.ctx, 0, n); return err },
		} {
			assert.ErrorIs(t, list(), license.ErrInvalidInput, "%s(%d)", name, n)
		}
	}
	_, _, err := h.p.VendorHistory(h.ctx, -1, 10)
	assert.ErrorIs(t, err, license.ErrInvalidInput)
	ctx, cancel := context.WithCancel(h.ctx)
	cancel()
	_, _, err = h.p.Organizations(ctx, "", 10)
	assert.ErrorIs(t, err, context.Canceled)
}

// The vendor's history says who created, issued or revoked what, and
// when, newest first, in pages; a refused operation records nothing (P5).
func TestVendorHistory_P5_WhoIssuedWhatWhen(t *testing.T) {
	h := newWLHarness(t)
	carol := portal.WithVendorActor(h.ctx, "carol@vendor")
	h.at(day("2026-02-01"))
	_, err := h.p.IssueActivationCodes(carol, cdTemplate("ACT"), 3, 2)
	require.NoError(t, err)
	_, err = h.p.IssueVouchers(h.ctx, cdTemplate("OEM"), 0)
	require.ErrorIs(t, err, license.ErrInvalidInput)
	h.at(day("2026-02-02"))
	require.NoError(t, h.p.Revoke(carol, "SN-9", "leaked"))
	_, err = h.p.IssueSerials(carol, cdTemplate("SER"), 0)
	require.ErrorIs(t, err, license.ErrInvalidInput)

	page, next, err := h.p.VendorHistory(h.ctx, 0, 2)
	require.NoError(t, err)
	require.Len(t, page, 2)
	assert.Equal(t, int64(5), page[0].Seq)
	assert.Equal(t, portal.HistoryEntry{Seq: 5, At: day("2026-02-02"), Actor: "carol@vendor",
		Action: "license.revoke", Subject: "SN-9", Detail: "leaked"}, page[0])
	assert.Equal(t, "codes.issue", page[1].Action)
	assert.Equal(t, "carol@vendor", page[1].Actor)
	assert.Equal(t, "ACT", page[1].Subject)
	assert.Equal(t, day("2026-02-01"), page[1].At)
	assert.Contains(t, page[1].Detail, "3 activation codes of 2 uses")
	assert.Equal(t, int64(4), next)

	rest, next, err := h.p.VendorHistory(h.ctx, next, portal.MaxPage)
	require.NoError(t, err)
	assert.Zero(t, next)
	var got []string
	for _, e := range rest {
		got = append(got, fmt.Sprint(e.Seq, " ", e.Actor, " ", e.Action, " ", e.Subject, " ", e.At.Format(time.DateOnly)))
	}
	assert.Equal(t, []string{
		"3 vendor organization.create reseller 2026-01-01",
		"2 vendor organization.create globex 2026-01-01",
		"1 vendor organization.create acme 2026-01-01",
	}, got)
}
