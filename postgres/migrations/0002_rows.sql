-- A portal's data as one row per record, so that an operation reads,
-- locks and writes only the records it touches: a seat takes its
-- license's key row, not the organization. Each record's data is the JSON
-- encoding of its type in package portal, as jsonb. Installations stay as
-- they are: one row each already.
--
-- The documents of 0001 move into the rows, then their tables go. A
-- document that fails its checksum stops the migration, naming it: it was
-- unreadable before, and must be repaired or removed by hand rather than
-- migrated in part.

DO $$
DECLARE bad text;
BEGIN
	SELECT string_agg(quote_literal(id), ', ') INTO bad FROM organizations WHERE sha256(data) <> checksum;
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'licensekit: organization documents %: checksum mismatch; repair or delete them, then open the store again', bad;
	END IF;
	IF EXISTS (SELECT FROM vendor WHERE sha256(data) <> checksum) THEN
		RAISE EXCEPTION 'licensekit: the vendor document fails its checksum; repair or delete it, then open the store again';
	END IF;
END
$$;

CREATE TEMPORARY TABLE old_orgs ON COMMIT DROP AS
	SELECT id, version, convert_from(data, 'UTF8')::jsonb AS j FROM organizations;
CREATE TEMPORARY TABLE old_vendor ON COMMIT DROP AS
	SELECT version, convert_from(data, 'UTF8')::jsonb AS j FROM vendor;
DROP TABLE organizations;
DROP TABLE vendor;

-- An organization's own fields. created is for queries; data holds, with
-- the exact instant (timestamptz keeps microseconds), the small maps that
-- the portal changes whole: wallet, subscriptions and delegations. version
-- goes up at each change of the row.
CREATE TABLE organizations (
	id      text PRIMARY KEY CHECK (id <> ''),
	version bigint NOT NULL CHECK (version > 0),
	name    text NOT NULL,
	created timestamptz NOT NULL,
	data    jsonb NOT NULL
);

-- An organization's records, by (organization, record ID).
CREATE TABLE org_keys (org text NOT NULL, id text NOT NULL, data jsonb NOT NULL, PRIMARY KEY (org, id));
CREATE TABLE devices  (org text NOT NULL, id text NOT NULL, data jsonb NOT NULL, PRIMARY KEY (org, id));
CREATE TABLE groups   (org text NOT NULL, id text NOT NULL, data jsonb NOT NULL, PRIMARY KEY (org, id));
CREATE TABLE redeemed (org text NOT NULL, id text NOT NULL, data jsonb NOT NULL, PRIMARY KEY (org, id));
CREATE TABLE levels   (org text NOT NULL, id text NOT NULL, data jsonb NOT NULL, PRIMARY KEY (org, id));
CREATE TABLE seats (
	org     text NOT NULL,
	id      text NOT NULL,
	license text NOT NULL,
	device  text NOT NULL, -- '' for a user's seat
	data    jsonb NOT NULL,
	PRIMARY KEY (org, id)
);
CREATE INDEX seats_license ON seats (org, license);

-- Histories, insert-only: an organization's by its ID, the vendor's own
-- under ''. data is the entry without its number, seq. at is for
-- pruning; data holds the exact instant.
CREATE TABLE history (
	org  text NOT NULL,
	seq  bigint NOT NULL CHECK (seq > 0),
	at   timestamptz NOT NULL,
	data jsonb NOT NULL,
	PRIMARY KEY (org, seq)
);

-- The last number given to an entry of each history, so that numbers go
-- on after the entries are pruned. Appending takes its row's lock until
-- the transaction ends: it orders the appends of one history.
CREATE TABLE history_heads (
	org text PRIMARY KEY,
	seq bigint NOT NULL
);

-- The vendor's own fields: the last number handed out for IDs, and the
-- index of customers by partner. One row, made here.
CREATE TABLE vendor (
	id        smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
	version   bigint NOT NULL CHECK (version > 0),
	seq       bigint NOT NULL,
	customers jsonb NOT NULL
);

-- The vendor's records, by ID.
CREATE TABLE owners      (id text PRIMARY KEY, data jsonb NOT NULL);
CREATE TABLE lives       (id text PRIMARY KEY, data jsonb NOT NULL);
CREATE TABLE codes       (id text PRIMARY KEY, data jsonb NOT NULL);
CREATE TABLE vouchers    (id text PRIMARY KEY, data jsonb NOT NULL);
CREATE TABLE serials     (id text PRIMARY KEY, data jsonb NOT NULL);
CREATE TABLE upgrades    (id text PRIMARY KEY, data jsonb NOT NULL);
CREATE TABLE vendor_orgs (id text PRIMARY KEY, data jsonb NOT NULL);

