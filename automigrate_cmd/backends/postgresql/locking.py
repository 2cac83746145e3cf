"""PostgreSQL: the schema lock is a session-level advisory lock."""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper

from ...locking import LOCK_NAME, held_by_session, timed_out

# An advisory lock keyed by two 32-bit integers: ours, and the current
# schema's (one schema change at a time per schema, see ``schemas.py``).
_KEY = zlib.crc32(LOCK_NAME.encode()) - 2**31
_KEYS = "%s::int4, hashtext(coalesce(current_schema(), ''))"


@contextmanager
def schema_lock(connection: BaseDatabaseWrapper, timeout: float) -> Iterator[None]:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            cursor.execute(f"SELECT pg_try_advisory_lock({_KEYS})", [_KEY])
            if cursor.fetchone()[0]:
                break
            if time.monotonic() >= deadline:
                raise timed_out(connection, timeout)
            time.sleep(0.1)
    with held_by_session(connection, f"SELECT pg_advisory_unlock({_KEYS})", [_KEY]):
        yield
