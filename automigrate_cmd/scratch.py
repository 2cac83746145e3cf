"""What the models want, as the live database itself would render it.

Introspection is lossy and every backend rewrites DDL its own way (types,
default expressions, constraint names), so comparing model fields with the
live catalog gives false differences. Instead the selected models are built
in a scratch place of the same server and read back with the same code that
reads the live tables (``snapshot.inspect_schema``). Where that place is, is
each backend's ``backends/<vendor>/scratch.py``:

- PostgreSQL: temporary tables, in a transaction that is rolled back;
- MySQL/MariaDB: a throwaway database on the same server, dropped afterwards,
  or the database ``AUTOMIGRATE_SCRATCH_DATABASE`` names;
- SQLite: an in-memory database.

This module is what they share: building the models with the schema editor,
reading them back, a connection of the scratch's own.

Besides the snapshot, the scratch hands back the database's own DDL for each
index, constraint and (MySQL) column, so the live database can be given
exactly what the scratch has.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import DatabaseError, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

from .backends import backend_for, backend_or_generic
from .exceptions import UserCodeFailed, first_line
from .schema_editor import create_model, one_round_trip
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
    """What ``models_to_create`` want, built in the backend's scratch place."""
    return backend_for(connection).build_desired(connection, models_to_create)


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
    return Desired(snapshot, backend_for(connection).create_lines(connection, snapshot))


def _tables_of_model(desired: Desired, model: type[models.Model]) -> Desired:
    tables = tables_of(model)
    return Desired(
        {t: desired.snapshot[t] for t in tables if t in desired.snapshot},
        {t: desired.mysql_lines[t] for t in tables if t in desired.mysql_lines},
    )


def create_all(editor, models_to_create: list[type[models.Model]]) -> list[str]:
    """Create ``models_to_create`` with ``editor``; the tables made, in order."""
    session = backend_or_generic(editor.connection).editor_session(editor.connection)
    with one_round_trip(editor), session:
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


@contextmanager
def sibling_connection(connection: BaseDatabaseWrapper, name: str) -> Iterator[BaseDatabaseWrapper]:
    """A connection of its own to the database ``name`` of ``connection``'s
    server, with the same settings: the live connection runs no scratch DDL."""
    alias = f"automigrate_scratch_{uuid.uuid4().hex[:8]}"
    # connections[...] also resolves django.db.connection, a proxy object.
    wrapper_class = backend_or_generic(connection).scratch_wrapper_class(
        type(connections[connection.alias])
    )
    sibling = wrapper_class({**connection.settings_dict, "NAME": name}, alias=alias)
    # Registered while in use: transaction.atomic() looks connections up by alias.
    connections[alias] = sibling
    try:
        yield sibling
    finally:
        sibling.close()
        del connections[alias]
