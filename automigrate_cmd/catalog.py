"""Cheap reads of the live catalog that a run needs before it changes anything:
which tables exist, how many rows they hold, and which foreign keys point at
them. One query per question where the backend allows it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.db.backends.base.base import BaseDatabaseWrapper


@dataclass(frozen=True)
class ForeignKey:
    """A foreign key constraint as the database has it."""

    table: str
    name: str
    columns: tuple[str, ...]
    target: str
    # PostgreSQL's own rendering (pg_get_constraintdef), to restore it verbatim.
    definition: str | None = None


def existing_tables(connection: BaseDatabaseWrapper) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def count_rows(connection: BaseDatabaseWrapper, table: str, not_null: Collection[str] = ()) -> int:
    """Rows of ``table``; with ``not_null``, only rows where all those columns are set."""
    qn = connection.ops.quote_name
    sql = f"SELECT COUNT(*) FROM {qn(table)}"
    if not_null:
        sql += " WHERE " + " AND ".join(f"{qn(column)} IS NOT NULL" for column in not_null)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def foreign_keys_into(
    connection: BaseDatabaseWrapper, targets: Collection[str]
) -> list[ForeignKey]:
    """Every foreign key, from any table, that references one of ``targets``."""
    if not targets:
        return []
    reader = _FOREIGN_KEY_READERS.get(connection.vendor, _foreign_keys_generic)
    return sorted(reader(connection, set(targets)), key=lambda fk: (fk.table, fk.name))


def _foreign_keys_postgresql(connection, targets: set[str]) -> list[ForeignKey]:
    sql = """
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
          AND pg_table_is_visible(dst.oid)
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [sorted(targets)])
        return [
            ForeignKey(table, name, tuple(columns), target, definition)
            for name, table, target, definition, columns in cursor.fetchall()
        ]


def _foreign_keys_mysql(connection, targets: set[str]) -> list[ForeignKey]:
    placeholders = ", ".join(["%s"] * len(targets))
    sql = f"""
        SELECT CONSTRAINT_NAME, TABLE_NAME, REFERENCED_TABLE_NAME, COLUMN_NAME
        FROM information_schema.KEY_COLUMN_USAGE
        WHERE TABLE_SCHEMA = DATABASE()
          AND REFERENCED_TABLE_SCHEMA = DATABASE()
          AND REFERENCED_TABLE_NAME IN ({placeholders})
        ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION
    """
    grouped: dict[tuple[str, str, str], list[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, sorted(targets))
        for name, table, target, column in cursor.fetchall():
            grouped.setdefault((table, name, target), []).append(column)
    return [
        ForeignKey(table, name, tuple(columns), target)
        for (table, name, target), columns in grouped.items()
    ]


def _foreign_keys_sqlite(connection, targets: set[str]) -> list[ForeignKey]:
    lowered = {t.lower() for t in targets}
    found = []
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"PRAGMA foreign_key_list({connection.ops.quote_name(table)})")
            grouped: dict[int, tuple[str, list[str]]] = {}
            for fk_id, _seq, target, column, *_rest in cursor.fetchall():
                if target.lower() in lowered:
                    grouped.setdefault(fk_id, (target, []))[1].append(column)
            for fk_id, (target, columns) in grouped.items():
                found.append(ForeignKey(table, f"fk{fk_id}", tuple(columns), target))
    return found


def _foreign_keys_generic(connection, targets: set[str]) -> list[ForeignKey]:
    """Any other backend: Django's introspection, one table at a time."""
    found = []
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            constraints = connection.introspection.get_constraints(cursor, table)
            for name, info in constraints.items():
                target = (info.get("foreign_key") or (None,))[0]
                if target in targets:
                    found.append(ForeignKey(table, name, tuple(info["columns"]), target))
    return found


_FOREIGN_KEY_READERS = {
    "postgresql": _foreign_keys_postgresql,
    "mysql": _foreign_keys_mysql,
    "sqlite": _foreign_keys_sqlite,
}


def names_shared_across_tables(connection: BaseDatabaseWrapper) -> dict[str, str]:
    """Names the server keeps once per schema, not per table, with the table
    that holds each: index names on PostgreSQL and SQLite (a unique
    constraint's too), foreign key names on MySQL/MariaDB. A new table or
    index cannot take one that another table holds."""
    sql = _SHARED_NAMES_SQL[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(cursor.fetchall())


_SHARED_NAMES_SQL = {
    "postgresql": """
        SELECT i.relname, t.relname FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        WHERE i.relnamespace = current_schema()::regnamespace
    """,
    "sqlite": "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'",
    "mysql": """
        SELECT CONSTRAINT_NAME, TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS
        WHERE CONSTRAINT_SCHEMA = DATABASE()
    """,
}
