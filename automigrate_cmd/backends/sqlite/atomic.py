"""SQLite: the atomic block a schema editor runs in.

SQLite's schema editor checks foreign keys in ``__exit__`` before it leaves
its atomic block: a violation there (a rebuilt table over rows that point
nowhere) left the transaction open, and the changes were kept while the run
said it was rolled back. So the atomic block is one of ours, around an
editor of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


@contextmanager
def atomic_schema_editor(connection: BaseDatabaseWrapper) -> Iterator[BaseDatabaseSchemaEditor]:
    # Off before the transaction: SQLite cannot turn foreign keys off inside one.
    connection.disable_constraint_checking()
    try:
        with (
            transaction.atomic(using=connection.alias),
            connection.schema_editor(atomic=False) as editor,
        ):
            yield editor
    finally:
        connection.enable_constraint_checking()
