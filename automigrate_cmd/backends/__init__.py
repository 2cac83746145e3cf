"""The database backends: everything that differs from one server to another.

Each supported ``connection.vendor`` has a subpackage here (``sqlite``,
``postgresql``, ``mysql``, which also serves MariaDB) whose ``backend``
implements ``base.Backend``: reading the catalog into a snapshot, building
the desired tables in a scratch place, taking the schema lock, the quirks of
applying a step (SQLite's rebuild, MariaDB's ``MODIFY`` and non-transactional
DDL, PostgreSQL's batched round trips and ``USING`` casts), and the SQL that
counts what a risky step would do to the rows. The rest of the package asks
``backend_for(connection)`` (or ``backend_or_generic``, where it tolerates a
vendor no backend serves) and stays the same on every server.

A backend is imported on first use (as Django loads its own), so that a run
loads only the one it needs, and so that the backends may import the shared
modules (``snapshot``, ``scratch``, ``sync``...) that look them up here. No
shared module imports a backend's subpackage.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING

from django.db.backends.base.base import BaseDatabaseWrapper

from ..exceptions import UnsupportedBackend

if TYPE_CHECKING:
    from .base import Backend

SUPPORTED = ("mysql", "postgresql", "sqlite")


def supports(connection: BaseDatabaseWrapper) -> bool:
    """Whether ``connection``'s vendor has a backend here."""
    return connection.vendor in SUPPORTED


def backend_for(connection: BaseDatabaseWrapper) -> Backend:
    """The backend of ``connection.vendor``; ``UnsupportedBackend`` for a
    vendor there is none for."""
    if not supports(connection):
        raise UnsupportedBackend(
            f"Database '{connection.alias}' is on the {connection.vendor!r} backend, which "
            f"automigrate_cmd does not support; it supports {', '.join(SUPPORTED)} "
            "(mysql also for MariaDB)."
        )
    return _load(connection.vendor)


def backend_or_generic(connection: BaseDatabaseWrapper) -> Backend:
    """The backend of ``connection.vendor``, or the generic ``Backend`` (no
    quirks, nothing to lock with) for a vendor there is none for: where the
    code tolerates such a vendor, it keeps doing what it always did."""
    return backend_named(connection.vendor)


def backend_named(vendor: str) -> Backend:
    """``backend_or_generic`` for a vendor's name (a plan records it)."""
    if vendor in SUPPORTED:
        return _load(vendor)
    from .base import GENERIC

    return GENERIC


@cache
def _load(vendor: str) -> Backend:
    return import_module(f"{__name__}.{vendor}").backend
