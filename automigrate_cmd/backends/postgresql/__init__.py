"""PostgreSQL.

- ``inspect``: the catalog, from ``pg_catalog``;
- ``scratch``: the desired tables, as temporary tables rolled back;
- ``locking``: the schema lock, an advisory lock;
- ``steps``: the autoupdate steps in its own SQL (``ALTER COLUMN ... USING``);
- ``recreate``: foreign keys into recreated tables, dropped and restored;
- ``lock_table``: how many relations one transaction may lock.

Statements of a block go to the server as one query (``merges_round_trips``).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from ..base import Backend
from . import inspect, lock_table, locking, recreate, scratch, steps

if TYPE_CHECKING:
    from ...plan import RecreatePlan
    from ...report import Reporter


class PostgreSQLBackend(Backend):
    vendor = "postgresql"
    inspect_module, scratch_module, locking_module = inspect, scratch, locking
    steps_module = steps
    merges_round_trips = True

    def lock_budget(self, connection: BaseDatabaseWrapper) -> int:
        return lock_table.budget(connection)

    def recreating(
        self,
        plan: RecreatePlan,
        editor: BaseDatabaseSchemaEditor,
        report: Reporter,
        collect_sql: bool,
    ) -> AbstractContextManager[None]:
        return recreate.references_kept(plan, editor, report)

    def after_deletes(self, editor: BaseDatabaseSchemaEditor) -> None:
        recreate.run_deferred_checks(editor)


backend = PostgreSQLBackend()
