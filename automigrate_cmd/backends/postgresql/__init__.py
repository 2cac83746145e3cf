"""PostgreSQL: the catalog from ``pg_catalog`` (``inspect``), the desired
tables as temporary tables (``scratch``)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from ...scratch import Desired
from ...snapshot import Snapshot
from ..base import Backend
from . import inspect, scratch


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


backend = PostgreSQLBackend()
