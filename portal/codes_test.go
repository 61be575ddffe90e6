package portal_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// cdTemplate is what the tests' codes, vouchers and serial numbers give:
// ten devices of acme-backup for a year from activation.
func cdTemplate(id string) license.License {
	return license.License{ID: id, Product: "acme-backup", Edition: "standard", Scheme: license.SchemePerDevice,
		Quantity: 10, Features: []string{"backup"}, Term: 365 * license.Day}
}

// cdCode builds a code from 15 payload symbols the way the
// documentation of ParseCode says: the check character is their value as
// a base-32 number, modulo 37, in Crockford's check alphabet.
func cdCode(payload string) string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U"
	r := 0
	for _, c := range payload {
		r = (r*32 + strings.IndexRune(alphabet, c)) % 37
	}
	s := payload + string(alphabet[r])
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

// cdNormal returns the symbol a typed character stands for.
func cdNormal(c byte) byte {
	if c >= 'a' && c <= 'z' {
		c -= 'a' - 'A'
	}
	switch c {
	case 'I', 'L':
		return '1'
	case 'O':
		return '0'
	}
	return c
}

func (h *wlHarness) codes(template license.License, n, limit int) []string {
	h.tb.Helper()
	codes, err := h.p.IssueActivationCodes(h.ctx, template, n, limit)
	require.NoError(h.tb, err)
	require.Len(h.tb, codes, n)
	return codes
}

func (h *wlHarness) keyIDs(org string) []string {
	h.tb.Helper()
	keys, err := h.as(org).Keys(h.ctx)
	require.NoError(h.tb, err)
	var ids []string
	for _, k := range keys {
		ids = append(ids, k.License.ID)
	}
	return ids
}

// The check character is the payload's value modulo 37, in Crockford's
// check alphabet (K5).
func TestParseCode_K5_CheckCharacter(t *testing.T) {
	for _, c := range []struct{ payload, want string }{
		{"000000000000000", "0000-0000-0000-0000"},
		{"000000000000001", "0000-0000-0000-0011"},
		{"000000000000015", "0000-0000-0000-0150"},     // 37 ≡ 0
		{"000000000000014", "0000-0000-0000-014U"},     // 36: U
		{"000000000000010", "0000-0000-0000-010*"},     // 32: *
		{"000000000000011", "0000-0000-0000-011~"},     // 33: ~
		{"ZZZZZZZZZZZZZZZ", cdCode("ZZZZZZZZZZZZZZZ")}, // 2^75-1
	} {
		got, err := portal.ParseCode(c.want)
		require.NoError(t, err, c.payload)
		assert.Equal(t, c.want, got)
		assert.Equal(t, c.want, cdCode(c.payload))
	}
}

// Parsing ignores case, hyphens and white space and reads I and L as 1, O
// as 0 (K5).
func TestParseCode_K5_Normalizes(t *testing.T) {
	want := cdCode("01ABCDEFGHJKMNP")
	for _, typed := range []string{
		want,
		strings.ReplaceAll(want, "-", ""),
		" " + strings.ToLower(want) + "\n",
		"OIAB CDEF GHJK MNP" + want[len(want)-1:],
		"olab-cdef-ghjk-mnp" + strings.ToLower(want[len(want)-1:]),
		"0-1-A-B-C-D-E-F-G-H-J-K-M-N-P-" + want[len(want)-1:],
	} {
		got, err := portal.ParseCode(typed)
		require.NoError(t, err, typed)
		assert.Equal(t, want, got, typed)
	}
	for _, bad := range []string{
		"", "----", want[:len(want)-1], want + "0", want + want,
		"U" + want[1:],           // U only as a check character
		"*" + want[1:],           // so are * ~ $ =
		"é" + want[1:],           // not ASCII
		strings.Repeat("0", 300), // too long to read
		"0000-0000-0000-0001",    // wrong check
	} {
		_, err := portal.ParseCode(bad)
		assert.ErrorIs(t, err, portal.ErrBadCode, "%q", bad)
	}
}

