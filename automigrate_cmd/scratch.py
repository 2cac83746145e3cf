"""What the models want, as the live database itself would render it.

Introspection is lossy and every backend rewrites DDL its own way (types,
default expressions, constraint names), so comparing model fields with the
live catalog gives false differences. Instead the selected models are built
in a scratch place of the same server and read back with the same code that
reads the live tables (``snapshot.inspect_schema``):

- PostgreSQL: temporary tables, in a transaction that is rolled back. They
  need only the TEMPORARY privilege, which every role has unless it was
  revoked (no CREATE on the database, which ``migrate`` does not need), and
  they take no lock on a live table: a foreign key points at a stand-in
  temporary table (PostgreSQL refuses one from a temporary table to a live
  one), so a ``--check`` never waits for, nor holds up, a writer. Models
  too many to lock in one transaction are built in several (``lock_budget``).
- MySQL/MariaDB: a throwaway database on the same server, dropped afterwards
  (temporary tables there cannot have foreign keys), or, where the user may
  not create databases, the database ``AUTOMIGRATE_SCRATCH_DATABASE`` names;
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

from django.conf import settings
from django.db import DatabaseError, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from . import lock_budget
from .apply import create_model, engines_asked_once, one_round_trip
from .exceptions import ScratchUnavailable, UserCodeFailed, first_line
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
    return by_model(desired_schema(connection, subset), subset)


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
    with one_round_trip(editor), engines_asked_once(editor.connection):
        for model in models_to_create:
            try:
                create_model(editor, model)
            except DatabaseError:
                raise
            except Exception as error:
                raise _failed_user_code(editor.connection, model, error) from error
        for sql in editor.deferred_sql:
            editor.execute(sql)
        editor.deferred_sql = []
    return [table for model in models_to_create for table in tables_of(model)]


def _failed_user_code(connection, model, error: Exception) -> UserCodeFailed:
    """A model whose table cannot even be written down: name the field whose
    own code (db_parameters, db_type) raised, when one does."""
    where = model._meta.label
    for model_field in [*model._meta.local_fields, *model._meta.local_many_to_many]:
        try:
            model_field.db_parameters(connection=connection)
        except Exception:
            where = f"{model._meta.label}.{model_field.name}"
            break
    return UserCodeFailed(
        f"Could not build {where}: {type(error).__name__}: {first_line(error)}. "
        "Nothing was changed."
    )


class _Rollback(Exception):
    pass


def _desired_postgresql(connection, models_to_create) -> Desired:
    # A connection of its own: the live connection runs no DDL at all, and
    # everything the scratch did is rolled back.
    with _sibling_connection(connection, connection.settings_dict["NAME"]) as sibling:
        try:
            # More models than one transaction can lock: in several (lock_budget).
            limit = lock_budget.budget(sibling)
            parts = [
                _in_temporary_tables(sibling, chunk)
                for chunk in lock_budget.chunks(models_to_create, limit, _temporary_locks)
            ]
        except DatabaseError as error:
            if _sqlstate(error) == "42501":  # insufficient_privilege
                raise ScratchUnavailable(_no_temporary_tables(connection, error)) from error
            raise
    return Desired({table: record for part in parts for table, record in part.snapshot.items()})


def _temporary_locks(model: type[models.Model]) -> int:
    """What building ``model`` locks, its foreign keys' stand-ins included."""
    stand_ins = len(_referenced_models([model]))
    return lock_budget.model_locks(model) + lock_budget.PER_STATEMENT * stand_ins


