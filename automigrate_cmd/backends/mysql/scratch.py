"""MySQL/MariaDB: the desired tables built in a database of their own.

Temporary tables there cannot have foreign keys, so the models are built in
a throwaway database on the same server, dropped afterwards (and, if a run
was killed, by a later run), or, where the user may not create databases, in
the database ``AUTOMIGRATE_SCRATCH_DATABASE`` names, emptied afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import DatabaseError, models
from django.db.backends.base.base import BaseDatabaseWrapper

from ...exceptions import ScratchUnavailable, first_line
from ...scratch import Desired, create_all, read_back, sibling_connection
from ...selection import tables_of

# 1044: access denied to a database; 1227: the statement needs a privilege.
_ACCESS_DENIED = {1044, 1227}

# Made first in every scratch database: what a later run's clean-up must see
# before it drops one (a database of that name made by anyone else stays).
_OURS = "automigrate_cmd_scratch"


def build_desired(
    connection: BaseDatabaseWrapper, models_to_create: list[type[models.Model]]
) -> Desired:
    given = scratch_database_setting(connection.alias)
    if given:
        return _desired_in(connection, given, models_to_create)
    scratch = f"automigrate_scratch_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    # Connections of their own: the live connection runs no DDL at all.
    with sibling_connection(connection, connection.settings_dict["NAME"]) as control:
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
            with sibling_connection(connection, scratch) as sibling:
                with sibling.cursor() as cursor:
                    # What proves the database ours to a later run's clean-up.
                    cursor.execute(f"CREATE TABLE {qn(_OURS)} (id integer)")
                    # Foreign keys may point at tables only the live database has.
                    cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
                with sibling.schema_editor() as editor:
                    tables = create_all(editor, models_to_create)
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


def _desired_in(
    connection: BaseDatabaseWrapper, name: str, models_to_create: list[type[models.Model]]
) -> Desired:
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
        with sibling_connection(connection, name) as sibling, _named_lock(sibling, name):
            with sibling.cursor() as cursor:
                cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
                # New tables take the database's defaults: make them the live ones.
                cursor.execute(f"ALTER DATABASE {sibling.ops.quote_name(name)}{defaults}")
                _drop_tables(cursor, sibling, tables)  # left by a run that was killed
            try:
                with sibling.schema_editor() as editor:
                    built = create_all(editor, models_to_create)
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
def _named_lock(sibling: BaseDatabaseWrapper, name: str) -> Iterator[None]:
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


def _drop_tables(cursor: Any, connection: BaseDatabaseWrapper, tables: list[str]) -> None:
    if tables:
        names = ", ".join(connection.ops.quote_name(table) for table in tables)
        cursor.execute(f"DROP TABLE IF EXISTS {names}")


def _mysql_code(error: BaseException | None) -> int | None:
    while error is not None:
        if type(error).__module__.startswith("MySQLdb") and error.args:
            return error.args[0]
        error = error.__cause__
    return None


def _no_scratch_database(connection: BaseDatabaseWrapper, error: DatabaseError) -> str:
    return (
        f"Could not build the models in a scratch database: {first_line(error)}. autoupdate "
        "reads back what the server makes of the models from a database of its own, "
        "created and dropped on each build; let the user create them (GRANT ALL ON "
        "`automigrate\\_scratch\\_%`.* TO ...), or create one database for it and name it in "
        'the setting AUTOMIGRATE_SCRATCH_DATABASE (see "Privileges" in the README).'
    )


def _live_defaults(cursor: Any) -> str:
    """The live database's default character set and collation, for the
    scratch one: new tables take them (a test database made with
    TEST["COLLATION"], say, differs from the server's default)."""
    cursor.execute(
        "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
        "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()"
    )
    charset, collation = cursor.fetchone()
    return f" CHARACTER SET {charset} COLLATE {collation}"


def _drop_abandoned_scratches(cursor: Any, qn: Callable[[str], str]) -> None:
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
