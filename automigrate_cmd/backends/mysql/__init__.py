"""MySQL and MariaDB (one Django vendor, ``mysql``).

- ``inspect``: the catalog, from ``information_schema``;
- ``scratch``: the desired tables, in a scratch database;
- ``show_create``: the server's own DDL of a table, which steps apply;
- ``locking``: the schema lock, ``GET_LOCK``;
- ``row_counts``: what a type change would do to the values there;
- ``catalog``: foreign keys into tables, the names the schema holds once.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.backends.base.base import BaseDatabaseWrapper

from ..base import Backend
from . import catalog, inspect, locking, row_counts, scratch, show_create
from .show_create import CreateLines


class MySQLBackend(Backend):
    vendor = "mysql"
    inspect_module, scratch_module, locking_module = inspect, scratch, locking
    row_counts_module = row_counts
    refuses_long_names = True
    shared_name_kinds, shared_names_sql = catalog.SHARED_NAME_KINDS, catalog.SHARED_NAMES_SQL
    long_text_type = "longtext"
    foreign_keys_need_indexes = True

    def foreign_keys_into(self, connection: BaseDatabaseWrapper, targets: set[str]) -> list:
        return catalog.foreign_keys_into(connection, targets)

    def create_lines(
        self, connection: BaseDatabaseWrapper, tables: Iterable[str]
    ) -> dict[str, CreateLines]:
        return {table: show_create.create_lines(connection, table) for table in tables}


backend = MySQLBackend()
