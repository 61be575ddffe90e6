-- What a license server built on the portal keeps beside the vendor's
-- records: its bearer tokens (portal.Token, which holds the SHA-256 of a
-- token's secret, never the secret), its webhooks (portal.Webhook), and
-- the licenses issued from activation codes (portal.CodeLicense), which
-- renew through the portal. Each by ID, as the vendor's other records.
CREATE TABLE tokens        (id TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE webhooks      (id TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE code_licenses (id TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;

-- The codes redeemed before: each redemption's license, activated on its
-- device at the redemption, renews from it.
INSERT INTO code_licenses (id, data)
SELECT json_extract(r.value, '$.license'),
	json_object('code', c.id, 'org', json_extract(r.value, '$.org'), 'key', json_extract(r.value, '$.key'),
		'start', json_extract(r.value, '$.at'))
FROM codes c, json_each(c.data, '$.redemptions') r
WHERE json_type(r.value, '$.license') = 'text' AND json_extract(r.value, '$.license') <> ''
ON CONFLICT (id) DO NOTHING;