// Every single mistyped character of a code is caught (K5): each
// position, replaced by each printable ASCII character that is not the
// same symbol, fails the check or the format.
func TestParseCode_K5_CatchesEverySingleSubstitution(t *testing.T) {
	h := newWLHarness(t)
	codes := append(h.codes(cdTemplate("ACT"), 20, 1), cdCode("000000000000000"), cdCode("ZZZZZZZZZZZZZZZ"))
	tried := 0
	for _, code := range codes {
		for i := range len(code) {
			for c := byte(0x20); c < 0x7f; c++ {
				typed := code[:i] + string(c) + code[i+1:]
				got, err := portal.ParseCode(typed)
				same := cdNormal(c) == code[i] || (code[i] == '-' && (c == ' ' || c == '-'))
				if same {
					require.NoError(t, err, "%q for %q", typed, code)
					require.Equal(t, code, got)
					continue
				}
				tried++
				if code[i] == '-' {
					// A symbol typed in place of a hyphen makes 17.
					require.ErrorIs(t, err, portal.ErrBadCode, "%q for %q", typed, code)
					continue
				}
				require.ErrorIs(t, err, portal.ErrBadCode, "%q for %q: accepted as %q", typed, code, got)
			}
		}
	}
	t.Logf("%d mistyped codes refused", tried)
}

// Every swap of two adjacent symbols of a code is caught (K5), the check
// character included. A swap with a hyphen moves the grouping only, and
// reads as the same code.
func TestParseCode_K5_CatchesEveryAdjacentSwap(t *testing.T) {
	h := newWLHarness(t)
	codes := append(h.codes(cdTemplate("ACT"), 50, 1), cdCode("0123456789ABCDE"), cdCode("ZYXWVTSRQPNMKJH"))
	for _, code := range codes {
		symbols := []byte(strings.ReplaceAll(code, "-", ""))
		for i := range len(symbols) - 1 {
			if symbols[i] == symbols[i+1] {
				continue
			}
			swapped := []byte(string(symbols))
			swapped[i], swapped[i+1] = swapped[i+1], swapped[i]
			got, err := portal.ParseCode(string(swapped))
			require.ErrorIs(t, err, portal.ErrBadCode, "%s swapped at %d: accepted as %q", code, i, got)
		}
		b := []byte(code)
		b[3], b[4] = b[4], b[3]
		got, err := portal.ParseCode(string(b))
		require.NoError(t, err)
		assert.Equal(t, code, got)
	}
}

// A redeemed activation code gives a license key made from its template
// for the organization, which goes into its key storage (K5, P4, P5).
func TestRedeemCode_K5_GivesAKeyIntoTheKeyStorage(t *testing.T) {
	h := newWLHarness(t)
	code := h.codes(cdTemplate("ACT"), 1, 1)[0]
	h.at(day("2026-02-01"))
	key, l, err := h.as("acme").RedeemCode(h.ctx, strings.ToLower(code), "laptop-1")
	require.NoError(t, err)
	assert.Equal(t, "ACT-1", l.ID, "the template's ID and the vendor's first number")
	assert.Equal(t, "acme", l.Organization)
	assert.Equal(t, "acme-backup", l.Product)
	assert.Equal(t, 10, l.Quantity)
	assert.Equal(t, day("2026-02-01"), l.IssuedAt)
	got, err := license.NewVerifier(h.vendor.VerifyingKey())
	require.NoError(t, err)
	verified, err := got.Verify(key)
	require.NoError(t, err)
	assert.Equal(t, l, verified)
	assert.Equal(t, []string{"ACT-1"}, h.keyIDs("acme"))
	assert.Subset(t, h.historyActions("acme"), []string{"admin@acme code.redeem ACT-1", "admin@acme key.add ACT-1"})

	_, v := h.snapshot()
	r := v.Codes.Peek(code).Redemptions["laptop-1"]
	assert.Equal(t, portal.Redemption{Org: "acme", License: "ACT-1", Key: key, At: day("2026-02-01")}, r)
	assert.Equal(t, "acme", v.Owners.Peek("ACT-1"))
}

