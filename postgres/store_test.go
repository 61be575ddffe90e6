package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/licensekit/license"
	"github.com/licensekit/license/internal/licensetest"
	"github.com/licensekit/license/portal"
	"github.com/licensekit/license/postgres"
	"github.com/licensekit/license/storetest"
)

// dsnEnv names the database the tests use. They skip without it.
const dsnEnv = "LICENSEKIT_POSTGRES_DSN"

// DSN returns the test database's DSN, or skips the test.
func DSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		tb.Skip("set " + dsnEnv + "=postgres://user:password@127.0.0.1:5432/db?sslmode=disable to run the PostgreSQL tests; .ci/run does")
	}
	return dsn
}

// NewSchema returns the name of a schema that does not exist yet, and
// drops it, with everything in it, when the test ends.
func NewSchema(tb testing.TB) string {
	tb.Helper()
	dsn := DSN(tb)
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "lktest_" + hex.EncodeToString(b)
	tb.Cleanup(func() {
		if _, err := Exec(tb, dsn, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// MustOpen opens a store in a new, empty schema, closed and dropped when
// the test ends.
func MustOpen(tb testing.TB) *postgres.Store {
	tb.Helper()
	return MustOpenSchema(tb, NewSchema(tb))
}

// MustOpenSchema opens a store in schema, closed when the test ends.
func MustOpenSchema(tb testing.TB, schema string, opts ...postgres.Option) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), DSN(tb), append([]postgres.Option{postgres.WithSchema(schema)}, opts...)...)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Exec runs sql with args on a connection of its own, and returns the
// number of rows it changed.
func Exec(tb testing.TB, dsn, sql string, args ...any) (int64, error) {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	tag, err := conn.Exec(ctx, sql, args...)
	return tag.RowsAffected(), err
}

// connect returns a connection of its own to the test database, for
// the caller to close.
func connect(tb testing.TB) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(context.Background(), DSN(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return conn
}

// QueryInt64s runs sql with args and returns the first column of its rows.
func QueryInt64s(tb testing.TB, sql string, args ...any) []int64 {
	tb.Helper()
	conn := connect(tb)
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), sql, args...)
	if err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	return out
}

// table returns schema.name, quoted.
func table(schema, name string) string { return pgx.Identifier{schema, name}.Sanitize() }

func TestConformance(t *testing.T) {
	DSN(t)
	t.Run("Installations", func(t *testing.T) {
		storetest.Installations(t, func(t *testing.T) license.Store { return MustOpen(t) })
	})
	t.Run("Portal", func(t *testing.T) {
		storetest.Portal(t, func(t *testing.T) portal.PortalStore { return MustOpen(t) })
	})
	t.Run("Server", func(t *testing.T) {
		storetest.Server(t, func(t *testing.T) portal.PortalStore { return MustOpen(t) },
			func(t *testing.T, s portal.PortalStore) portal.PortalStore {
				return MustOpenSchema(t, s.(*postgres.Store).Schema())
			})
	})
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	dsn := DSN(t)
	t.Run("ErrSchemaName", func(t *testing.T) {
		for _, name := range []string{strings.Repeat("s", 64), "a\x00b", "\xff"} {
			if _, err := postgres.Open(ctx, dsn, postgres.WithSchema(name)); !errors.Is(err, license.ErrInvalidInput) {
				t.Errorf("Open(WithSchema(%q)) = %v, want ErrInvalidInput", name, err)
			}
		}
	})
	t.Run("ErrDSN", func(t *testing.T) {
		if _, err := postgres.Open(ctx, "postgres://nobody:secret@127.0.0.1:1/none?connect_timeout=2"); err == nil {
			t.Fatal("Open of an unreachable database succeeded")
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("the error shows the password: %v", err)
		}
	})
	t.Run("OddSchemaName", func(t *testing.T) {
		// Quoted everywhere: a name that is not an SQL identifier works.
		schema := NewSchema(t) + `-Odd "name"; DROP`
		t.Cleanup(func() { _, _ = Exec(t, dsn, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE") })
		s := MustOpenSchema(t, schema)
		if s.Schema() != schema {
			t.Errorf("Schema() = %q, want %q", s.Schema(), schema)
		}
		if _, err := s.SaveInstallation(ctx, "app-1", license.InstallationState{}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestMigrations checks that each migration is applied once, however
// often and however concurrently the store is opened.
func TestMigrations(t *testing.T) {
	applied := func(t *testing.T, schema string) []int64 {
		return QueryInt64s(t, "SELECT count(*) FROM "+table(schema, "schema_migrations")+" GROUP BY version ORDER BY version")
	}
	t.Run("Twice", func(t *testing.T) {
		schema := NewSchema(t)
		s := MustOpenSchema(t, schema)
		if _, err := s.SaveInstallation(context.Background(), "app-1", license.InstallationState{}); err != nil {
			t.Fatal(err)
		}
		first := QueryInt64s(t, "SELECT extract(epoch FROM applied_at)::bigint * 1000000 + extract(microseconds FROM applied_at)::bigint FROM "+
			table(schema, "schema_migrations")+" ORDER BY version")
		s.Close()
		MustOpenSchema(t, schema)
		MustOpenSchema(t, schema)
		counts := applied(t, schema)
		if len(counts) == 0 {
			t.Fatal("no migration recorded")
		}
		for i, n := range counts {
			if n != 1 {
				t.Errorf("migration %d recorded %d times", i+1, n)
			}
		}
		again := QueryInt64s(t, "SELECT extract(epoch FROM applied_at)::bigint * 1000000 + extract(microseconds FROM applied_at)::bigint FROM "+
			table(schema, "schema_migrations")+" ORDER BY version")
		if !equal(first, again) {
			t.Errorf("applied_at changed on reopening: %v, then %v", first, again)
		}
		if n := QueryInt64s(t, "SELECT count(*) FROM "+table(schema, "installations")); n[0] != 1 {
			t.Errorf("reopening changed the data: %d installations, want 1", n[0])
		}
	})
	t.Run("Concurrently", func(t *testing.T) {
		schema := NewSchema(t)
		const opens = 8
		var wg sync.WaitGroup
		errs := make(chan error, opens)
		start := make(chan struct{})
		for range opens {
			wg.Go(func() {
				<-start
				s, err := postgres.Open(context.Background(), DSN(t), postgres.WithSchema(schema))
				if err != nil {
					errs <- err
					return
				}
				s.Close()
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent Open: %v", err)
		}
		counts := applied(t, schema)
		if len(counts) == 0 {
			t.Fatal("no migration recorded")
		}
		for i, n := range counts {
			if n != 1 {
				t.Errorf("migration %d recorded %d times", i+1, n)
			}
		}
	})
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCorrupt damages each kind of row in the database: every read
// reports license.ErrCorrupt, and no update overwrites the damage.
func TestCorrupt(t *testing.T) {
	ctx := context.Background()
	dsn := DSN(t)
	nop := func(*portal.Organization) error { return nil }
	nopVendor := func(*portal.Vendor) error { return nil }
	t.Run("Installation", func(t *testing.T) {
		damages := map[string]string{
			"ChecksumMismatch": "UPDATE %s SET data = data || ' '::bytea", // still JSON
			"DoesNotDecode":    "UPDATE %s SET data = '{\"id\": '::bytea, checksum = sha256('{\"id\": '::bytea)",
			"WrongType":        "UPDATE %s SET data = '[1,2]'::bytea, checksum = sha256('[1,2]'::bytea)",
		}
		for name, damage := range damages {
			t.Run(name, func(t *testing.T) {
				schema := NewSchema(t)
				s := MustOpenSchema(t, schema)
				if _, err := s.SaveInstallation(ctx, "app-1", license.InstallationState{Trials: 1}); err != nil {
					t.Fatal(err)
				}
				if n, err := Exec(t, dsn, strings.Replace(damage, "%s", table(schema, "installations"), 1)); err != nil || n != 1 {
					t.Fatalf("damage: %d rows, %v", n, err)
				}
				if _, err := s.LoadInstallation(ctx, "app-1"); !errors.Is(err, license.ErrCorrupt) {
					t.Errorf("LoadInstallation = %v, want ErrCorrupt", err)
				}
				// A damaged installation is deleted whatever the version
				// given, so that a Manager can start it again (S9).
				if err := s.DeleteInstallation(ctx, "app-1", 0); err != nil {
					t.Errorf("DeleteInstallation of a damaged state = %v, want nil", err)
				}
				if _, err := s.LoadInstallation(ctx, "app-1"); !errors.Is(err, license.ErrNotFound) {
					t.Errorf("LoadInstallation after deleting = %v, want ErrNotFound", err)
				}
			})
		}
	})
	// A portal's rows hold jsonb: damage is a value of the wrong type.
	t.Run("Portal", func(t *testing.T) {
		for _, tc := range []struct {
			table string
			read  func(*postgres.Store) (view, update error)
		}{
			{"organizations", func(s *postgres.Store) (error, error) {
				return s.ViewOrganization(ctx, "acme", nop), s.UpdateOrganization(ctx, "acme", nop)
			}},
			{"devices", func(s *postgres.Store) (error, error) {
				get := func(o *portal.Organization) error {
					if _, ok := o.Devices.Get("pc-1"); ok {
						t.Errorf("a damaged device reads as a device")
					}
					return nil
				}
				return s.ViewOrganization(ctx, "acme", get), s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
					_ = get(o)
					o.Wallet["p"] = 1 // not saved: the update fails
					return nil
				})
			}},
			{"vendor", func(s *postgres.Store) (error, error) {
				return s.ViewVendor(ctx, nopVendor), s.UpdateVendor(ctx, nopVendor)
			}},
			{"codes", func(s *postgres.Store) (error, error) {
				get := func(v *portal.Vendor) error { _ = v.Codes.Len(); return nil }
				return s.ViewVendor(ctx, get), s.UpdateVendor(ctx, func(v *portal.Vendor) error { v.Seq = 7; return get(v) })
			}},
		} {
			t.Run(tc.table, func(t *testing.T) {
				schema := NewSchema(t)
				s := MustOpenSchema(t, schema)
				o := &portal.Organization{ID: "acme", Devices: portal.TableOf(map[string]portal.Device{"pc-1": {Fingerprint: "pc-1"}})}
				if err := s.CreateOrganization(ctx, o); err != nil {
					t.Fatal(err)
				}
				if err := s.UpdateVendor(ctx, func(v *portal.Vendor) error {
					v.Codes.Put("C", portal.ActivationCode{Code: "C"})
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				column := "data"
				if tc.table == "vendor" {
					column = "customers"
				}
				if n, err := Exec(t, dsn, "UPDATE "+table(schema, tc.table)+" SET "+column+" = '[1,2]'"); err != nil || n != 1 {
					t.Fatalf("damage %s: %d rows, %v", tc.table, n, err)
				}
				view, update := tc.read(s)
				if !errors.Is(view, license.ErrCorrupt) {
					t.Errorf("view = %v, want ErrCorrupt", view)
				}
				if !errors.Is(update, license.ErrCorrupt) {
					t.Errorf("update = %v, want ErrCorrupt", update)
				}
				if got := QueryInt64s(t, "SELECT version FROM "+table(schema, "organizations")+" UNION ALL SELECT version FROM "+table(schema, "vendor")); got[0] != 1 || got[1] != 1 {
					t.Errorf("an update wrote over damaged data: versions %v", got)
				}
			})
		}
	})
}

func TestUpdateOrganization(t *testing.T) {
	ctx := context.Background()
	t.Run("ErrChangeID", func(t *testing.T) {
		s := MustOpen(t)
		if err := s.CreateOrganization(ctx, &portal.Organization{ID: "acme", Name: "Acme"}); err != nil {
			t.Fatal(err)
		}
		err := s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
			o.ID, o.Name = "globex", "Globex"
			return nil
		})
		if !errors.Is(err, license.ErrInvalidInput) {
			t.Fatalf("Update changing the ID = %v, want ErrInvalidInput", err)
		}
		_ = s.ViewOrganization(ctx, "acme", func(o *portal.Organization) error {
			if o.Name != "Acme" {
				t.Errorf("the refused update was saved: name %q", o.Name)
			}
			return nil
		})
	})
	t.Run("ErrNilFunc", func(t *testing.T) {
		s := MustOpen(t)
		if err := s.UpdateOrganization(ctx, "acme", nil); !errors.Is(err, license.ErrInvalidInput) {
			t.Errorf("UpdateOrganization(nil) = %v, want ErrInvalidInput", err)
		}
		if err := s.UpdateVendor(ctx, nil); !errors.Is(err, license.ErrInvalidInput) {
			t.Errorf("UpdateVendor(nil) = %v, want ErrInvalidInput", err)
		}
		if err := s.CreateOrganization(ctx, nil); !errors.Is(err, license.ErrInvalidInput) {
			t.Errorf("CreateOrganization(nil) = %v, want ErrInvalidInput", err)
		}
	})
	t.Run("ErrIDText", func(t *testing.T) {
		s := MustOpen(t)
		for _, id := range []string{"a\x00b", "\xff\xfe"} {
			if err := s.CreateOrganization(ctx, &portal.Organization{ID: id}); !errors.Is(err, license.ErrInvalidInput) {
				t.Errorf("CreateOrganization(%q) = %v, want ErrInvalidInput", id, err)
			}
			if _, err := s.SaveInstallation(ctx, id, license.InstallationState{}); !errors.Is(err, license.ErrInvalidInput) {
				t.Errorf("SaveInstallation(%q) = %v, want ErrInvalidInput", id, err)
			}
		}
	})
	t.Run("OtherStoresSeeUpdates", func(t *testing.T) {
		schema := NewSchema(t)
		a, b := MustOpenSchema(t, schema), MustOpenSchema(t, schema)
		if err := a.CreateOrganization(ctx, &portal.Organization{ID: "acme", Name: "v1"}); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"v2", "v3", "v4"} {
			if err := a.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error { o.Name = name; return nil }); err != nil {
				t.Fatal(err)
			}
			for _, s := range []*postgres.Store{b, a} {
				_ = s.ViewOrganization(ctx, "acme", func(o *portal.Organization) error {
					if o.Name != name {
						t.Errorf("a store sees %q after the update to %q", o.Name, name)
					}
					return nil
				})
			}
			// Views get copies: what one changes, the next does not see.
			_ = b.ViewOrganization(ctx, "acme", func(o *portal.Organization) error { o.Name = "scribbled"; return nil })
		}
		if err := b.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
			if o.Name != "v4" {
				t.Errorf("b updates %q, want v4", o.Name)
			}
			o.Name = "v5"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		_ = a.ViewOrganization(ctx, "acme", func(o *portal.Organization) error {
			if o.Name != "v5" {
				t.Errorf("a sees %q after b's update to v5", o.Name)
			}
			return nil
		})
	})
	t.Run("TwoStoresOneSchema", func(t *testing.T) {
		// Two stores, as two instances behind a load balancer would have:
		// neither loses the other's updates.
		schema := NewSchema(t)
		a, b := MustOpenSchema(t, schema), MustOpenSchema(t, schema)
		if err := a.CreateOrganization(ctx, &portal.Organization{ID: "acme", Wallet: map[string]int{}}); err != nil {
			t.Fatal(err)
		}
		if err := b.CreateOrganization(ctx, &portal.Organization{ID: "acme"}); !errors.Is(err, portal.ErrOrgExists) {
			t.Fatalf("second store's Create = %v, want ErrOrgExists", err)
		}
		const each = 50
		var wg sync.WaitGroup
		for _, s := range []*postgres.Store{a, b, a, b} {
			wg.Go(func() {
				for range each {
					if err := s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
						o.Wallet["p"]++
						return nil
					}); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		_ = b.ViewOrganization(ctx, "acme", func(o *portal.Organization) error {
			if o.Wallet["p"] != 4*each {
				t.Errorf("wallet %d, want %d", o.Wallet["p"], 4*each)
			}
			return nil
		})
	})
}

func TestVendor(t *testing.T) {
	ctx := context.Background()
	t.Run("Empty", func(t *testing.T) {
		s := MustOpen(t)
		err := s.ViewVendor(ctx, func(v *portal.Vendor) error {
			if v.Customers == nil {
				t.Errorf("a missing vendor document has a nil customer index: %+v", v)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ConcurrentStores", func(t *testing.T) {
		// Writers of the vendor's row from three stores, from the start:
		// those that lose the race run again on the winner's row.
		schema := NewSchema(t)
		stores := []*postgres.Store{MustOpenSchema(t, schema), MustOpenSchema(t, schema), MustOpenSchema(t, schema)}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 12 {
			wg.Go(func() {
				<-start
				if err := stores[i%3].UpdateVendor(ctx, func(v *portal.Vendor) error {
					v.Seq++
					v.Customers["p"] = append(v.Customers["p"], "c")
					return nil
				}); err != nil {
					t.Error(err)
				}
			})
		}
		close(start)
		wg.Wait()
		_ = stores[0].ViewVendor(ctx, func(v *portal.Vendor) error {
			if v.Seq != 12 || len(v.Customers["p"]) != 12 {
				t.Errorf("seq %d, %d customers; want 12 and 12", v.Seq, len(v.Customers["p"]))
			}
			return nil
		})
	})
}

// TestConcurrentUpdates checks the updates of one organization that run
// at the same time: each sees the state the others left, a failed one
// changes nothing and gets its own error, a panic reaches its own
// goroutine, and an update whose context ends while it waits for a row
// lock ends with its context's error.
func TestConcurrentUpdates(t *testing.T) {
	ctx := context.Background()
	t.Run("SomeFail", func(t *testing.T) {
		s := MustOpen(t)
		if err := s.CreateOrganization(ctx, &portal.Organization{ID: "acme", Wallet: map[string]int{}}); err != nil {
			t.Fatal(err)
		}
		const n = 64
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				errs[i] = s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
					o.Wallet["p"]++
					seq := int64(1)
					if len(o.History) > 0 {
						seq = o.History[len(o.History)-1].Seq + 1
					}
					o.History = append(o.History, portal.HistoryEntry{Seq: seq, Subject: strconv.Itoa(i)})
					if i%3 == 0 {
						return fmt.Errorf("refused %d", i)
					}
					return nil
				})
			})
		}
		wg.Wait()
		ok := 0
		for i, err := range errs {
			switch {
			case i%3 == 0 && (err == nil || err.Error() != fmt.Sprintf("refused %d", i)):
				t.Errorf("update %d = %v, want its own error", i, err)
			case i%3 != 0 && err != nil:
				t.Errorf("update %d = %v", i, err)
			case err == nil:
				ok++
			}
		}
		_ = s.ViewOrganization(ctx, "acme", func(o *portal.Organization) error {
			if o.Wallet["p"] != ok {
				t.Errorf("wallet %d; want %d: a failed update left a change", o.Wallet["p"], ok)
			}
			return nil
		})
		h, next, err := s.HistoryPage(ctx, "acme", 0, portal.MaxPage)
		if err != nil || next != 0 || len(h) != ok {
			t.Fatalf("history: %d entries, next %d, %v; want %d", len(h), next, err, ok)
		}
		for i, e := range h {
			if e.Seq != int64(len(h)-i) {
				t.Errorf("history[%d].Seq = %d: entries are not numbered 1, 2, 3…", i, e.Seq)
			}
			if n, _ := strconv.Atoi(e.Subject); n%3 == 0 {
				t.Errorf("history holds failed update %d", n)
			}
		}
	})
	t.Run("Panic", func(t *testing.T) {
		s := MustOpen(t)
		if err := s.CreateOrganization(ctx, &portal.Organization{ID: "acme", Wallet: map[string]int{}}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		panics := make(chan any, 16)
		for i := range 16 {
			wg.Go(func() {
				defer func() {
					if p := recover(); p != nil {
						panics <- p
					}
				}()
				_ = s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
					o.Wallet["p"]++
					if i == 5 {
						panic("update 5")
					}
					return nil
				})
			})
		}
		wg.Wait()
		close(panics)
		var got []any
		for p := range panics {
			got = append(got, p)
		}
		if len(got) != 1 || got[0] != "update 5" {
			t.Errorf("panics %v, want one, update 5's, in its goroutine", got)
		}
		_ = s.ViewOrganization(ctx, "acme", func(o *portal.Organization) error {
			if o.Wallet["p"] != 15 {
				t.Errorf("wallet %d, want 15", o.Wallet["p"])
			}
			return nil
		})
	})
	t.Run("ContextEndsWhileWaiting", func(t *testing.T) {
		s := MustOpen(t)
		o := &portal.Organization{ID: "acme", Wallet: map[string]int{},
			Keys: portal.TableOf(map[string]portal.OrgKey{"SN-1": {Key: "k1"}})}
		if err := s.CreateOrganization(ctx, o); err != nil {
			t.Fatal(err)
		}
		// The first update holds SN-1's row; the second waits for it in
		// the database until its context ends.
		entered, release := make(chan struct{}), make(chan struct{})
		first := make(chan error, 1)
		go func() {
			first <- s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
				k, _ := o.Keys.Get("SN-1")
				close(entered)
				<-release
				k.Key = "k2"
				o.Keys.Put("SN-1", k)
				return nil
			})
		}()
		<-entered
		waiting, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		var wrote atomic.Bool
		err := s.UpdateOrganization(waiting, "acme", func(o *portal.Organization) error {
			if _, ok := o.Keys.Get("SN-1"); ok {
				o.Wallet["p"]++
				wrote.Store(true)
			}
			return nil
		})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("the waiting update = %v, want context.DeadlineExceeded", err)
		}
		if wrote.Load() {
			t.Error("the waiting update read the locked row")
		}
		close(release)
		if err := <-first; err != nil {
			t.Errorf("the first update = %v", err)
		}
		// The row is free again, and holds the first update's change.
		if err := s.UpdateOrganization(ctx, "acme", func(o *portal.Organization) error {
			if k, _ := o.Keys.Get("SN-1"); k.Key != "k2" {
				t.Errorf("key %q, want k2", k.Key)
			}
			o.Wallet["p"]++
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		_ = s.ViewOrganization(ctx, "acme", func(o *portal.Organization) error {
			if o.Wallet["p"] != 1 {
				t.Errorf("wallet %d, want 1", o.Wallet["p"])
			}
			return nil
		})
	})
}

// vendorKey returns a portal's signing key, the same in every process.
func vendorKey(tb testing.TB) *license.SigningKey {
	tb.Helper()
	return licensetest.SigningKey(tb, "vendor", "licensekit postgres multi-process test")
}
