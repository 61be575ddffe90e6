package postgres_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
	"github.com/licensekit/license/postgres"
)

// The environment of a helper process: what it does, and where.
const (
	roleEnv    = "LICENSEKIT_TEST_ROLE" // "portal-client" for TestMultiProcess
	schemaEnv  = "LICENSEKIT_TEST_SCHEMA"
	childEnv   = "LICENSEKIT_TEST_CHILD"   // the child's number, 0 to 3
	codeEnv    = "LICENSEKIT_TEST_CODE"    // the activation code to redeem
	voucherEnv = "LICENSEKIT_TEST_VOUCHER" // the voucher to convert
)

// What TestMultiProcess shares between its processes.
const (
	processes      = 4
	seatLicense    = "SEATS-100" // a per-device license of seatQuantity seats
	seatQuantity   = 100
	devicesEach    = 50 // devices each process tries to seat
	walletProduct  = "acme-cloud"
	walletLicenses = 100 // licenses in the wallet
	consumesEach   = 40  // single licenses each process tries to consume
)

// vendorKey returns the portal's signing key, the same in every process:
// its secret is derived from a fixed seed.
func vendorKey(tb testing.TB) *license.SigningKey {
	tb.Helper()
	seed := sha256.Sum256([]byte("licensekit postgres multi-process test"))
	k, err := license.GenerateSigningKey("vendor", bytes.NewReader(seed[:]))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// childResult is what a helper process reports: how many of its attempts
// succeeded, and why the others were refused, by error.
type childResult struct {
	Redeemed   int            `json:"redeemed"`
	Converted  int            `json:"converted"`
	Seats      int            `json:"seats"`
	Consumed   int            `json:"consumed"`
	Refusals   map[string]int `json:"refusals"`
	Unexpected []string       `json:"unexpected"`
}

// TestMultiProcess runs four processes of this test binary against one
// schema, at the same time. Each tries to redeem the one single-use
// activation code (K5), to convert the one voucher (K6), to seat 50
// devices on one 100-seat license, and to consume 40 licenses, one at a
// time, from a wallet of 100 (P1). The totals, as the database holds them
// afterwards, must be exact: one redemption, one conversion, 100 seats,
// 100 licenses consumed and an empty wallet: no double spend, no lost
// update.
func TestMultiProcess(t *testing.T) {
	dsn := DSN(t)
	if testing.Short() {
		t.Skip("starts 4 processes; skipped in -short mode")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	schema := NewSchema(t)
	store := MustOpenSchema(t, schema)
	p, err := portal.NewPortal(portal.PortalConfig{Signer: vendorKey(t), Store: store})
	if err != nil {
		t.Fatal(err)
	}

	// The vendor's and the organization's data, set up before the
	// processes start.
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
		key, err := vendorKey(t).Sign(&l)
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

	// Start the processes; each opens the store and says so, then waits
	// for its standard input to close, so that they all start together.
	var children []*child
	for i := range processes {
		children = append(children, startChild(ctx, t, "TestHelperProcess", roleEnv+"=portal-client", schemaEnv+"="+schema,
			childEnv+"="+strconv.Itoa(i), codeEnv+"="+codes[0], voucherEnv+"="+vouchers[0], dsnEnv+"="+dsn))
	}
	start := startTogether(t, children)
	var total childResult
	total.Refusals = map[string]int{}
	for i, c := range children {
		var r childResult
		if err := json.Unmarshal([]byte(c.line(t, "RESULT ")), &r); err != nil {
			t.Fatalf("process %d: %v", i, err)
		}
		if err := c.cmd.Wait(); err != nil {
			t.Errorf("process %d: %v\nstderr:\n%s", i, err, c.stderr.String())
		}
		t.Logf("process %d: redeemed %d, converted %d, %d seats, consumed %d, refused %v", i, r.Redeemed, r.Converted, r.Seats, r.Consumed, r.Refusals)
		for _, u := range r.Unexpected {
			t.Errorf("process %d: unexpected error: %s", i, u)
		}
		total.Redeemed += r.Redeemed
		total.Converted += r.Converted
		total.Seats += r.Seats
		total.Consumed += r.Consumed
		for k, n := range r.Refusals {
			total.Refusals[k] += n
		}
	}
	elapsed := time.Since(start)
	ops := processes * (2 + 2*devicesEach + consumesEach)
	t.Logf("%d processes: %d operations (redeem, convert, register and seat devices, consume) in %v: %.0f operations/s",
		processes, ops, elapsed.Round(time.Millisecond), float64(ops)/elapsed.Seconds())

	// What the processes report.
	wantRefusals := map[string]int{
		"code-used":            processes - 1,
		"voucher-used":         processes - 1,
		"restriction-exceeded": processes*devicesEach - seatQuantity,
		"wallet-short":         processes*consumesEach - walletLicenses,
	}
	if total.Redeemed != 1 || total.Converted != 1 || total.Seats != seatQuantity || total.Consumed != walletLicenses {
		t.Errorf("processes report %d redemptions, %d conversions, %d seats, %d licenses consumed; want 1, 1, %d, %d",
			total.Redeemed, total.Converted, total.Seats, total.Consumed, seatQuantity, walletLicenses)
	}
	for k, n := range wantRefusals {
		if total.Refusals[k] != n {
			t.Errorf("%d refusals %s, want %d (all: %v)", total.Refusals[k], k, n, total.Refusals)
		}
	}

	// What the database holds.
	err = store.ViewOrganization(ctx, "acme", func(o *portal.Organization) error {
		seats, devices := 0, o.Devices.Len()
		for _, st := range o.Seats.All() {
			if st.License == seatLicense {
				seats++
			}
		}
		actions := historyActions(t, store, "acme")
		t.Logf("database: %d devices, %d seats of %s, wallet %d, subscription paid %d, history %v",
			devices, seats, seatLicense, o.Wallet[walletProduct], o.Subscriptions[walletProduct].Paid, actions)
		// Redeeming the code also registers and seats the device it was
		// redeemed on (K5, D3): one device and one assignment more.
		if seats != seatQuantity || actions["seat.assign"] != seatQuantity+1 {
			t.Errorf("%d seats of %s, %d assignments in the history; want %d and %d", seats, seatLicense, actions["seat.assign"], seatQuantity, seatQuantity+1)
		}
		if devices != processes*devicesEach+1 {
			t.Errorf("%d devices, want %d: a registration was lost", devices, processes*devicesEach+1)
		}
		if w := o.Wallet[walletProduct]; w != 0 {
			t.Errorf("wallet holds %d, want 0", w)
		}
		if paid := o.Subscriptions[walletProduct].Paid; paid != walletLicenses || actions["wallet.consume"] != walletLicenses {
			t.Errorf("subscription paid %d, %d consumptions in the history; want %d", paid, actions["wallet.consume"], walletLicenses)
		}
		if actions["code.redeem"] != 1 || actions["voucher.convert"] != 1 {
			t.Errorf("%d redemptions, %d conversions in the history; want 1 and 1 (all: %v)", actions["code.redeem"], actions["voucher.convert"], actions)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = store.ViewVendor(ctx, func(v *portal.Vendor) error {
		if n := len(v.Codes.Peek(codes[0]).Redemptions); n != 1 {
			t.Errorf("the code has %d redemptions, want 1", n)
		}
		if vo := v.Vouchers.Peek(vouchers[0]); !vo.Converted || vo.Org != "acme" {
			t.Errorf("the voucher is not converted: %+v", vo)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// child is a helper process: this test binary, running one test.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Scanner
	stderr bytes.Buffer
}

// startChild starts this test binary as a process that runs test run
// only, with env added to its environment; it is killed when t ends, if
// still running.
func startChild(ctx context.Context, t *testing.T, run string, env ...string) *child {
	t.Helper()
	c := &child{cmd: exec.CommandContext(ctx, os.Args[0], "-test.run=^"+run+"$", "-test.count=1")}
	c.cmd.Env = append(os.Environ(), env...)
	c.cmd.Stderr = &c.stderr
	var err error
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c.out = bufio.NewScanner(stdout)
	c.out.Buffer(nil, 1<<20)
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill()
		_ = c.cmd.Wait()
	})
	return c
}

// line returns the rest of the first line c prints that starts with
// prefix, skipping the others.
func (c *child) line(t *testing.T, prefix string) string {
	t.Helper()
	for c.out.Scan() {
		if s, ok := strings.CutPrefix(c.out.Text(), prefix); ok {
			return s
		}
	}
	_ = c.cmd.Wait()
	t.Fatalf("a process ended before it said %q: %v\nstderr:\n%s", prefix, c.out.Err(), c.stderr.String())
	return ""
}

// startTogether waits until each of children says READY, then closes
// their standard input, which they wait for, so that they start at once;
// it returns when.
func startTogether(t *testing.T, children []*child) time.Time {
	t.Helper()
	for _, c := range children {
		c.line(t, "READY")
	}
	start := time.Now()
	for _, c := range children {
		_ = c.stdin.Close()
	}
	return start
}

// TestHelperProcess is a process of TestMultiProcess; it does nothing
// when run otherwise.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(roleEnv) != "portal-client" {
		t.Skip("a helper process of TestMultiProcess")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	store, err := postgres.Open(ctx, os.Getenv(dsnEnv), postgres.WithSchema(os.Getenv(schemaEnv)))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	p, err := portal.NewPortal(portal.PortalConfig{Signer: vendorKey(t), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	child := os.Getenv(childEnv)
	acme := p.Org(portal.Actor{ID: "process-" + child + "@acme.example", Org: "acme"}, "acme")

	fmt.Println("READY")
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes it: go

	r := childResult{Refusals: map[string]int{}}
	refused := func(what string, err error, expected error, name string) {
		if errors.Is(err, expected) {
			r.Refusals[name]++
			return
		}
		r.Unexpected = append(r.Unexpected, what+": "+err.Error())
	}
	if _, _, err := acme.RedeemCode(ctx, os.Getenv(codeEnv), "process-"+child+"-pc"); err == nil {
		r.Redeemed++
	} else {
		refused("redeem", err, portal.ErrCodeUsed, "code-used")
	}
	if _, _, err := acme.ConvertVoucher(ctx, os.Getenv(voucherEnv)); err == nil {
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
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("RESULT " + string(b))
	if len(r.Unexpected) > 0 {
		t.Fail()
	}
}

// historyActions counts the entries of organization org's history by
// action, reading it a page at a time.
func historyActions(t *testing.T, s *postgres.Store, org string) map[string]int {
	t.Helper()
	actions := map[string]int{}
	for _, e := range wholeHistory(t, s, org, portal.MaxPage) {
		actions[e.Action]++
	}
	return actions
}
