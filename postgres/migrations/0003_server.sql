-- What a license server built on the portal keeps beside the vendor's
-- records: its bearer tokens (portal.Token, which holds the SHA-256 of a
-- token's secret, never the secret), its webhooks (portal.Webhook), and
-- the licenses issued from activation codes (portal.CodeLicense), which
-- renew through the portal. Each by ID, as the vendor's other records.
CREATE TABLE tokens        (id text PRIMARY KEY, data jsonb NOT NULL);
CREATE TABLE webhooks      (id text PRIMARY KEY, data jsonb NOT NULL);
CREATE TABLE code_licenses (id text PRIMARY KEY, data jsonb NOT NULL);

-- The codes redeemed before: each redemption's license, activated on its
-- device at the redemption, renews from it.
INSERT INTO code_licenses (id, data)
SELECT r.value->>'license',
	jsonb_build_object('code', c.id, 'org', r.value->'org', 'key', r.value->'key', 'start', r.value->'at')
FROM codes c, jsonb_each(CASE jsonb_typeof(c.data->'redemptions') WHEN 'object' THEN c.data->'redemptions' ELSE '{}' END) r
WHERE jsonb_typeof(r.value->'license') = 'string' AND r.value->>'license' <> ''
ON CONFLICT (id) DO NOTHING;