// Redeeming again from the same device is idempotent (K5): the same key,
// nothing spent, nothing changed.
func TestRedeemCode_K5_IdempotentPerDevice(t *testing.T) {
	h := newWLHarness(t)
	code := h.codes(cdTemplate("ACT"), 1, 1)[0]
	key, l, err := h.as("acme").RedeemCode(h.ctx, code, "laptop-1")
	require.NoError(t, err)
	h.events()
	orgs, v := h.snapshot()

	h.at(day("2026-03-01"))
	key2, l2, err := h.as("acme").RedeemCode(h.ctx, strings.ReplaceAll(code, "-", " "), "laptop-1")
	require.NoError(t, err)
	assert.Equal(t, key, key2)
	assert.Equal(t, l, l2)
	orgs2, v2 := h.snapshot()
	assert.Equal(t, orgs, orgs2)
	assert.Equal(t, v, v2)

	// If the key left the key storage, the same device brings it back.
	require.NoError(t, h.as("acme").RemoveKey(h.ctx, l.ID))
	key3, _, err := h.as("acme").RedeemCode(h.ctx, code, "laptop-1")
	require.NoError(t, err)
	assert.Equal(t, key, key3)
	assert.Equal(t, []string{l.ID}, h.keyIDs("acme"))
}

// A code has a use limit: other devices redeem it until the limit, then
// are refused, and the first devices still get their keys (K5).
func TestRedeemCode_K5_UseLimit(t *testing.T) {
	h := newWLHarness(t)
	code := h.codes(cdTemplate("ACT"), 1, 2)[0]
	k1, _, err := h.as("acme").RedeemCode(h.ctx, code, "dev-1")
	require.NoError(t, err)
	k2, _, err := h.as("acme").RedeemCode(h.ctx, code, "dev-2")
	require.NoError(t, err)
	assert.NotEqual(t, k1, k2, "each device its own license")
	h.refused(t, portal.ErrCodeUsed, func() error { _, _, err := h.as("acme").RedeemCode(h.ctx, code, "dev-3"); return err })
	h.refused(t, portal.ErrCodeUsed, func() error { _, _, err := h.as("globex").RedeemCode(h.ctx, code, "dev-9"); return err })
	again, _, err := h.as("acme").RedeemCode(h.ctx, code, "dev-2")
	require.NoError(t, err)
	assert.Equal(t, k2, again)
	assert.Len(t, h.keyIDs("acme"), 2)
}

