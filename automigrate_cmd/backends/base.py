"""The interface every database backend implements.

Modelled on Django's ``django/db/backends/base``: one shared base, one
subclass per vendor, which keeps each concern in a module of its own
(``inspect``, ``scratch``, ``locking``) and only dispatches to them. A
backend holds no state: one instance serves every connection of its vendor,
each method is given the connection it works on.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

if TYPE_CHECKING:
    from ..scratch import Desired
    from ..snapshot import Snapshot


class Backend:
    """What ``automigrate_cmd`` asks of one database vendor: each concern
    answered by a module of the backend's own (as Django's DatabaseWrapper
    names a class per concern), which a subclass names."""

    # The ``connection.vendor`` this backend serves.
    vendor: ClassVar[str]
    # inspect(connection, cursor, tables) -> Snapshot
    inspect_module: ClassVar[ModuleType]
    # build_desired(connection, models_to_create) -> Desired
    scratch_module: ClassVar[ModuleType]
    # schema_lock(connection, timeout) -> a context manager
    locking_module: ClassVar[ModuleType]

    def inspect(
        self, connection: BaseDatabaseWrapper, cursor: Any, tables: list[str] | None
    ) -> Snapshot:
        """One record per table (``snapshot`` describes their keys) of the
        stored ``tables``, or of every table of the current database/schema if
        None, read from the catalog with ``cursor``. Tables that do not exist
        are left out. ``snapshot.inspect_schema`` sorts the records' lists."""
        return self.inspect_module.inspect(connection, cursor, tables)

    def build_desired(
        self, connection: BaseDatabaseWrapper, models_to_create: list[type[models.Model]]
    ) -> Desired:
        """``models_to_create`` built where the same server renders them
        without touching the live tables, read back (``scratch.read_back``)
        and thrown away. ``scratch.desired_schema`` is the entry point."""
        return self.scratch_module.build_desired(connection, models_to_create)

    def create_lines(
        self, connection: BaseDatabaseWrapper, tables: Iterable[str]
    ) -> dict[str, dict[str, dict[str, str]]]:
        """The server's own DDL of each of ``tables``, by table, where steps
        are applied from it (``Desired.mysql_lines``); none by default."""
        return {}

    def schema_lock(
        self, connection: BaseDatabaseWrapper, timeout: float
    ) -> AbstractContextManager[None]:
        """Hold the database's lock of one schema change at a time for the
        body; ``locking.LockTimeout`` after ``timeout`` seconds of waiting.
        ``locking.schema_lock`` is the entry point."""
        return self.locking_module.schema_lock(connection, timeout)
