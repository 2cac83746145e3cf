"""MySQL/MariaDB: the schema lock is ``GET_LOCK``, named after the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper

from ...locking import LOCK_NAME, held_by_session, timed_out


@contextmanager
def schema_lock(connection: BaseDatabaseWrapper, timeout: float) -> Iterator[None]:
    name = f"{LOCK_NAME}:{connection.settings_dict['NAME']}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT GET_LOCK(%s, %s)", [name, timeout])
        if cursor.fetchone()[0] != 1:
            raise timed_out(connection, timeout)
    with held_by_session(connection, "SELECT RELEASE_LOCK(%s)", [name]):
        yield
