"""MySQL and MariaDB (one Django vendor, ``mysql``).

- ``inspect``: the catalog, from ``information_schema``;
- ``scratch``: the desired tables, in a scratch database;
- ``show_create``: the server's own DDL of a table, which steps apply;
- ``locking``: the schema lock, ``GET_LOCK``.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from ...scratch import Desired
from ...snapshot import Snapshot
from ..base import Backend
from . import inspect, locking, scratch, show_create
from .show_create import CreateLines


class MySQLBackend(Backend):
    vendor = "mysql"

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

    def create_lines(
        self, connection: BaseDatabaseWrapper, tables: Iterable[str]
    ) -> dict[str, CreateLines]:
        return {table: show_create.create_lines(connection, table) for table in tables}


backend = MySQLBackend()
