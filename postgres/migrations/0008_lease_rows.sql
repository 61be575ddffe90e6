-- Each floating lease on its own row, by organization and lease ID (the
-- license's ID, "|" and the device's fingerprint), with its license: a
-- heartbeat reads and locks its own lease, and a checkout, which holds
-- its license's key row lock, reads the license's leases as one range of
-- the primary key. Until now the leases of a license were one row
-- (portal.LeaseSet, by fingerprint), by license ID.
CREATE TABLE lease_rows (
	org     text  NOT NULL,
	id      text  NOT NULL,
	license text  NOT NULL,
	data    jsonb NOT NULL,
	PRIMARY KEY (org, id)
);
INSERT INTO lease_rows (org, id, license, data)
SELECT l.org, l.id || '|' || e.key, l.id, e.value
FROM leases AS l, jsonb_each(l.data) AS e;
DROP TABLE leases;
ALTER TABLE lease_rows RENAME TO leases;
ALTER TABLE leases RENAME CONSTRAINT lease_rows_pkey TO leases_pkey;
