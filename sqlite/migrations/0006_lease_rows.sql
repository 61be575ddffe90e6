-- Each floating lease on its own row, by organization and lease ID (the
-- license's ID, "|" and the device's fingerprint), with its license: a
-- heartbeat reads and writes its own lease, and a checkout reads its
-- license's leases as one range of the key. Until now the leases of a
-- license were one row (portal.LeaseSet, by fingerprint), by license ID.
CREATE TABLE lease_rows (
	org     TEXT NOT NULL,
	id      TEXT NOT NULL,
	license TEXT NOT NULL,
	data    TEXT NOT NULL,
	PRIMARY KEY (org, id)
) WITHOUT ROWID;
INSERT INTO lease_rows (org, id, license, data)
SELECT l.org, l.id || '|' || e.key, l.id, e.value
FROM leases AS l, json_each(l.data) AS e;
DROP TABLE leases;
ALTER TABLE lease_rows RENAME TO leases;
