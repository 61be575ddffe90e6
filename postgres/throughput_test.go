package postgres_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
	"github.com/licensekit/license/postgres"
	"github.com/licensekit/license/storetest"
)

// What TestSeatThroughput's processes share.
const (
	processes    = 4                         // seat clients in each phase but the first
	orgEnv       = "LICENSEKIT_TEST_ORG"     // the organization a seat client works on
	durationEnv  = "LICENSEKIT_TEST_PHASE"   // how long it works, as a Go duration
	devicesPer   = 25                        // devices each client cycles through
	maxPhaseOps  = 20_000                    // operations a client does at most in a phase
	phaseTimeEnv = "LICENSEKIT_TEST_SECONDS" // overrides phaseTime, in seconds
	rounds       = 3                         // turns of one and apart
)

// phaseTime is how long each phase of TestSeatThroughput runs, unless it
// reaches maxPhaseOps operations a client first.
const phaseTime = 2500 * time.Millisecond

// seatResult is what a seat client reports.
type seatResult struct {
	Assigned   int      `json:"assigned"`
	Released   int      `json:"released"`
	Seconds    float64  `json:"seconds"`
	Unexpected []string `json:"unexpected"`
}

// TestSeatThroughput measures seat operations (an assignment or a
// release, each its own transaction) through a Portal over PostgreSQL,
// done by separate processes, each with its own pool, as servers of a
// portal would. Each phase runs for a few seconds, or until each process
// has done maxPhaseOps operations:
//
//   - one: 1 process alone on an organization of 100 devices, the baseline;
//   - apart: 4 processes, each on an organization of its own of 100
//     devices (goal: at least 3× one); one and apart take turns, three
//     times, and the ratio is the median of the three rounds';
//   - shared: 4 processes on the organization of one, all on one license
//     (goal: at least 1,000 operations/s in all);
//   - large: 4 processes on an organization of 10,000 devices (goal:
//     within 2× of shared).
//
// With each phase it logs how many of the machine's cores were busy: the
// database shares them with the processes, so 4 processes can do at most
// as many times what one does as one leaves cores idle.
//
// Every device holds a seat of another license, so that the organizations
// hold as many seats as devices. Each process cycles through 25 devices
// of its own, assigning a seat of one license and releasing it. The
// machine's load decides the figures, so the test only logs them; it
// fails if an operation fails or if the database does not hold, after
// each phase, exactly what the processes did: as many assignments and
// releases in the history as succeeded, and no seat left of the license.
func TestSeatThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 23 processes; skipped in -short mode")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	schema := NewSchema(t)
	store := MustOpenSchema(t, schema)
	p, err := portal.NewPortal(portal.PortalConfig{Signer: vendorKey(t), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	orgs := map[string]int{"one": 100, "large": 10_000}
	for i := range processes {
		orgs["apart-"+strconv.Itoa(i)] = 100
	}
	for org, n := range orgs {
		seatOrg(ctx, t, p, schema, org, n)
	}
	analyze(t, schema)
	t.Logf("one seat operation: %s", countStatements(ctx, t, schema, "one"))

	phase := phaseTime
	if s := os.Getenv(phaseTimeEnv); s != "" {
		secs, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", phaseTimeEnv, s, err)
		}
		phase = time.Duration(secs * float64(time.Second))
	}
	// What was done, by organization, over all phases: countStatements
	// assigned and released twice.
	done := map[string]seatResult{"one": {Assigned: 2, Released: 2}}
	run := func(name string, orgOf func(i int) string, n int) float64 {
		before := readCPUTimes()
		results, elapsed := storetest.RunProcesses[seatResult](ctx, t, "TestSeatHelperProcess", n, func(i int) []string {
			return []string{schemaEnv + "=" + schema, orgEnv + "=" + orgOf(i), durationEnv + "=" + phase.String()}
		})
		busy := readCPUTimes().busySince(before)
		ops := 0
		for i, r := range results {
			for _, u := range r.Unexpected {
				t.Errorf("%s: process %d: unexpected error: %s", name, i, u)
			}
			d := done[orgOf(i)]
			d.Assigned += r.Assigned
			d.Released += r.Released
			done[orgOf(i)] = d
			ops += r.Assigned + r.Released
		}
		rate := float64(ops) / elapsed.Seconds()
		t.Logf("%-6s %d process(es): %6d seat operations in %v: %5.0f/s%s", name, n, ops, elapsed.Round(time.Millisecond), rate, busy)
		for i := range n {
			checkSeats(ctx, t, store, orgOf(i), orgs[orgOf(i)], done[orgOf(i)])
		}
		return rate
	}
	same := func(org string) func(int) string { return func(int) string { return org } }
	apartOrg := func(i int) string { return "apart-" + strconv.Itoa(i) }
	// The machine's load changes over a run: one and apart take turns,
	// and each round's ratio compares neighbours.
	var ratios []float64
	for range rounds {
		one := run("one", same("one"), 1)
		apart := run("apart", apartOrg, processes)
		ratios = append(ratios, apart/one)
	}
	shared := run("shared", same("one"), processes)
	large := run("large", same("large"), processes)
	slices.Sort(ratios)
	t.Logf("shared: %.0f/s (goal ≥ 1000/s: %.2f of it)", shared, shared/1000)
	t.Logf("apart / one: median %.2f× of %.2f× (goal ≥ 3×)", ratios[len(ratios)/2], ratios)
	t.Logf("shared / large: %.2f× (goal ≤ 2×)", shared/large)
}

