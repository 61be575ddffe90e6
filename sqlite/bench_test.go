package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
	"github.com/licensekit/license/sqlite"
)

// The benchmarks compare the cost of one operation as the data grows, in
// ratios taken in one run:
//
//	go test -run '^$' -bench . -benchmem
//
// BenchmarkSeatScale/devices=100000 against /devices=100 (goal ≤ 2×),
// /history=1000000 against /history=0 (≤ 1.5×), BenchmarkRedeemScale
// /codes=1000000 against /codes=10 (≤ 2×), BenchmarkSeatOfLargeLicense
// /seats=100000 against /seats=10 (≤ 2×), and BenchmarkDurableSeat
// against BenchmarkFsyncBaseline (≤ 3×: the disk is the limit).

// benchPortal is a portal over a new SQLite file, on a mock clock, with
// the organization acme.
type benchPortal struct {
	ctx   context.Context
	store *sqlite.Store
	p     *portal.Portal
	acme  *portal.OrgScope
	clk   *clock.Mock
	key   *license.SigningKey
}

func newBenchPortal(b *testing.B) *benchPortal {
	b.Helper()
	h := &benchPortal{ctx: portal.WithVendorActor(context.Background(), "carol@vendor.example"),
		store: MustOpen(b), clk: clock.NewMock(), key: vendorKey(b)}
	h.clk.Set(t0)
	var err error
	if h.p, err = portal.NewPortal(portal.PortalConfig{Signer: h.key, Store: h.store, Clock: h.clk}); err != nil {
		b.Fatal(err)
	}
	if err := h.p.CreateOrganization(h.ctx, "acme", "Acme Inc."); err != nil {
		b.Fatal(err)
	}
	h.acme = h.p.Org(portal.Actor{ID: "admin@acme.example", Org: "acme"}, "acme")
	return h
}

// addKey adds a per-device key of quantity seats to acme.
func (h *benchPortal) addKey(b *testing.B, id string, quantity int) {
	b.Helper()
	key, err := h.key.Sign(&license.License{ID: id, Product: "acme-backup", Scheme: license.SchemePerDevice,
		Quantity: quantity, Features: []string{"backup"}, IssuedAt: t0, Expiry: t0.AddDate(1, 0, 0)})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := h.acme.AddKey(h.ctx, key, portal.KeyOptions{}); err != nil {
		b.Fatal(err)
	}
}

