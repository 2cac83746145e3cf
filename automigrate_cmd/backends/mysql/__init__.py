"""MySQL and MariaDB (one Django vendor, ``mysql``).

- ``inspect``: the catalog, from ``information_schema``;
- ``scratch``: the desired tables, in a scratch database;
- ``show_create``: the server's own DDL of a table, which steps apply;
- ``locking``: the schema lock, ``GET_LOCK``;
- ``steps``: the autoupdate steps in its own SQL (``MODIFY``, ``DROP INDEX``);
- ``recreate``: foreign-key checks off while tables are recreated;
- ``engines``: the storage engines the schema editor asks for, asked once.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from ..base import Backend
from . import engines, inspect, locking, recreate, scratch, show_create, steps
from .show_create import CreateLines

if TYPE_CHECKING:
    from ...plan import RecreatePlan
    from ...report import Reporter


class MySQLBackend(Backend):
    vendor = "mysql"
    inspect_module, scratch_module, locking_module = inspect, scratch, locking
    steps_module = steps

    def create_lines(
        self, connection: BaseDatabaseWrapper, tables: Iterable[str]
    ) -> dict[str, CreateLines]:
        return {table: show_create.create_lines(connection, table) for table in tables}

    def editor_reads_once(self, connection: BaseDatabaseWrapper) -> AbstractContextManager[None]:
        return engines.engines_asked_once(connection)

    def recreating(
        self,
        plan: RecreatePlan,
        editor: BaseDatabaseSchemaEditor,
        report: Reporter,
        collect_sql: bool,
    ) -> AbstractContextManager[None]:
        return recreate.foreign_key_checks_off(editor, collect_sql)


backend = MySQLBackend()
