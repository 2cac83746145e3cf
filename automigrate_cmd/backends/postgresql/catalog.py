"""PostgreSQL's catalog, read in one query: foreign keys into tables (with
their ``pg_get_constraintdef``, to restore them verbatim), and the index
names the schema holds once."""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from ...catalog import ForeignKey

# The namespace of current_schema(), by name: a cast to regnamespace would
# fold a mixed-case name (Tenant_A) as an identifier; and a condition on
# relnamespace lets pg_class's index on (relname, relnamespace) serve, where
# a join on pg_namespace scans the whole pg_class (every schema's tables).
CURRENT_NAMESPACE = "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())"

# The relations of current_schema(), found through pg_depend: each relation
# depends on its schema (but an index, which depends on its table, and a
# composite type's pg_class row, whose dependency is its pg_type row's), and
# pg_depend's index leads to the schema's own. pg_class has no index on
# relnamespace: a condition on it reads every tenant schema's relations.
CURRENT_RELATIONS = f"""ARRAY(
    SELECT objid FROM pg_depend
    WHERE refclassid = 'pg_namespace'::regclass AND refobjid = {CURRENT_NAMESPACE}
      AND refobjsubid = 0 AND classid = 'pg_class'::regclass
)"""


def foreign_keys_into(connection: BaseDatabaseWrapper, targets: set[str]) -> list[ForeignKey]:
    sql = f"""
        SELECT c.conname, src.relname, dst.relname, pg_get_constraintdef(c.oid),
               ARRAY(
                   SELECT a.attname
                   FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, position)
                   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
                   ORDER BY k.position
               )
        FROM pg_constraint c
        JOIN pg_class src ON src.oid = c.conrelid
        JOIN pg_class dst ON dst.oid = c.confrelid
        WHERE c.contype = 'f'
          AND dst.relname = ANY(%s)
          AND pg_table_is_visible(src.oid)
          AND dst.relnamespace = {CURRENT_NAMESPACE}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [sorted(targets)])
        return [
            ForeignKey(table, name, tuple(columns), target, definition)
            for name, table, target, definition, columns in cursor.fetchall()
        ]


# Index names are the schema's (a primary key's, a unique constraint's and an
# exclusion constraint's index too): name_clashes.
SHARED_NAME_KINDS = ("primary_key", "uniques", "indexes", "exclusions")
SHARED_NAMES_SQL = f"""
        SELECT i.relname, t.relname FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        WHERE x.indrelid = ANY({CURRENT_RELATIONS})
    """


def names_the_server_picks(table: str, record: dict) -> set[str]:
    """CREATE TABLE names its primary key and its columns' UNIQUE (as
    Django writes them, inline) itself: ``<table>_pkey``, ``<table>_<column>_key``,
    or with a number added where the name is taken (as after a RenameModel,
    which keeps the old names)."""
    picked = set()
    key = record.get("primary_key") or {}
    if _server_named(key.get("name") or "", [table], "pkey"):
        picked.add(key["name"])
    for unique in record.get("uniques") or []:
        if _server_named(unique.get("name") or "", [table, *unique.get("columns", [])], "key"):
            picked.add(unique["name"])
    return picked


def _server_named(name: str, parts: list[str], label: str) -> bool:
    # PostgreSQL's makeObjectName: the parts joined by "_", cut to fit 63
    # bytes, then "_" and the label.
    stem = "_".join(parts)
    return name.endswith("_" + label) and stem.startswith(name[: -len(label) - 1])


# The triggers there (migration_sql).
TRIGGER_NAMES_SQL = f"""
        SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE NOT t.tgisinternal AND t.tgrelid = ANY({CURRENT_RELATIONS})
    """