def _in_temporary_tables(sibling, models_to_create) -> Desired:
    """``models_to_create`` built as temporary tables and read back, in a
    transaction that is rolled back."""
    qn = sibling.ops.quote_name
    result: Desired | None = None
    try:
        with transaction.atomic(using=sibling.alias):
            with sibling.cursor() as cursor:
                cursor.execute("SELECT current_schema()")
                live_schema = cursor.fetchone()[0]
                # Unqualified names now create temporary tables (and
                # current_schema(), which inspection reads, is pg_temp_N);
                # the live schema stays on the path for its types and
                # functions (an extension's citext, say).
                path = f"pg_temp, {qn(live_schema)}" if live_schema else "pg_temp"
                cursor.execute(f"SET LOCAL search_path TO {path}")
                # In the database's default tablespace, as the live tables.
                cursor.execute("SET LOCAL temp_tablespaces TO ''")
            with sibling.schema_editor(atomic=False) as editor:
                _create_stand_ins(editor, models_to_create)
                tables = _create_all(editor, models_to_create)
            result = read_back(sibling, tables)
            raise _Rollback
    except _Rollback:
        pass
    assert result is not None
    return result


def _create_stand_ins(editor, models_to_create: list[type[models.Model]]) -> None:
    """A temporary table for each table the models' foreign keys point at
    that is not built here: its columns and inline keys only (what a foreign
    key needs: the referenced column's primary key or unique constraint)."""
    built = {table for model in models_to_create for table in tables_of(model)}
    for target in _referenced_models(models_to_create):
        if target._meta.db_table in built:
            continue
        built.add(target._meta.db_table)
        sql, params = editor.table_sql(target)
        editor.execute(sql, params or None)
    # Their own foreign keys and unique_together: not needed.
    editor.deferred_sql = []


def _referenced_models(models_to_create: list[type[models.Model]]) -> list[type[models.Model]]:
    """The models whose tables the foreign keys of ``models_to_create`` (and
    of their auto-created many-to-many tables) point at."""
    owners = [*models_to_create]
    for model in models_to_create:
        owners += [
            field.remote_field.through
            for field in model._meta.local_many_to_many
            if field.remote_field.through._meta.auto_created
        ]
    return [
        field.related_model._meta.concrete_model
        for owner in owners
        for field in owner._meta.local_fields
        if field.remote_field is not None and getattr(field, "db_constraint", False)
    ]


def _sqlstate(error: BaseException | None) -> str | None:
    # Django re-raises driver errors as its own classes, the driver's as the cause.
    while error is not None:
        sqlstate = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        if sqlstate:
            return sqlstate
        error = error.__cause__
    return None


def _no_temporary_tables(connection, error: DatabaseError) -> str:
    name, user = connection.settings_dict["NAME"], connection.settings_dict["USER"]
    return (
        f"Could not build the models in temporary tables: {first_line(error)}. autoupdate "
        "reads back what the server makes of the models from temporary tables; grant the "
        f'privilege: GRANT TEMPORARY ON DATABASE "{name}" TO "{user}" (see "Privileges" '
        "in the README)."
    )


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
    given = scratch_database_setting(connection.alias)
    if given:
        return _desired_mysql_in(connection, given, models_to_create)
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
            try:
                cursor.execute(f"CREATE DATABASE {qn(scratch)}{_live_defaults(cursor)}")
            except DatabaseError as error:
                if _mysql_code(error) in _ACCESS_DENIED:
                    raise ScratchUnavailable(_no_scratch_database(connection, error)) from error
                raise
        try:
            with _sibling_connection(connection, scratch) as sibling:
                with sibling.cursor() as cursor:
                    # What proves the database ours to a later run's clean-up.
                    cursor.execute(f"CREATE TABLE {qn(_OURS)} (id integer)")
                    # Foreign keys may point at tables only the live database has.
                    cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
                with sibling.schema_editor() as editor:
                    tables = _create_all(editor, models_to_create)
                return read_back(sibling, tables)
        finally:
            with control.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {qn(scratch)}")
                cursor.execute("SELECT RELEASE_LOCK(%s)", [scratch])


def scratch_database_setting(alias: str) -> str | None:
    """The database ``AUTOMIGRATE_SCRATCH_DATABASE`` names for ``alias``: a
    name (for every MySQL/MariaDB alias) or a dict by alias."""
    given = getattr(settings, "AUTOMIGRATE_SCRATCH_DATABASE", None)
    if isinstance(given, dict):
        return given.get(alias)
    return given or None


