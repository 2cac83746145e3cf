"""MySQL and MariaDB (one Django vendor, ``mysql``).

- ``inspect``: the catalog, from ``information_schema``;
- ``scratch``: the desired tables, in a scratch database;
- ``show_create``: the server's own DDL of a table, which steps apply;
- ``locking``: the schema lock, ``GET_LOCK``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.backends.base.base import BaseDatabaseWrapper

from ..base import Backend
from . import inspect, locking, scratch, show_create
from .show_create import CreateLines


class MySQLBackend(Backend):
    vendor = "mysql"
    inspect_module, scratch_module, locking_module = inspect, scratch, locking

    def create_lines(
        self, connection: BaseDatabaseWrapper, tables: Iterable[str]
    ) -> dict[str, CreateLines]:
        return {table: show_create.create_lines(connection, table) for table in tables}


backend = MySQLBackend()