// cpuTimes is the machine's CPU time, busy and in all, in clock ticks, as
// Linux's /proc/stat counts it; zero where there is none.
type cpuTimes struct{ busy, total int64 }

func readCPUTimes() cpuTimes {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTimes{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return cpuTimes{}
	}
	var c cpuTimes
	for i, s := range f[1:] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return cpuTimes{}
		}
		c.total += n
		if i != 3 && i != 4 { // idle, iowait
			c.busy += n
		}
	}
	return c
}

// busySince says how many of the machine's cores were busy, on average,
// since before: what bounds how much more several processes can do than
// one. A process alone that keeps b of n cores busy leaves room for
// at most n/b times its work.
func (c cpuTimes) busySince(before cpuTimes) string {
	if c.total == 0 || before.total == 0 || c.total == before.total {
		return ""
	}
	cores := float64(runtime.NumCPU()) * float64(c.busy-before.busy) / float64(c.total-before.total)
	return fmt.Sprintf(", %.2f of %d cores busy (room for %.1f× this)", cores, runtime.NumCPU(), float64(runtime.NumCPU())/cores)
}

// seatOrg creates organization org with n devices, each holding a seat
// of its license heldLicense, and its license opsLicense, with room for every
// process's devices.
func seatOrg(ctx context.Context, t *testing.T, p *portal.Portal, schema, org string, n int) {
	t.Helper()
	if err := p.CreateOrganization(ctx, org, org); err != nil {
		t.Fatal(err)
	}
	admin := p.Org(portal.Actor{ID: "admin@" + org, Org: org}, org)
	now := time.Now().UTC()
	for _, l := range []license.License{{ID: heldLicense(org), Quantity: n}, {ID: opsLicense(org), Quantity: processes * devicesPer}} {
		l.Product, l.Scheme, l.Features = "acme-backup", license.SchemePerDevice, []string{"backup"}
		l.IssuedAt, l.Expiry = now.Add(-time.Hour), now.AddDate(1, 0, 0)
		key, err := vendorKey(t).Sign(&l)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := admin.AddKey(ctx, key, portal.KeyOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	copyRows(t, schema, "devices", []string{"org", "id", "data"}, n, func(i int) []any {
		return []any{org, seatDevice(i), mustJSON(t, portal.Device{Fingerprint: seatDevice(i), OS: license.TypeWorkstation, CPUs: 1, Cores: 4, Registered: now})}
	})
	copyRows(t, schema, "seats", []string{"org", "id", "license", "device", "data"}, n, func(i int) []any {
		return []any{org, heldLicense(org) + "|device|" + seatDevice(i), heldLicense(org), seatDevice(i),
			mustJSON(t, portal.Seat{License: heldLicense(org), Device: seatDevice(i), Units: 1, Assigned: now})}
	})
}

func seatDevice(i int) string { return fmt.Sprintf("pc-%06d", i) }

// opsLicense is the license of organization org that the seat clients
// assign and release; heldLicense the one each of its devices holds a
// seat of. A license belongs to one organization (P4).
func opsLicense(org string) string  { return "OPS-" + org }
func heldLicense(org string) string { return "HELD-" + org }

// checkSeats checks that organization org, of n devices, holds what its
// seat clients did, d: its history as many assignments and releases of
// its opsLicense, no seat of it left, and every seat of its heldLicense.
func checkSeats(ctx context.Context, t *testing.T, store *postgres.Store, org string, n int, d seatResult) {
	t.Helper()
	var assigned, released int
	for _, e := range wholeHistory(t, store, org, portal.MaxPage) {
		if e.Subject != opsLicense(org) {
			continue
		}
		switch e.Action {
		case "seat.assign":
			assigned++
		case "seat.release":
			released++
		}
	}
	if assigned != d.Assigned || released != d.Released {
		t.Errorf("%s: history holds %d assignments and %d releases of %s; the processes made %d and %d",
			org, assigned, released, opsLicense(org), d.Assigned, d.Released)
	}
	err := store.ViewOrganization(ctx, org, func(o *portal.Organization) error {
		ops, held := 0, 0
		for _, st := range o.Seats.All() {
			switch st.License {
			case opsLicense(org):
				ops++
			case heldLicense(org):
				held++
			}
		}
		if ops != 0 || held != n {
			t.Errorf("%s: %d seats of %s, %d of %s; want 0 and %d", org, ops, opsLicense(org), held, heldLicense(org), n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSeatHelperProcess is a process of TestSeatThroughput; it does
// nothing when run otherwise. It assigns and releases seats of
// its opsLicense, on its own devices in turn, until its time is up or it has
// done maxPhaseOps operations.
func TestSeatHelperProcess(t *testing.T) {
	i := storetest.ChildNumber(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	phase, err := time.ParseDuration(os.Getenv(durationEnv))
	if err != nil {
		t.Fatal(err)
	}
	p, err := portal.NewPortal(portal.PortalConfig{Signer: vendorKey(t), Store: MustOpenSchema(t, os.Getenv(schemaEnv))})
	if err != nil {
		t.Fatal(err)
	}
	org := os.Getenv(orgEnv)
	scope := p.Org(portal.Actor{ID: "process-" + strconv.Itoa(i) + "@" + org, Org: org}, org)

	storetest.ChildReady()
	var r seatResult
	start := time.Now()
	for j := 0; r.Assigned+r.Released < maxPhaseOps && time.Since(start) < phase; j++ {
		fp := seatDevice(i*devicesPer + j%devicesPer)
		if _, err := scope.AssignSeat(ctx, opsLicense(org), fp); err != nil {
			r.Unexpected = append(r.Unexpected, "assign "+fp+": "+err.Error())
			break
		}
		r.Assigned++
		if err := scope.ReleaseSeat(ctx, opsLicense(org), fp); err != nil {
			r.Unexpected = append(r.Unexpected, "release "+fp+": "+err.Error())
			break
		}
		r.Released++
	}
	r.Seconds = time.Since(start).Seconds()
	storetest.ChildReport(t, r)
	if len(r.Unexpected) > 0 {
		t.Fail()
	}
}

// statementCounter counts what a connection sends: statements, and round
// trips (a batch of statements is one).
type statementCounter struct{ statements, roundTrips atomic.Int64 }

func (c *statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.statements.Add(1)
	c.roundTrips.Add(1)
	return ctx
}

func (c *statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (c *statementCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.roundTrips.Add(1)
	return ctx
}

func (c *statementCounter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {
	c.statements.Add(1)
}

func (c *statementCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// TestSeatRoundTrips checks that a seat's assignment and its release
// each cost two round trips to the database: one that begins the
// transaction and reads what the operation needs, read ahead, and one
// that writes and commits. Each round trip costs a process and the
// database more CPU than most of the statements it carries.
func TestSeatRoundTrips(t *testing.T) {
	ctx := context.Background()
	schema := NewSchema(t)
	p, err := portal.NewPortal(portal.PortalConfig{Signer: vendorKey(t), Store: MustOpenSchema(t, schema)})
	if err != nil {
		t.Fatal(err)
	}
	seatOrg(ctx, t, p, schema, "acme", 100)
	c := countStatements(ctx, t, schema, "acme")
	t.Logf("one seat operation: %s", c)
	if c.assignTrips > 2 || c.releaseTrips > 2 {
		t.Errorf("%s; want 2 round trips each", c)
	}
}

// seatCost is what a seat's assignment and its release send to the
// database.
type seatCost struct{ assignStatements, assignTrips, releaseStatements, releaseTrips int64 }

func (c seatCost) String() string {
	return fmt.Sprintf("assignment %d statements in %d round trips, release %d in %d",
		c.assignStatements, c.assignTrips, c.releaseStatements, c.releaseTrips)
}

// countStatements assigns and releases a seat of its opsLicense in
// organization org, through a store of its own, and says how many
// statements and round trips to the database each took.
func countStatements(ctx context.Context, t *testing.T, schema, org string) seatCost {
	t.Helper()
	var c statementCounter
	store := MustOpenSchema(t, schema, postgres.WithPoolConfig(func(cfg *pgxpool.Config) { cfg.ConnConfig.Tracer = &c }))
	p, err := portal.NewPortal(portal.PortalConfig{Signer: vendorKey(t), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	scope := p.Org(portal.Actor{ID: "admin@" + org, Org: org}, org)
	fp := seatDevice(0)
	var out seatCost
	for round := range 2 { // the first prepares the statements
		var err error
		c.statements.Store(0)
		c.roundTrips.Store(0)
		if _, err = scope.AssignSeat(ctx, opsLicense(org), fp); err != nil {
			t.Fatal(err)
		}
		as, ar := c.statements.Load(), c.roundTrips.Load()
		if err = scope.ReleaseSeat(ctx, opsLicense(org), fp); err != nil {
			t.Fatal(err)
		}
		rs, rr := c.statements.Load()-as, c.roundTrips.Load()-ar
		if round == 1 {
			out = seatCost{as, ar, rs, rr}
		}
	}
	return out
}
