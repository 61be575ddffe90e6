-- Online activation, floating licenses and revocation lists. The
-- vendor's records, by ID: the devices' activations (portal.Activation),
-- each device's activation of a license, by license ID, "|" and
-- fingerprint, and trial of a product, by product, "|" and fingerprint
-- (portal.ActivationRef), and the revocations (portal.Revocation), by
-- kind, ":" and ID. An organization's leases (portal.LeaseSet), by
-- organization and license ID. The vendor's row counts the revocations:
-- the revocation list's serial is one more.
CREATE TABLE activations        (id TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE device_activations (id TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE trial_starts       (id TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE revocations        (id TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE leases (
	org  TEXT NOT NULL,
	id   TEXT NOT NULL,
	data TEXT NOT NULL,
	PRIMARY KEY (org, id)
) WITHOUT ROWID;
ALTER TABLE vendor ADD COLUMN revocation_count INTEGER NOT NULL DEFAULT 0;

-- The licenses revoked before join the list, in the order they were
-- revoked, each with the serial of the list that first names it.
INSERT INTO revocations (id, data)
SELECT 'license:' || id,
	json_object('kind', 'license', 'id', id, 'at', json_extract(data, '$.since'), 'by', '',
		'serial', 1 + row_number() OVER (ORDER BY json_extract(data, '$.since'), id))
FROM lives
WHERE json_extract(data, '$.state') = 'revoked';
INSERT INTO vendor (id, seq, customers, revocation_count)
SELECT 1, 0, '{}', (SELECT count(*) FROM revocations) WHERE EXISTS (SELECT 1 FROM revocations)
ON CONFLICT (id) DO UPDATE SET revocation_count = excluded.revocation_count;