-- The documents, moved. A JSON null stands for an empty map or list.
INSERT INTO organizations (id, version, name, created, data)
SELECT id, version, coalesce(j->>'name', ''), coalesce((j->>'created')::timestamptz, '0001-01-01T00:00:00Z'),
	jsonb_build_object(
		'created', coalesce(j->'created', '"0001-01-01T00:00:00Z"'),
		'wallet', coalesce(nullif(j->'wallet', 'null'), '{}'),
		'subscriptions', coalesce(nullif(j->'subscriptions', 'null'), '{}'),
		'delegations', coalesce(nullif(j->'delegations', 'null'), '{}'))
FROM old_orgs;

INSERT INTO org_keys (org, id, data)
	SELECT o.id, r.key, r.value FROM old_orgs o, jsonb_each(coalesce(nullif(o.j->'keys', 'null'), '{}')) r;
INSERT INTO devices (org, id, data)
	SELECT o.id, r.key, r.value FROM old_orgs o, jsonb_each(coalesce(nullif(o.j->'devices', 'null'), '{}')) r;
INSERT INTO groups (org, id, data)
	SELECT o.id, r.key, r.value FROM old_orgs o, jsonb_each(coalesce(nullif(o.j->'groups', 'null'), '{}')) r;
INSERT INTO redeemed (org, id, data)
	SELECT o.id, r.key, r.value FROM old_orgs o, jsonb_each(coalesce(nullif(o.j->'redeemed', 'null'), '{}')) r;
INSERT INTO levels (org, id, data)
	SELECT o.id, r.key, r.value FROM old_orgs o, jsonb_each(coalesce(nullif(o.j->'levels', 'null'), '{}')) r;
INSERT INTO seats (org, id, license, device, data)
	SELECT o.id, r.key, coalesce(r.value->>'license', ''), coalesce(r.value->>'device', ''), r.value
	FROM old_orgs o, jsonb_each(coalesce(nullif(o.j->'seats', 'null'), '{}')) r;
INSERT INTO history (org, seq, at, data)
	SELECT o.id, (e->>'seq')::bigint, (e->>'at')::timestamptz, e - 'seq'
	FROM old_orgs o, jsonb_array_elements(coalesce(nullif(o.j->'history', 'null'), '[]')) e;

INSERT INTO vendor (id, version, seq, customers)
	SELECT 1, version, coalesce((j->>'seq')::bigint, 0), coalesce(nullif(j->'customers', 'null'), '{}') FROM old_vendor;
INSERT INTO vendor (id, version, seq, customers) VALUES (1, 1, 0, '{}') ON CONFLICT (id) DO NOTHING;
INSERT INTO owners (id, data)
	SELECT r.key, r.value FROM old_vendor v, jsonb_each(coalesce(nullif(v.j->'owners', 'null'), '{}')) r;
INSERT INTO lives (id, data)
	SELECT r.key, r.value FROM old_vendor v, jsonb_each(coalesce(nullif(v.j->'lives', 'null'), '{}')) r;
INSERT INTO codes (id, data)
	SELECT r.key, r.value FROM old_vendor v, jsonb_each(coalesce(nullif(v.j->'codes', 'null'), '{}')) r;
INSERT INTO vouchers (id, data)
	SELECT r.key, r.value FROM old_vendor v, jsonb_each(coalesce(nullif(v.j->'vouchers', 'null'), '{}')) r;
INSERT INTO serials (id, data)
	SELECT r.key, r.value FROM old_vendor v, jsonb_each(coalesce(nullif(v.j->'serials', 'null'), '{}')) r;
INSERT INTO upgrades (id, data)
	SELECT r.key, r.value FROM old_vendor v, jsonb_each(coalesce(nullif(v.j->'upgrades', 'null'), '{}')) r;
INSERT INTO vendor_orgs (id, data)
	SELECT r.key, r.value FROM old_vendor v, jsonb_each(coalesce(nullif(v.j->'organizations', 'null'), '{}')) r;
INSERT INTO history (org, seq, at, data)
	SELECT '', (e->>'seq')::bigint, (e->>'at')::timestamptz, e - 'seq'
	FROM old_vendor v, jsonb_array_elements(coalesce(nullif(v.j->'history', 'null'), '[]')) e;

INSERT INTO history_heads (org, seq) SELECT org, max(seq) FROM history GROUP BY org;
