"""``autoupdate()``: alter the live schema until it matches the models,
keeping the data. Inspect -> diff -> measure -> apply, each in its module:

- ``scratch.desired_schema``: the models built where the server renders them
  (only those changed since ``desired_cache`` stored their tables);
- ``snapshot.inspect_schema``: the live tables, read the same way;
- ``diff.diff``: the steps between the two (a pure function);
- ``risks.measure``: what each step would do to the rows there;
- ``sync.apply_steps``: the steps through the schema editor.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol, TextIO

from django.apps import apps as global_apps
from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal
from django.db import DEFAULT_DB_ALIAS, DatabaseError, models
from django.db.backends.base.base import BaseDatabaseWrapper

from . import desired_cache
from .api import connection_for
from .catalog import existing_tables
from .diff import Step, apply_renames, diff, rename_candidates
from .exceptions import AutomigrateError, Cancelled, Refused, first_line
from .hints import Hints, parse_hints, resolve, set_default
from .history import record_history
from .locking import DEFAULT_TIMEOUT, schema_lock
from .name_clashes import mark_name_clashes
from .rendering import as_migrate_builds_them
from .report import Reporter
from .risks import measure
from .scratch import Desired, desired_by_model
from .selection import Label, select_models, syncable_models, tables_of
from .snapshot import inspect_schema
from .sync import apply_steps


@dataclass
class SyncPlan:
    using: str
    models: list[type[models.Model]]
    steps: list[Step]
    unmanaged_tables: list[str] = field(default_factory=list)
    hints: Hints = field(default_factory=Hints)

    @property
    def losses(self) -> list[str]:
        return [step.loss for step in self.steps if step.loss]

    @property
    def impossible(self) -> list[str]:
        return [step.impossible for step in self.steps if step.impossible]


@dataclass
class SyncResult:
    plan: SyncPlan
    sql: list[str] = field(default_factory=list)
    applied: bool = False


def autoupdate(
    labels: Label | Iterable[Label] | None = None,
    using: str = DEFAULT_DB_ALIAS,
    *,
    dry_run: bool = False,
    accept_data_loss: bool = False,
    confirm_loss: Callable[[SyncPlan], bool | None] | None = None,
    renames: Iterable[str] = (),
    defaults: Iterable[str] = (),
    questioner: Questioner | None = None,
    lock_timeout: float | None = DEFAULT_TIMEOUT,
    verbosity: int = 0,
    stdout: TextIO | None = None,
    style=None,
    interactive: bool = False,
) -> SyncResult:
    """Alter the tables of the models ``labels`` names until they match.

    Steps that would lose data are refused (:class:`Refused`, naming each with
    its row counts) unless ``accept_data_loss``, or ``confirm_loss`` says yes;
    steps that cannot succeed on the rows there are refused always.
    ``renames`` (``"app.Model.old=new"``, ``"app.OldModel=NewModel"``) keep
    data where a drop and an add would lose it; ``defaults``
    (``"app.Model.field=VALUE"``) fill existing rows of a column that becomes
    required. A ``questioner`` (interactive runs) is asked about possible
    renames and missing defaults; nothing is ever guessed without one. Runs
    against one database are serialized by a lock (``lock_timeout`` seconds
    at most); a run that waited plans again from what the other one left.
    """
    report = Reporter(stdout, style, verbosity)
    connection = connection_for(using)
    chosen = select_models(labels, using)
    hints = parse_hints(renames, defaults, connection, chosen)
    report.heading("Operations to perform:")
    report.line("  Synchronize tables of: " + ", ".join(m._meta.label for m in chosen))
    if dry_run:
        plan, desired, models_by_table = _plan(chosen, connection, hints, questioner)
        _show_plan(plan, report)
        _refuse_impossible(plan)
        sql = apply_steps(plan.steps, connection, models_by_table, desired, Reporter(), True, hints)
        return SyncResult(plan, sql=sql)
    with schema_lock(connection, lock_timeout):
        plan, desired, models_by_table = _plan(chosen, connection, hints, questioner, True)
        _show_plan(plan, report)
        _refuse_impossible(plan)
        if plan.losses and not accept_data_loss:
            _ask_about_losses(plan, confirm_loss)
        if not plan.steps:
            report.line("  No changes: the database matches the models.")
            return SyncResult(plan)
        signals = {"stdout": stdout or io.StringIO(), "apps": global_apps, "plan": []}
        emit_pre_migrate_signal(verbosity, interactive, using, **signals)
        report.heading("Running autoupdate:")
        _apply(plan, connection, models_by_table, desired, report)
        record_history(connection, chosen, report)
        emit_post_migrate_signal(verbosity, interactive, using, **signals)
    report.line(
        report.style.SUCCESS(
            f"Autoupdate done on database '{using}': {len(plan.steps)} change(s) applied."
        )
    )
    return SyncResult(plan, applied=True)


def check(
    labels: Label | Iterable[Label] | None = None,
    using: str = DEFAULT_DB_ALIAS,
    *,
    renames: Iterable[str] = (),
    defaults: Iterable[str] = (),
) -> SyncPlan:
    """The plan autoupdate would apply, changing nothing: empty when in sync.
    ``renames`` and ``defaults`` are checked and used as autoupdate would."""
    connection = connection_for(using)
    chosen = select_models(labels, using)
    hints = parse_hints(renames, defaults, connection, chosen)
    plan, _desired, _models = _plan(chosen, connection, hints, None)
    return plan


def _refuse_impossible(plan: SyncPlan) -> None:
    if plan.impossible:
        raise Refused("Cannot apply: " + "; ".join(plan.impossible) + ". Nothing was changed.")


def _ask_about_losses(plan: SyncPlan, confirm_loss) -> None:
    # confirm_loss answers True or False, or None when it cannot ask.
    answered = confirm_loss(plan) if confirm_loss is not None else None
    if answered is False:
        raise Cancelled("Autoupdate cancelled; nothing was changed.")
    if answered is None:
        raise Refused(
            "Refusing to lose data: " + "; ".join(plan.losses) + ". Pass --accept-data-loss "
            "(accept_data_loss=True) to apply anyway. Nothing was changed."
        )


def plan_as_json(plan: SyncPlan) -> dict:
    """The plan for tools: ``autoupdate --json``."""
    return {
        "database": plan.using,
        "in_sync": not plan.steps,
        "steps": [
            {
                "kind": step.kind,
                "table": step.table,
                "name": step.name,
                "detail": step.detail,
                "description": step.describe(),
                "data_loss": step.loss or None,
                "impossible": step.impossible or None,
            }
            for step in plan.steps
        ],
    }


class Questioner(Protocol):
    """Asks the person at the terminal what the schemas cannot tell."""

    def ask_rename(self, table: str, old: str, new: str) -> bool: ...

    def ask_default(self, label: str, table: str, column: str) -> str | None: ...


def _plan(
    chosen,
    connection: BaseDatabaseWrapper,
    hints: Hints,
    questioner: Questioner | None,
    remember: bool = False,
):
    """The plan, after asking the questioner (if any) about renames and
    backfill values; each answer re-plans from the live database. With
    ``remember``, a desired schema built from scratch is cached."""
    plan, desired, models_by_table, live = _plan_once(chosen, connection, hints, remember)
    if questioner is None:
        return plan, desired, models_by_table
    taken: set[tuple[str, str]] = set()
    for table, old, new in rename_candidates(live, desired.snapshot):
        unasked = (table, old) not in taken and (table, new) not in taken
        if unasked and questioner.ask_rename(table, old, new):
            hints.column_renames[(table, new)] = old
            taken |= {(table, old), (table, new)}
    answered = False
    for step in plan.steps:
        for table, column in step.extra.get("needs_default", []):
            field = _fields_by_column(models_by_table)[(table, column)]
            label = f"{field.model._meta.label}.{field.name}"
            raw = questioner.ask_default(label, table, column)
            if raw is not None:
                set_default(hints, field, raw)
                answered = True
    if taken or answered:
        plan, desired, models_by_table, live = _plan_once(chosen, connection, hints, remember)
    return plan, desired, models_by_table


def _plan_once(chosen, connection: BaseDatabaseWrapper, hints: Hints, remember: bool):
    tables = [table for model in chosen for table in tables_of(model)]
    try:
        present = existing_tables(connection)  # read once: renames, the cache, the listing
        live = inspect_schema(connection, [*tables, *hints.tables_to_inspect()])
        resolve(hints, present, {table: set(record["columns"]) for table, record in live.items()})
        live, renames = apply_renames(live, hints.table_renames, hints.column_renames)
        live = {table: record for table, record in live.items() if table in tables}
        desired, to_create = _desired(chosen, connection, present, remember)
        # In sync, the two snapshots are equal: nothing to diff (diff() would
        # agree, only slower).
        in_sync = not renames and live == desired.snapshot
        steps = [] if in_sync else renames + diff(live, desired.snapshot, connection.vendor)
        # The classes to build from are only needed when there is work to do.
        models_by_table = (
            _models_by_table(to_create or as_migrate_builds_them(chosen)) if steps else {}
        )
        measure(
            steps, connection, _fields_by_column(models_by_table), hints, live, desired.snapshot
        )
        mark_name_clashes(steps, connection, desired.snapshot, set(hints.table_renames.values()))
        unmanaged = _unmanaged_tables(connection, present)
    except DatabaseError as error:
        raise AutomigrateError(f"Could not inspect the database: {first_line(error)}") from error
    plan = SyncPlan(connection.alias, chosen, steps, unmanaged, hints)
    return plan, desired, models_by_table, live


def _desired(chosen, connection: BaseDatabaseWrapper, present: set[str], remember: bool):
    """What the models want: the stored tables of models unchanged since they
    were stored, the others built in the scratch place (and stored, with
    ``remember``). Also the classes built from, when any were."""
    keys = desired_cache.fingerprints(chosen, connection)
    parts = desired_cache.load(connection, keys, present)
    missing = {model._meta.label_lower for model in chosen} - set(parts)
    to_create = None
    if missing:
        to_create = as_migrate_builds_them(chosen)
        built = desired_by_model(connection, to_create, missing)
        parts.update(built)
        if remember:
            desired_cache.store(connection, keys, built)
    return desired_cache.combine(parts[model._meta.label_lower] for model in chosen), to_create


def _models_by_table(to_create) -> dict[str, type[models.Model]]:
    found = {}
    for model in to_create:
        found[model._meta.db_table] = model
        for m2m in model._meta.local_many_to_many:
            through = m2m.remote_field.through
            if through._meta.auto_created:
                found[through._meta.db_table] = through
    return found


def _fields_by_column(models_by_table) -> dict[tuple[str, str], models.Field]:
    return {
        (table, f.column): f
        for table, model in models_by_table.items()
        for f in model._meta.local_concrete_fields
    }


def _unmanaged_tables(connection: BaseDatabaseWrapper, present: set[str]) -> list[str]:
    """Tables no model that this database holds owns: never touched."""
    owned = {t for m in syncable_models(connection.alias) for t in tables_of(m)}
    owned |= {"django_migrations", desired_cache.TABLE}
    return sorted(present - owned)


def _show_plan(plan: SyncPlan, report: Reporter) -> None:
    if plan.unmanaged_tables:
        report.line(
            "  Not managed by these models (left alone): " + ", ".join(plan.unmanaged_tables),
            level=2,
        )
    if not plan.steps:
        return
    report.heading("Planned changes:")
    for step in plan.steps:
        line = f"  - {step.describe()}"
        warnings = step_warnings(step)
        report.line(report.style.WARNING(f"{line}  [{warnings}]") if warnings else line)


def step_warnings(step: Step) -> str:
    """What a step would do to the rows there, for the printed plan."""
    parts = [f"cannot apply: {step.impossible}"] if step.impossible else []
    parts += [f"data loss: {step.loss}"] if step.loss else []
    return "; ".join(parts)


def _apply(plan: SyncPlan, connection, models_by_table, desired: Desired, report) -> None:
    try:
        apply_steps(plan.steps, connection, models_by_table, desired, report, hints=plan.hints)
    except DatabaseError as error:
        undone = (
            "Nothing was changed (the run was rolled back)."
            if connection.features.can_rollback_ddl
            else "The database does not roll back DDL: fix the cause and run autoupdate again."
        )
        raise AutomigrateError(f"Autoupdate failed: {first_line(error)}. {undone}") from error
