"""Runs a recreate plan through Django's schema editor.

The tables are created by ``schema_editor.create_model``, exactly as
``migrate`` creates them, so every backend's DDL rules and names apply.
What differs per backend is how tables referenced from outside the selection
are dropped without losing those references, which each backend does
around the run (``Backend.before_recreate``/``after_recreate``, in
``backends/<vendor>/``):

- PostgreSQL: foreign keys into the recreated tables are dropped first
  (never ``DROP ... CASCADE``, which would silently lose them and any view)
  and the outside ones are restored afterwards from ``pg_get_constraintdef``.
  All of it runs in one transaction, unless it needs more locks than one
  transaction may hold (``lock_budget``): then in several.
- SQLite: foreign keys are part of the referencing table's definition and
  point at the table by name, so they survive the drop; one transaction.
- MySQL/MariaDB: DDL is not transactional, so the run leans on
  ``FOREIGN_KEY_CHECKS = 0``: referencing tables keep their constraints, which
  attach to the new table. Every step can be re-run: a failed run is
  completed by running it again.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import Model

from .. import lock_budget, migration_sql
from ..backends import backend_or_generic
from ..exceptions import Refused
from ..report import Reporter
from ..schema_editor import (
    atomic_schema_editor,
    create_model,
    editor_in_transactions,
    one_round_trip,
    report_skipped,
    round_trips_merge,
    run_deferred_sql,
)
from ..selection import tables_of
from .plan import RecreatePlan


def apply_plan(
    plan: RecreatePlan,
    connection: BaseDatabaseWrapper,
    report: Reporter,
    collect_sql: bool = False,
) -> list[str]:
    """Apply ``plan``; with ``collect_sql`` only return the SQL it would run."""
    limit = None if collect_sql else lock_budget.budget(connection)
    if limit is not None and plan_locks(plan) > limit:
        _apply_in_transactions(plan, connection, report, limit)
        return []
    with atomic_schema_editor(connection, collect_sql) as editor:
        try:
            _before(plan, editor, report)
            _empty_tables(plan, editor, report)
            _drop_tables(plan, editor, report)
            _create_tables(plan, editor, report)
            run_migration_sql(plan.object_sql, editor, report)
            _after(plan, editor, report)
        finally:
            if not collect_sql:
                backend_or_generic(connection).end_recreate(connection)
    return list(editor.collected_sql) if collect_sql else []


def _before(plan: RecreatePlan, editor: BaseDatabaseSchemaEditor, report: Reporter) -> None:
    backend_or_generic(editor.connection).before_recreate(plan, editor, report)


def _empty_tables(plan: RecreatePlan, editor: BaseDatabaseSchemaEditor, report: Reporter) -> None:
    for target in plan.empty:
        with report.step(f"Emptying {target.table}"):
            editor.execute(f"DELETE FROM {editor.quote_name(target.table)}")
    if plan.empty:
        backend_or_generic(editor.connection).after_emptying(editor)


def _drop_tables(plan: RecreatePlan, editor: BaseDatabaseSchemaEditor, report: Reporter) -> None:
    for target in plan.drop:
        with report.step(f"Dropping {target.table}"):
            # Plain DROP TABLE: anything else still depending on the table
            # (a view, say) makes the run fail instead of vanishing with it.
            editor.execute(f"DROP TABLE {editor.quote_name(target.table)}")


def _create_tables(
    plan: RecreatePlan,
    editor: BaseDatabaseSchemaEditor,
    report: Reporter,
    batches: lock_budget.Batches = lock_budget.ONE_TRANSACTION,
) -> None:
    if batches is lock_budget.ONE_TRANSACTION and round_trips_merge(editor):
        _create_in_one_round_trip(plan, editor, report)
    else:
        for model in plan.models_to_create:
            batches.spend(lock_budget.model_locks(model))
            own_table, *m2m_tables = tables_of(model)
            with report.step(f"Creating {own_table}"), one_round_trip(editor):
                create_model(editor, model)
            _report_created(report, editor, model, m2m_tables)
    run_deferred_sql(editor, report, batches)


def _create_in_one_round_trip(
    plan: RecreatePlan, editor: BaseDatabaseSchemaEditor, report: Reporter
) -> None:
    """PostgreSQL: every CREATE TABLE sent as one query (waiting for the
    server once per table was a fifth of a build); each table is reported
    once the server has made them all."""
    tables = [table for model in plan.models_to_create for table in tables_of(model)]
    with report.step(f"Creating {len(tables)} tables", level=3), one_round_trip(editor):
        for model in plan.models_to_create:
            create_model(editor, model)
    for model in plan.models_to_create:
        _report_created(report, editor, model, tables_of(model))


def _report_created(report: Reporter, editor, model: type[Model], tables: list[str]) -> None:
    for table in tables:
        report.line(f"  Creating {table}... " + report.style.SUCCESS("OK"))
    report_skipped(report, editor, model)


def plan_locks(plan: RecreatePlan) -> int:
    """An upper bound of the relations ``plan`` locks (see lock_budget)."""
    statements = len(plan.internal_foreign_keys) + 2 * len(plan.references) + len(plan.empty)
    return (
        lock_budget.PER_STATEMENT * statements
        + sum(_drop_locks(plan).values())
        + sum(lock_budget.model_locks(model) for model in plan.models_to_create)
    )


def _drop_locks(plan: RecreatePlan) -> dict[str, int]:
    """What dropping each table of ``plan.drop`` locks, counted from its model."""
    by_table = {t: n for m in plan.models_to_create for t, n in lock_budget.table_locks(m).items()}
    return {t.table: by_table.get(t.table, lock_budget.PER_STATEMENT) for t in plan.drop}


def _apply_in_transactions(
    plan: RecreatePlan, connection: BaseDatabaseWrapper, report: Reporter, limit: int
) -> None:
    """PostgreSQL, a plan over the lock budget: the same work in several
    transactions. Foreign keys from tables outside the selection are dropped
    and restored from the plan's memory of them, which a failure in between
    would lose: such a plan is refused."""
    if plan.references:
        outside = ", ".join(f"{r.foreign_key.table}.{r.foreign_key.name}" for r in plan.references)
        raise Refused(
            "Refusing to recreate: these tables need more locks than one PostgreSQL "
            f"transaction may hold ({limit:,}), and foreign keys from outside them ({outside}) "
            "would be lost if a run in several transactions failed. Automigrate fewer models "
            "at a time, or raise max_locks_per_transaction. Nothing was changed."
        )
    report.line(lock_budget.split_notice(limit))
    drop_locks = _drop_locks(plan)
    with editor_in_transactions(connection, limit) as (editor, batches):
        qn = editor.quote_name
        for fk in plan.internal_foreign_keys:
            batches.spend(lock_budget.PER_STATEMENT)
            with report.step(f"Dropping foreign key {fk.table}.{fk.name}", level=2):
                editor.execute(f"ALTER TABLE {qn(fk.table)} DROP CONSTRAINT {qn(fk.name)}")
        for target in plan.drop:
            batches.spend(drop_locks[target.table])
            with report.step(f"Dropping {target.table}"):
                editor.execute(f"DROP TABLE {qn(target.table)}")
        _create_tables(plan, editor, report, batches)
        run_migration_sql(plan.object_sql, editor, report)


def run_migration_sql(
    statements: list[migration_sql.ObjectStatement],
    editor: BaseDatabaseSchemaEditor,
    report: Reporter,
) -> None:
    """What the apps' migrations make with SQL on the new tables (see
    ``migration_sql``): run, or collected by a dry run."""
    if not statements:
        return
    migrations = sorted({s.migration for s in statements})
    with report.step(f"Running the SQL of {', '.join(migrations)} ({len(statements)})"):
        skipped = migration_sql.run_in_editor(editor, statements)
    for line in skipped:
        report.line(f"  Skipped, it no longer fits the models: {line}")


def _after(plan: RecreatePlan, editor: BaseDatabaseSchemaEditor, report: Reporter) -> None:
    backend_or_generic(editor.connection).after_recreate(plan, editor, report)
