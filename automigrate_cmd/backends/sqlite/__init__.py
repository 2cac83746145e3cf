"""SQLite.

- ``inspect``: the catalog, from the PRAGMAs and from the stored CREATE
  statements (``parse``, on ``tokens``);
- ``scratch``: the desired tables, in an in-memory database;
- ``locking``: the schema lock, a ``flock`` on a file next to the database.
"""

from __future__ import annotations

from ..base import Backend
from . import inspect, locking, scratch


class SQLiteBackend(Backend):
    vendor = "sqlite"
    inspect_module, scratch_module, locking_module = inspect, scratch, locking


backend = SQLiteBackend()
