"""Applies an autoupdate plan through the schema editor.

Tables and columns the models add are created by Django (``create_model``,
``add_field``), so every backend's DDL rules apply. Indexes and constraints
are given the definition the scratch build of the models got from the same
server (``pg_get_indexdef``/``pg_get_constraintdef``, ``SHOW CREATE TABLE``),
so the live schema ends up as the database itself renders the models.
This module applies each step with the standard's SQL; a backend replaces
what its server does otherwise (``Backend.step_appliers`` and
``alter_column``, in ``backends/<vendor>/steps.py``): MariaDB's ``MODIFY``,
PostgreSQL's ``USING`` casts, SQLite's rebuild of a table.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from .. import lock_budget, migration_sql
from ..backends import backend_for
from ..catalog import stored_name
from ..report import Reporter
from ..schema_editor import (
    atomic_schema_editor,
    create_model,
    editor_in_transactions,
    report_skipped,
    run_deferred_sql,
)
from ..scratch import Desired
from .diff import Step
from .hints import Hints
from .risks import backfill, effective_default
from .type_changes import cuts_strings

# Applies one kind of step: (context, step) -> None.
Applier = Callable[["SyncContext", Step], None]


class SyncContext:
    """What applying steps needs besides the steps."""

    def __init__(
        self,
        connection: BaseDatabaseWrapper,
        editor: BaseDatabaseSchemaEditor,
        models_by_table: dict[str, type[models.Model]],
        desired: Desired,
        hints: Hints,
    ):
        self.connection = connection
        self.editor = editor
        self.models_by_table = models_by_table
        self.desired = desired
        self.hints = hints
        self.qn = editor.quote_name
        self.backend = backend_for(connection)
        self.appliers = {**_APPLY, **self.backend.step_appliers}
        self.created: set[str] = set()  # tables create_model has built
        self.tables_to_create: set[str] = set()
        self.cutting: set[tuple[str, str]] = set()
        # Columns whose NULLs are still to fill before they become NOT NULL.
        self.nulls_to_fill: dict[tuple[str, str], Step] = {}
        # Tables created, to name the constraints the backend could not build.
        self.created_models: list[type[models.Model]] = []

    def field(self, table: str, column: str) -> models.Field:
        """The model field of ``column``, a name as the server stores it."""
        model = self.models_by_table[table]
        fields = model._meta.local_concrete_fields
        return next(f for f in fields if stored_name(self.connection, f.column) == column)

    def execute(self, sql: str, params=()) -> None:
        self.editor.execute(sql, params or None)


def apply_steps(
    steps: list[Step],
    connection: BaseDatabaseWrapper,
    models_by_table: dict[str, type[models.Model]],
    desired: Desired,
    report: Reporter,
    collect_sql: bool = False,
    hints: Hints | None = None,
) -> list[str]:
    limit = None if collect_sql else lock_budget.budget(connection)
    if limit is not None and steps_locks(steps, models_by_table) > limit:
        report.line(lock_budget.split_notice(limit))
        with editor_in_transactions(connection, limit) as (editor, batches):
            _apply_all(steps, editor, models_by_table, desired, report, hints, batches)
        return []
    with atomic_schema_editor(connection, collect_sql) as editor:
        _apply_all(steps, editor, models_by_table, desired, report, hints)
    return list(editor.collected_sql) if collect_sql else []


def _apply_all(
    steps: list[Step],
    editor: BaseDatabaseSchemaEditor,
    models_by_table: dict[str, type[models.Model]],
    desired: Desired,
    report: Reporter,
    hints: Hints | None,
    batches: lock_budget.Batches = lock_budget.ONE_TRANSACTION,
) -> None:
    context = SyncContext(editor.connection, editor, models_by_table, desired, hints or Hints())
    context.tables_to_create = {s.table for s in steps if s.kind == "create_table"}
    # MariaDB: columns whose MODIFY cuts longer strings (any step may MODIFY them).
    context.cutting = {
        (step.table, step.name)
        for step in steps
        if step.kind == "alter_column"
        and step.live
        and cuts_strings(step.live["type"], step.desired["type"])
    }
    context.nulls_to_fill = {
        (step.table, step.name): step
        for step in steps
        if step.kind == "alter_column" and fills_nulls(step)
    }
    for step in steps:
        batches.spend(_step_locks(step, models_by_table))
        with report.step(step.describe()):
            context.appliers[step.kind](context, step)
    for model in context.created_models:
        report_skipped(report, editor, model)
    run_deferred_sql(editor, report, batches)


def steps_locks(steps: list[Step], models_by_table: dict[str, type[models.Model]]) -> int:
    """An upper bound of the relations ``steps`` lock (see lock_budget)."""
    return sum(_step_locks(step, models_by_table) for step in steps)


def _step_locks(step: Step, models_by_table: dict[str, type[models.Model]]) -> int:
    """A new table: all that creating its model makes (an auto-created
    many-to-many table comes with its model's); any other step: one
    statement's, or a few for a rebuilt or dropped table."""
    if step.kind == "create_table" and step.table in models_by_table:
        return lock_budget.model_locks(models_by_table[step.table])
    if step.kind in ("drop_table", "rebuild_table"):
        return 4 * lock_budget.PER_STATEMENT
    return lock_budget.PER_STATEMENT


# --- tables and columns ----------------------------------------------------


def _create_table(context: SyncContext, step: Step) -> None:
    """``create_model`` builds a model's auto-created many-to-many tables with
    it: such a table is built here only when its model's table already exists."""
    if step.table in context.created:
        return
    model = context.models_by_table[step.table]
    owner = _m2m_owner(model)
    if owner is not None and owner._meta.db_table in context.tables_to_create:
        _create_table(context, Step("create_table", owner._meta.db_table))
        return
    create_model(context.editor, model)
    context.created_models.append(model)
    context.created.add(step.table)
    if owner is None:
        context.created.update(_auto_m2m_tables(model))


def _m2m_owner(model: type[models.Model]) -> type[models.Model] | None:
    """The model whose ManyToManyField auto-created ``model``, if it is such a table."""
    owner = model._meta.auto_created  # Django sets it to the declaring model
    return owner if isinstance(owner, type) else None


def _auto_m2m_tables(model: type[models.Model]) -> list[str]:
    return [
        f.remote_field.through._meta.db_table
        for f in model._meta.local_many_to_many
        if f.remote_field.through._meta.auto_created
    ]


def add_column(context: SyncContext, step: Step) -> None:
    field = context.field(step.table, step.name)
    model = context.models_by_table[step.table]
    # Only the column: its indexes and constraints are separate steps.
    context.editor.add_field(
        model, bare_column(field, context.hints.defaults.get((step.table, step.name)))
    )


def bare_column(field: models.Field, backfill: tuple | None = None) -> models.Field:
    """A copy of ``field`` that adds a column and nothing else; existing rows
    get ``backfill`` (the user's --default) instead of the field's default."""
    # ``unique`` and ``_get_default`` are cached_properties: set or forget them.
    attributes = {**field.__dict__, "_unique": False, "unique": False, "db_index": False}
    attributes.pop("_get_default", None)
    if backfill is not None:
        attributes["default"] = backfill[0]
    bare = object.__new__(type(field))
    bare.__dict__ = attributes
    if field.remote_field:
        bare.db_constraint = False
    bare.db_check = lambda connection: None
    return bare


def fills_nulls(step: Step) -> bool:
    """Whether ``step`` makes a column that allows NULL a required one."""
    return bool(step.live) and step.live.get("null") and not step.desired.get("null")


def fill_nulls(context: SyncContext, step: Step, column: str) -> None:
    """Before a column becomes NOT NULL (and after its type changes, as
    Django's AlterField does it: the value is the new type's): its NULLs get
    the backfill value. The backend's alter_column calls it where it fits."""
    context.nulls_to_fill.pop((step.table, column), None)
    field = context.field(step.table, column)
    given = (step.table, column) in context.hints.defaults
    if not given and field.db_default is not models.NOT_PROVIDED:
        default_sql, params = context.editor.db_default_sql(field)  # as AlterField does
    else:
        filled = backfill(context.connection, context.hints, step.table, column, field)
        if filled is None:
            return
        default_sql, params = "%s", [filled[0]]
    # Django's own statement: on PostgreSQL it ends with SET CONSTRAINTS ALL
    # IMMEDIATE, so that the checks the UPDATE left pending on a deferred
    # foreign key run now and the table can be altered next.
    update = context.editor.sql_update_with_default % {
        "table": context.qn(step.table),
        "column": context.qn(column),
        "default": default_sql,
    }
    context.execute(update, params)


def _rename_table(context: SyncContext, step: Step) -> None:
    context.execute(
        context.editor.sql_rename_table
        % {"old_table": context.qn(step.extra["old"]), "new_table": context.qn(step.table)}
    )


def _rename_column(context: SyncContext, step: Step) -> None:
    context.execute(
        f"ALTER TABLE {context.qn(step.table)} RENAME COLUMN "
        f"{context.qn(step.extra['old'])} TO {context.qn(step.name)}"
    )


def drop_column(context: SyncContext, step: Step) -> None:
    context.execute(f"ALTER TABLE {context.qn(step.table)} DROP COLUMN {context.qn(step.name)}")


def _alter_column(context: SyncContext, step: Step) -> None:
    context.backend.alter_column(context, step)


def initial_value(context: SyncContext, table: str, field: models.Field) -> tuple[str, list]:
    """What existing rows get in a new column: the user's --default, else
    db_default, else the field's default."""
    given = context.hints.defaults.get((table, stored_name(context.connection, field.column)))
    if given is not None:
        return "%s", [field.get_db_prep_save(given[0], context.connection)]
    if field.db_default is not models.NOT_PROVIDED:
        return context.editor.db_default_sql(field)
    return "%s", [effective_default(context.connection, field)]


def _drop_table(context: SyncContext, step: Step) -> None:
    """A removed model's table (the removed tables referencing it go first)."""
    context.execute(f"DROP TABLE {context.qn(step.table)}")


def _alter_table_comment(context: SyncContext, step: Step) -> None:
    context.execute(
        f"COMMENT ON TABLE {context.qn(step.table)} IS %s", [step.desired.get("comment")]
    )


# --- indexes and constraints -------------------------------------------------


def _drop_constraint(context: SyncContext, step: Step) -> None:
    """A constraint, a foreign key's too."""
    context.execute(f"ALTER TABLE {context.qn(step.table)} DROP CONSTRAINT {context.qn(step.name)}")


def _drop_index(context: SyncContext, step: Step) -> None:
    context.execute(f"DROP INDEX {context.qn(step.name)}")


def _add_index(context: SyncContext, step: Step) -> None:
    """From the definition the scratch build of the models got (pg_get_indexdef)."""
    item = step.desired
    unique = "UNIQUE " if item.get("unique") else ""
    context.execute(
        f"CREATE {unique}INDEX {context.qn(item['name'])} ON {context.qn(step.table)} "
        f"{item['definition']}"
    )


def _add_constraint(context: SyncContext, step: Step) -> None:
    item = step.desired
    # pg_get_constraintdef's text; check records keep it under "check".
    definition = item.get("definition") or item["check"]
    context.execute(
        f"ALTER TABLE {context.qn(step.table)} ADD CONSTRAINT {context.qn(item['name'])} "
        f"{definition}"
    )


# The steps' SQL where the server takes the standard's; each backend
# replaces what it does otherwise (``Backend.step_appliers``).
_APPLY: dict[str, Applier] = {
    "rename_table": _rename_table,
    "rename_column": _rename_column,
    "create_table": _create_table,
    "drop_table": _drop_table,
    "add_column": add_column,
    "alter_column": _alter_column,
    "drop_column": drop_column,
    "alter_table_comment": _alter_table_comment,
    "drop_foreign_key": _drop_constraint,
    "drop_constraint": _drop_constraint,
    "drop_index": _drop_index,
    "add_index": _add_index,
    "add_constraint": _add_constraint,
    "add_foreign_key": _add_constraint,
    "run_migration_sql": lambda context, step: step.extra["skipped"].extend(
        migration_sql.run_in_editor(context.editor, step.extra["statements"])
    ),
}
