"""SQLite.

- ``inspect``: the catalog, from the PRAGMAs and from the stored CREATE
  statements (``parse``, on ``tokens``);
- ``scratch``: the desired tables, in an in-memory database;
- ``locking``: the schema lock, a ``flock`` on a file next to the database.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from ...scratch import Desired
from ...snapshot import Snapshot
from ..base import Backend
from . import inspect, locking, scratch


class SQLiteBackend(Backend):
    vendor = "sqlite"

    def inspect(
        self, connection: BaseDatabaseWrapper, cursor: Any, tables: list[str] | None
    ) -> Snapshot:
        return inspect.inspect(connection, cursor, tables)

    def build_desired(
        self, connection: BaseDatabaseWrapper, models_to_create: list[type[models.Model]]
    ) -> Desired:
        return scratch.build_desired(connection, models_to_create)

    def schema_lock(
        self, connection: BaseDatabaseWrapper, timeout: float
    ) -> AbstractContextManager[None]:
        return locking.schema_lock(connection, timeout)


backend = SQLiteBackend()
