package storetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/internal/licensetest"
	"github.com/licensekit/license/portal"
)

// MultiProcess is what RunMultiProcess needs of a store's test: how to
// open the store that its processes share.
type MultiProcess struct {
	// Open opens the store, empty, in the test's own process, and closes
	// it when t ends.
	Open func(t *testing.T) portal.PortalStore
	// Helper names the test, in the same test binary, that each process
	// runs: one that calls MultiProcessChild.
	Helper string
	// Env is added to the environment of the processes: what Helper
	// needs to open the store that Open opened, such as its file's path
	// or its schema's name. Nil adds nothing.
	Env []string
}

// The workload of RunMultiProcess.
const (
	multiProcesses = 4
	seatLicense    = "SEATS-100" // a per-device license of seatQuantity seats
	seatQuantity   = 100
	devicesEach    = 50 // devices each process tries to seat
	walletProduct  = "acme-cloud"
	walletLicenses = 100       // licenses in the wallet
	consumesEach   = 40        // single licenses each process tries to consume
	floatLicense   = "FLOAT-5" // a floating license of floatQuantity leases
	floatQuantity  = 5
	leasesEach     = 5 // devices each process activates and checks out a lease for
)

// The environment of a process of RunMultiProcess, besides MultiProcess.Env.
const (
	codeEnv    = "LICENSEKIT_STORETEST_CODE"    // the activation code to redeem
	voucherEnv = "LICENSEKIT_STORETEST_VOUCHER" // the voucher to convert
	floatEnv   = "LICENSEKIT_STORETEST_FLOAT"   // the floating license's key
)

// multiProcessResult is what a process of RunMultiProcess reports: how
// many of its attempts succeeded, and why the others were refused, by
// error.
type multiProcessResult struct {
	Redeemed   int            `json:"redeemed"`
	Converted  int            `json:"converted"`
	Seats      int            `json:"seats"`
	Consumed   int            `json:"consumed"`
	Leases     int            `json:"leases"`
	Refusals   map[string]int `json:"refusals"`
	Unexpected []string       `json:"unexpected"`
}

