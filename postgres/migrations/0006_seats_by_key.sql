-- A license's seats are read as the range of the seats' primary key that
-- starts with the license's ID and "|", which the portal's seat IDs do:
-- the index by license is no longer read, and cost one more index entry
-- to write for every seat taken or released.
DROP INDEX seats_license;