// Every refusal of RedeemCode is typed and changes nothing (K5, P4).
func TestRedeemCode_K5_Refusals(t *testing.T) {
	h := newWLHarness(t)
	code := h.codes(cdTemplate("ACT"), 1, 5)[0]
	_, _, err := h.as("globex").RedeemCode(h.ctx, code, "shared-fp")
	require.NoError(t, err)
	forGlobex := cdTemplate("GLX")
	forGlobex.Organization = "globex"
	globexCode := h.codes(forGlobex, 1, 1)[0]
	shortLived := cdTemplate("SHORT")
	shortLived.Term = 0
	shortLived.Expiry = day("2026-06-01")
	expiring := h.codes(shortLived, 1, 1)[0]
	voucher, err := h.p.IssueVouchers(h.ctx, cdTemplate("V"), 1)
	require.NoError(t, err)
	mistyped := []byte(code)
	mistyped[0] = map[bool]byte{true: 'B', false: 'A'}[mistyped[0] == 'A']

	for _, c := range []struct {
		name    string
		want    error
		scope   *portal.OrgScope
		code    string
		fp      string
		setTime bool
	}{
		{"ErrBadCode", portal.ErrBadCode, h.as("acme"), string(mistyped), "fp", false},
		{"ErrUnknownCode", portal.ErrUnknownCode, h.as("acme"), cdCode("000000000000000"), "fp", false},
		{"ErrUnknownCode/AVoucher", portal.ErrUnknownCode, h.as("acme"), voucher[0], "fp", false},
		{"ErrInvalidInput/NoFingerprint", license.ErrInvalidInput, h.as("acme"), code, "", false},
		{"ErrNoAccess", portal.ErrNoAccess, h.p.Org(portal.Actor{ID: "eve@globex", Org: "globex"}, "acme"), code, "fp", false},
		{"ErrOtherOrganization/DeviceOfAnother", portal.ErrOtherOrganization, h.as("acme"), code, "shared-fp", false},
		{"ErrOtherOrganization/CodeForAnother", portal.ErrOtherOrganization, h.as("acme"), globexCode, "fp", false},
		{"ErrInvalidLicense/TemplateExpired", license.ErrInvalidLicense, h.as("acme"), expiring, "fp", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.setTime {
				h.at(day("2026-07-01"))
				defer h.at(day("2026-01-01"))
			}
			h.refused(t, c.want, func() error { _, _, err := c.scope.RedeemCode(h.ctx, c.code, c.fp); return err })
		})
	}
	// The actor without access spent nothing: acme can still redeem.
	_, _, err = h.as("acme").RedeemCode(h.ctx, code, "fp")
	require.NoError(t, err)
}

// IssueActivationCodes checks its arguments and template, and makes
// distinct codes that parse (K5).
func TestIssueActivationCodes_K5(t *testing.T) {
	h := newWLHarness(t)
	codes := h.codes(cdTemplate("ACT"), 500, 1)
	seen := map[string]bool{}
	for _, c := range codes {
		got, err := portal.ParseCode(c)
		require.NoError(t, err)
		assert.Equal(t, c, got)
		assert.False(t, seen[c], "duplicate %s", c)
		seen[c] = true
	}
	noProduct := cdTemplate("ACT")
	noProduct.Product = ""
	for _, c := range []struct {
		name     string
		want     error
		template license.License
		n, limit int
	}{
		{"ErrInvalidInput/NoCodes", license.ErrInvalidInput, cdTemplate("ACT"), 0, 1},
		{"ErrInvalidInput/TooMany", license.ErrInvalidInput, cdTemplate("ACT"), 10001, 1},
		{"ErrInvalidInput/NoUse", license.ErrInvalidInput, cdTemplate("ACT"), 1, 0},
		{"ErrInvalidLicense", license.ErrInvalidLicense, noProduct, 1, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			h.refused(t, c.want, func() error { _, err := h.p.IssueActivationCodes(h.ctx, c.template, c.n, c.limit); return err })
		})
	}
	for _, issue := range []func() error{
		func() error { _, err := h.p.IssueVouchers(h.ctx, noProduct, 1); return err },
		func() error { _, err := h.p.IssueSerials(h.ctx, noProduct, 1); return err },
	} {
		h.refused(t, license.ErrInvalidLicense, issue)
	}
	for _, issue := range []func() error{
		func() error { _, err := h.p.IssueVouchers(h.ctx, cdTemplate("V"), 0); return err },
		func() error { _, err := h.p.IssueSerials(h.ctx, cdTemplate("S"), -1); return err },
	} {
		h.refused(t, license.ErrInvalidInput, issue)
	}
}

