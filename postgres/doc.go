// Package postgres keeps licensekit's state in PostgreSQL: the
// installations of a [license.Manager] ([license.Store]) and the
// organizations and vendor data of a [portal.Portal]
// ([portal.HistoryStore], [portal.ReadAheadStore]).
//
// # When to choose it
//
// Choose it when several instances of the application share one state:
// license servers or management consoles behind a load balancer, or
// workers on several machines. Every change is a transaction in the
// database, so the instances never spend a seat, an activation code or a
// wallet license twice, and never lose each other's changes. A single
// process is served as well, and more simply, by [license.MemoryStore]
// and [portal.MemoryPortalStore] when its state may be lost, or by a
// file store when it must persist.
//
// It is its own Go module, so that programs that import licensekit
// without it do not pull in a PostgreSQL driver.
//
// # Opening it
//
//	store, err := postgres.Open(ctx, os.Getenv("DATABASE_URL"))
//	if err != nil {
//		return err
//	}
//	defer store.Close()
//	p, err := portal.NewPortal(portal.PortalConfig{Signer: signer, Store: store})
//
// [Open] takes a DSN as a URL (postgres://user:password@host:5432/db) or
// as key=value pairs, and the libpq environment variables (PGHOST, …)
// fill in what it leaves out. The same [Store] serves a Manager, as its
// [license.ManagerConfig] Store, and a Portal. [WithSchema] puts the
// tables in a schema of their own.
//
// Open creates the tables, or brings them up to date after an upgrade:
// it applies the migrations embedded in the package that the schema
// lacks, in one transaction under an advisory lock, and records them in
// the table schema_migrations. Any number of instances may open one
// database at once; each migration is applied once.
//
// # How it keeps the data
//
// An installation's [license.InstallationState] is one row of the table
// installations: its JSON encoding, with the SHA-256 checksum of those
// bytes and a version that every save increments. A save is one UPDATE
// conditional on the version read (an INSERT for a new one), and fails
// with [license.ErrConflict] if another writer got there first. A row
// that fails its checksum or does not decode is reported with an error
// matching [license.ErrCorrupt], never read as empty.
//
// A portal's data is kept one record a row, in a table per kind of
// record: an organization's keys, devices, seats, groups, wallet
// redemptions and usage levels, by organization and ID (and a count of
// each license's seats, kept in the same transaction, that a seat
// operation reads with the license's key rather than its seats), and the
// vendor's activation codes, vouchers, serial numbers, upgrade notices,
// license owners and lives and list of organizations, by ID. Each record
// is the JSON encoding of its type in package portal, as jsonb. An
// organization's own row holds its name and the small maps the portal
// changes whole (wallet, subscriptions, delegations); the vendor's, the
// last number handed out and the index of customers.
//
// An update of an organization or of the vendor is one transaction. The
// records it reads are locked (SELECT … FOR UPDATE) until it commits, and
// only the records it changed are written back: a seat's assignment
// locks its license's key and seats and its device, not the
// organization, so updates of other licenses, devices or groups of the
// same organization run in parallel, in this process or others. The
// organization's or vendor's own row is not locked: should the update
// change it, it is written only if no other update wrote it since it was
// read, and otherwise the transaction runs again with the row locked from
// the start. A transaction the database aborts to resolve a deadlock or a
// serialization failure runs again too, up to 10 times in all. Views run
// in read-only, repeatable-read transactions: one snapshot each. So an
// operation costs what it touches: one seat costs the same in an
// organization of 100 devices or of 100,000, and one code redemption
// among 10 codes or 1,000,000 (see BenchmarkSeatScale and
// BenchmarkRedeemScale).
//
// Told which records an update is about to read
// ([Store.UpdateOrganizationAhead], which the portal calls for seats), the
// store reads them, locked, in the round trip that begins the transaction
// and reads the organization: a seat's assignment or release is then two
// round trips to the database, the reads and then the writes with the
// COMMIT, however far the database is.
//
// Histories are insert-only rows of the table history, an organization's
// under its ID and the vendor's own under the empty ID; the table
// history_heads numbers their entries, so that numbers go on after
// pruning. No operation reads a history but [Store.HistoryPage], one page
// by the table's key, and [Store.PruneHistory], which exports entries as
// JSON Lines before it deletes them.
//
// Migration 0002 moves the data of earlier releases, one JSON document
// per organization and one for the vendor, into these rows. A document
// that fails its checksum stops it, naming the document: repair or
// delete it, then open the store again.
//
// The PostgreSQL role needs to create tables in the schema on the first
// Open, and to read and write them afterwards. The package is tested with
// PostgreSQL 15.
package postgres
