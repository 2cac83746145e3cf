"""PostgreSQL: the catalog from ``pg_catalog`` (``inspect``)."""

from __future__ import annotations

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from ...snapshot import Snapshot
from ..base import Backend
from . import inspect


class PostgreSQLBackend(Backend):
    vendor = "postgresql"

    def inspect(
        self, connection: BaseDatabaseWrapper, cursor: Any, tables: list[str] | None
    ) -> Snapshot:
        return inspect.inspect(connection, cursor, tables)


backend = PostgreSQLBackend()