// 1,000 goroutines, each a different device of acme or globex, redeem one
// single-use code: exactly one succeeds, the others get ErrCodeUsed, and
// one license exists (K5, P4).
func TestRedeemCode_K5_ConcurrentSingleUse(t *testing.T) {
	h := newWLHarness(t)
	code := h.codes(cdTemplate("ACT"), 1, 1)[0]
	var ok, used atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 1000 {
		org := []string{"acme", "globex"}[i%2]
		wg.Go(func() {
			<-start
			_, _, err := h.as(org).RedeemCode(h.ctx, code, "device-"+strconv.Itoa(i))
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, portal.ErrCodeUsed):
				used.Add(1)
			default:
				t.Errorf("%s: %v", org, err)
			}
		})
	}
	close(start)
	wg.Wait()
	assert.EqualValues(t, 1, ok.Load())
	assert.EqualValues(t, 999, used.Load())
	_, v := h.snapshot()
	assert.Len(t, v.Codes.Peek(code).Redemptions, 1)
	assert.Equal(t, 1, v.Owners.Len())
	assert.Len(t, append(h.keyIDs("acme"), h.keyIDs("globex")...), 1)

	// The same device asking concurrently always gets the same key.
	code = h.codes(cdTemplate("ACT"), 1, 1)[0]
	keys := make([]string, 100)
	for i := range keys {
		wg.Go(func() {
			k, _, err := h.as("acme").RedeemCode(h.ctx, code, "laptop")
			assert.NoError(t, err)
			keys[i] = k
		})
	}
	wg.Wait()
	for _, k := range keys {
		assert.Equal(t, keys[0], k)
	}
}

