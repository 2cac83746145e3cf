"""Cheap reads of the live catalog that a run needs before it changes anything:
which tables exist, how many rows they hold, and which foreign keys point at
them. One query per question where the backend allows it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.db.backends.base.base import BaseDatabaseWrapper

from .backends import backend_or_generic


@dataclass(frozen=True)
class ForeignKey:
    """A foreign key constraint as the database has it."""

    table: str
    name: str
    columns: tuple[str, ...]
    target: str
    # PostgreSQL's own rendering (pg_get_constraintdef), to restore it verbatim.
    definition: str | None = None


def stored_name(connection: BaseDatabaseWrapper, name: str) -> str:
    """``name`` as the server stores it. PostgreSQL cuts a longer identifier
    to 63 bytes (NAMEDATALEN - 1, never inside a character) in every
    statement, so DDL and queries with the long name work while the catalog
    holds the short one; MySQL refuses longer names and SQLite keeps any."""
    limit = connection.ops.max_name_length()
    if limit is None or not backend_or_generic(connection).shortens_long_names:
        return name
    encoded = name.encode()
    return name if len(encoded) <= limit else encoded[:limit].decode(errors="ignore")


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
    found = backend_or_generic(connection).foreign_keys_into(connection, set(targets))
    return sorted(found, key=lambda fk: (fk.table, fk.name))


def foreign_keys_generic(connection: BaseDatabaseWrapper, targets: set[str]) -> list[ForeignKey]:
    """Django's introspection, one table at a time: a backend with no
    query of its own (``Backend.foreign_keys_into``)."""
    found = []
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            constraints = connection.introspection.get_constraints(cursor, table)
            for name, info in constraints.items():
                target = (info.get("foreign_key") or (None,))[0]
                if target in targets:
                    found.append(ForeignKey(table, name, tuple(info["columns"]), target))
    return found


def names_shared_across_tables(connection: BaseDatabaseWrapper) -> dict[str, str]:
    """Names the server keeps once per schema, not per table, with the table
    that holds each: index names on PostgreSQL and SQLite (a unique
    constraint's too), foreign key names on MySQL/MariaDB. A new table or
    index cannot take one that another table holds."""
    sql = backend_or_generic(connection).shared_names_sql
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(cursor.fetchall())