// RunMultiProcess runs four processes of the test binary against one
// store, at the same time, as servers of a portal sharing a database
// would. Each tries to redeem the one single-use activation code (K5), to
// convert the one voucher (K6), to seat 50 devices on one 100-seat
// license, and to consume 40 licenses, one at a time, from a wallet of
// 100 (P1), and to activate 5 devices on a floating license of 5 leases
// and check out a lease for each (F1). The totals, as the processes
// report them and as the store holds them afterwards, must be exact: one
// redemption, one conversion, 100 seats, 100 licenses consumed and an
// empty wallet, 5 leases: no double spend, no lost update. It logs what each process did, the operations per
// second of them all, and what the store holds.
//
// It is skipped in -short mode. A store's test calls it as
//
//	func TestMultiProcess(t *testing.T) {
//		path := filepath.Join(t.TempDir(), "shared.db")
//		storetest.RunMultiProcess(t, storetest.MultiProcess{
//			Open:   func(t *testing.T) portal.PortalStore { return mustOpen(t, path) },
//			Helper: "TestMultiProcessChild",
//			Env:    []string{"MYSTORE_PATH=" + path},
//		})
//	}
//
//	func TestMultiProcessChild(t *testing.T) {
//		storetest.MultiProcessChild(t, func(t *testing.T) portal.PortalStore {
//			return mustOpen(t, os.Getenv("MYSTORE_PATH"))
//		})
//	}
func RunMultiProcess(t *testing.T, cfg MultiProcess) {
	t.Helper()
	if cfg.Open == nil || cfg.Helper == "" {
		t.Fatal("storetest.MultiProcess needs Open and Helper")
	}
	if testing.Short() {
		t.Skip("starts 4 processes; skipped in -short mode")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	store := cfg.Open(t)
	p, err := portal.NewPortal(portal.PortalConfig{Signer: multiProcessKey(t), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	code, voucher, float := setUpMultiProcess(ctx, t, p)

	results, elapsed := RunProcesses[multiProcessResult](ctx, t, cfg.Helper, multiProcesses, func(int) []string {
		return append([]string{codeEnv + "=" + code, voucherEnv + "=" + voucher, floatEnv + "=" + float}, cfg.Env...)
	})
	total := multiProcessResult{Refusals: map[string]int{}}
	for i, r := range results {
		t.Logf("process %d: redeemed %d, converted %d, %d seats, consumed %d, %d leases, refused %v", i, r.Redeemed, r.Converted, r.Seats, r.Consumed, r.Leases, r.Refusals)
		for _, u := range r.Unexpected {
			t.Errorf("process %d: unexpected error: %s", i, u)
		}
		total.Redeemed += r.Redeemed
		total.Converted += r.Converted
		total.Seats += r.Seats
		total.Consumed += r.Consumed
		total.Leases += r.Leases
		for k, n := range r.Refusals {
			total.Refusals[k] += n
		}
	}
	ops := multiProcesses * (2 + 2*devicesEach + consumesEach + 2*leasesEach)
	t.Logf("%d processes: %d operations (redeem, convert, register and seat devices, consume, activate and check out) in %v: %.0f operations/s",
		multiProcesses, ops, elapsed.Round(time.Millisecond), float64(ops)/elapsed.Seconds())
	checkMultiProcessReports(t, total)
	checkMultiProcessStore(ctx, t, store, code, voucher)
}

// setUpMultiProcess creates, through p, the vendor's and the
// organization's data, before the processes start, and returns the code
// and the voucher they try to spend, and the key of the floating license.
func setUpMultiProcess(ctx context.Context, t *testing.T, p *portal.Portal) (code, voucher, float string) {
	t.Helper()
	if err := p.CreateOrganization(ctx, "acme", "Acme Inc."); err != nil {
		t.Fatal(err)
	}
	admin := p.Org(portal.Actor{ID: "admin@acme.example", Org: "acme"}, "acme")
	codes, err := p.IssueActivationCodes(ctx, license.License{ID: "ACT", Product: "acme-backup",
		Scheme: license.SchemePerDevice, Quantity: 1, Term: 365 * license.Day}, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	vouchers, err := p.IssueVouchers(ctx, license.License{ID: "VOU", Product: "acme-backup",
		Scheme: license.SchemePerDevice, Quantity: 1, Term: 365 * license.Day}, 1)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	sign := func(l license.License) string {
		l.IssuedAt, l.Expiry, l.Features = now.Add(-time.Minute), now.AddDate(1, 0, 0), []string{"backup"}
		key, err := multiProcessKey(t).Sign(&l)
		if err != nil {
			t.Fatal(err)
		}
		return key
	}
	if _, err := admin.AddKey(ctx, sign(license.License{ID: seatLicense, Product: "acme-backup",
		Scheme: license.SchemePerDevice, Quantity: seatQuantity}), portal.KeyOptions{}); err != nil {
		t.Fatal(err)
	}
	// Activating with an empty wallet leaves the term unpaid, with a
	// month of grace: the wallet's licenses are then consumed one by one.
	if _, err := admin.Activate(ctx, walletProduct, 1000); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Redeem(ctx, sign(license.License{ID: "WALLET-100", Product: walletProduct,
		Scheme: license.SchemePerDevice, Quantity: walletLicenses}), 0); err != nil {
		t.Fatal(err)
	}
	float = sign(license.License{ID: floatLicense, Product: "acme-backup", Scheme: license.SchemeFloating, Quantity: floatQuantity})
	if _, err := admin.AddKey(ctx, float, portal.KeyOptions{}); err != nil {
		t.Fatal(err)
	}
	return codes[0], vouchers[0], float
}

// checkMultiProcessReports checks what the processes of RunMultiProcess
// report, all together.
func checkMultiProcessReports(t *testing.T, total multiProcessResult) {
	t.Helper()
	wantRefusals := map[string]int{
		"code-used":            multiProcesses - 1,
		"voucher-used":         multiProcesses - 1,
		"restriction-exceeded": multiProcesses*devicesEach - seatQuantity,
		"wallet-short":         multiProcesses*consumesEach - walletLicenses,
		"no-lease":             multiProcesses*leasesEach - floatQuantity,
	}
	if total.Redeemed != 1 || total.Converted != 1 || total.Seats != seatQuantity || total.Consumed != walletLicenses ||
		total.Leases != floatQuantity {
		t.Errorf("processes report %d redemptions, %d conversions, %d seats, %d licenses consumed, %d leases; want 1, 1, %d, %d, %d",
			total.Redeemed, total.Converted, total.Seats, total.Consumed, total.Leases, seatQuantity, walletLicenses, floatQuantity)
	}
	for k, n := range wantRefusals {
		if total.Refusals[k] != n {
			t.Errorf("%d refusals %s, want %d (all: %v)", total.Refusals[k], k, n, total.Refusals)
		}
	}
}

// checkMultiProcessStore checks what the store holds after the processes
// of RunMultiProcess ended: code and voucher spent once, and every seat,
// device and license of the wallet counted once.
func checkMultiProcessStore(ctx context.Context, t *testing.T, store portal.PortalStore, code, voucher string) {
	t.Helper()
	actions := map[string]int{}
	for _, e := range history(t, store, "acme") {
		actions[e.Action]++
	}
	// Read in the views, checked after them, so that the figures and
	// failures point at the store's test.
	var seats, devices, wallet, paid, redemptions, leases int
	var vo portal.Voucher
	err := store.ViewOrganization(ctx, "acme", func(o *portal.Organization) error {
		leases = len(o.Leases.OfLicense(floatLicense))
		for _, st := range o.Seats.All() {
			if st.License == seatLicense {
				seats++
			}
		}
		devices, wallet, paid = o.Devices.Len(), o.Wallet[walletProduct], o.Subscriptions[walletProduct].Paid
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = store.ViewVendor(ctx, func(v *portal.Vendor) error {
		redemptions, vo = len(v.Codes.Peek(code).Redemptions), v.Vouchers.Peek(voucher)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("database: %d devices, %d seats of %s, wallet %d, subscription paid %d, %d leases of %s, history %v",
		devices, seats, seatLicense, wallet, paid, leases, floatLicense, actions)
	if leases != floatQuantity || actions["lease.checkout"] != floatQuantity {
		t.Errorf("%d leases of %s, %d checkouts in the history; want %d (F1)", leases, floatLicense, actions["lease.checkout"], floatQuantity)
	}
	// Redeeming the code also registers and seats the device it was
	// redeemed on (K5, D3): one device and one assignment more.
	if seats != seatQuantity || actions["seat.assign"] != seatQuantity+1 {
		t.Errorf("%d seats of %s, %d assignments in the history; want %d and %d", seats, seatLicense, actions["seat.assign"], seatQuantity, seatQuantity+1)
	}
	if want := multiProcesses*(devicesEach+leasesEach) + 1; devices != want {
		t.Errorf("%d devices, want %d: a registration was lost", devices, want)
	}
	if wallet != 0 {
		t.Errorf("wallet holds %d, want 0", wallet)
	}
	if paid != walletLicenses || actions["wallet.consume"] != walletLicenses {
		t.Errorf("subscription paid %d, %d consumptions in the history; want %d", paid, actions["wallet.consume"], walletLicenses)
	}
	if actions["code.redeem"] != 1 || actions["voucher.convert"] != 1 {
		t.Errorf("%d redemptions, %d conversions in the history; want 1 and 1 (all: %v)", actions["code.redeem"], actions["voucher.convert"], actions)
	}
	if redemptions != 1 {
		t.Errorf("the code has %d redemptions, want 1", redemptions)
	}
	if !vo.Converted || vo.Org != "acme" {
		t.Errorf("the voucher is not converted: %+v", vo)
	}
}

// MultiProcessChild is a process of RunMultiProcess: the test named by
// MultiProcess.Helper calls it, and it skips that test when it is not
// running in such a process. open opens the store that the parent's
// MultiProcess.Open opened, from what MultiProcess.Env put in the
// environment, and closes it when t ends. The process redeems, converts,
// seats, consumes and checks out leases through a portal over that store, and reports to
// the parent how many of its attempts succeeded and why the others
// failed; an error other than the refusals expected fails t.
func MultiProcessChild(t *testing.T, open func(t *testing.T) portal.PortalStore) {
	t.Helper()
	i := ChildNumber(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	p, err := portal.NewPortal(portal.PortalConfig{Signer: multiProcessKey(t), Store: open(t)})
	if err != nil {
		t.Fatal(err)
	}
	child := strconv.Itoa(i)
	acme := p.Org(portal.Actor{ID: "process-" + child + "@acme.example", Org: "acme"}, "acme")
	code, voucher, float := getenv(t, codeEnv), getenv(t, voucherEnv), getenv(t, floatEnv)

	ChildReady()
	r := multiProcessResult{Refusals: map[string]int{}}
	refused := func(what string, err error, expected error, name string) {
		if errors.Is(err, expected) {
			r.Refusals[name]++
			return
		}
		r.Unexpected = append(r.Unexpected, what+": "+err.Error())
	}
	if _, _, err := acme.RedeemCode(ctx, code, "process-"+child+"-pc"); err == nil {
		r.Redeemed++
	} else {
		refused("redeem", err, portal.ErrCodeUsed, "code-used")
	}
	if _, _, err := acme.ConvertVoucher(ctx, voucher); err == nil {
		r.Converted++
	} else {
		refused("convert", err, portal.ErrVoucherUsed, "voucher-used")
	}
	for j := range devicesEach {
		fp := fmt.Sprintf("process-%s-device-%02d", child, j)
		if _, err := acme.RegisterDevice(ctx, portal.Device{Fingerprint: fp, OS: license.TypeWorkstation}); err != nil {
			r.Unexpected = append(r.Unexpected, "register "+fp+": "+err.Error())
			continue
		}
		if _, err := acme.AssignSeat(ctx, seatLicense, fp); err == nil {
			r.Seats++
		} else {
			refused("seat "+fp, err, portal.ErrRestrictionExceeded, "restriction-exceeded")
		}
		if j < consumesEach {
			if _, err := acme.Consume(ctx, walletProduct, 1); err == nil {
				r.Consumed++
			} else {
				refused("consume", err, portal.ErrWalletShort, "wallet-short")
			}
		}
	}
	for j := range leasesEach {
		fp := fmt.Sprintf("process-%s-floating-%02d", child, j)
		_, a, err := p.Activate(ctx, portal.ActivationRequest{Key: float, Fingerprint: fp})
		if err != nil {
			r.Unexpected = append(r.Unexpected, "activate "+fp+": "+err.Error())
			continue
		}
		if _, err := p.Checkout(ctx, a.ID, fp, floatLicense); err == nil {
			r.Leases++
		} else {
			refused("checkout "+fp, err, portal.ErrNoLease, "no-lease")
		}
	}
	ChildReport(t, r)
	if len(r.Unexpected) > 0 {
		t.Fail()
	}
}

// multiProcessKey returns the portal's signing key, the same in every
// process of RunMultiProcess.
func multiProcessKey(t *testing.T) *license.SigningKey {
	t.Helper()
	return licensetest.SigningKey(t, "vendor", "licensekit storetest multi-process")
}

// getenv returns the environment variable key, which the parent set.
func getenv(t *testing.T, key string) string {
	t.Helper()
	v := os.Getenv(key)
	if v == "" {
		t.Fatalf("%s is not set: the parent process sets it", key)
	}
	return v
}
