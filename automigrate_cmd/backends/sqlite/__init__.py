"""SQLite.

- ``inspect``: the catalog, from the PRAGMAs and from the stored CREATE
  statements (``parse``, on ``tokens``);
- ``scratch``: the desired tables, in an in-memory database;
- ``locking``: the schema lock, a ``flock`` on a file next to the database;
- ``row_counts``: what a type change would do to the values there, and
  the triggers and views a dropped column would break;
- ``atomic``: the atomic block a schema editor runs in, one of ours;
- ``diff``: what SQLite alters in place, and when it rebuilds a table;
- ``steps``: a new column and an index made in place;
- ``rebuild``: a table rebuilt, keeping what depends on it;
- ``catalog``: foreign keys into tables, the names the database holds once.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from ..base import Backend
from . import atomic, catalog, diff, inspect, locking, rebuild, row_counts, scratch, steps

if TYPE_CHECKING:
    from ...snapshot import Record
    from ...sync.diff import Step
    from ...sync.primary_keys import Retype


class SQLiteBackend(Backend):
    vendor = "sqlite"
    inspect_module, scratch_module, locking_module = inspect, scratch, locking
    row_counts_module = row_counts
    char_length_function = "LENGTH"
    shared_name_kinds, shared_names_sql = catalog.SHARED_NAME_KINDS, catalog.SHARED_NAMES_SQL
    trigger_names_sql = catalog.TRIGGER_NAMES_SQL
    editor_refuses_transactions = True
    step_appliers = steps.APPLIERS

    def foreign_keys_into(self, connection: BaseDatabaseWrapper, targets: set[str]) -> list:
        return catalog.foreign_keys_into(connection, targets)

    def broken_by_dropping(
        self, connection: BaseDatabaseWrapper, live_table: str, table: str, dropped: list[str]
    ) -> str:
        return row_counts.broken_by_dropping(connection, live_table, table, dropped)

    def atomic_schema_editor(
        self, connection: BaseDatabaseWrapper, collect_sql: bool
    ) -> AbstractContextManager[BaseDatabaseSchemaEditor]:
        if collect_sql:
            return super().atomic_schema_editor(connection, collect_sql)
        return atomic.atomic_schema_editor(connection)

    def diff_table(
        self, table: str, live: Record, desired: Record, *, drops_columns: bool
    ) -> list[Step]:
        return diff.diff_table(table, live, desired, drops_columns)

    def follow_key_steps(
        self, connection: BaseDatabaseWrapper, retype: Retype
    ) -> tuple[list[Step], None]:
        # The table is rebuilt from its own definition, the types swapped.
        return [rebuild.rebuild_step(retype)], None

    def reference_type(
        self, connection: BaseDatabaseWrapper, field: models.Field, key_column: dict
    ) -> str:
        # Every auto key is a plain "integer" (the rowid) while references
        # take the width's own type: the field says which, as SQLite stores
        # the declared type verbatim.
        return " ".join(field.db_parameters(connection)["type"].split())


backend = SQLiteBackend()