// bulk inserts n rows into the store's file in one transaction, on a
// connection of its own: row(i) returns the statement's arguments for
// row i. Putting rows in one by one through the portal would take longer
// than the benchmark.
func bulk(b *testing.B, path, query string, n int, row func(i int) []any) {
	b.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	st, err := tx.Prepare(query)
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if _, err := st.Exec(row(i)...); err != nil {
			b.Fatalf("%s: %v", query, err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

func mustJSON(b *testing.B, v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	return string(data)
}

// withDevices gives acme n devices, each holding a seat of license
// SN-ALL.
func (h *benchPortal) withDevices(b *testing.B, n int) {
	b.Helper()
	h.addKey(b, "SN-ALL", n)
	fp := func(i int) string { return fmt.Sprintf("pc-%06d", i) }
	bulk(b, h.store.Path(), "INSERT INTO devices (org, id, data) VALUES ('acme', ?, ?)", n, func(i int) []any {
		return []any{fp(i), mustJSON(b, portal.Device{Fingerprint: fp(i), OS: license.TypeWorkstation, CPUs: 1, Cores: 4, Registered: t0})}
	})
	bulk(b, h.store.Path(), "INSERT INTO seats (org, id, license, device, data) VALUES ('acme', ?, 'SN-ALL', ?, ?)", n, func(i int) []any {
		return []any{"SN-ALL|device|" + fp(i), fp(i), mustJSON(b, portal.Seat{License: "SN-ALL", Device: fp(i), Units: 1, Assigned: t0})}
	})
	countSeats(b, h.store.Path())
}

// countSeats counts again, as migrations/0005 does, the seats that bulk
// inserted behind the store's back: a seat operation reads its license's
// usage from those counts.
func countSeats(b *testing.B, path string) {
	b.Helper()
	bulk(b, path, "INSERT OR REPLACE INTO seat_counts (org, license, seats, units) "+
		"SELECT org, license, count(*), coalesce(sum(json_extract(data, '$.units')), 0) FROM seats GROUP BY org, license", 1,
		func(int) []any { return nil })
}

// withHistory appends n entries to acme's history, after those it has.
func (h *benchPortal) withHistory(b *testing.B, n int) {
	b.Helper()
	page, _, err := h.store.HistoryPage(h.ctx, "acme", 0, 1)
	if err != nil || len(page) != 1 {
		b.Fatalf("history: %v, %v", page, err)
	}
	first := page[0].Seq + 1
	at := t0.UTC().Format("2006-01-02T15:04:05.000000000Z")
	bulk(b, h.store.Path(), "INSERT INTO history (org, seq, at, data) VALUES ('acme', ?, ?, ?)", n, func(i int) []any {
		seq := first + int64(i)
		return []any{seq, at, mustJSON(b, portal.HistoryEntry{Seq: seq, At: t0, Actor: "admin@acme.example", Org: "acme",
			Action: "seat.assign", Subject: "SN-ALL", Detail: fmt.Sprintf("pc-%06d", i%100_000)})}
	})
}

// seatOp assigns and releases one seat of SN-1: one op, two durable
// transactions.
func (h *benchPortal) seatOp(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.acme.AssignSeat(h.ctx, "SN-1", "pc-000007"); err != nil {
			b.Fatal(err)
		}
		if err := h.acme.ReleaseSeat(h.ctx, "SN-1", "pc-000007"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSeatScale assigns and releases one seat (one op) in an
// organization of 100 or 100,000 devices, each holding a seat of another
// license, and in one of 100 devices whose history holds 0 or 1,000,000
// entries. An update reads and writes only the rows it touches, so the
// cost stays that of the 100 devices.
func BenchmarkSeatScale(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			h := newBenchPortal(b)
			h.withDevices(b, n)
			h.addKey(b, "SN-1", 10)
			h.seatOp(b)
		})
	}
	for _, n := range []int{0, 1_000_000} {
		b.Run(fmt.Sprintf("history=%d", n), func(b *testing.B) {
			h := newBenchPortal(b)
			h.withDevices(b, 100)
			h.addKey(b, "SN-1", 10)
			h.withHistory(b, n)
			h.seatOp(b)
		})
	}
}

// BenchmarkRedeemScale redeems one activation code, on a device of its
// own, with 10 or 1,000,000 other codes issued: one op is the whole
// redemption (the code spent, the key signed, stored and seated). The
// code redeemed is issued outside the timer.
func BenchmarkRedeemScale(b *testing.B) {
	for _, n := range []int{10, 1_000_000} {
		b.Run(fmt.Sprintf("codes=%d", n), func(b *testing.B) {
			h := newBenchPortal(b)
			tmpl := license.License{Product: "acme-backup", Scheme: license.SchemePerDevice, Quantity: 1, Term: 365 * license.Day}
			t, err := json.Marshal(tmpl)
			if err != nil {
				b.Fatal(err)
			}
			bulk(b, h.store.Path(), "INSERT INTO codes (id, data) VALUES (?, ?)", n, func(i int) []any {
				code := fmt.Sprintf("BULK-%07d", i)
				return []any{code, fmt.Sprintf(`{"code":%q,"template":%s,"limit":1,"issued":"2026-01-01T00:00:00Z","redemptions":{}}`, code, t)}
			})
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				codes, err := h.p.IssueActivationCodes(h.ctx, tmpl, 1, 1)
				if err != nil {
					b.Fatal(err)
				}
				i++
				b.StartTimer()
				if _, _, err := h.acme.RedeemCode(h.ctx, codes[0], fmt.Sprintf("pc-%d", i)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDurableSeat is one durable seat operation, an assignment or a
// release in turn, each a transaction on the disk when it returns
// (synchronous=FULL): compare with BenchmarkFsyncBaseline.
func BenchmarkDurableSeat(b *testing.B) {
	h := newBenchPortal(b)
	h.withDevices(b, 100)
	h.addKey(b, "SN-1", 10)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if i%2 == 0 {
			_, err = h.acme.AssignSeat(h.ctx, "SN-1", "pc-000007")
		} else {
			err = h.acme.ReleaseSeat(h.ctx, "SN-1", "pc-000007")
		}
		if err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkFsyncBaseline writes a small file and syncs it to the disk, in
// the directory the benchmarks' databases are in: what one durable write
// costs on this disk at least.
func BenchmarkFsyncBaseline(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "baseline"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 512)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.WriteAt(buf, 0); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDurableSeatOverFsync takes turns: one durable seat operation
// (as BenchmarkDurableSeat), then one write and sync of a small file on
// the same disk (as BenchmarkFsyncBaseline), and reports the ratio of
// their times, seat/fsync: the two share whatever else the machine is
// doing at that moment. The goal: at most 3.
func BenchmarkDurableSeatOverFsync(b *testing.B) {
	h := newBenchPortal(b)
	h.withDevices(b, 100)
	h.addKey(b, "SN-1", 10)
	f, err := os.Create(filepath.Join(b.TempDir(), "baseline"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 512)
	var inSeat, inFsync time.Duration
	i := 0
	for b.Loop() {
		t0 := time.Now()
		if i%2 == 0 {
			_, err = h.acme.AssignSeat(h.ctx, "SN-1", "pc-000007")
		} else {
			err = h.acme.ReleaseSeat(h.ctx, "SN-1", "pc-000007")
		}
		if err != nil {
			b.Fatal(err)
		}
		i++
		t1 := time.Now()
		if _, err := f.WriteAt(buf, 0); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		inSeat, inFsync = inSeat+t1.Sub(t0), inFsync+time.Since(t1)
	}
	b.ReportMetric(float64(inSeat)/float64(inFsync), "seat/fsync")
}
