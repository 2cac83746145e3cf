"""One schema change at a time per database.

Several app instances may run ``autoupdate`` at start-up at the same moment;
the second must wait for the first, then re-read the schema and find nothing
left to do. The lock is the database's own where it has one:

- PostgreSQL: a session-level advisory lock;
- MySQL/MariaDB: ``GET_LOCK`` (named after the database);
- SQLite: an exclusive ``flock`` on a file next to the database file, removed
  when the lock is released.
"""

from __future__ import annotations

import fcntl
import math
import os
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from django.db import DatabaseError
from django.db.backends.base.base import BaseDatabaseWrapper

from .exceptions import AutomigrateError, InvalidOption

DEFAULT_TIMEOUT = 60.0
_NAME = "automigrate_cmd schema lock"
# PostgreSQL advisory locks are keyed by a 64-bit integer.
_PG_KEY = zlib.crc32(_NAME.encode())


class LockTimeout(AutomigrateError):
    pass


@contextmanager
def schema_lock(
    connection: BaseDatabaseWrapper, timeout: float | None = DEFAULT_TIMEOUT
) -> Iterator[None]:
    timeout = DEFAULT_TIMEOUT if timeout is None else valid_timeout(timeout)
    locker = _LOCKERS.get(connection.vendor)
    if locker is None:
        yield
        return
    with locker(connection, timeout):
        yield


def valid_timeout(timeout: float) -> float:
    """``timeout`` if it is a number of seconds a wait can last: finite, 0 or
    more (NaN would never time out, nor compare as expired)."""
    if not (isinstance(timeout, int | float) and math.isfinite(timeout) and timeout >= 0):
        raise InvalidOption(
            f"The lock timeout must be a number of seconds, 0 or more; got {timeout!r}."
        )
    return float(timeout)


def _timed_out(connection: BaseDatabaseWrapper, timeout: float) -> LockTimeout:
    return LockTimeout(
        f"Another automigrate or autoupdate run holds the schema lock of database "
        f"'{connection.alias}'; gave up after {timeout:g}s. Retry, or raise --lock-timeout."
    )


@contextmanager
def _held_by_session(connection, release_sql: str, params: list) -> Iterator[None]:
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


def _release(connection, sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@contextmanager
def _postgresql_lock(connection, timeout: float) -> Iterator[None]:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_PG_KEY])
            if cursor.fetchone()[0]:
                break
            if time.monotonic() >= deadline:
                raise _timed_out(connection, timeout)
            time.sleep(0.1)
    with _held_by_session(connection, "SELECT pg_advisory_unlock(%s)", [_PG_KEY]):
        yield


@contextmanager
def _mysql_lock(connection, timeout: float) -> Iterator[None]:
    name = f"{_NAME}:{connection.settings_dict['NAME']}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT GET_LOCK(%s, %s)", [name, timeout])
        if cursor.fetchone()[0] != 1:
            raise _timed_out(connection, timeout)
    with _held_by_session(connection, "SELECT RELEASE_LOCK(%s)", [name]):
        yield


@contextmanager
def _sqlite_lock(connection, timeout: float) -> Iterator[None]:
    name = str(connection.settings_dict["NAME"])
    if connection.is_in_memory_db() or not name:
        yield  # nobody else can see an in-memory database
        return
    path = f"{name}.automigrate-lock"
    deadline = time.monotonic() + timeout
    while (descriptor := _lock_file(path)) is None:
        if time.monotonic() >= deadline:
            raise _timed_out(connection, timeout)
        time.sleep(0.05)
    try:
        yield
    finally:
        # Removed while still locked: a waiter that gets the lock on this file
        # next finds it gone and locks the file there (or creates it) instead.
        with suppress(FileNotFoundError):
            os.unlink(path)
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)


def _lock_file(path: str) -> int | None:
    """A descriptor of the file ``path``, exclusively locked; None while
    another run holds it. Leaves nothing behind when released (see above)."""
    while True:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return None
        if _is_the_file_at(path, descriptor):
            return descriptor
        os.close(descriptor)  # its holder removed it on release: lock the one there now


def _is_the_file_at(path: str, descriptor: int) -> bool:
    try:
        there = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(descriptor)
    return (there.st_dev, there.st_ino) == (mine.st_dev, mine.st_ino)


_LOCKERS = {
    "postgresql": _postgresql_lock,
    "mysql": _mysql_lock,
    "sqlite": _sqlite_lock,
}
