"""PostgreSQL: the schema lock is a session-level advisory lock."""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper

from ...locking import LOCK_NAME, held_by_session, timed_out

# Advisory locks are keyed by a 64-bit integer.
_KEY = zlib.crc32(LOCK_NAME.encode())


@contextmanager
def schema_lock(connection: BaseDatabaseWrapper, timeout: float) -> Iterator[None]:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_KEY])
            if cursor.fetchone()[0]:
                break
            if time.monotonic() >= deadline:
                raise timed_out(connection, timeout)
            time.sleep(0.1)
    with held_by_session(connection, "SELECT pg_advisory_unlock(%s)", [_KEY]):
        yield
