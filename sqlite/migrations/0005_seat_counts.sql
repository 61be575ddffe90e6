-- Each license's seats and the units they count, kept with the seats in
-- the same transaction: a seat's assignment or release reads its
-- license's usage from one row, not from every seat the license holds.
CREATE TABLE seat_counts (
	org     TEXT NOT NULL,
	license TEXT NOT NULL,
	seats   INTEGER NOT NULL,
	units   INTEGER NOT NULL,
	PRIMARY KEY (org, license)
) WITHOUT ROWID;
INSERT INTO seat_counts (org, license, seats, units)
SELECT org, license, count(*), coalesce(sum(json_extract(data, '$.units')), 0)
FROM seats
GROUP BY org, license;
