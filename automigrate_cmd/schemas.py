"""The same models in several schemas of one database (``--schema``,
``--all-schemas``): one schema per customer, as django-tenants keeps them.

Each schema gets the run it would get alone, with the connection pointed at
it (``Backend.use_schema``: on PostgreSQL its ``search_path``, see
``backends/postgresql/schemas.py``). The schemas run in parallel in the
bounded pool that several databases use (``databases.run_in_parallel``),
each thread on connections of its own, each schema under a schema lock of
its own. What the models want is the same in every schema, so it is built
in the scratch place once and shared by the runs (``desired_cache
.shared_between_runs``); each schema then costs one catalog read when it is
in sync, and a copy of a schema found in sync one digest (``twins``). The
Python API takes ``schema="s"`` or ``schema=[...]`` (through
``databases.per_database``).
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from . import bookkeeping, desired_cache
from .backends import backend_or_generic
from .databases import each_database
from .exceptions import AutomigrateError, InvalidOption

T = TypeVar("T")

# The schema each alias runs in, in this thread (for messages).
_current = threading.local()


def schemas_for(using: str, names: Iterable[str] = (), pattern: str | None = None) -> list[str]:
    """The schemas of database ``using`` that ``names`` name, or that match
    the shell-style ``pattern`` (``tenant_*``), in the database's order.
    One-line errors: a database without schemas, a schema that is not
    there, a pattern nothing matches."""
    from .api import connection_for  # api names the schema a run is in (where)

    connection = connection_for(using)
    backend = backend_or_generic(connection)
    if not backend.has_schemas:
        raise InvalidOption(
            f"--schema and --all-schemas need a PostgreSQL database; '{using}' is "
            f"{connection.vendor}."
        )
    there = backend.schema_names(connection)
    if pattern is not None:
        found = [name for name in there if fnmatch.fnmatchcase(name, pattern)]
        if not found:
            raise AutomigrateError(
                f"No schema of database '{using}' matches {pattern!r}; it has: {_listed(there)}."
            )
        return found
    wanted = list(dict.fromkeys(names))
    missing = [name for name in wanted if name not in there]
    if missing:
        raise AutomigrateError(
            f"Database '{using}' has no schema {', '.join(map(repr, missing))} (it has: "
            f"{_listed(there)}). Create it first (CREATE SCHEMA), or check the name. "
            "Nothing was changed."
        )
    return wanted


def _listed(names: list[str], most: int = 10) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "") or "none"


@contextmanager
def in_schema(using: str, schema: str | None) -> Iterator[None]:
    """The connection of ``using`` pointed at ``schema`` for the body, in
    this thread; ``None``: left as it is."""
    if schema is None:
        yield
        return
    from .api import connection_for

    connection = connection_for(using)
    schemas = _schemas_here()
    with backend_or_generic(connection).use_schema(connection, schema):
        schemas[using] = schema
        try:
            yield
        finally:
            del schemas[using]
            # What was cached of this schema's content types is not the next's.
            bookkeeping.clear_content_types_cache()


@contextmanager
def shared_run() -> Iterator[None]:
    """Around the runs of several schemas: the desired tables built once for
    all (and what else the runs share: an empty plan for the schemas that are
    copies of one, ``twins``), and content types cached per thread (each
    schema has its own)."""
    with desired_cache.shared_between_runs(), bookkeeping.content_types_per_thread():
        yield


def current(using: str) -> str | None:
    """The schema ``using`` runs in, in this thread (``in_schema``)."""
    return _schemas_here().get(using)


def where(using: str) -> str:
    """``database 'x'``, or ``database 'x', schema 's'`` in a schema run."""
    schema = current(using)
    return f"database '{using}'" + (f", schema '{schema}'" if schema else "")


def _schemas_here() -> dict[str, str]:
    if not hasattr(_current, "schemas"):
        _current.schemas = {}
    return _current.schemas


def each_schema(using: str, schemas: list[str], run_one: Callable[[str], T]) -> dict[str, T]:
    """``run_one(schema)`` in each of ``schemas`` of ``using``, in parallel,
    the desired tables shared; the results by schema, ``DatabasesFailed``
    (``what="schema"``) after all ran if any raised."""

    def in_its_schema(schema: str) -> T:
        with in_schema(using, schema):
            return run_one(schema)

    with shared_run():
        return each_database(schemas, in_its_schema, what="schema")
