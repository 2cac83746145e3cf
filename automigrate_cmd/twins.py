"""Schemas that are copies of each other: planned once, in a multi-schema run.

The tenant schemas of one project are, almost always, the same tables with
other rows. When a run over several schemas (``schemas.shared_run``, whose
shared values ``desired_cache`` keeps) finds
one of them with nothing to do, every other schema whose catalog and
bookkeeping rows have the same digest (``Backend.schema_fingerprint``: the
relations, columns, constraints, indexes, triggers, views and sequences,
and the rows of ``django_migrations``, the content types, the stored
desired tables) would be planned from the same inputs to the same empty
plan: it gets that plan, after one catalog query instead of a dozen.

Only empty plans are shared: a plan with steps measures the rows of each
schema (what a change would lose), and a run that writes anything (history,
stored tables) changes its schema's digest. The digest is read under the
schema's lock, so no other autoupdate run changes the schema between the
read and the report. Where sharing has not paid off in the first
``GIVE_UP_AFTER`` schemas of a run (every schema has work to do), the digest
is no longer read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

from django.db.backends.base.base import BaseDatabaseWrapper

from . import desired_cache
from .backends import backend_or_generic

T = TypeVar("T")

GIVE_UP_AFTER = 8


class _Twins:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.plans: dict[tuple, object] = {}
        self.read = 0  # digests read
        self.shared = 0  # plans handed to a twin

    @property
    def worth_reading(self) -> bool:
        return self.shared > 0 or self.read < GIVE_UP_AFTER


def planned_once(
    connection: BaseDatabaseWrapper,
    run: Hashable,
    plan: Callable[[], tuple[T, bool]],
) -> T:
    """``plan()`` -> (the plan, whether it can be shared), or the plan of a
    twin schema planned before in the same ``run`` (what the plan depends on
    besides the schema: the command, the models, the options)."""
    # Kept with what else the runs of one multi-schema run share.
    shared = desired_cache.in_shared_run()
    twins = desired_cache.shared_once(("schema twins",), _Twins) if shared else None
    digest = _digest(connection, twins)
    if digest is None:
        return plan()[0]
    key = (run, digest)
    with twins.lock:
        found = twins.plans.get(key)
        if found is not None:
            twins.shared += 1
            return found
    planned, shareable = plan()
    if shareable:
        with twins.lock:
            twins.plans.setdefault(key, planned)
    return planned


def _digest(connection: BaseDatabaseWrapper, twins: _Twins | None) -> str | None:
    if twins is None or not twins.worth_reading:
        return None
    digest = backend_or_generic(connection).schema_fingerprint(connection)
    if digest is not None:
        with twins.lock:
            twins.read += 1
    return digest
