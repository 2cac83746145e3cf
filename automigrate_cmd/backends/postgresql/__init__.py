"""PostgreSQL.

- ``inspect``: the catalog, from ``pg_catalog``;
- ``scratch``: the desired tables, as temporary tables rolled back;
- ``locking``: the schema lock, an advisory lock.
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


class PostgreSQLBackend(Backend):
    vendor = "postgresql"

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


backend = PostgreSQLBackend()
