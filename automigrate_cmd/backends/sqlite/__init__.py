"""SQLite: the catalog from PRAGMAs and the stored SQL (``inspect``, ``parse``,
``tokens``), the desired tables in an in-memory database (``scratch``)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from ...scratch import Desired
from ...snapshot import Snapshot
from ..base import Backend
from . import inspect, scratch


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


backend = SQLiteBackend()
