-- The records of a licensekit store, one table per kind of record. Each
-- record is the JSON encoding (encoding/json) of its type in the root
-- package or in package portal, in the column data; a few fields are
-- copied into columns of their own to be looked up. Never change a record
-- by hand while a process uses the file.

-- license.InstallationState, by installation ID, with the SHA-256 of data.
CREATE TABLE installations (
	id       TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),
	version  INTEGER NOT NULL CHECK (version > 0),
	data     BLOB NOT NULL,
	checksum BLOB NOT NULL
);

-- portal.Organization: its own fields; data holds its small maps (wallet,
-- subscriptions, delegations). history_seq is the number of the last
-- history entry once a pruning removed them all, so that numbers go on.
CREATE TABLE organizations (
	id          TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),
	version     INTEGER NOT NULL,
	name        TEXT NOT NULL,
	created     TEXT NOT NULL,
	data        TEXT NOT NULL,
	history_seq INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- An organization's records, by organization and record ID.
CREATE TABLE org_keys (org TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (org, id)) WITHOUT ROWID;
CREATE TABLE devices  (org TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (org, id)) WITHOUT ROWID;
CREATE TABLE groups   (org TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (org, id)) WITHOUT ROWID;
CREATE TABLE redeemed (org TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (org, id)) WITHOUT ROWID;
CREATE TABLE levels   (org TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (org, id)) WITHOUT ROWID;
-- Seats, also by license: a license's usage reads only its own seats.
CREATE TABLE seats (
	org     TEXT NOT NULL,
	id      TEXT NOT NULL,
	license TEXT NOT NULL,
	device  TEXT NOT NULL,
	data    TEXT NOT NULL,
	PRIMARY KEY (org, id)
) WITHOUT ROWID;
CREATE INDEX seats_by_license ON seats (org, license);

-- Histories, insert-only but for pruning: org '' is the vendor's own.
-- at is the entry's instant, UTC, in a fixed-width text that sorts as
-- the instants do.
CREATE TABLE history (
	org  TEXT NOT NULL,
	seq  INTEGER NOT NULL,
	at   TEXT NOT NULL,
	data TEXT NOT NULL,
	PRIMARY KEY (org, seq)
) WITHOUT ROWID;

-- portal.Vendor: one row at most; none stands for an empty vendor.
CREATE TABLE vendor (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	seq         INTEGER NOT NULL,
	customers   TEXT NOT NULL,
	history_seq INTEGER NOT NULL DEFAULT 0
);

-- The vendor's records, by ID.
CREATE TABLE owners      (id TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE lives       (id TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE codes       (id TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE vouchers    (id TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE serials     (id TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE upgrades    (id TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE vendor_orgs (id TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;
