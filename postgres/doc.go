// Package postgres keeps licensekit's state in PostgreSQL: the
// installations of a [license.Manager] ([license.Store]) and the
// organizations and vendor document of a [portal.Portal]
// ([portal.PortalStore]).
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
// # How it keeps the documents
//
// Each document is a row: an installation's [license.InstallationState]
// in the table installations, a [portal.Organization] in organizations
// and the [portal.Vendor] document in vendor, each as its JSON encoding,
// with the SHA-256 checksum of those bytes and a version that every write
// increments. A row that fails its checksum or does not decode is
// reported with an error matching [license.ErrCorrupt], never read as
// empty.
//
// Installations are saved with optimistic concurrency: a save is one
// UPDATE conditional on the version read (an INSERT for a new one), and
// fails with [license.ErrConflict] if another writer got there first.
// Organizations and the vendor's document are updated in a transaction
// that locks the row (SELECT … FOR UPDATE), runs the portal's change on
// the document and writes it back: the updates of one organization run
// one after the other, across all processes, each on the state the last
// one left, and the updates of different organizations in parallel.
// Within a process, the updates of one document that arrive while a
// transaction holds it wait in memory, and the next transaction runs them
// all, one after the other, and commits them together: a busy
// organization costs a transaction per batch of changes, not per change.
// The vendor's document is one row that every activation code, voucher,
// serial number, upgrade and license claim updates.
//
// Each change rewrites its whole document, so its cost grows with the
// document: an organization's history is part of it, and grows with every
// change. A Store keeps the documents it reads and writes decoded (see
// [WithCacheSize]) and asks the database for one only when its checksum
// differs from that of the copy it holds, so a document is decoded once
// per change made elsewhere, but it is still encoded and written whole at
// every change.
//
// The PostgreSQL role needs to create tables in the schema on the first
// Open, and to read and write them afterwards. The package is tested with
// PostgreSQL 15.
package postgres
