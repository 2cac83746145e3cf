"""Tables (and columns) an unapplied migration deletes and creates again.

knox's ``0002`` is ``DeleteModel('AuthToken')`` then ``CreateModel`` with a
new primary key: ``migrate`` drops the table, and its rows, and makes the new
one. ``migration_hints`` notes such tables (``Hints.recreated``); the plan does
the same as the migration, a drop (its rows announced as lost, under the
data-loss rules) and a create, but only where the table cannot be brought to
the models with its rows: a step there is refused (a new primary key, a new
NOT NULL column nothing fills). Otherwise autoupdate keeps the rows, as it
does for any table.

A column works the same way (``RemoveField`` then ``AddField`` of that name,
or a ``RenameField`` into it): where a step keeping its values is refused (a
type they do not convert to), the old column is renamed out of the way and
dropped (its values announced as lost), and the new field's column added,
or the renamed one moved in.
"""

from __future__ import annotations

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import truncate_name

from ..catalog import foreign_keys_into
from ..selection import tables_of
from .diff import Step
from .hints import Hints


def tables_to_recreate(steps: list[Step], hints: Hints) -> set[str]:
    """The tables the history recreates where a step of the plan is refused
    (and that the plan does not recreate yet)."""
    return {
        step.table
        for step in steps
        if step.impossible and step.table in hints.recreated and step.table not in hints.recreating
    }


def recreation_steps(hints: Hints) -> list[Step]:
    """A drop of each table the plan recreates (the diff, which no longer sees
    the live table, plans its create)."""
    return [
        Step(
            "drop_table",
            table,
            detail=f"as {hints.recreated[table]} does",
            extra={"what": "", "label": "", "recreated_by": hints.recreated[table]},
        )
        for table in sorted(hints.recreating, reverse=True)
    ]


def mark_referenced_recreations(steps: list[Step], connection: BaseDatabaseWrapper) -> None:
    """A table another one references cannot be dropped and made again here:
    the reference would have to go and come back (``migrate`` drops the
    referencing many-to-many tables with the model)."""
    recreated = {s.table: s for s in steps if s.kind == "drop_table" and is_recreation(s)}
    for fk in foreign_keys_into(connection, list(recreated)):
        if fk.table != fk.target:
            step = recreated[fk.target]
            step.impossible = step.impossible or (
                f"{fk.target}: {step.extra['recreated_by']} deletes the model and creates it "
                f"again, and {fk.table} ({', '.join(fk.columns)}) references it; run migrate "
                "for that app"
            )


def is_recreation(step: Step) -> bool:
    return bool(step.extra.get("recreated_by"))


def name_unapplied_code(steps: list[Step], hints: Hints, chosen: list[type[models.Model]]) -> None:
    """Once per app whose unapplied migrations run code autoupdate does not
    run (a ``RunPython``; ``RunSQL`` beyond what ``migration_sql`` makes):
    ``migrate`` runs that code. A step refused there says so (wagtailembeds'
    ``0007_populate_hash`` computes the values of the new unique column).
    Otherwise the app's first step announces it as a loss, under the
    data-loss rules: what the code would write (a data migration's values)
    is not written, and ``migrate`` cannot run it afterwards, on a schema
    that is already past it."""
    app_of = {table: model._meta.app_label for model in chosen for table in tables_of(model)}
    named: set[str] = set()
    for step in steps:
        app = app_of.get(step.table, "")
        if step.impossible and app in hints.unapplied_code and app not in named:
            named.add(app)
            step.impossible += f" ({_unapplied_code(hints, app)})"
    _name_readded_columns(steps, hints, app_of, named)
    for step in steps:
        app = app_of.get(step.table, "")
        if app in hints.unapplied_code and app not in named:
            named.add(app)
            what = _unapplied_code(hints, app, " (what it writes would not be written)")
            step.loss = f"{step.loss}; {what}" if step.loss else what


def _name_readded_columns(steps: list[Step], hints: Hints, app_of: dict, named: set) -> None:
    """A step refused on a column the unapplied history removes and makes
    again (its values cannot become the new field's) says what migrate does."""
    for step in steps:
        app = app_of.get(step.table, "")
        readded = [
            why
            for (table, column), why in sorted(hints.readded.items())
            if table == step.table and (column == step.name or step.kind == "rebuild_table")
        ]
        if step.impossible and readded and app not in named:
            named.add(app)
            step.impossible += (
                f" ({'; '.join(readded)}, which drops its values: "
                f"run python manage.py migrate {app} first, then autoupdate)"
            )


def _unapplied_code(hints: Hints, app: str, consequence: str = "") -> str:
    migrations = ", ".join(hints.unapplied_code[app])
    return (
        f"{app}'s unapplied migrations {migrations} run code autoupdate does not run"
        f"{consequence}: run python manage.py migrate {app} first, then autoupdate"
    )


def readd_refused_columns(
    steps: list[Step], hints: Hints, live, max_length: int | None = None
) -> bool:
    """Note the columns the history removes and makes again where a step of
    the plan keeping them is refused; True if there are new ones (plan again).
    ``max_length``: the backend's longest name (None: no limit)."""
    found = False
    for step in steps:
        if not step.impossible:
            continue
        for table, column in hints.readded:
            refused_here = column == step.name or step.kind == "rebuild_table"
            if table == step.table and refused_here and (table, column) not in hints.readding:
                taken = set(live.get(table, {}).get("columns", {}))
                placeholder = _free_name(f"{column}__replaced", taken, max_length)
                hints.readding[(table, column)] = placeholder
                found = True
    return found


def _free_name(name: str, taken: set[str], max_length: int | None = None) -> str:
    """``name``, or ``name2``, ``name3``... if taken; shortened as Django
    shortens names (a hash at the end) where the backend's limit needs it."""
    candidate, number = name, 1
    while True:
        if max_length and len(candidate) > max_length:
            candidate = truncate_name(candidate, max_length)
        if candidate not in taken:
            return candidate
        number += 1
        candidate = f"{name}{number}"


def without_readded(columns: dict[str, set[str]], hints: Hints) -> dict[str, set[str]]:
    """The live columns as the renames see them: a column the plan drops and
    adds again is not there (a rename into its name may take it)."""
    gone = {table: {c for t, c in hints.readding if t == table} for table, _c in hints.readding}
    return {table: names - gone.get(table, set()) for table, names in columns.items()}


def rename_readded_columns(hints: Hints) -> None:
    """Move each column the plan drops and adds again out of the way: the
    diff then drops it under its new name and adds the new field's column."""
    for (table, column), placeholder in hints.readding.items():
        hints.column_renames[(table, placeholder)] = column


def name_readded_renames(renames: list[Step], hints: Hints) -> None:
    """A rename that moves a column out of the way says why."""
    placeholders = {(t, p): (t, c) for (t, c), p in hints.readding.items()}
    for step in renames:
        key = placeholders.get((step.table, step.name))
        if step.kind == "rename_column" and key:
            step.detail += f" ({hints.readded[key]}: dropped below, with its values)"
