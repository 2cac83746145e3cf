"""The schema editor as both commands drive it.

automigrate's recreate plan (``recreate.apply``) and autoupdate's steps
(``sync.apply``) create tables and run DDL through the same few helpers: an
atomic editor as the backend makes it, or one whose work runs in several
transactions under the lock budget; ``create_model`` without the constraints
the backend cannot build; the deferred SQL run where it shows; a block's
statements sent to the server as one. The scratch build and the test
databases create their tables with them too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import Model

from . import lock_budget
from .backends import backend_or_generic
from .report import Reporter


@contextmanager
def atomic_schema_editor(
    connection: BaseDatabaseWrapper, collect_sql: bool = False
) -> Iterator[BaseDatabaseSchemaEditor]:
    """``connection.schema_editor(atomic=True)`` that rolls back whatever
    raises, as the backend makes it (``Backend.atomic_schema_editor``)."""
    with backend_or_generic(connection).atomic_schema_editor(connection, collect_sql) as editor:
        yield editor


@contextmanager
def editor_in_transactions(connection: BaseDatabaseWrapper, limit: int):
    """A schema editor whose work runs in transactions of at most ``limit``
    locks (lock_budget): a build too big for one PostgreSQL transaction."""
    with (
        connection.schema_editor(atomic=False) as editor,
        lock_budget.transactions(connection.alias, limit) as batches,
    ):
        yield editor, batches


def round_trips_merge(editor: BaseDatabaseSchemaEditor) -> bool:
    return backend_or_generic(editor.connection).merges_round_trips and not editor.collect_sql


def run_deferred_sql(
    editor: BaseDatabaseSchemaEditor,
    report: Reporter,
    batches: lock_budget.Batches = lock_budget.ONE_TRANSACTION,
) -> None:
    """What the schema editor would run on exit, run here so it shows: as
    few round trips as the transactions allow."""
    statements, editor.deferred_sql = editor.deferred_sql, []
    if not statements:
        return
    with report.step(f"Adding indexes and constraints ({len(statements)})"):
        while statements:
            fit = max(1, batches.room() // lock_budget.PER_STATEMENT)
            group, statements = statements[:fit], statements[fit:]
            batches.spend(len(group) * lock_budget.PER_STATEMENT)
            with one_round_trip(editor):
                for sql in group:
                    editor.execute(sql)


def create_model(editor: BaseDatabaseSchemaEditor, model: type[Model]) -> None:
    """``editor.create_model(model)`` without the constraints the backend
    cannot build.

    A constraint the backend does not support (MariaDB: a UniqueConstraint
    with a condition, expressions, ``include`` or ``deferrable``; SQLite: a
    deferrable one) has no SQL: its ``create_sql()`` is None. When a column has a parametrized
    default (``db_default`` on MariaDB or PostgreSQL), ``table_sql()`` defers
    every constraint as that ``create_sql()``, so None lands in
    ``deferred_sql`` and runs as the statement ``None``. ``migrate`` never
    meets it: makemigrations puts constraints in AddConstraint operations,
    and ``add_constraint()`` skips a constraint without SQL. So skip it too.
    """
    start = len(editor.deferred_sql)
    editor.create_model(model)
    editor.deferred_sql[start:] = [sql for sql in editor.deferred_sql[start:] if sql is not None]


def unbuildable_constraints(editor: BaseDatabaseSchemaEditor, model: type[Model]) -> list[str]:
    """The names of ``model``'s constraints the backend cannot build."""
    return [c.name for c in model._meta.constraints if c.create_sql(model, editor) is None]


def report_skipped(report: Reporter, editor: BaseDatabaseSchemaEditor, model: type[Model]) -> None:
    """At -v 2: the constraints of ``model`` that ``create_model`` left out."""
    if report.verbosity < 2:
        return
    for name in unbuildable_constraints(editor, model):
        report.line(
            f"  Skipped constraint {model._meta.db_table}.{name}: "
            f"{editor.connection.display_name} cannot build it (migrate skips it too).",
            level=2,
        )


@contextmanager
def one_round_trip(editor: BaseDatabaseSchemaEditor) -> Iterator[None]:
    """On PostgreSQL, send the statements of a block to the server as one.

    Waiting for the server once per statement is most of what a build costs
    above the bare DDL. The schema editor collects the statements exactly as
    it would run them (on PostgreSQL it merges parameters client-side in
    both cases), and the block runs as one multi-statement query, inside the
    run's transaction. Other backends cannot: sqlite3 runs one statement per
    call, MySQLdb only on connections opened for multiple statements.
    """
    if not round_trips_merge(editor):
        yield
        return
    editor.collect_sql, editor.collected_sql = True, []
    try:
        yield
        statements = editor.collected_sql
    finally:
        editor.collect_sql, editor.collected_sql = False, []
    if statements:
        editor.execute("\n".join(statements), None)
