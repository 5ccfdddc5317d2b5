-- Equality lookups FerretDB 1.24 can answer from an index.
--
-- FerretDB pushes `{field: value}` down to PostgreSQL as `_jsonb -> 'field' @> value`, but the
-- indexes it creates for MongoDB's createIndexes are btree on `(_jsonb -> 'field')`, which
-- cannot serve `@>`; so every find, update and delete reads the whole collection, and a lookup
-- by _id costs more as the collection grows (27 ms at 100,000 documents on a 2-core machine).
-- MongoDB (Atlas, in production) answers the same queries from the same indexes in well under
-- a millisecond. This gives the local stack the same shape: each time FerretDB creates a btree
-- index on top-level fields, PostgreSQL adds a GIN index on each of those fields that `@>` can
-- use. Nothing about the data changes; dropping the collection drops them with its table.
-- fastupdate is off so a lookup never reads a list of pending entries that grows with inserts.
--
-- FerretDB prepares its statements with the field name as a parameter (`_jsonb->$1 @> $2`);
-- a generic plan cannot match an index on `_jsonb -> 'field'`, so plans stay custom.

SET client_min_messages = warning;

DO $db$ BEGIN
  EXECUTE format('ALTER DATABASE %I SET plan_cache_mode = force_custom_plan', current_database());
END $db$;

CREATE OR REPLACE FUNCTION checkin_equality_index_for(index_oid oid) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  definition text := pg_get_indexdef(index_oid);
  table_name text;
  field text[];
BEGIN
  IF definition NOT LIKE '% USING btree %' THEN
    RETURN;
  END IF;
  SELECT indrelid::regclass::text INTO table_name FROM pg_index WHERE indexrelid = index_oid;
  FOR field IN SELECT regexp_matches(definition, '\(_jsonb -> ''([^'']+)''::text\)', 'g') LOOP
    EXECUTE format(
      'CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((_jsonb -> %L) jsonb_path_ops) WITH (fastupdate = off)',
      'eq_' || substr(md5(table_name || '/' || field[1]), 1, 20), table_name, field[1]);
  END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION checkin_equality_indexes_on_create() RETURNS event_trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  created record;
BEGIN
  FOR created IN SELECT objid FROM pg_event_trigger_ddl_commands()
    WHERE command_tag = 'CREATE INDEX' AND object_type = 'index' LOOP
    PERFORM checkin_equality_index_for(created.objid);
  END LOOP;
END
$fn$;

DROP EVENT TRIGGER IF EXISTS checkin_equality_indexes;
CREATE EVENT TRIGGER checkin_equality_indexes ON ddl_command_end
  WHEN TAG IN ('CREATE INDEX') EXECUTE FUNCTION checkin_equality_indexes_on_create();

-- Collections FerretDB made before this was installed.
SELECT count(*) AS btree_indexes_covered FROM (
  SELECT checkin_equality_index_for(i.indexrelid)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
  WHERE pg_get_indexdef(i.indexrelid) LIKE '%(_jsonb -> %'
) covered;
