"""MySQL and MariaDB (one Django vendor, ``mysql``): the catalog from
``information_schema`` (``inspect``)."""

from __future__ import annotations

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from ...snapshot import Snapshot
from ..base import Backend
from . import inspect


class MySQLBackend(Backend):
    vendor = "mysql"

    def inspect(
        self, connection: BaseDatabaseWrapper, cursor: Any, tables: list[str] | None
    ) -> Snapshot:
        return inspect.inspect(connection, cursor, tables)


backend = MySQLBackend()
