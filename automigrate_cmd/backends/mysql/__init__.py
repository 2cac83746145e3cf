"""MySQL and MariaDB (one Django vendor, ``mysql``).

- ``inspect``: the catalog, from ``information_schema``;
- ``scratch``: the desired tables, in a scratch database;
- ``show_create``: the server's own DDL of a table, which steps apply;
- ``steps``: a sync plan's steps as MySQL applies them (``MODIFY``, lines);
- ``locking``: the schema lock, ``GET_LOCK``;
- ``row_counts``: what a type change would do to the values there;
- ``session``: the schema editor's session (each table's engine asked once);
- ``diff``: the foreign keys an index drop must drop and add around it;
- ``catalog``: foreign keys into tables, the names the schema holds once.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from ..base import Backend
from . import catalog, diff, inspect, locking, row_counts, scratch, session, show_create, steps
from .show_create import CreateLines

if TYPE_CHECKING:
    from ...recreate.plan import RecreatePlan
    from ...report import Reporter
    from ...snapshot import Record
    from ...sync.apply import SyncContext
    from ...sync.diff import Step
    from ...sync.primary_keys import Retype


class MySQLBackend(Backend):
    vendor = "mysql"
    inspect_module, scratch_module, locking_module = inspect, scratch, locking
    row_counts_module = row_counts
    refuses_long_names = True
    shared_name_kinds, shared_names_sql = catalog.SHARED_NAME_KINDS, catalog.SHARED_NAMES_SQL
    trigger_names_sql = catalog.TRIGGER_NAMES_SQL
    long_text_type = "longtext"
    foreign_keys_need_indexes = True
    step_appliers = steps.APPLIERS

    def foreign_keys_into(self, connection: BaseDatabaseWrapper, targets: set[str]) -> list:
        return catalog.foreign_keys_into(connection, targets)

    def create_lines(
        self, connection: BaseDatabaseWrapper, tables: Iterable[str]
    ) -> dict[str, CreateLines]:
        return {table: show_create.create_lines(connection, table) for table in tables}

    def editor_session(self, connection: BaseDatabaseWrapper) -> AbstractContextManager[None]:
        return session.engines_asked_once(connection)

    def before_recreate(
        self, plan: RecreatePlan, editor: BaseDatabaseSchemaEditor, report: Reporter
    ) -> None:
        editor.execute("SET FOREIGN_KEY_CHECKS = 0")

    def after_recreate(
        self, plan: RecreatePlan, editor: BaseDatabaseSchemaEditor, report: Reporter
    ) -> None:
        editor.execute("SET FOREIGN_KEY_CHECKS = 1")

    def end_recreate(self, connection: BaseDatabaseWrapper) -> None:
        # Session state outlives the run; never leave checks off.
        connection.enable_constraint_checking()

    def more_item_steps(
        self, table: str, live: Record, desired: Record, item_steps: list[Step]
    ) -> list[Step]:
        return diff.free_indexes_used_by_foreign_keys(table, live, desired, item_steps)

    def alter_column(self, context: SyncContext, step: Step) -> None:
        steps.alter_column(context, step)

    def follow_key_steps(
        self, connection: BaseDatabaseWrapper, retype: Retype
    ) -> tuple[list[Step], CreateLines]:
        steps = super().follow_key_steps(connection, retype)[0]
        return steps, show_create.retyped_lines(connection, retype)


backend = MySQLBackend()
