"""``autoupdate()``: alter the live schema until it matches the models,
keeping the data. Inspect -> diff -> measure -> apply, each in its module:

- ``scratch.desired_schema``: the models built where the server renders them
  (only those changed since ``desired_cache`` stored their tables);
- ``snapshot.inspect_schema``: the live tables, read the same way;
- ``diff.diff``: the steps between the two (a pure function);
- ``risks.measure``: what each step would do to the rows there;
- ``apply.apply_steps``: the steps through the schema editor.
"""

from __future__ import annotations

import copy
import functools
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TextIO

from django.apps import apps as global_apps
from django.core.management.sql import emit_pre_migrate_signal
from django.db import DEFAULT_DB_ALIAS, DatabaseError, models
from django.db.backends.base.base import BaseDatabaseWrapper

from .. import bookkeeping, desired_cache, twins
from ..api import connection_for
from ..backends import backend_for
from ..catalog import existing_tables, stored_name
from ..databases import per_database
from ..exceptions import AutomigrateError, Cancelled, Refused, after_failure, first_line
from ..locking import DEFAULT_TIMEOUT, schema_lock
from ..migration_sql import with_migration_sql
from ..report import Reporter
from ..schemas import where
from ..scratch import Desired, desired_by_model
from ..selection import Label, describe, select_models, syncable_models, tables_of
from ..snapshot import inspect_schema
from . import unrecorded
from .apply import apply_steps
from .declared_names import names_declared_by_history
from .diff import STEP_ORDER, Step, apply_renames, diff
from .hints import Hints, name_sources, parse_hints, resolve
from .link_tables import follow_retargeted_links
from .migration_hints import add_history_hints
from .name_clashes import mark_name_clashes
from .plan_output import show_plan
from .primary_keys import outside_references
from .questions import Questioner, ask_defaults, ask_renames
from .recreated import (
    mark_referenced_recreations,
    name_readded_renames,
    name_unapplied_code,
    readd_refused_columns,
    recreation_steps,
    rename_readded_columns,
    tables_to_recreate,
    without_readded,
)
from .removed import drop_steps, mark_referenced, removed_tables
from .risks import measure
from .undeclared import Target, keep_undeclared
from .unrecorded import Unrecorded


@dataclass
class SyncPlan:
    using: str
    models: list[type[models.Model]]
    steps: list[Step]
    unmanaged_tables: list[str] = field(default_factory=list)
    hints: Hints = field(default_factory=Hints)
    # What the live tables have that no version of the models declared: left alone.
    kept: list[str] = field(default_factory=list)
    # Desired tables built in the scratch place, stored once the run succeeds.
    to_store: tuple[dict[str, str], dict[str, Desired]] = ({}, {})
    # Apps whose bookkeeping (migration history, post_migrate) a stopped run left undone.
    unfinished: set[str] = field(default_factory=set)
    # In sync: unapplied migrations whose changes are already in the database.
    unrecorded: Unrecorded = field(default_factory=Unrecorded)

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


