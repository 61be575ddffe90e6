-- A license's seats are read by the range of the seats' key that starts
-- with the license's ID and "|", which the portal's seat IDs do: the
-- index by license only cost one more page to write for each seat taken
-- or released.
DROP INDEX seats_by_license;
