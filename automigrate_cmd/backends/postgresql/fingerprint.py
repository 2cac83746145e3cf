"""PostgreSQL: one digest of everything a plan reads in the current schema.

Two schemas with the same digest (read each with its own ``search_path``,
where its own objects are named unqualified and everything else the same
way) have the same relations, columns, constraints, indexes, triggers,
views and sequences, and the same rows in the tables autoupdate's plan reads
(the migration history, the content types, the stored desired tables, the
record of an unfinished run): a plan made from one is the plan of the
other (``twins.py``).
"""

from __future__ import annotations

import hashlib

from django.db.backends.base.base import BaseDatabaseWrapper

from .catalog import CURRENT_RELATIONS

# One row per relation of the schema (catalog.CURRENT_RELATIONS, and their
# indexes), in name order, with what hangs off it. (A composite type's
# pg_class row is left out: a column names the type as format_type does.)
# The relations come from an unnest(ARRAY(...)), which the planner expects
# to be a few rows: a join it expects to be thousands (pg_class's statistics
# may be from before the tenants' schemas were made) costs enough to be
# JIT-compiled, half a second where the query takes a few milliseconds.
CATALOG_SQL = f"""
    SELECT md5(json_agg(json_build_array(
        c.relname, c.relkind, c.relpersistence, c.reloptions, c.reltablespace,
        -- The comments, read here rather than by obj_description() and
        -- col_description(): a SQL function called per row is a quarter
        -- of the query's time.
        (SELECT description FROM pg_description
         WHERE objoid = c.oid AND classoid = 'pg_class'::regclass AND objsubid = 0),
        CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END,
        (SELECT json_agg(json_build_array(
                    a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                    a.attidentity, a.attgenerated, a.attcollation,
                    pg_get_expr(d.adbin, d.adrelid),
                    (SELECT description FROM pg_description
                     WHERE objoid = c.oid AND classoid = 'pg_class'::regclass
                       AND objsubid = a.attnum)
                ) ORDER BY a.attnum)
         FROM pg_attribute a
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
           AND c.relkind <> 'i'),
        (SELECT json_agg(json_build_array(
                    con.conname, con.contype, pg_get_constraintdef(con.oid),
                    con.condeferrable, con.condeferred, con.convalidated
                ) ORDER BY con.conname)
         FROM pg_constraint con WHERE con.conrelid = c.oid),
        -- The index as pg_index has it (pg_get_indexdef would be most of the
        -- query's time), less what differs from schema to schema.
        -- (A node tree's :location is where the expression stood in the
        -- statement that made it, which may name the schema.)
        (SELECT regexp_replace((to_jsonb(i) - 'indexrelid' - 'indrelid' - 'indcheckxmin')::text,
                               ':location -?[0-9]+', '', 'g')
         FROM pg_index i WHERE i.indexrelid = c.oid),
        (SELECT relname FROM pg_class t JOIN pg_index i ON i.indrelid = t.oid
         WHERE i.indexrelid = c.oid),
        -- A trigger as pg_trigger has it, its function and the objects it
        -- names as search_path spells them: pg_get_triggerdef names the
        -- table with its schema always, which would make no two schemas
        -- with a trigger copies of each other.
        (SELECT json_agg(json_build_array(
                    tg.tgname,
                    regexp_replace((to_jsonb(tg) - 'oid' - 'tgrelid' - 'tgparentid' - 'tgfoid'
                                    - 'tgconstrrelid' - 'tgconstrindid' - 'tgconstraint')::text,
                                   ':location -?[0-9]+', '', 'g'),
                    tg.tgfoid::regprocedure::text,
                    NULLIF(tg.tgconstrrelid, 0)::regclass::text,
                    NULLIF(tg.tgconstrindid, 0)::regclass::text,
                    (SELECT conname FROM pg_constraint WHERE oid = tg.tgconstraint)
                ) ORDER BY tg.tgname)
         FROM pg_trigger tg WHERE tg.tgrelid = c.oid AND NOT tg.tgisinternal),
        (SELECT json_build_array(
                    s.seqtypid, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
                    s.seqcycle
                )
         FROM pg_sequence s WHERE s.seqrelid = c.oid)
    ) ORDER BY c.relname, c.relkind)::text),
    array_agg(c.relname::text) FILTER (WHERE c.relkind IN ('r', 'p') AND c.relname = ANY(%s))
    FROM unnest(ARRAY(
        SELECT unnest({CURRENT_RELATIONS})
        UNION SELECT indexrelid FROM pg_index WHERE indrelid = ANY({CURRENT_RELATIONS})
    )) AS r(oid)
    JOIN pg_class c ON c.oid = r.oid
"""

# The rows a plan reads, by table (read where the schema has the table):
# what they say, not when they were written (django_migrations.applied).
ROWS_READ = {
    "django_migrations": "'migration ' || app || '.' || name",
    "django_content_type": "'content type ' || app_label || '.' || model",
    "automigrate_cmd_desired_tables": "'desired ' || model || ' ' || fingerprint || ' ' "
    "|| md5(desired)",
    "automigrate_cmd_unfinished": "'unfinished ' || app_label",
}


def schema_fingerprint(connection: BaseDatabaseWrapper) -> str:
    """The digest of the current schema."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        catalog, tables = _prepared(connection, cursor, CATALOG_SQL, [list(ROWS_READ)])
        rows = None
        if tables:
            parts = [f"SELECT {ROWS_READ[table]} FROM {qn(table)}" for table in sorted(tables)]
            cursor.execute(
                "SELECT md5(string_agg(x, E'\\n' ORDER BY x)) FROM ("
                + " UNION ALL ".join(parts)
                + ") AS t(x)"
            )
            (rows,) = cursor.fetchone()
    return hashlib.sha256(f"{catalog} {rows}".encode()).hexdigest()


def _prepared(connection: BaseDatabaseWrapper, cursor, sql: str, params: list) -> tuple:
    """The one row of ``sql``, as a prepared statement where the driver is
    psycopg 3: planning the query is a third of its time, and a run over
    many schemas asks it once per schema on the same session. (Django's
    cursors bind parameters on the client, which prepares nothing.) Where
    the project turned prepared statements off, it is not prepared."""
    try:
        import psycopg
    except ImportError:  # psycopg2
        psycopg = None
    raw = connection.connection
    # prepare_threshold=None in OPTIONS: the project's pooler (pgbouncer in
    # transaction mode) cannot keep prepared statements.
    if psycopg is not None and isinstance(raw, psycopg.Connection) and raw.prepare_threshold:
        with psycopg.Cursor(raw) as prepared:
            prepared.execute(sql, params, prepare=True)
            return prepared.fetchone()
    cursor.execute(sql, params)
    return cursor.fetchone()
