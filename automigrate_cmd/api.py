"""The Python API: ``automigrate()`` for callers and for the command."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TextIO

from django.apps import apps as global_apps
from django.core.management.sql import emit_pre_migrate_signal
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import ConnectionDoesNotExist

from . import bookkeeping, desired_cache
from .catalog import existing_tables
from .databases import per_database
from .exceptions import (
    AutomigrateError,
    Cancelled,
    DatabaseUnavailable,
    Refused,
    after_failure,
    first_line,
)
from .locking import DEFAULT_TIMEOUT, schema_lock
from .recreate.apply import apply_plan
from .recreate.plan import RecreatePlan, build_plan
from .report import Reporter, rows_text
from .schemas import where
from .selection import Label, describe, select_models


@dataclass
class AutomigrateResult:
    plan: RecreatePlan
    # The SQL a dry run would execute; empty after a real run.
    sql: list[str] = field(default_factory=list)
    recorded_migrations: list[tuple[str, str]] = field(default_factory=list)
    dry_run: bool = False


@per_database
def automigrate(
    labels: Label | Iterable[Label] | None = None,
    using: str = DEFAULT_DB_ALIAS,
    *,
    cascade: bool = False,
    dry_run: bool = False,
    confirm: Callable[[RecreatePlan], bool] | None = None,
    lock_timeout: float | None = DEFAULT_TIMEOUT,
    verbosity: int = 0,
    stdout: TextIO | None = None,
    style=None,
    interactive: bool = False,
    remember: bool = True,
) -> AutomigrateResult:
    """Drop and recreate the tables of the models that ``labels`` name.

    ``labels``: None (every model the database may hold), an app label,
    ``app_label.ModelName``, a bare model name, a model class, or a list of
    those. Rows in other tables that reference the recreated tables make it
    refuse (:class:`Refused`) unless ``cascade`` empties those tables too.
    ``confirm`` is asked before anything is dropped; a false answer raises
    :class:`Cancelled`. Calling this function without ``confirm`` is consent.
    ``remember`` stores the tables built as what the models want, so the next
    ``autoupdate`` need not build them again (pointless for a database that
    is about to be dropped, a test database that is not kept).
    ``using``: an alias, or a list of them: then each database is run on its
    own, in parallel, and the results come by alias (``databases.py``).
    """
    report = Reporter(stdout, style, verbosity)
    connection = connection_for(using)
    chosen = select_models(labels, using)
    if dry_run:
        plan = _plan_and_show(chosen, connection, cascade, report)
        sql = apply_plan(plan, connection, Reporter(), collect_sql=True)
        return AutomigrateResult(plan, sql=sql, dry_run=True)
    with schema_lock(connection, lock_timeout):
        plan = _plan_and_show(chosen, connection, cascade, report)
        if confirm is not None and (plan.drop or plan.empty) and not confirm(plan):
            raise Cancelled("Automigrate cancelled; nothing was changed.")
        signals = {"stdout": stdout or io.StringIO(), "apps": global_apps, "plan": []}
        # With those a stopped run left undone (the recreated ones are redone anyway).
        app_labels = {model._meta.app_label for model in plan.models}
        app_labels |= bookkeeping.unfinished(connection, existing_tables(connection))
        emit_pre_migrate_signal(verbosity, interactive, using, **signals)
        report.heading("Running automigrate:")
        bookkeeping.begin(connection, app_labels)
        _run(plan, connection, report)
        if remember:
            _remember(plan, connection, report)
        recorded = bookkeeping.finish(
            connection,
            app_labels,
            report,
            verbosity=verbosity,
            interactive=interactive,
            signals=signals,
        )
    _summarize(plan, report)
    return AutomigrateResult(plan, recorded_migrations=recorded)


def _plan_and_show(chosen, connection, cascade: bool, report: Reporter) -> RecreatePlan:
    plan = _plan(chosen, connection, cascade)
    report.heading("Operations to perform:")
    report.line("  Recreate tables for: " + describe(chosen, connection.alias))
    if plan.blockers:
        raise Refused(refusal_message(plan))
    return plan


def connection_for(using: str) -> BaseDatabaseWrapper:
    """The connection for ``using``, checked to answer; one-line errors if not."""
    try:
        connection = connections[using]
    except ConnectionDoesNotExist:
        known = ", ".join(connections)
        raise AutomigrateError(
            f"Unknown database alias '{using}'; settings.DATABASES has: {known}."
        ) from None
    try:
        connection.ensure_connection()
    except Exception as error:  # drivers raise their own classes for a bad config
        raise DatabaseUnavailable(
            f"Cannot connect to database '{using}' ({_describe(connection)}): "
            f"{first_line(error)}. Check settings.DATABASES (or DATABASE_URL) "
            "and that the server is running."
        ) from error
    return connection


def refusal_message(plan: RecreatePlan) -> str:
    dangling = ", ".join(
        f"{r.foreign_key.table}.{'/'.join(r.foreign_key.columns)} "
        f"-> {r.foreign_key.target} ({rows_text(r.rows)})"
        for r in plan.blockers
    )
    return (
        f"Refusing to recreate: rows in tables that are not being recreated reference them "
        f"and would be left dangling: {dangling}. Name those models too, or pass --cascade "
        "(cascade=True) to empty those tables as well. Nothing was changed."
    )


def _plan(chosen, connection: BaseDatabaseWrapper, cascade: bool) -> RecreatePlan:
    try:
        return build_plan(chosen, connection, cascade)
    except DatabaseError as error:
        message = f"Could not read the database catalog: {first_line(error)}"
        raise AutomigrateError(message) from error


def _run(plan: RecreatePlan, connection: BaseDatabaseWrapper, report: Reporter) -> None:
    try:
        apply_plan(plan, connection, report)
    except DatabaseError as error:
        undone = after_failure(error, rolled_back=connection.features.can_rollback_ddl)
        raise AutomigrateError(f"Automigrate failed: {first_line(error)}. {undone}") from error


def _remember(plan: RecreatePlan, connection: BaseDatabaseWrapper, report: Reporter) -> None:
    try:
        with transaction.atomic(using=connection.alias):
            desired_cache.store_built(connection, plan.models)
    except DatabaseError as error:
        # The tables are built and correct: only the next autoupdate's
        # shortcut is missing, which is no reason to fail the run.
        report.warning(
            f"  Could not store the built tables for autoupdate ({first_line(error)}); "
            "the next autoupdate builds them in a scratch place instead."
        )


def _summarize(plan: RecreatePlan, report: Reporter) -> None:
    parts = [f"dropped {len(plan.drop)}", f"created {len(plan.create)}"]
    if plan.empty:
        parts.append(f"emptied {len(plan.empty)}")
    report.line(
        report.style.SUCCESS(f"Automigrate done on {where(plan.using)}: tables {', '.join(parts)}.")
    )


def _describe(connection: BaseDatabaseWrapper) -> str:
    settings = connection.settings_dict
    where = settings.get("HOST") or ""
    if settings.get("PORT"):
        where += f":{settings['PORT']}"
    name = settings.get("NAME")
    return f"{connection.vendor}, NAME={name}" + (f", HOST={where}" if where else "")
