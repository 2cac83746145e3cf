"""PostgreSQL: the desired tables built as temporary tables, then rolled back.

Temporary tables need only the TEMPORARY privilege, which every role has
unless it was revoked (no CREATE on the database, which ``migrate`` does not
need), and they take no lock on a live table: a foreign key points at a
stand-in temporary table (PostgreSQL refuses one from a temporary table to a
live one), so a ``--check`` never waits for, nor holds up, a writer. Models
too many to lock in one transaction are built in several (``lock_budget``).
"""

from __future__ import annotations

from django.db import DatabaseError, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from ... import lock_budget
from ...exceptions import ScratchUnavailable, first_line
from ...scratch import Desired, create_all, read_back, sibling_connection
from ...selection import tables_of
from .schemas import search_path


class _Rollback(Exception):
    pass


def build_desired(
    connection: BaseDatabaseWrapper, models_to_create: list[type[models.Model]]
) -> Desired:
    # A connection of its own: the live connection runs no DDL at all, and
    # everything the scratch did is rolled back.
    live_path = search_path(connection)  # pointed at a schema by --schema (schemas.py)
    with sibling_connection(connection, connection.settings_dict["NAME"]) as sibling:
        try:
            # More models than one transaction can lock: in several (lock_budget).
            limit = lock_budget.budget(sibling)
            parts = [
                _in_temporary_tables(sibling, chunk, live_path)
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


def _in_temporary_tables(
    sibling: BaseDatabaseWrapper, models_to_create: list[type[models.Model]], live_path: str
) -> Desired:
    """``models_to_create`` built as temporary tables and read back, in a
    transaction that is rolled back. ``live_path``: the live connection's
    search_path."""
    result: Desired | None = None
    try:
        with transaction.atomic(using=sibling.alias):
            with sibling.cursor() as cursor:
                # Unqualified names now create temporary tables (and
                # current_schema(), which inspection reads, is pg_temp_N);
                # the live path stays behind it for its types and functions
                # (an extension's citext, say) and its shared tables.
                path = f"pg_temp, {live_path}" if live_path.strip() else "pg_temp"
                cursor.execute(f"SET LOCAL search_path TO {path}")
                # In the database's default tablespace, as the live tables.
                cursor.execute("SET LOCAL temp_tablespaces TO ''")
            with sibling.schema_editor(atomic=False) as editor:
                _create_stand_ins(editor, models_to_create)
                tables = create_all(editor, models_to_create)
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


def _no_temporary_tables(connection: BaseDatabaseWrapper, error: DatabaseError) -> str:
    name, user = connection.settings_dict["NAME"], connection.settings_dict["USER"]
    return (
        f"Could not build the models in temporary tables: {first_line(error)}. autoupdate "
        "reads back what the server makes of the models from temporary tables; grant the "
        f'privilege: GRANT TEMPORARY ON DATABASE "{name}" TO "{user}" (see "Privileges" '
        "in the README)."
    )
