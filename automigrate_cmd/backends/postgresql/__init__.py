"""PostgreSQL.

- ``inspect``: the catalog, from ``pg_catalog``;
- ``scratch``: the desired tables, as temporary tables rolled back;
- ``locking``: the schema lock, an advisory lock;
- ``steps``: the autoupdate steps in its own SQL (``ALTER COLUMN ... USING``).
"""

from __future__ import annotations

from ..base import Backend
from . import inspect, locking, scratch, steps


class PostgreSQLBackend(Backend):
    vendor = "postgresql"
    inspect_module, scratch_module, locking_module = inspect, scratch, locking
    steps_module = steps


backend = PostgreSQLBackend()
