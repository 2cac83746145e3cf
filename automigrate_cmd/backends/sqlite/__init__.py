"""SQLite.

- ``inspect``: the catalog, from the PRAGMAs and from the stored CREATE
  statements (``parse``, on ``tokens``);
- ``scratch``: the desired tables, in an in-memory database;
- ``locking``: the schema lock, a ``flock`` on a file next to the database;
- ``steps``: the autoupdate steps in place, or a rebuild of the table;
- ``atomic``: the atomic schema editor, an atomic block of ours.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from ..base import Backend
from . import atomic, inspect, locking, scratch, steps


class SQLiteBackend(Backend):
    vendor = "sqlite"
    inspect_module, scratch_module, locking_module = inspect, scratch, locking
    steps_module = steps

    @contextmanager
    def atomic_schema_editor(
        self, connection: BaseDatabaseWrapper, collect_sql: bool
    ) -> Iterator[BaseDatabaseSchemaEditor]:
        """Collecting SQL, Django's own; else an atomic block of ours."""
        if collect_sql:
            with super().atomic_schema_editor(connection, collect_sql) as editor:
                yield editor
            return
        with atomic.atomic_schema_editor(connection) as editor:
            yield editor


backend = SQLiteBackend()