// A voucher converts into a license once; a second conversion, by anyone,
// is refused and changes nothing (K6).
func TestConvertVoucher_K6_ConvertsOnce(t *testing.T) {
	h := newWLHarness(t)
	vouchers, err := h.p.IssueVouchers(h.ctx, cdTemplate("OEM"), 2)
	require.NoError(t, err)
	require.Len(t, vouchers, 2)
	assert.NotEqual(t, vouchers[0], vouchers[1])

	key, l, err := h.as("acme").ConvertVoucher(h.ctx, strings.ToLower(vouchers[0]))
	require.NoError(t, err)
	assert.NotEmpty(t, key)
	assert.Equal(t, "acme", l.Organization)
	assert.Equal(t, []string{l.ID}, h.keyIDs("acme"))
	assert.Contains(t, h.historyActions("acme"), "admin@acme voucher.convert "+l.ID)
	_, v := h.snapshot()
	assert.Equal(t, portal.Voucher{ID: vouchers[0], Template: cdTemplate("OEM"), Issued: day("2026-01-01"),
		Converted: true, Org: "acme", Key: key, At: day("2026-01-01")}, v.Vouchers.Peek(vouchers[0]))

	for _, c := range []struct {
		name    string
		want    error
		scope   *portal.OrgScope
		voucher string
	}{
		{"ErrVoucherUsed/Again", portal.ErrVoucherUsed, h.as("acme"), vouchers[0]},
		{"ErrVoucherUsed/ByAnother", portal.ErrVoucherUsed, h.as("globex"), vouchers[0]},
		{"ErrBadCode", portal.ErrBadCode, h.as("acme"), vouchers[1][:5]},
		{"ErrUnknownCode", portal.ErrUnknownCode, h.as("acme"), cdCode("000000000000000")},
		{"ErrNoAccess", portal.ErrNoAccess, h.p.Org(portal.Actor{ID: "eve@globex", Org: "globex"}, "acme"), vouchers[1]},
	} {
		t.Run(c.name, func(t *testing.T) {
			h.refused(t, c.want, func() error { _, _, err := c.scope.ConvertVoucher(h.ctx, c.voucher); return err })
		})
	}

	// Concurrent conversions of one voucher: exactly one succeeds.
	var ok atomic.Int64
	var wg sync.WaitGroup
	for i := range 200 {
		org := []string{"acme", "globex"}[i%2]
		wg.Go(func() {
			_, _, err := h.as(org).ConvertVoucher(h.ctx, vouchers[1])
			switch {
			case err == nil:
				ok.Add(1)
			case !errors.Is(err, portal.ErrVoucherUsed):
				t.Errorf("%s: %v", org, err)
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, ok.Load())
}

// A serial number with registration details gives a key; the same
// organization asking again gets the same key; another is refused (V1,
// P4).
func TestGetKey_V1_SerialAndRegistrationGiveAKey(t *testing.T) {
	h := newWLHarness(t)
	serials, err := h.p.IssueSerials(h.ctx, cdTemplate("SN"), 1)
	require.NoError(t, err)
	sn := serials[0]
	reg := portal.Registration{Company: "Acme Inc.", Contact: "Ada", Email: "it@acme.example", Country: "FR"}

	key, l, err := h.as("acme").GetKey(h.ctx, sn, reg)
	require.NoError(t, err)
	assert.Equal(t, "acme", l.Organization)
	assert.Equal(t, []string{l.ID}, h.keyIDs("acme"))
	_, v := h.snapshot()
	assert.Equal(t, reg, v.Serials.Peek(sn).Registration)
	assert.Equal(t, "acme", v.Serials.Peek(sn).Org)

	h.at(day("2026-02-01"))
	key2, l2, err := h.as("acme").GetKey(h.ctx, strings.ToLower(sn), portal.Registration{Company: "Acme", Contact: "Bob", Email: "bob@acme.example"})
	require.NoError(t, err)
	assert.Equal(t, key, key2)
	assert.Equal(t, l, l2)

	other := portal.Registration{Company: "Globex", Contact: "Hank", Email: "hank@globex.example"}
	bad := func(mut func(*portal.Registration)) portal.Registration { r := reg; mut(&r); return r }
	for _, c := range []struct {
		name  string
		want  error
		scope *portal.OrgScope
		sn    string
		reg   portal.Registration
	}{
		{"ErrOtherOrganization", portal.ErrOtherOrganization, h.as("globex"), sn, other},
		{"ErrBadCode", portal.ErrBadCode, h.as("globex"), sn[1:], other},
		{"ErrUnknownCode", portal.ErrUnknownCode, h.as("globex"), cdCode("000000000000000"), other},
		{"ErrNoAccess", portal.ErrNoAccess, h.p.Org(portal.Actor{ID: "hank", Org: "acme"}, "globex"), sn, other},
		{"ErrInvalidInput/NoCompany", license.ErrInvalidInput, h.as("globex"), sn, bad(func(r *portal.Registration) { r.Company = "" })},
		{"ErrInvalidInput/NoContact", license.ErrInvalidInput, h.as("globex"), sn, bad(func(r *portal.Registration) { r.Contact = "" })},
		{"ErrInvalidInput/NoEmail", license.ErrInvalidInput, h.as("globex"), sn, bad(func(r *portal.Registration) { r.Email = "" })},
		{"ErrInvalidInput/NotAnEmail", license.ErrInvalidInput, h.as("globex"), sn, bad(func(r *portal.Registration) { r.Email = "hank" })},
		{"ErrInvalidInput/NamedEmail", license.ErrInvalidInput, h.as("globex"), sn, bad(func(r *portal.Registration) { r.Email = "Hank <hank@globex.example>" })},
		{"ErrInvalidInput/ControlCharacter", license.ErrInvalidInput, h.as("globex"), sn, bad(func(r *portal.Registration) { r.Country = "F\x00R" })},
	} {
		t.Run(c.name, func(t *testing.T) {
			h.refused(t, c.want, func() error { _, _, err := c.scope.GetKey(h.ctx, c.sn, c.reg); return err })
		})
	}
	assert.NoError(t, reg.Validate())
}

// An upgrade notification, a product it offers and a quantity give a new
// key, which replaces the old one in the key storage; it is used once
// (V2, P4).
func TestUpgrade_V2_NotificationProductAndQuantityGiveANewKey(t *testing.T) {
	h := newWLHarness(t)
	old := h.key(license.License{ID: "SN-1", Edition: "standard", Scheme: license.SchemePerDevice, Quantity: 10,
		MinDevices: 5, Features: []string{"backup"}, Expiry: day("2027-01-01")})
	_, err := h.as("acme").AddKey(h.ctx, old, portal.KeyOptions{AutoDistribute: true})
	require.NoError(t, err)
	id, err := h.p.IssueUpgrade(h.ctx, "acme", "SN-1", []string{"acme-backup-pro", "acme-vault"}, 50)
	require.NoError(t, err)
	_, err = portal.ParseCode(id)
	require.NoError(t, err)

	h.at(day("2026-03-01"))
	key, l, err := h.as("acme").Upgrade(h.ctx, id, "acme-backup-pro", 3)
	require.NoError(t, err)
	assert.NotEmpty(t, key)
	assert.Equal(t, "acme-backup-pro", l.Product)
	assert.Equal(t, 3, l.Quantity)
	assert.Equal(t, 3, l.MinDevices, "capped at the quantity")
	assert.Equal(t, "standard", l.Edition)
	assert.Equal(t, []string{"backup"}, l.Features)
	assert.Equal(t, day("2027-01-01"), l.Expiry)
	assert.Equal(t, day("2026-03-01"), l.IssuedAt)
	assert.Equal(t, "acme", l.Organization)
	assert.NotEqual(t, "SN-1", l.ID)
	keys, err := h.as("acme").Keys(h.ctx)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	assert.Equal(t, l.ID, keys[0].License.ID)
	assert.True(t, keys[0].AutoDistribute, "the old key's distribution carries over")
	assert.Subset(t, h.historyActions("acme"), []string{"admin@acme upgrade " + l.ID, "admin@acme key.remove SN-1"})
	_, v := h.snapshot()
	assert.True(t, v.Upgrades.Peek(id).Used)
	assert.Equal(t, "acme", v.Owners.Peek(l.ID))

	h.refused(t, portal.ErrUpgradeUsed, func() error {
		_, _, err := h.as("acme").Upgrade(h.ctx, id, "acme-vault", 3)
		return err
	})
}

// Every refusal of an upgrade is typed and changes nothing (V2, P4).
func TestUpgrade_V2_Refusals(t *testing.T) {
	h := newWLHarness(t)
	for org, id := range map[string]string{"acme": "SN-1", "globex": "SN-2"} {
		_, err := h.as(org).AddKey(h.ctx, h.key(seatsLicense(id, 10)), portal.KeyOptions{})
		require.NoError(t, err)
	}
	id, err := h.p.IssueUpgrade(h.ctx, "acme", "SN-1", []string{"acme-backup-pro"}, 50)
	require.NoError(t, err)

	for _, c := range []struct {
		name     string
		want     error
		scope    *portal.OrgScope
		id       string
		product  string
		quantity int
	}{
		{"ErrOtherOrganization", portal.ErrOtherOrganization, h.as("globex"), id, "acme-backup-pro", 5},
		{"ErrNotOffered/Product", portal.ErrNotOffered, h.as("acme"), id, "acme-vault", 5},
		{"ErrNotOffered/Quantity", portal.ErrNotOffered, h.as("acme"), id, "acme-backup-pro", 51},
		{"ErrInvalidInput/Quantity", license.ErrInvalidInput, h.as("acme"), id, "acme-backup-pro", 0},
		{"ErrInvalidInput/Product", license.ErrInvalidInput, h.as("acme"), id, "", 5},
		{"ErrBadCode", portal.ErrBadCode, h.as("acme"), id + "X", "acme-backup-pro", 5},
		{"ErrUnknownCode", portal.ErrUnknownCode, h.as("acme"), cdCode("000000000000000"), "acme-backup-pro", 5},
		{"ErrNoAccess", portal.ErrNoAccess, h.p.Org(portal.Actor{ID: "eve", Org: "globex"}, "acme"), id, "acme-backup-pro", 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			h.refused(t, c.want, func() error { _, _, err := c.scope.Upgrade(h.ctx, c.id, c.product, c.quantity); return err })
		})
	}

	for _, c := range []struct {
		name, org, from string
		products        []string
		max             int
		want            error
	}{
		{"ErrNoSuchKey", "acme", "SN-404", []string{"p"}, 5, portal.ErrNoSuchKey},
		{"ErrOtherOrganization", "acme", "SN-2", []string{"p"}, 5, portal.ErrOtherOrganization},
		{"ErrInvalidInput/NoProduct", "acme", "SN-1", nil, 5, license.ErrInvalidInput},
		{"ErrInvalidInput/EmptyProduct", "acme", "SN-1", []string{""}, 5, license.ErrInvalidInput},
		{"ErrInvalidInput/RepeatedProduct", "acme", "SN-1", []string{"p", "p"}, 5, license.ErrInvalidInput},
		{"ErrInvalidInput/NoQuantity", "acme", "SN-1", []string{"p"}, 0, license.ErrInvalidInput},
	} {
		t.Run("IssueUpgrade/"+c.name, func(t *testing.T) {
			h.refused(t, c.want, func() error { _, err := h.p.IssueUpgrade(h.ctx, c.org, c.from, c.products, c.max); return err })
		})
	}

	// The old license left the key storage: nothing to upgrade.
	require.NoError(t, h.as("acme").RemoveKey(h.ctx, "SN-1"))
	h.refused(t, portal.ErrNoSuchKey, func() error {
		_, _, err := h.as("acme").Upgrade(h.ctx, id, "acme-backup-pro", 5)
		return err
	})
}

// cdOrgDownStore is a store whose organization updates fail while down
// is set, once the first spare ones have run, to test a key issued whose
// key storage is then unavailable.
type cdOrgDownStore struct {
	*portal.MemoryPortalStore
	down  atomic.Bool
	spare atomic.Int32 // updates that still succeed while down
}

var errOrgDown = errors.New("organization document unavailable")

func (s *cdOrgDownStore) UpdateOrganization(ctx context.Context, id string, fn func(*portal.Organization) error) error {
	if s.down.Load() && s.spare.Add(-1) < 0 {
		return errOrgDown
	}
	return s.MemoryPortalStore.UpdateOrganization(ctx, id, fn)
}

// When the key storage fails after a license was issued, the caller gets
// the key with the error, and loses nothing: the same device redeems the
// code again (K5), a converted voucher's key goes in with AddKey (K6).
func TestRedeemCode_K5_K6_KeyStorageFailureLosesNothing(t *testing.T) {
	store := &cdOrgDownStore{MemoryPortalStore: portal.NewMemoryPortalStore()}
	h := newPortalHarness(t, func(c *portal.PortalConfig) { c.Store = store })
	codes, err := h.p.IssueActivationCodes(h.ctx, cdTemplate("ACT"), 1, 1)
	require.NoError(t, err)
	vouchers, err := h.p.IssueVouchers(h.ctx, cdTemplate("OEM"), 1)
	require.NoError(t, err)

	store.down.Store(true)
	store.spare.Store(1) // RedeemCode tries the device's seat first, in an update it undoes
	key, l, err := h.as("acme").RedeemCode(h.ctx, codes[0], "laptop")
	require.ErrorIs(t, err, errOrgDown)
	require.NotNil(t, l)
	vkey, vl, err := h.as("acme").ConvertVoucher(h.ctx, vouchers[0])
	require.ErrorIs(t, err, errOrgDown)
	require.NotNil(t, vl)
	store.down.Store(false)

	again, _, err := h.as("acme").RedeemCode(h.ctx, codes[0], "laptop")
	require.NoError(t, err)
	assert.Equal(t, key, again)
	_, err = h.as("acme").AddKey(h.ctx, vkey, portal.KeyOptions{})
	require.NoError(t, err)
	keys, err := h.as("acme").Keys(h.ctx)
	require.NoError(t, err)
	require.Len(t, keys, 2)
	assert.ElementsMatch(t, []string{l.ID, vl.ID}, []string{keys[0].License.ID, keys[1].License.ID})
}
