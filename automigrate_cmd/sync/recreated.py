"""Tables an unapplied migration deletes and creates again.

knox's ``0002`` is ``DeleteModel('AuthToken')`` then ``CreateModel`` with a
new primary key: ``migrate`` drops the table, and its rows, and makes the new
one. ``migration_hints`` notes such tables (``Hints.recreated``); the plan does
the same as the migration, a drop (its rows announced as lost, under the
data-loss rules) and a create, but only where the table cannot be brought to
the models with its rows: a step there is refused (a new primary key, a new
NOT NULL column nothing fills). Otherwise autoupdate keeps the rows, as it
does for any table.
"""

from __future__ import annotations

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

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
    """A step refused on a table of an app whose unapplied migrations run
    code (wagtailembeds' ``0007_populate_hash`` computes the values of the
    new unique column) says so, once per app: ``migrate`` runs that code."""
    app_of = {table: model._meta.app_label for model in chosen for table in tables_of(model)}
    named: set[str] = set()
    for step in steps:
        app = app_of.get(step.table, "")
        if step.impossible and app in hints.unapplied_code and app not in named:
            named.add(app)
            migrations = ", ".join(hints.unapplied_code[app])
            step.impossible += (
                f" ({app}'s unapplied migrations {migrations} run code autoupdate does not run: "
                f"run python manage.py migrate {app} first, then autoupdate)"
            )
