"""PostgreSQL.

- ``inspect``: the catalog, from ``pg_catalog``;
- ``scratch``: the desired tables, as temporary tables rolled back;
- ``locking``: the schema lock, an advisory lock;
- ``steps``: the autoupdate steps in its own SQL (``ALTER COLUMN ... USING``);
- ``lock_table``: how many relations one transaction may lock.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from ..base import Backend
from . import inspect, lock_table, locking, scratch, steps


class PostgreSQLBackend(Backend):
    vendor = "postgresql"
    inspect_module, scratch_module, locking_module = inspect, scratch, locking
    steps_module = steps

    def lock_budget(self, connection: BaseDatabaseWrapper) -> int:
        return lock_table.budget(connection)


backend = PostgreSQLBackend()
