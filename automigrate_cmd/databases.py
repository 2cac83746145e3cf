"""Several databases in one run: which aliases, and each run on its own.

``--database`` given more than once, or ``--all-databases`` (every alias the
routers allow at least one of the selected models on), runs the same command
once per database. The databases run in parallel in a bounded pool of
threads: each thread has its own connections (Django's are per thread) and
so its own schema lock, and one database that fails does not stop the
others. The Python API (``automigrate(using=[...])``, ``autoupdate``,
``check``) goes through ``each_database`` below.
"""

from __future__ import annotations

import functools
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, connections

from .exceptions import AutomigrateError, InvalidOption, LabelError
from .selection import Label, select_models

# Servers answer several schema changes at once; more threads than this buy
# little on a small machine and hold one connection each.
MAX_PARALLEL = 4

T = TypeVar("T")


class DatabasesFailed(AutomigrateError):
    """Some of several databases (or schemas) failed; the others ran to the end.

    ``results`` holds what the databases that ran returned, ``errors`` the
    error of each that failed, both by alias (by schema name)."""

    def __init__(
        self, results: dict[str, object], errors: dict[str, Exception], what: str = "database"
    ):
        self.results = results
        self.errors = errors
        lines = [f"{what.capitalize()} '{name}': {error}" for name, error in errors.items()]
        ran = f" ({', '.join(results)} ran to the end)" if results else ""
        super().__init__(
            f"{len(errors)} of {len(errors) + len(results)} {what}s failed{ran}:\n"
            + "\n".join(lines)
        )


def is_several(using: str | Sequence[str]) -> bool:
    """Whether ``using`` names several databases (a list of aliases)."""
    return not isinstance(using, str)


def databases_for(labels: Label | Iterable[Label] | None) -> list[str]:
    """Every alias of settings.DATABASES that the routers allow at least one
    of the models ``labels`` selects on, in settings order. A label no
    database can hold is the error it is on a single database."""
    found: list[str] = []
    first_error: LabelError | None = None
    for alias in connections:
        try:
            chosen = select_models(labels, alias)
        except LabelError as error:
            first_error = first_error or error
            continue
        if chosen:
            found.append(alias)
    if not found:
        if first_error is not None:
            raise first_error
        raise LabelError("No database in settings.DATABASES may hold the selected models.")
    return found


def each_database(
    aliases: Sequence[str], run_one: Callable[[str], T], what: str = "database"
) -> dict[str, T]:
    """``run_one(alias)`` for each of ``aliases``, in parallel; the results by
    alias. ``DatabasesFailed`` after all of them ran if any raised (naming
    them as ``what``: the schemas of ``schemas.each_schema`` too)."""
    results: dict[str, T] = {}
    errors: dict[str, Exception] = {}
    for alias, result, error in run_in_parallel(aliases, run_one):
        if error is None:
            results[alias] = result
        else:
            errors[alias] = error
    if errors:
        raise DatabasesFailed(results, errors, what)
    return results


def run_in_parallel(
    aliases: Sequence[str], run_one: Callable[[str], T]
) -> Iterator[tuple[str, T | None, Exception | None]]:
    """``(alias, result, error)`` of ``run_one(alias)`` for each alias, in the
    order of ``aliases`` (each as soon as it and those before it are done),
    at most ``MAX_PARALLEL`` at a time.

    Each worker thread runs one alias after another on the same connections
    (Django's are per thread), and closes them when there is nothing left to
    run: a run over 200 schemas opens four sessions, not 200, and its queries
    find the server's caches of the session warm."""
    workers = max(1, min(MAX_PARALLEL, len(aliases)))
    outcomes: list[Future] = [Future() for _ in aliases]
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(len(aliases)):
        todo.put(index)
    stopped = threading.Event()

    def work() -> None:
        try:
            while not stopped.is_set():
                try:
                    index = todo.get_nowait()
                except queue.Empty:
                    return
                if outcomes[index].set_running_or_notify_cancel():
                    outcomes[index].set_result(_caught(run_one, aliases[index]))
        finally:
            # The connections this thread opened are its own: close them here.
            connections.close_all()

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="automigrate")
    for _ in range(workers):
        pool.submit(work)
    try:
        for alias, outcome in zip(aliases, outcomes, strict=True):
            yield (alias, *outcome.result())
    except BaseException:
        # Ctrl-C: what has not started does not start, and the caller need
        # not wait for the runs under way (the command exits at once).
        stopped.set()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


def _caught(run_one: Callable[[str], T], alias: str) -> tuple[T | None, Exception | None]:
    try:
        return run_one(alias), None
    except Exception as error:  # reported with its alias; the others go on
        # What failed may have left a session unusable: the next run opens its own.
        connections.close_all()
        return None, error


def per_database(function: Callable[..., T]) -> Callable[..., T | dict[str, T]]:
    """Let ``function(labels, using, **options)`` take several aliases as
    ``using`` (a list): then it runs once per database, in parallel, and
    returns the results by alias (``DatabasesFailed`` if any failed). And a
    ``schema``: one schema's name (the run in it), or a list of them (one
    run per schema, the results by schema; ``schemas.py``)."""

    @functools.wraps(function)
    def several_or_one(labels=None, using=DEFAULT_DB_ALIAS, *, schema=None, **options):
        if schema is not None:
            return _in_schemas(function, labels, using, schema, options)
        if is_several(using):
            return each_database(list(using), lambda alias: function(labels, alias, **options))
        return function(labels, using, **options)

    return several_or_one


def _in_schemas(function, labels, using, schema: str | Sequence[str], options: dict):
    from .schemas import each_schema, in_schema, schemas_for

    if is_several(using):
        raise InvalidOption("schema= takes one database (using='alias'), not several.")
    if isinstance(schema, str):
        schemas_for(using, [schema])  # a one-line error if it is not there
        with in_schema(using, schema):
            return function(labels, using, **options)
    names = schemas_for(using, list(schema))
    return each_schema(using, names, lambda _schema: function(labels, using, **options))
