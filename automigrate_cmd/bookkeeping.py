"""What a run does after its DDL, done even when a run was stopped before it.

After the tables are right, automigrate and autoupdate record the migrations
of the apps they built as applied (``history.record_history``) and send
``post_migrate`` (content types, permissions). A run stopped in between
(killed, interrupted, the connection lost) leaves the tables right and that
undone: ``migrate`` then fails on tables that exist, content types of new
models are missing, and the next autoupdate finds the schema in sync.

So before its DDL a run notes the apps whose bookkeeping is due, in a table
of its own, and drops that table once the bookkeeping is done. A run that
finds the table finishes the bookkeeping it names, also when it has nothing
else to do. Its presence shows in the list of tables every run reads anyway,
so an in-sync run pays no query for this while there is nothing to finish.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.apps import apps as global_apps
from django.core.management.sql import emit_post_migrate_signal
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.recorder import MigrationRecorder

from .history import MigrationKey, record_apps_history
from .rendering import has_migrations
from .report import Reporter

TABLE = "automigrate_cmd_unfinished"


def unfinished(connection: BaseDatabaseWrapper, present: set[str]) -> set[str]:
    """The app labels whose bookkeeping a stopped run left undone;
    ``present``: the tables the database has."""
    if TABLE not in present:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT app_label FROM {_table(connection)}")
        return {label for (label,) in cursor.fetchall()}


def begin(connection: BaseDatabaseWrapper, app_labels: Iterable[str]) -> None:
    """Before the DDL: the bookkeeping of ``app_labels`` is due. Committed
    before the DDL's transaction begins (unless the caller holds one), so it
    outlives a stop after the DDL; a run whose DDL failed only leaves the
    next run some bookkeeping to repeat."""
    table = _table(connection)
    # One commit: in autocommit mode SQLite commits (a disk sync) every row.
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {table} (app_label varchar(100) NOT NULL)")
        cursor.executemany(
            f"INSERT INTO {table} (app_label) VALUES (%s)", [(label,) for label in app_labels]
        )


def finish(
    connection: BaseDatabaseWrapper,
    app_labels: Iterable[str],
    report: Reporter,
    *,
    verbosity: int,
    interactive: bool,
    signals: dict,
) -> list[MigrationKey]:
    """Record the migrations of ``app_labels``, send ``post_migrate`` as
    ``migrate`` does, then forget that anything was due.

    All of it in one transaction: ``migrate`` lets each handler commit on its
    own (content types and permissions: two commits per app, each a disk
    sync), which is most of what a build of a hundred tables costs on
    SQLite. A handler that fails inside it (one that cannot run in a
    transaction, say) rolls it all back, and the signal is sent again the
    way ``migrate`` sends it, so the outcome is ``migrate``'s."""
    _ensure_history_table(connection, app_labels)
    try:
        with transaction.atomic(using=connection.alias):
            return _finish(connection, app_labels, report, verbosity, interactive, signals)
    except Exception:
        return _finish(connection, app_labels, report, verbosity, interactive, signals)


def _finish(connection, app_labels, report, verbosity, interactive, signals):
    recorded = record_apps_history(connection, set(app_labels), report)
    with _fresh_content_types():
        emit_post_migrate_signal(verbosity, interactive, connection.alias, **signals)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_table(connection)}")
    return recorded


@contextmanager
def _fresh_content_types() -> Iterator[None]:
    """Content types are cached by alias, and runs in several schemas share
    the alias: what a run cached of one schema (a ContentType id) must not
    serve the next. So post_migrate starts and ends with an empty cache (the
    calling thread's, under ``content_types_per_thread``)."""
    clear_content_types_cache()
    try:
        yield
    finally:
        clear_content_types_cache()


def clear_content_types_cache() -> None:
    """Empty ``ContentType.objects``' cache (the thread's own, see below)."""
    if global_apps.is_installed("django.contrib.contenttypes"):
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()


@contextmanager
def content_types_per_thread() -> Iterator[None]:
    """For the body, ``ContentType.objects`` keeps one cache per thread: the
    schemas of a run over several run in threads of their own at once, each
    writing its own content types and permissions (post_migrate)."""
    if not global_apps.is_installed("django.contrib.contenttypes"):
        yield
        return
    from django.contrib.contenttypes.models import ContentType

    manager = ContentType.objects
    cache = manager._cache
    manager._cache = _CachePerThread()
    try:
        yield
    finally:
        manager._cache = cache
        cache.clear()


class _CachePerThread(dict):
    """A dict of the calling thread's own: ContentTypeManager reads its cache
    with ``[]`` and ``setdefault`` and empties it with ``clear``."""

    def __init__(self) -> None:
        super().__init__()
        self._local = threading.local()

    def _mine(self) -> dict:
        if not hasattr(self._local, "cache"):
            self._local.cache = {}
        return self._local.cache

    def __getitem__(self, key):
        return self._mine()[key]

    def __setitem__(self, key, value) -> None:
        self._mine()[key] = value

    def __contains__(self, key) -> bool:
        return key in self._mine()

    def get(self, key, default=None):
        return self._mine().get(key, default)

    def setdefault(self, key, default=None):
        return self._mine().setdefault(key, default)

    def clear(self) -> None:
        self._mine().clear()


def _ensure_history_table(connection: BaseDatabaseWrapper, app_labels: Iterable[str]) -> None:
    """``django_migrations``, made before the transaction when an app has
    migrations to record: SQLite's schema editor cannot run inside one."""
    recorder = MigrationRecorder(connection)
    if any(has_migrations(label) for label in app_labels) and not recorder.has_table():
        recorder.ensure_schema()


def _table(connection: BaseDatabaseWrapper) -> str:
    return connection.ops.quote_name(TABLE)
