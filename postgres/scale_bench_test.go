package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/jackc/pgx/v5"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
)

// BenchmarkSeatScale assigns and releases one seat through a Portal over
// PostgreSQL: one op is one assignment and one release. devices=N: the
// organization has N devices, each holding a seat of another license.
// history=N: it has 100 devices and a history of N entries. The goals:
// 100,000 devices cost at most 2× what 100 cost, and 1,000,000 entries at
// most 1.5× what none cost, since an operation reads and locks only the
// rows it touches and appends to the history without reading it.
func BenchmarkSeatScale(b *testing.B) {
	for _, c := range []struct {
		name             string
		devices, history int
	}{
		{"devices=100", 100, 0},
		{"devices=100000", 100_000, 0},
		{"history=0", 100, 0},
		{"history=1000000", 100, 1_000_000},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			schema, clk, _, acme := benchPortal(b)
			now := clk.Now()
			for _, l := range []license.License{
				{ID: "SN-ALL", Quantity: c.devices}, {ID: "SN-1", Quantity: 10},
			} {
				l.Product, l.Scheme, l.Features = "acme-backup", license.SchemePerDevice, []string{"backup"}
				l.IssuedAt, l.Expiry = now.Add(-time.Hour), now.AddDate(1, 0, 0)
				key, err := vendorKey(b).Sign(&l)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := acme.AddKey(ctx, key, portal.KeyOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			// Registering the devices and seating them one by one would
			// take longer than the benchmark: load them at once.
			fp := func(i int) string { return fmt.Sprintf("pc-%06d", i) }
			copyRows(b, schema, "devices", []string{"org", "id", "data"}, c.devices, func(i int) []any {
				return []any{"acme", fp(i), mustJSON(b, portal.Device{Fingerprint: fp(i), OS: license.TypeWorkstation, CPUs: 1, Cores: 4, Registered: now})}
			})
			copyRows(b, schema, "seats", []string{"org", "id", "license", "device", "data"}, c.devices, func(i int) []any {
				return []any{"acme", "SN-ALL|device|" + fp(i), "SN-ALL", fp(i),
					mustJSON(b, portal.Seat{License: "SN-ALL", Device: fp(i), Units: 1, Assigned: now})}
			})
			if c.history > 0 {
				head := QueryInt64s(b, "SELECT seq FROM "+table(schema, "history_heads")+" WHERE org = 'acme'")[0]
				copyRows(b, schema, "history", []string{"org", "seq", "at", "data"}, c.history, func(i int) []any {
					e := portal.HistoryEntry{At: now, Actor: "admin@acme", Org: "acme", Action: "device.register", Subject: fp(i % c.devices)}
					return []any{"acme", head + 1 + int64(i), now, mustJSON(b, e)}
				})
				if _, err := Exec(b, DSN(b), "UPDATE "+table(schema, "history_heads")+" SET seq = $1 WHERE org = 'acme'", head+int64(c.history)); err != nil {
					b.Fatal(err)
				}
			}
			analyze(b, schema)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := acme.AssignSeat(ctx, "SN-1", "pc-000007"); err != nil {
					b.Fatal(err)
				}
				if err := acme.ReleaseSeat(ctx, "SN-1", "pc-000007"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRedeemScale redeems one activation code, on a device of its
// own, through a Portal over PostgreSQL that holds 10 or 1,000,000 other
// codes: one op is the whole redemption (the code spent, the key signed,
// stored and seated). The code redeemed is issued outside the timer. The
// goal: 1,000,000 codes cost at most 2× what 10 cost.
func BenchmarkRedeemScale(b *testing.B) {
	for _, n := range []int{10, 1_000_000} {
		b.Run(fmt.Sprintf("codes=%d", n), func(b *testing.B) {
			ctx := context.Background()
			schema, clk, p, acme := benchPortal(b)
			tmpl := license.License{Product: "acme-backup", Scheme: license.SchemePerDevice, Quantity: 1, Term: 365 * license.Day}
			copyRows(b, schema, "codes", []string{"id", "data"}, n, func(i int) []any {
				code := fmt.Sprintf("BENCH-%07d", i)
				return []any{code, mustJSON(b, portal.ActivationCode{Code: code, Template: tmpl, Limit: 1, Issued: clk.Now(),
					Redemptions: map[string]portal.Redemption{}})}
			})
			analyze(b, schema)
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				codes, err := p.IssueActivationCodes(ctx, tmpl, 1, 1)
				if err != nil {
					b.Fatal(err)
				}
				i++
				b.StartTimer()
				if _, _, err := acme.RedeemCode(ctx, codes[0], fmt.Sprintf("pc-%d", i)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchPortal returns a portal over a store in a new schema, with an
// organization, acme, and the scope of its administrator. Its clock
// stays at a fixed instant, so that the licenses the benchmarks sign
// stay valid whenever they run.
func benchPortal(b *testing.B) (schema string, clk *clock.Mock, p *portal.Portal, acme *portal.OrgScope) {
	b.Helper()
	schema = NewSchema(b)
	clk = clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	p = newPortal(b, MustOpenSchema(b, schema), clk)
	if err := p.CreateOrganization(context.Background(), "acme", "Acme Inc."); err != nil {
		b.Fatal(err)
	}
	return schema, clk, p, p.Org(portal.Actor{ID: "admin@acme", Org: "acme"}, "acme")
}

// copyRows loads n rows, row(0) to row(n-1), into the columns cols of
// table name of schema, in one COPY.
func copyRows(tb testing.TB, schema, name string, cols []string, n int, row func(i int) []any) {
	tb.Helper()
	conn := connect(tb)
	defer conn.Close(context.Background())
	i := 0
	copied, err := conn.CopyFrom(context.Background(), pgx.Identifier{schema, name}, cols, pgx.CopyFromFunc(func() ([]any, error) {
		if i == n {
			return nil, nil
		}
		i++
		return row(i - 1), nil
	}))
	if err != nil || copied != int64(n) {
		tb.Fatalf("copy %d rows to %s: %d copied, %v", n, name, copied, err)
	}
	if name == "seats" {
		countSeats(tb, schema)
	}
}

// countSeats counts again, as migrations/0007 does, the seats copied
// behind the store's back: a seat operation reads its license's usage
// from those counts.
func countSeats(tb testing.TB, schema string) {
	tb.Helper()
	counts := table(schema, "seat_counts")
	if _, err := Exec(tb, DSN(tb), "INSERT INTO "+counts+" (org, license, seats, units) "+
		"SELECT org, license, count(*), coalesce(sum((data->>'units')::int), 0) FROM "+table(schema, "seats")+" GROUP BY org, license "+
		"ON CONFLICT (org, license) DO UPDATE SET seats = excluded.seats, units = excluded.units"); err != nil {
		tb.Fatal(err)
	}
}

// analyze gathers the planner's statistics of schema's tables after a
// bulk load, as autovacuum would soon after.
func analyze(tb testing.TB, schema string) {
	tb.Helper()
	for _, name := range []string{"devices", "seats", "history", "codes", "org_keys"} {
		if _, err := Exec(tb, DSN(tb), "ANALYZE "+table(schema, name)); err != nil {
			tb.Fatal(err)
		}
	}
}
