-- Seats, devices and groups keep their records as json rather than
-- jsonb: a license group's placement reads every seat and device of the
-- organization, and the server returns json's text as it stored it,
-- where jsonb must be printed again, row by row. Nothing queries inside
-- these records.
ALTER TABLE seats   ALTER COLUMN data TYPE json USING data::json;
ALTER TABLE devices ALTER COLUMN data TYPE json USING data::json;
ALTER TABLE groups  ALTER COLUMN data TYPE json USING data::json;