@per_database
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
    drop_undeclared: bool = False,
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
    Indexes, constraints and collations that no version of the models
    declared are kept (``undeclared.py``) unless ``drop_undeclared``.
    ``using`` may be a list of aliases: each database is run on its own, in
    parallel, and the results come by alias (``databases.py``).
    """
    report = Reporter(stdout, style, verbosity)
    connection = connection_for(using)
    chosen = select_models(labels, using)
    hints = parse_hints(renames, defaults, connection, chosen)
    report.heading("Operations to perform:")
    report.line("  Synchronize tables of: " + describe(chosen, connection.alias))
    if dry_run:
        return _dry_run(chosen, connection, hints, questioner, drop_undeclared, report)
    with schema_lock(connection, lock_timeout):
        plan, desired, models_by_table = _plan_or_twins(
            "autoupdate",
            (renames, defaults),
            chosen,
            connection,
            hints,
            questioner,
            drop_undeclared,
        )
        show_plan(plan, report)
        _refuse_impossible(plan)
        if plan.losses and not accept_data_loss:
            _ask_about_losses(plan, confirm_loss)
        signals = {"stdout": stdout or io.StringIO(), "apps": global_apps, "plan": []}
        finishing = {"verbosity": verbosity, "interactive": interactive, "signals": signals}
        if not plan.steps:
            _remember(connection, plan)
            report.line("  No changes: the database matches the models.")
            if plan.unfinished:
                _finish_stopped_run(plan, connection, report, finishing)
            _record_unrecorded(plan, connection, report)
            return SyncResult(plan)
        app_labels = {model._meta.app_label for model in chosen} | plan.unfinished
        emit_pre_migrate_signal(verbosity, interactive, using, **signals)
        report.heading("Running autoupdate:")
        bookkeeping.begin(connection, app_labels)
        _apply(plan, connection, models_by_table, desired, report)
        _remember(connection, plan)
        bookkeeping.finish(connection, app_labels, report, **finishing)
    report.line(
        report.style.SUCCESS(
            f"Autoupdate done on {where(using)}: {len(plan.steps)} change(s) applied."
        )
    )
    return SyncResult(plan, applied=True)


def _dry_run(
    chosen, connection: BaseDatabaseWrapper, hints: Hints, questioner, drop_undeclared, report
) -> SyncResult:
    """The plan shown, and the SQL it would run collected: nothing changes."""
    plan, desired, models_by_table = _plan(chosen, connection, hints, questioner, drop_undeclared)
    show_plan(plan, report)
    if not plan.steps:
        for line in unrecorded.would_record_lines(plan.unrecorded, connection.alias):
            report.line(line)
    _refuse_impossible(plan)
    sql = apply_steps(plan.steps, connection, models_by_table, desired, Reporter(), True, hints)
    return SyncResult(plan, sql=sql)


@per_database
def check(
    labels: Label | Iterable[Label] | None = None,
    using: str = DEFAULT_DB_ALIAS,
    *,
    renames: Iterable[str] = (),
    defaults: Iterable[str] = (),
    drop_undeclared: bool = False,
) -> SyncPlan:
    """The plan autoupdate would apply, changing nothing: empty when in sync.
    ``renames`` and ``defaults`` are checked and used as autoupdate would;
    several aliases as ``using`` give the plans by alias."""
    connection = connection_for(using)
    chosen = select_models(labels, using)
    hints = parse_hints(renames, defaults, connection, chosen)
    plan, _desired, _models = _plan_or_twins(
        "check", (renames, defaults), chosen, connection, hints, None, drop_undeclared
    )
    return plan


def _remember(connection: BaseDatabaseWrapper, plan: SyncPlan) -> None:
    """Store the desired tables the plan built, now that the live tables are
    them: they are what the models produced before, for the next run."""
    keys, built = plan.to_store
    desired_cache.store(connection, keys, built)
    desired_cache.forget(
        connection, {s.extra["label"] for s in plan.steps if s.kind == "drop_table"} - {""}
    )


def _finish_stopped_run(plan: SyncPlan, connection, report: Reporter, finishing: dict) -> None:
    """The schema is in sync, but a run stopped after its DDL left its
    bookkeeping undone: do it now, or ``migrate`` fails on tables that exist."""
    report.line(
        "  Finishing what an interrupted run left undone for "
        f"{', '.join(sorted(plan.unfinished))}: migration history, post-migrate handlers."
    )
    bookkeeping.finish(connection, plan.unfinished, report, **finishing)


def _record_unrecorded(plan: SyncPlan, connection, report: Reporter) -> None:
    """Record the migrations whose changes are already in the database, or
    ``migrate`` would apply them again (see ``unrecorded``)."""
    # The apps a stopped run left have all their migrations recorded by now.
    names = unrecorded.record(connection, plan.unrecorded, skip=plan.unfinished)
    if names:
        report.line(
            "  Recorded as applied (their changes are already in the database): " + ", ".join(names)
        )
    for line in unrecorded.left_lines(plan.unrecorded):
        report.line(line)


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


def _plan_or_twins(
    command: str, options: tuple, chosen, connection, hints: Hints, questioner, drop_undeclared
):
    """``_plan()``, or in a multi-schema run the empty plan ``command`` made
    of a copy of this schema (``twins``) for the same models and ``options``
    (renames, defaults). A run that asks questions plans each schema itself."""

    def planned():
        found = _plan(chosen, connection, hints, questioner, drop_undeclared)
        return found, _nothing_to_do(found[0], writes=command == "autoupdate")

    if questioner is not None:
        return planned()[0]
    given = tuple(tuple(map(str, values)) for values in options)
    run = (command, given, drop_undeclared, tuple(m._meta.label_lower for m in chosen))
    plan, desired, models_by_table = twins.planned_once(connection, run, planned)
    return copy.copy(plan), desired, models_by_table


def _nothing_to_do(plan: SyncPlan, writes: bool) -> bool:
    """No steps, and (for a run that writes) nothing to write either: the
    run leaves the schema as it found it."""
    if plan.steps:
        return False
    return not writes or not (plan.to_store[1] or plan.unfinished or plan.unrecorded.rows)


def _plan(
    chosen,
    connection: BaseDatabaseWrapper,
    hints: Hints,
    questioner: Questioner | None,
    drop_undeclared: bool = False,
):
    """The plan, after asking the questioner (if any) about renames, then
    about backfill values for what the plan *with* those renames still
    needs; each answer re-plans from the live database."""
    plan, desired, models_by_table, live = _plan_once(chosen, connection, hints, drop_undeclared)
    if questioner is None:
        return plan, desired, models_by_table
    if ask_renames(questioner, hints, live, desired):
        plan, desired, models_by_table, live = _plan_once(
            chosen, connection, hints, drop_undeclared
        )
    fields = _fields_by_column(connection, models_by_table)
    if ask_defaults(questioner, hints, plan.steps, fields, connection):
        plan, desired, models_by_table, live = _plan_once(
            chosen, connection, hints, drop_undeclared
        )
    return plan, desired, models_by_table


def _plan_once(chosen, connection: BaseDatabaseWrapper, hints: Hints, drop_undeclared: bool):
    tables = [table for model in chosen for table in tables_of(model)]
    try:
        present = existing_tables(connection)  # read once: renames, the cache, the listing
        history = unrecorded.read_history(connection, chosen, present)
        if not hints.history_read:  # once: the questioner's answers re-plan
            add_history_hints(hints, connection, chosen, history)
            hints.history_read = True
        live = inspect_schema(connection, [*tables, *hints.tables_to_inspect()])
        columns = {table: set(record["columns"]) for table, record in live.items()}
        resolve(hints, present, without_readded(columns, hints))
        rename_readded_columns(hints)
        follow_retargeted_links(hints, live, chosen, connection)
        live, renames = apply_renames(live, hints.table_renames, hints.column_renames)
        name_sources(renames, hints)
        name_readded_renames(renames, hints)
        # A table the plan drops and creates again (recreated.py) is not diffed.
        live = {
            t: record for t, record in live.items() if t in tables and t not in hints.recreating
        }
        desired, to_create, stored, to_store = _desired(chosen, connection, present)
        previous = desired_cache.combine(stored.get(m._meta.label_lower) for m in chosen).snapshot
        # In the live tables' terms: what the models produced, renamed as they are now.
        previous, _ = apply_renames(previous, hints.table_renames, hints.column_renames)
        target = (
            Target(desired.snapshot)
            if drop_undeclared
            else keep_undeclared(
                live, desired.snapshot, previous, _fk_indexes(connection), _history_names(chosen)
            )
        )
        _leave_virtual_tables(live, target)
        # In sync, the two snapshots are equal: nothing to diff (diff() would
        # agree, only slower).
        gone = [
            r
            for r in removed_tables(connection, chosen, present, _stored_tables(stored))
            if r.table not in hints.table_renames.values()
        ]
        in_sync = not renames and not gone and live == target.snapshot
        steps = [] if in_sync else renames + _diff(live, target.snapshot, connection)
        if steps:
            steps, live, desired = _with_outside_references(
                connection, chosen, steps, live, desired
            )
        steps = _in_order(drop_steps(gone) + recreation_steps(hints) + steps)
        steps = with_migration_sql(steps, connection, chosen, history, live)
        # The classes to build from are only needed when there is work to do.
        builds = (to_create or desired_cache.as_migrate_builds_them(chosen)) if steps else []
        models_by_table = _models_by_table(builds)
        fields = _fields_by_column(connection, models_by_table)
        measure(steps, connection, fields, hints, live, target.snapshot)
        recreate = tables_to_recreate(steps, hints)
        if recreate:  # refused with its rows: as the history does
            hints.recreating |= recreate
        max_length = connection.ops.max_name_length()
        if recreate or readd_refused_columns(steps, hints, live, max_length):
            return _plan_once(chosen, connection, hints, drop_undeclared)
        if gone:
            mark_referenced(steps, connection, {*tables, *hints.table_renames.values()})
        mark_referenced_recreations(steps, connection)
        name_unapplied_code(steps, hints, chosen)
        moving = {*hints.table_renames.values(), *(r.table for r in gone), *hints.recreating}
        mark_name_clashes(steps, connection, target.snapshot, moving)
        unmanaged = _unmanaged_tables(connection, present)
        unfinished = bookkeeping.unfinished(connection, present)
        found = Unrecorded() if steps else unrecorded.find(connection, history)
    except DatabaseError as error:
        raise AutomigrateError(f"Could not inspect the database: {first_line(error)}") from error
    plan = SyncPlan(connection.alias, chosen, steps, unmanaged, hints, target.kept, to_store)
    plan.unfinished = unfinished
    plan.unrecorded = found
    return plan, desired, models_by_table, live


def _history_names(chosen: list[type[models.Model]]) -> Callable[[], set[str]]:
    """The names the migration files of ``chosen``'s apps declared, loaded
    on first use (only an item that would be kept asks)."""
    apps = {model._meta.app_label for model in chosen}
    return functools.cache(lambda: names_declared_by_history(apps))


def _fk_indexes(connection: BaseDatabaseWrapper) -> bool:
    return backend_for(connection).foreign_keys_need_indexes


def _diff(live, desired, connection: BaseDatabaseWrapper) -> list[Step]:
    drops_columns = getattr(connection.features, "can_alter_table_drop_column", True)
    return diff(live, desired, backend_for(connection), drops_columns=drops_columns)


def _with_outside_references(connection, chosen, steps: list[Step], live, desired: Desired):
    """The plan plus the columns of other models' tables that point at a
    primary key the plan changes (see ``primary_keys``)."""
    extra, outside_live, mysql_lines = outside_references(
        connection, chosen, steps, desired.snapshot
    )
    if not extra:
        return steps, live, desired
    steps = sorted(steps + extra, key=lambda step: STEP_ORDER.index(step.kind))
    desired = Desired(desired.snapshot, {**desired.mysql_lines, **mysql_lines})
    return steps, {**live, **outside_live}, desired


def _desired(chosen, connection: BaseDatabaseWrapper, present: set[str]):
    """What the models want: the stored tables of models unchanged since they
    were stored, the others built in the scratch place. Also the classes
    built from (when any were), what the models produced before (the stored
    tables of any version, by model label), and what to store once the run
    succeeds."""
    keys = desired_cache.fingerprints(chosen, connection)
    parts, stored = desired_cache.load_with_previous(connection, keys, present)
    missing = {model._meta.label_lower for model in chosen} - set(parts)
    to_create, built = None, {}
    if missing:
        to_create = desired_cache.as_migrate_builds_them(chosen)
        build = functools.partial(desired_by_model, connection, to_create)
        built = desired_cache.shared_or_built(keys, missing, build)
        parts.update(built)
    desired = desired_cache.combine(parts[model._meta.label_lower] for model in chosen)
    return desired, to_create, stored, (keys, built)


def _leave_virtual_tables(live: dict, target: Target) -> None:
    """SQLite: a model whose table is a virtual table (wagtail's FTS5 search
    index, made by its migration's RunSQL) is left as it is: its columns are
    the module's, and a virtual table cannot be altered."""
    for table in [t for t, record in live.items() if (record.get("options") or {}).get("virtual")]:
        del live[table]
        target.snapshot.pop(table, None)
        target.kept.append(f"virtual table {table} (not compared)")


def _stored_tables(stored: dict[str, Desired]) -> dict[str, list[str]]:
    return {label: list(part.snapshot) for label, part in stored.items()}


def _in_order(steps: list[Step]) -> list[Step]:
    return sorted(steps, key=lambda step: STEP_ORDER.index(step.kind))


def _models_by_table(to_create) -> dict[str, type[models.Model]]:
    found = {}
    for model in to_create:
        found[model._meta.db_table] = model
        for m2m in model._meta.local_many_to_many:
            through = m2m.remote_field.through
            if through._meta.auto_created:
                found[through._meta.db_table] = through
    return found


def _fields_by_column(
    connection: BaseDatabaseWrapper, models_by_table
) -> dict[tuple[str, str], models.Field]:
    """Fields by (table, column), columns named as the server stores them
    (as the plan's steps name them)."""
    return {
        (table, stored_name(connection, f.column)): f
        for table, model in models_by_table.items()
        for f in model._meta.local_concrete_fields
    }


def _unmanaged_tables(connection: BaseDatabaseWrapper, present: set[str]) -> list[str]:
    """Tables no model that this database holds owns: never touched."""
    owned = {
        stored_name(connection, t) for m in syncable_models(connection.alias) for t in tables_of(m)
    }
    owned |= {"django_migrations", desired_cache.TABLE, bookkeeping.TABLE}
    return sorted(present - owned)


def _apply(plan: SyncPlan, connection, models_by_table, desired: Desired, report) -> None:
    try:
        apply_steps(plan.steps, connection, models_by_table, desired, report, hints=plan.hints)
        for step in plan.steps:
            for line in step.extra.get("skipped", []):
                report.line(f"  Skipped, it no longer fits the models: {line}")
    except DatabaseError as error:
        undone = after_failure(error, rolled_back=connection.features.can_rollback_ddl)
        raise AutomigrateError(f"Autoupdate failed: {first_line(error)}. {undone}") from error
