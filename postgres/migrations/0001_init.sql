-- The documents of a licensekit store, each the JSON encoding of a type of
-- the root package, stored byte for byte, with its SHA-256 checksum and a
-- version that every write increments. Read a document with
-- convert_from(data, 'UTF8')::jsonb; never change one by hand: a write
-- that does not go through the package fails its checksum, and is then
-- reported as corrupt.

-- license.InstallationState, by installation ID.
CREATE TABLE installations (
	id         text PRIMARY KEY CHECK (id <> ''),
	version    bigint NOT NULL CHECK (version > 0),
	data       bytea NOT NULL,
	checksum   bytea NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
);

-- license.Organization, by organization ID.
CREATE TABLE organizations (
	id         text PRIMARY KEY CHECK (id <> ''),
	version    bigint NOT NULL CHECK (version > 0),
	data       bytea NOT NULL,
	checksum   bytea NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
);

-- license.Vendor: one row at most. No row means an empty document.
CREATE TABLE vendor (
	id         smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
	version    bigint NOT NULL CHECK (version > 0),
	data       bytea NOT NULL,
	checksum   bytea NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
);

-- Documents are rewritten whole at every change: compress them with lz4,
-- which is several times faster than the default, pglz, where the server
-- has it (PostgreSQL 14 and later, built with lz4).
DO $$
BEGIN
	IF current_setting('server_version_num')::int >= 140000 AND EXISTS (
		SELECT FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)
	) THEN
		EXECUTE 'ALTER TABLE installations ALTER COLUMN data SET COMPRESSION lz4';
		EXECUTE 'ALTER TABLE organizations ALTER COLUMN data SET COMPRESSION lz4';
		EXECUTE 'ALTER TABLE vendor ALTER COLUMN data SET COMPRESSION lz4';
	END IF;
END
$$;