def _desired_mysql_in(connection, name: str, models_to_create) -> Desired:
    """Build in the database the user set aside for it: the tables are made,
    read back and dropped; one run at a time (a named lock)."""
    if name == connection.settings_dict["NAME"]:
        raise ScratchUnavailable(
            f"AUTOMIGRATE_SCRATCH_DATABASE names the database '{name}' itself: name a database "
            "of its own, which autoupdate may fill and empty."
        )
    tables = [table for model in models_to_create for table in tables_of(model)]
    with connection.cursor() as cursor:
        defaults = _live_defaults(cursor)
    try:
        with _sibling_connection(connection, name) as sibling, _named_lock(sibling, name):
            with sibling.cursor() as cursor:
                cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
                # New tables take the database's defaults: make them the live ones.
                cursor.execute(f"ALTER DATABASE {sibling.ops.quote_name(name)}{defaults}")
                _drop_tables(cursor, sibling, tables)  # left by a run that was killed
            try:
                with sibling.schema_editor() as editor:
                    built = _create_all(editor, models_to_create)
                return read_back(sibling, built)
            finally:
                with sibling.cursor() as cursor:
                    _drop_tables(cursor, sibling, tables)
    except DatabaseError as error:
        if _mysql_code(error) not in _ACCESS_DENIED:
            raise
        raise ScratchUnavailable(
            f"Could not use the scratch database '{name}' that AUTOMIGRATE_SCRATCH_DATABASE "
            f"names: {first_line(error)}. Create it and grant the user ALL on it."
        ) from error


@contextmanager
def _named_lock(sibling, name: str) -> Iterator[None]:
    lock = f"automigrate_scratch:{name}"
    with sibling.cursor() as cursor:
        cursor.execute("SELECT GET_LOCK(%s, 60)", [lock])
        if cursor.fetchone()[0] != 1:
            raise ScratchUnavailable(
                f"Another run has been building in the scratch database '{name}' for a minute; "
                "run the same command again later."
            )
    try:
        yield
    finally:
        with sibling.cursor() as cursor:
            cursor.execute("SELECT RELEASE_LOCK(%s)", [lock])


def _drop_tables(cursor, connection, tables: list[str]) -> None:
    if tables:
        names = ", ".join(connection.ops.quote_name(table) for table in tables)
        cursor.execute(f"DROP TABLE IF EXISTS {names}")


# 1044: access denied to a database; 1227: the statement needs a privilege.
_ACCESS_DENIED = {1044, 1227}


def _mysql_code(error: BaseException | None) -> int | None:
    while error is not None:
        if type(error).__module__.startswith("MySQLdb") and error.args:
            return error.args[0]
        error = error.__cause__
    return None


def _no_scratch_database(connection, error: DatabaseError) -> str:
    return (
        f"Could not build the models in a scratch database: {first_line(error)}. autoupdate "
        "reads back what the server makes of the models from a database of its own, "
        "created and dropped on each build; let the user create them (GRANT ALL ON "
        "`automigrate\\_scratch\\_%`.* TO ...), or create one database for it and name it in "
        'the setting AUTOMIGRATE_SCRATCH_DATABASE (see "Privileges" in the README).'
    )


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


# Made first in every scratch database: what a later run's clean-up must see
# before it drops one (a database of that name made by anyone else stays).
_OURS = "automigrate_cmd_scratch"


def _drop_abandoned_scratches(cursor, qn) -> None:
    """Drop scratch databases left by runs that were killed: ours (marked, or
    empty: killed before the mark) and nobody holds their lock."""
    cursor.execute(
        "SELECT s.SCHEMA_NAME FROM information_schema.SCHEMATA s "
        "WHERE s.SCHEMA_NAME LIKE %s AND (EXISTS (SELECT 1 FROM information_schema.TABLES t "
        "WHERE t.TABLE_SCHEMA = s.SCHEMA_NAME AND t.TABLE_NAME = %s) OR NOT EXISTS "
        "(SELECT 1 FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = s.SCHEMA_NAME))",
        [r"automigrate\_scratch\_%", _OURS],
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
