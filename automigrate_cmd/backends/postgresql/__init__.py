"""PostgreSQL.

- ``inspect``: the catalog, from ``pg_catalog``;
- ``scratch``: the desired tables, as temporary tables rolled back;
- ``locking``: the schema lock, an advisory lock.
"""

from __future__ import annotations

from ..base import Backend
from . import inspect, locking, scratch


class PostgreSQLBackend(Backend):
    vendor = "postgresql"
    inspect_module, scratch_module, locking_module = inspect, scratch, locking


backend = PostgreSQLBackend()
