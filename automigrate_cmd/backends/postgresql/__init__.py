"""PostgreSQL.

- ``inspect``: the catalog, from ``pg_catalog``;
- ``scratch``: the desired tables, as temporary tables rolled back;
- ``locking``: the schema lock, an advisory lock;
- ``row_counts``: what a type change would do to the values there;
- ``catalog``: foreign keys into tables, the names the schema holds once;
- ``lock_budget``: how many relations one transaction may lock.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from ..base import Backend
from . import catalog, inspect, lock_budget, locking, row_counts, scratch


class PostgreSQLBackend(Backend):
    vendor = "postgresql"
    inspect_module, scratch_module, locking_module = inspect, scratch, locking
    row_counts_module = row_counts
    shortens_long_names = True
    shared_name_kinds, shared_names_sql = catalog.SHARED_NAME_KINDS, catalog.SHARED_NAMES_SQL

    def foreign_keys_into(self, connection: BaseDatabaseWrapper, targets: set[str]) -> list:
        return catalog.foreign_keys_into(connection, targets)

    def lock_budget(self, connection: BaseDatabaseWrapper) -> int:
        return lock_budget.budget(connection)


backend = PostgreSQLBackend()
