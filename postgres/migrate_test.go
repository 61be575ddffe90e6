package postgres_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/licensekit/license"
	"github.com/licensekit/license/portal"
	"github.com/licensekit/license/postgres"
)

// equate compares what went through a store: empty and nil alike, and
// instants whatever their location.
var equate = cmp.Options{
	cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
}

// TestMigrateDocuments fills a database of the first schema, where each
// organization and the vendor were one JSON document with its SHA-256
// checksum, as the store of that release wrote them, then opens it: the
// migration to rows per entity keeps every record, history entry and
// version number, and the portal reads and goes on from the data as it
// did before.
func TestMigrateDocuments(t *testing.T) {
	ctx := context.Background()
	dsn := DSN(t)

	// The data: made by a portal over the memory store, which keeps
	// documents as the first schema did.
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 1, 1, 9, 0, 0, 123456789, time.UTC))
	mem := portal.NewMemoryPortalStore()
	before := fill(t, mem, clk)

	// The first schema, and the documents as its store wrote them: the
	// JSON encoding of the portal's types, their SHA-256 checksum and a
	// version that every write incremented.
	schema := NewSchema(t)
	if err := postgres.MigrateTo(ctx, dsn, schema, 1); err != nil {
		t.Fatal(err)
	}
	bare := &portal.Organization{ID: "bare", Name: "Bare", Created: clk.Now()} // null maps, no history
	docs := map[string][]byte{"bare": mustJSON(t, bare)}
	for _, id := range []string{"acme", "globex"} {
		if err := mem.ViewOrganization(ctx, id, func(o *portal.Organization) error {
			docs[id] = mustJSON(t, o)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	var vendorDoc []byte
	if err := mem.ViewVendor(ctx, func(v *portal.Vendor) error {
		vendorDoc = mustJSON(t, v)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	versions := map[string]int64{"acme": 17, "globex": 3, "bare": 1}
	for id, doc := range docs {
		sum := sha256.Sum256(doc)
		if _, err := Exec(t, dsn, "INSERT INTO "+table(schema, "organizations")+" (id, version, data, checksum) VALUES ($1, $2, $3, $4)",
			id, versions[id], doc, sum[:]); err != nil {
			t.Fatal(err)
		}
	}
	sum := sha256.Sum256(vendorDoc)
	if _, err := Exec(t, dsn, "INSERT INTO "+table(schema, "vendor")+" (id, version, data, checksum) VALUES (1, 9, $1, $2)",
		vendorDoc, sum[:]); err != nil {
		t.Fatal(err)
	}

	s := MustOpenSchema(t, schema)
	if got := QueryInt64s(t, "SELECT version FROM "+table(schema, "organizations")+" ORDER BY id"); !slices.Equal(got, []int64{17, 1, 3}) {
		t.Errorf("organization versions after migrating: %v, want [17 1 3] (acme, bare, globex)", got)
	}

	t.Run("Records", func(t *testing.T) {
		for id, doc := range docs {
			var want portal.Organization
			if err := json.Unmarshal(doc, &want); err != nil {
				t.Fatal(err)
			}
			if err := s.ViewOrganization(ctx, id, func(got *portal.Organization) error {
				if diff := cmp.Diff(&want, got, equate, cmpopts.IgnoreUnexported(portal.Organization{}),
					cmpopts.IgnoreFields(portal.Organization{}, "History")); diff != "" {
					t.Errorf("organization %s (-document +rows):\n%s", id, diff)
				}
				return nil
			}); err != nil {
				t.Fatalf("ViewOrganization(%s): %v", id, err)
			}
			if diff := cmp.Diff(want.History, wholeHistory(t, s, id, 3), equate); diff != "" {
				t.Errorf("history of %s (-document +rows):\n%s", id, diff)
			}
		}
		var want portal.Vendor
		if err := json.Unmarshal(vendorDoc, &want); err != nil {
			t.Fatal(err)
		}
		if want.Codes.Len() == 0 || want.Vouchers.Len() == 0 || want.Owners.Len() == 0 || want.Lives.Len() == 0 || len(want.History) == 0 {
			t.Fatalf("the vendor's document lacks records to migrate: %s", vendorDoc)
		}
		if err := s.ViewVendor(ctx, func(got *portal.Vendor) error {
			if diff := cmp.Diff(&want, got, equate, cmpopts.IgnoreFields(portal.Vendor{}, "History")); diff != "" {
				t.Errorf("vendor (-document +rows):\n%s", diff)
			}
			return nil
		}); err != nil {
			t.Fatalf("ViewVendor: %v", err)
		}
		if diff := cmp.Diff(want.History, wholeHistory(t, s, "", 3), equate); diff != "" {
			t.Errorf("vendor history (-document +rows):\n%s", diff)
		}
	})

	// The same portal over both stores reads the same, and, given the
	// same operations, numbers their history entries and license IDs
	// the same: the counters were migrated with the records.
	t.Run("Portal", func(t *testing.T) {
		pg, memory := newPortal(t, s, clk), newPortal(t, mem, clk)
		var code string // one not redeemed yet
		for _, c := range before.Codes {
			if len(c.Redemptions) == 0 {
				code = c.Code
			}
		}
		if diff := cmp.Diff(before, readAll(t, pg), equate); diff != "" {
			t.Fatalf("the portal reads the migrated data otherwise (-documents +rows):\n%s", diff)
		}
		for _, p := range []*portal.Portal{pg, memory} {
			clk.Add(time.Minute)
			acme := p.Org(portal.Actor{ID: "admin@acme", Org: "acme"}, "acme")
			if _, err := acme.AssignSeat(ctx, "SN-1", "pc-5"); err != nil {
				t.Fatal(err)
			}
			if err := acme.ReleaseSeat(ctx, "SN-1", "pc-1"); err != nil {
				t.Fatal(err)
			}
			if _, _, err := acme.RedeemCode(ctx, code, "pc-8"); err != nil {
				t.Fatal(err)
			}
			clk.Add(-time.Minute)
		}
		clk.Add(time.Minute)
		if diff := cmp.Diff(readAll(t, memory), readAll(t, pg), equate); diff != "" {
			t.Errorf("after the same operations (-documents +rows):\n%s", diff)
		}
		// A document with no history and null maps takes changes.
		if _, err := pg.Org(portal.Actor{ID: "admin@bare", Org: "bare"}, "bare").Activate(ctx, "acme-cloud", 1); err != nil {
			t.Fatal(err)
		}
		if h := wholeHistory(t, s, "bare", 3); len(h) != 1 || h[0].Seq != 1 {
			t.Errorf("history of bare after one change: %+v, want one entry, #1", h)
		}
	})
}

// TestMigrateCorruptDocument: a document that fails its checksum stops the
// migration, which names it and changes nothing: it was unreadable
// before, and is left for the operator to repair rather than migrated in
// part.
func TestMigrateCorruptDocument(t *testing.T) {
	ctx := context.Background()
	dsn := DSN(t)
	schema := NewSchema(t)
	if err := postgres.MigrateTo(ctx, dsn, schema, 1); err != nil {
		t.Fatal(err)
	}
	doc := mustJSON(t, &portal.Organization{ID: "acme", Name: "Acme"})
	sum := sha256.Sum256(doc)
	if _, err := Exec(t, dsn, "INSERT INTO "+table(schema, "organizations")+" (id, version, data, checksum) VALUES ('acme', 1, $1, $2)",
		append(doc, ' '), sum[:]); err != nil {
		t.Fatal(err)
	}
	_, err := postgres.Open(ctx, dsn, postgres.WithSchema(schema))
	if err == nil || !strings.Contains(err.Error(), "'acme'") || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("Open = %v, want the migration to fail naming 'acme' and its checksum", err)
	}
	if got := QueryInt64s(t, "SELECT max(version) FROM "+table(schema, "schema_migrations")); got[0] != 1 {
		t.Errorf("schema at version %d after the failed migration, want 1", got[0])
	}
	if got := QueryInt64s(t, "SELECT count(*) FROM "+table(schema, "organizations")+" WHERE checksum = $1", sum[:]); got[0] != 1 {
		t.Errorf("the damaged document is gone: %d rows", got[0])
	}
}

// mustJSON returns v's JSON encoding.
func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newPortal returns a portal over store, signing with vendorKey.
func newPortal(t testing.TB, store portal.PortalStore, clk clock.Clock) *portal.Portal {
	t.Helper()
	p, err := portal.NewPortal(portal.PortalConfig{Signer: vendorKey(t), Store: store, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// fill gives the portal over store organizations acme and globex, with
// every kind of record, and the vendor codes, vouchers, serial numbers,
// an upgrade and license lives, each operation a second after the last.
// It returns what the portal reads of them.
func fill(t *testing.T, store portal.PortalStore, clk *clock.Mock) portalData {
	t.Helper()
	ctx := context.Background()
	p := newPortal(t, store, clk)
	step := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		clk.Add(time.Second)
	}
	sign := func(l license.License) string {
		l.IssuedAt, l.Expiry = clk.Now().Add(-time.Hour), clk.Now().AddDate(1, 0, 0)
		key, err := vendorKey(t).Sign(&l)
		if err != nil {
			t.Fatal(err)
		}
		return key
	}
	step(p.CreateOrganization(ctx, "acme", "Acme Inc."))
	step(p.CreateOrganization(ctx, "globex", "Globex"))
	acme := p.Org(portal.Actor{ID: "admin@acme", Org: "acme"}, "acme")
	globex := p.Org(portal.Actor{ID: "admin@globex", Org: "globex"}, "globex")

	backup := license.License{Product: "acme-backup", Scheme: license.SchemePerDevice, Features: []string{"backup"}}
	sn1, sn2 := backup, backup
	sn1.ID, sn1.Quantity = "SN-1", 10
	sn2.ID, sn2.Quantity = "SN-2", 4
	_, err := acme.AddKey(ctx, sign(sn1), portal.KeyOptions{})
	step(err)
	_, err = acme.AddKey(ctx, sign(sn2), portal.KeyOptions{AutoDistribute: true})
	step(err)
	step(acme.SetCustomData(ctx, "SN-1", "po", "42"))
	for _, fp := range []string{"pc-1", "pc-2", "pc-3", "pc-4", "pc-5"} {
		_, err := acme.RegisterDevice(ctx, portal.Device{Fingerprint: fp, OS: license.TypeWorkstation, CPUs: 1, Cores: 4})
		step(err)
	}
	_, err = acme.AssignSeat(ctx, "SN-1", "pc-1")
	step(err)
	_, err = acme.AssignSeat(ctx, "SN-1", "pc-2")
	step(err)
	step(acme.CreateGroup(ctx, "site", "Main site"))
	step(acme.AddToGroup(ctx, "site", "SN-2"))
	step(acme.JoinGroup(ctx, "site", "pc-3", "pc-4"))
	_, err = acme.Activate(ctx, "acme-cloud", 10)
	step(err)
	_, err = acme.Redeem(ctx, sign(license.License{ID: "WALLET-20", Product: "acme-cloud", Scheme: license.SchemePerDevice, Quantity: 20}), 0)
	step(err)
	step(acme.Delegate(ctx, "globex"))
	step(globex.AcceptDelegation(ctx, "acme"))

	codes, err := p.IssueActivationCodes(ctx, license.License{Product: "acme-backup", Scheme: license.SchemePerDevice,
		Quantity: 1, Term: 365 * license.Day}, 3, 1)
	step(err)
	_, _, err = acme.RedeemCode(ctx, codes[0], "pc-9")
	step(err)
	vouchers, err := p.IssueVouchers(ctx, license.License{Product: "acme-backup", Scheme: license.SchemePerDevice,
		Quantity: 2, Term: 365 * license.Day}, 2)
	step(err)
	_, _, err = globex.ConvertVoucher(ctx, vouchers[0])
	step(err)
	_, err = p.IssueSerials(ctx, license.License{Product: "acme-backup", Scheme: license.SchemePerDevice,
		Quantity: 1, Term: 365 * license.Day}, 2)
	step(err)
	_, err = p.IssueUpgrade(ctx, "acme", "SN-2", []string{"acme-backup-pro"}, 8)
	step(err)
	return readAll(t, p)
}

// portalData is what a portal reads of the data fill makes.
type portalData struct {
	Orgs                       []portal.OrgSummary
	Codes                      []portal.ActivationCode
	Vouchers                   []portal.Voucher
	Serials                    []portal.Serial
	Upgrades                   []portal.UpgradeNotice
	VendorHistory              []portal.HistoryEntry
	Customers                  []string
	Keys                       []portal.KeyUsage
	Devices                    []portal.Device
	Group                      portal.GroupView
	Wallet                     map[string]int
	Subscriptions              []portal.Subscription
	Redemptions                []portal.WalletRedemption
	Delegations                []portal.Delegation
	AcmeHistory, GlobexHistory []portal.HistoryEntry
}

// readAll reads, through p, everything fill made.
func readAll(t *testing.T, p *portal.Portal) portalData {
	t.Helper()
	ctx := context.Background()
	acme := p.Org(portal.Actor{ID: "admin@acme", Org: "acme"}, "acme")
	globex := p.Org(portal.Actor{ID: "admin@globex", Org: "globex"}, "globex")
	var d portalData
	errs := []error{}
	keep := func(err error) { errs = append(errs, err) }
	var err error
	d.Orgs, _, err = p.Organizations(ctx, "", portal.MaxPage)
	keep(err)
	d.Codes, _, err = p.ActivationCodes(ctx, "", portal.MaxPage)
	keep(err)
	d.Vouchers, _, err = p.Vouchers(ctx, "", portal.MaxPage)
	keep(err)
	d.Serials, _, err = p.Serials(ctx, "", portal.MaxPage)
	keep(err)
	d.Upgrades, _, err = p.UpgradeNotices(ctx, "", portal.MaxPage)
	keep(err)
	d.VendorHistory, _, err = p.VendorHistory(ctx, 0, portal.MaxPage)
	keep(err)
	d.Customers, err = p.Customers(ctx, portal.Actor{ID: "admin@globex", Org: "globex"})
	keep(err)
	d.Keys, err = acme.Keys(ctx)
	keep(err)
	d.Devices, err = acme.Devices(ctx)
	keep(err)
	d.Group, err = acme.Group(ctx, "site")
	keep(err)
	d.Wallet, err = acme.Wallet(ctx)
	keep(err)
	d.Subscriptions, err = acme.Subscriptions(ctx)
	keep(err)
	d.Redemptions, err = acme.Redemptions(ctx)
	keep(err)
	d.Delegations, err = acme.Delegations(ctx)
	keep(err)
	d.AcmeHistory, _, err = acme.History(ctx, 0, portal.MaxPage)
	keep(err)
	d.GlobexHistory, _, err = globex.History(ctx, 0, portal.MaxPage)
	keep(err)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	return d
}

// wholeHistory returns the whole history of organization org, or the
// vendor's if org is empty, oldest first, read in pages of limit entries.
func wholeHistory(t *testing.T, s *postgres.Store, org string, limit int) []portal.HistoryEntry {
	t.Helper()
	var h []portal.HistoryEntry
	for before := int64(0); ; {
		page, next, err := s.HistoryPage(context.Background(), org, before, limit)
		if err != nil {
			t.Fatalf("HistoryPage(%q, %d): %v", org, before, err)
		}
		h = append(h, page...)
		if next == 0 {
			break
		}
		before = next
	}
	slices.Reverse(h)
	return h
}
