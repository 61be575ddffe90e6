-- Online activation, floating licenses and revocation lists. The
-- vendor's records, by ID: the devices' activations (portal.Activation),
-- each device's activation of a license, by license ID, "|" and
-- fingerprint, and trial of a product, by product, "|" and fingerprint
-- (portal.ActivationRef), and the revocations (portal.Revocation), by
-- kind, ":" and ID. An organization's leases (portal.LeaseSet), by
-- organization and license ID: a checkout locks the license's key row
-- first, so that the checkouts of one license take turns. The vendor's
-- row counts the revocations: the revocation list's serial is one more.
CREATE TABLE activations        (id text PRIMARY KEY, data jsonb NOT NULL);
CREATE TABLE device_activations (id text PRIMARY KEY, data jsonb NOT NULL);
CREATE TABLE trial_starts       (id text PRIMARY KEY, data jsonb NOT NULL);
CREATE TABLE revocations        (id text PRIMARY KEY, data jsonb NOT NULL);
CREATE TABLE leases (org text NOT NULL, id text NOT NULL, data jsonb NOT NULL, PRIMARY KEY (org, id));
ALTER TABLE vendor ADD COLUMN revocation_count bigint NOT NULL DEFAULT 0 CHECK (revocation_count >= 0);

-- The licenses revoked before join the list, in the order they were
-- revoked, each with the serial of the list that first names it.
INSERT INTO revocations (id, data)
SELECT 'license:' || id,
	jsonb_build_object('kind', 'license', 'id', id, 'at', data->'since', 'by', '',
		'serial', 1 + row_number() OVER (ORDER BY data->>'since', id))
FROM lives
WHERE data->>'state' = 'revoked';
UPDATE vendor SET revocation_count = (SELECT count(*) FROM revocations);
