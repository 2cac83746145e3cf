"""One schema change at a time per database.

Several app instances may run ``autoupdate`` at start-up at the same moment;
the second must wait for the first, then re-read the schema and find nothing
left to do. The lock is the database's own where it has one, each backend's
``backends/<vendor>/locking.py``:

- PostgreSQL: a session-level advisory lock;
- MySQL/MariaDB: ``GET_LOCK`` (named after the database);
- SQLite: an exclusive ``flock`` on a file next to the database file, removed
  when the lock is released.

This module is what they share: the timeout, its error, and the release of a
lock the database session holds.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from django.db import DatabaseError
from django.db.backends.base.base import BaseDatabaseWrapper

from .backends import backend_for, supports
from .exceptions import AutomigrateError, InvalidOption

DEFAULT_TIMEOUT = 60.0
# What the backends name (or key) their lock after.
LOCK_NAME = "automigrate_cmd schema lock"


class LockTimeout(AutomigrateError):
    pass


@contextmanager
def schema_lock(
    connection: BaseDatabaseWrapper, timeout: float | None = DEFAULT_TIMEOUT
) -> Iterator[None]:
    timeout = DEFAULT_TIMEOUT if timeout is None else valid_timeout(timeout)
    # A vendor no backend serves: nothing to lock with, the run goes unlocked.
    if not supports(connection):
        yield
        return
    with backend_for(connection).schema_lock(connection, timeout):
        yield


def valid_timeout(timeout: float) -> float:
    """``timeout`` if it is a number of seconds a wait can last: finite, 0 or
    more (NaN would never time out, nor compare as expired)."""
    if not (isinstance(timeout, int | float) and math.isfinite(timeout) and timeout >= 0):
        raise InvalidOption(
            f"The lock timeout must be a number of seconds, 0 or more; got {timeout!r}."
        )
    return float(timeout)


def timed_out(connection: BaseDatabaseWrapper, timeout: float) -> LockTimeout:
    """The error of a wait for the lock that lasted ``timeout`` seconds."""
    from .schemas import where

    return LockTimeout(
        f"Another automigrate or autoupdate run holds the schema lock of "
        f"{where(connection.alias)}; gave up after {timeout:g}s. Retry, or raise --lock-timeout."
    )


@contextmanager
def held_by_session(
    connection: BaseDatabaseWrapper, release_sql: str, params: list
) -> Iterator[None]:
    """Run the body, then release a lock the database session holds.

    If the body failed, its error is the one to report: a release that fails
    too (the connection dropped, which is often why the body failed) must not
    replace it. And a lost session has lost its locks with it: when the
    connection is gone there is nothing left to release.
    """
    try:
        yield
    except BaseException:
        with suppress(DatabaseError):
            _release(connection, release_sql, params)
        raise
    try:
        _release(connection, release_sql, params)
    except DatabaseError:
        if connection.is_usable():
            raise


def _release(connection: BaseDatabaseWrapper, sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
