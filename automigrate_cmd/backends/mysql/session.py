"""MySQL/MariaDB: the schema editor's session, and what a recreate run
changes in it.

DDL is not transactional, so a recreate leans on ``FOREIGN_KEY_CHECKS = 0``:
referencing tables keep their constraints, which attach to the new table.
Every step can be re-run: a failed run is completed by running it again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper


@contextmanager
def engines_asked_once(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Django's schema editor asks the server for a table's storage engine
    (a query) each time it decides whether a foreign key needs an index of
    its own, about twice per table. A table's engine does not change within
    a run (its drops come before its creates): each is asked once."""
    introspection = connection.introspection
    ask = introspection.get_storage_engine
    known: dict[str, str] = {}

    def asked_once(cursor, table_name: str) -> str:
        if table_name not in known:
            known[table_name] = ask(cursor, table_name)
        return known[table_name]

    introspection.get_storage_engine = asked_once
    try:
        yield
    finally:
        del introspection.get_storage_engine
