// Package sqlite is licensekit's embedded store: a portal's organizations,
// vendor records and histories, and installations, in one SQLite file,
// through the pure-Go driver modernc.org/sqlite (no cgo). It is a module
// of its own, so that the core module needs no database driver.
//
// # Usage
//
//	store, err := sqlite.Open("/var/lib/licensing/portal.db")
//	if err != nil {
//		return err
//	}
//	defer store.Close()
//	p, err := portal.NewPortal(portal.PortalConfig{Signer: signer, Store: store})
//
// A [Store] is a [portal.HistoryStore] and a [license.Store].
//
// # Records, not documents
//
// Each record is a row of its own, in a table of its kind: an
// organization's keys, devices, seats (with a count by license, kept in
// the same transaction, that a seat operation reads), groups,
// wallet redemptions and usage levels; the vendor's license owners,
// license lives, activation codes, vouchers, serial numbers, upgrade
// notices and organizations; and the history entries of each organization
// and of the vendor. An organization's own fields and small maps (wallet,
// subscriptions, delegations) are its row in organizations, and the
// vendor's counter and customers index are the one row of vendor. Each
// row holds the JSON encoding of its record's type. An update reads only
// the records it asks for, and writes back only those it changed, so that
// one seat costs the same in an organization of 100 devices as in one of
// 100,000, and a code redemption the same with 10 codes issued as with
// 1,000,000. A history is read in pages ([Store.HistoryPage]) and never by
// another operation, which sees only its newest entry; [Store.PruneHistory]
// exports its oldest entries as JSON Lines before removing them.
//
// # Concurrency and durability
//
// The file is in WAL mode: views run in read transactions beside a
// writer, each on one committed state. Every update is one transaction,
// begun with BEGIN IMMEDIATE on the store's single writing connection: it
// takes the file's write lock before reading, so that the updates of all
// goroutines and all processes sharing the file run one after the other,
// each on the state the one before left, and no two writers ever wait on
// each other to upgrade a read lock. A writer waits up to [BusyTimeout]
// for another process's transaction, and starts again if the file is
// still busy. With synchronous=FULL, a change is on the disk when the
// method that made it returns. The file must be on a local disk: WAL
// needs shared memory between the processes that open it.
//
// The schema is made and upgraded by migrations embedded in the package,
// applied in order by [Open], in one write transaction, and recorded in
// the table schema_migrations.
package sqlite
