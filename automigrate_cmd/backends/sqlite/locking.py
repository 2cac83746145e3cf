"""SQLite: the schema lock is an exclusive ``flock`` on a file next to the
database file, removed when the lock is released."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from django.db.backends.base.base import BaseDatabaseWrapper

from ...locking import timed_out


@contextmanager
def schema_lock(connection: BaseDatabaseWrapper, timeout: float) -> Iterator[None]:
    name = str(connection.settings_dict["NAME"])
    if connection.is_in_memory_db() or not name:
        yield  # nobody else can see an in-memory database
        return
    path = f"{name}.automigrate-lock"
    deadline = time.monotonic() + timeout
    while (descriptor := _lock_file(path)) is None:
        if time.monotonic() >= deadline:
            raise timed_out(connection, timeout)
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
