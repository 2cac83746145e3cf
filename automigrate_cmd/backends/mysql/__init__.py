"""MySQL and MariaDB (one Django vendor, ``mysql``): the catalog from
``information_schema`` (``inspect``), the desired tables in a scratch
database (``scratch``), the server's own DDL of a table (``show_create``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from ...scratch import Desired
from ...snapshot import Snapshot
from ..base import Backend
from . import inspect, scratch, show_create
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

    def create_lines(
        self, connection: BaseDatabaseWrapper, tables: Iterable[str]
    ) -> dict[str, CreateLines]:
        return {table: show_create.create_lines(connection, table) for table in tables}


backend = MySQLBackend()
