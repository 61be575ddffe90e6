-- Each license's seats and the units they count, kept with the seats in
-- the same transaction: a seat's assignment or release reads its
-- license's usage from one row, along with its key, not from every seat
-- the license holds.
CREATE TABLE seat_counts (
	org     text    NOT NULL,
	license text    NOT NULL,
	seats   integer NOT NULL,
	units   integer NOT NULL,
	PRIMARY KEY (org, license)
);
INSERT INTO seat_counts (org, license, seats, units)
SELECT org, license, count(*), coalesce(sum((data->>'units')::int), 0)
FROM seats
GROUP BY org, license;
