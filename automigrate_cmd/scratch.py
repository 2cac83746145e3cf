"""What the models want, as the live database itself would render it.

Introspection is lossy and every backend rewrites DDL its own way (types,
default expressions, constraint names), so comparing model fields with the
live catalog gives false differences. Instead the selected models are built
in a scratch place of the same server and read back with the same code that
reads the live tables (``snapshot.inspect_schema``):

- PostgreSQL: a throwaway schema inside a transaction that is rolled back;
- MySQL/MariaDB: a throwaway database on the same server, dropped afterwards;
- SQLite: an in-memory database.

Besides the snapshot, the scratch hands back the database's own DDL for each
index, constraint and (MySQL) column, so the live database can be given
exactly what the scratch has.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import DatabaseError, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from .apply import create_model, one_round_trip
from .selection import tables_of
from .snapshot import Snapshot, inspect_schema


@dataclass
class Desired:
    snapshot: Snapshot
    # MySQL only: SHOW CREATE TABLE lines, by table: {"columns": {name: line},
    # "keys": {name: line}, "constraints": {name: line}}.
    mysql_lines: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)


def desired_schema(
    connection: BaseDatabaseWrapper, models_to_create: list[type[models.Model]]
) -> Desired:
    builder = _BUILDERS[connection.vendor]
    return builder(connection, models_to_create)


def desired_by_model(
    connection: BaseDatabaseWrapper, models_to_create: list[type[models.Model]], labels: set[str]
) -> dict[str, Desired]:
    """Build only the models ``labels`` names; their tables, by model label."""
    subset = [model for model in models_to_create if model._meta.label_lower in labels]
    try:
        desired = desired_schema(connection, subset)
    except DatabaseError:
        if len(subset) == len(models_to_create):
            raise
        # PostgreSQL checks foreign keys as they are created: one into a
        # table that neither the subset nor the live database has fails.
        desired = desired_schema(connection, models_to_create)
    return by_model(desired, subset)


def by_model(desired: Desired, chosen: list[type[models.Model]]) -> dict[str, Desired]:
    """``desired`` split into the tables of each model, by model label."""
    return {model._meta.label_lower: _tables_of_model(desired, model) for model in chosen}


def read_back(connection: BaseDatabaseWrapper, tables: list[str]) -> Desired:
    """``tables`` as a desired schema: what a scratch build hands back of them."""
    snapshot = inspect_schema(connection, tables)
    if connection.vendor != "mysql":
        return Desired(snapshot)
    return Desired(snapshot, {table: mysql_create_lines(connection, table) for table in snapshot})


def _tables_of_model(desired: Desired, model: type[models.Model]) -> Desired:
    tables = tables_of(model)
    return Desired(
        {t: desired.snapshot[t] for t in tables if t in desired.snapshot},
        {t: desired.mysql_lines[t] for t in tables if t in desired.mysql_lines},
    )


def _create_all(editor, models_to_create: list[type[models.Model]]) -> list[str]:
    with one_round_trip(editor):
        for model in models_to_create:
            create_model(editor, model)
        for sql in editor.deferred_sql:
            editor.execute(sql)
        editor.deferred_sql = []
    return [table for model in models_to_create for table in tables_of(model)]


class _Rollback(Exception):
    pass


def _desired_postgresql(connection, models_to_create) -> Desired:
    # A connection of its own: the live connection runs no DDL at all, and
    # everything the scratch did is rolled back.
    scratch = f"automigrate_scratch_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        live_schema = cursor.fetchone()[0]
    with _sibling_connection(connection, connection.settings_dict["NAME"]) as sibling:
        qn = sibling.ops.quote_name
        result: Desired | None = None
        try:
            with transaction.atomic(using=sibling.alias):
                with sibling.cursor() as cursor:
                    cursor.execute(f"CREATE SCHEMA {qn(scratch)}")
                    # Live tables stay visible after the scratch ones, so
                    # foreign keys to models outside the selection resolve.
                    cursor.execute(f"SET LOCAL search_path TO {qn(scratch)}, {qn(live_schema)}")
                with sibling.schema_editor(atomic=False) as editor:
                    tables = _create_all(editor, models_to_create)
                result = read_back(sibling, tables)
                raise _Rollback
        except _Rollback:
            pass
    assert result is not None
    return result


@contextmanager
def _sibling_connection(connection, name: str) -> Iterator[BaseDatabaseWrapper]:
    alias = f"automigrate_scratch_{uuid.uuid4().hex[:8]}"
    # connections[...] also resolves django.db.connection, a proxy object.
    wrapper_class = type(connections[connection.alias])
    sibling = wrapper_class({**connection.settings_dict, "NAME": name}, alias=alias)
    # Registered while in use: transaction.atomic() looks connections up by alias.
    connections[alias] = sibling
    try:
        yield sibling
    finally:
        sibling.close()
        del connections[alias]


def _desired_mysql(connection, models_to_create) -> Desired:
    scratch = f"automigrate_scratch_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    # Connections of their own: the live connection runs no DDL at all.
    with _sibling_connection(connection, connection.settings_dict["NAME"]) as control:
        qn = control.ops.quote_name
        with control.cursor() as cursor:
            _drop_abandoned_scratches(cursor, qn)
            # Held while the scratch database exists. The server releases it
            # when this session ends, also when the process is killed: that
            # tells a later run the database was abandoned.
            cursor.execute("SELECT GET_LOCK(%s, 0)", [scratch])
            cursor.execute(f"CREATE DATABASE {qn(scratch)}{_live_defaults(cursor)}")
        try:
            with _sibling_connection(connection, scratch) as sibling:
                with sibling.cursor() as cursor:
                    # Foreign keys may point at tables only the live database has.
                    cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
                with sibling.schema_editor() as editor:
                    tables = _create_all(editor, models_to_create)
                return read_back(sibling, tables)
        finally:
            with control.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {qn(scratch)}")
                cursor.execute("SELECT RELEASE_LOCK(%s)", [scratch])


def _live_defaults(cursor) -> str:
    """The live database's default character set and collation, for the
    scratch one: new tables take them (a test database made with
    TEST["COLLATION"], say, differs from the server's default)."""
    cursor.execute(
        "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
        "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()"
    )
    charset, collation = cursor.fetchone()
    return f" CHARACTER SET {charset} COLLATE {collation}"


def _drop_abandoned_scratches(cursor, qn) -> None:
    """Drop scratch databases left by runs that were killed (nobody holds their lock)."""
    cursor.execute(
        "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE %s",
        [r"automigrate\_scratch\_%"],
    )
    for (name,) in cursor.fetchall():
        cursor.execute("SELECT GET_LOCK(%s, 0)", [name])
        if cursor.fetchone()[0] == 1:
            cursor.execute(f"DROP DATABASE IF EXISTS {qn(name)}")
            cursor.execute("SELECT RELEASE_LOCK(%s)", [name])


def _desired_sqlite(connection, models_to_create) -> Desired:
    with _sibling_connection(connection, ":memory:") as sibling:
        with sibling.schema_editor() as editor:
            tables = _create_all(editor, models_to_create)
        return read_back(sibling, tables)


_BUILDERS = {
    "postgresql": _desired_postgresql,
    "mysql": _desired_mysql,
    "sqlite": _desired_sqlite,
}

_IDENTIFIER = r"`((?:[^`]|``)*)`"


def mysql_create_lines(connection, table: str) -> dict[str, dict[str, str]]:
    """The body lines of SHOW CREATE TABLE, by what they define."""
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW CREATE TABLE {connection.ops.quote_name(table)}")
        ddl = cursor.fetchone()[1]
    parsed: dict[str, dict[str, str]] = {"columns": {}, "keys": {}, "constraints": {}}
    for raw in ddl.splitlines()[1:-1]:
        line = raw.strip().rstrip(",")
        if line.startswith("`"):
            parsed["columns"][_first_identifier(line)] = line
        elif line.startswith("CONSTRAINT"):
            parsed["constraints"][_first_identifier(line)] = line
        elif line.startswith("PRIMARY KEY"):
            parsed["keys"]["PRIMARY"] = line
        elif re.match(r"(UNIQUE |FULLTEXT |SPATIAL )?KEY ", line):
            parsed["keys"][_first_identifier(line)] = line
    return parsed


def _first_identifier(line: str) -> str:
    return re.search(_IDENTIFIER, line).group(1).replace("``", "`")
