"""PostgreSQL.

- ``inspect``: the catalog, from ``pg_catalog``;
- ``scratch``: the desired tables, as temporary tables rolled back;
- ``locking``: the schema lock, an advisory lock;
- ``row_counts``: what a type change would do to the values there;
- ``recreate``: foreign keys into recreated tables dropped and restored;
- ``steps``: a column altered, a new type by ``USING`` its cast;
- ``catalog``: foreign keys into tables, the names the schema holds once;
- ``lock_budget``: how many relations one transaction may lock;
- ``schemas``: the database's schemas, a connection pointed at one;
- ``fingerprint``: a digest of one schema, to find its twins.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from ..base import Backend
from . import (
    catalog,
    fingerprint,
    inspect,
    lock_budget,
    locking,
    recreate,
    row_counts,
    schemas,
    scratch,
    steps,
)

if TYPE_CHECKING:
    from ...recreate.plan import RecreatePlan
    from ...report import Reporter
    from ...snapshot import Record
    from ...sync.apply import SyncContext
    from ...sync.diff import Step


class PostgreSQLBackend(Backend):
    vendor = "postgresql"
    inspect_module, scratch_module, locking_module = inspect, scratch, locking
    row_counts_module = row_counts
    shortens_long_names = True
    merges_round_trips = restores_references = True
    shared_name_kinds, shared_names_sql = catalog.SHARED_NAME_KINDS, catalog.SHARED_NAMES_SQL
    trigger_names_sql = catalog.TRIGGER_NAMES_SQL
    has_schemas = True
    step_appliers = steps.APPLIERS

    def schema_names(self, connection: BaseDatabaseWrapper) -> list[str]:
        return schemas.schema_names(connection)

    def use_schema(
        self, connection: BaseDatabaseWrapper, schema: str
    ) -> AbstractContextManager[None]:
        return schemas.use_schema(connection, schema)

    def scratch_wrapper_class(self, wrapper_class: type) -> type:
        return schemas.scratch_wrapper_class(wrapper_class)

    def schema_fingerprint(self, connection: BaseDatabaseWrapper) -> str | None:
        return fingerprint.schema_fingerprint(connection)

    def foreign_keys_into(self, connection: BaseDatabaseWrapper, targets: set[str]) -> list:
        return catalog.foreign_keys_into(connection, targets)

    def names_the_server_picks(self, table: str, record: Record) -> set[str]:
        return catalog.names_the_server_picks(table, record)

    def lock_budget(self, connection: BaseDatabaseWrapper) -> int:
        return lock_budget.budget(connection)

    def before_recreate(
        self, plan: RecreatePlan, editor: BaseDatabaseSchemaEditor, report: Reporter
    ) -> None:
        recreate.drop_incoming_foreign_keys(plan, editor, report)

    def after_emptying(self, editor: BaseDatabaseSchemaEditor) -> None:
        # Run the deferred foreign-key checks of those deletes now: PostgreSQL
        # refuses to ALTER a table with pending trigger events.
        editor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def after_recreate(
        self, plan: RecreatePlan, editor: BaseDatabaseSchemaEditor, report: Reporter
    ) -> None:
        recreate.restore_references(plan, editor, report)

    def alter_column(self, context: SyncContext, step: Step) -> None:
        steps.alter_column(context, step)


backend = PostgreSQLBackend()
