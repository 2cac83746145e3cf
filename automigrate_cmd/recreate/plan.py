"""What an ``automigrate`` run will do, worked out before anything changes.

The plan names the tables that are dropped (with their row counts), the
tables created, the foreign keys from outside the selection that point into
it, and, with ``cascade``, the tables emptied so no row is left dangling.
Building it only reads the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from .. import migration_sql
from ..backends import backend_named
from ..catalog import ForeignKey, count_rows, existing_tables, foreign_keys_into, stored_name
from ..migration_sql import ObjectStatement
from ..rendering import as_migrate_builds_them
from ..report import rows_text
from ..selection import tables_of


@dataclass(frozen=True)
class TableRows:
    table: str
    rows: int


@dataclass(frozen=True)
class Reference:
    """A foreign key from a table outside the selection into a recreated table."""

    foreign_key: ForeignKey
    # Rows whose key is set: they would point at nothing after the recreate.
    rows: int


@dataclass
class RecreatePlan:
    using: str
    vendor: str
    models: list[type[models.Model]]
    # The classes the tables are built from (see rendering.py).
    models_to_create: list[type[models.Model]]
    create: list[str]
    drop: list[TableRows]
    references: list[Reference]
    # Foreign keys between the recreated tables themselves (they come back
    # with the tables; PostgreSQL drops them first so tables drop in any order).
    internal_foreign_keys: list[ForeignKey]
    empty: list[TableRows] = field(default_factory=list)
    cascade: bool = False
    # What the apps' migrations make with SQL on the new tables (migration_sql.py).
    object_sql: list[ObjectStatement] = field(default_factory=list)

    @property
    def blockers(self) -> list[Reference]:
        """References whose rows would dangle: the run must refuse them."""
        emptied = {t.table for t in self.empty}
        return [r for r in self.references if r.rows and r.foreign_key.table not in emptied]

    @property
    def rows_lost(self) -> int:
        return sum(t.rows for t in self.drop) + sum(t.rows for t in self.empty)


def build_plan(
    models_in_order: list[type[models.Model]],
    connection: BaseDatabaseWrapper,
    cascade: bool = False,
) -> RecreatePlan:
    recreated = [table for model in models_in_order for table in tables_of(model)]
    # The catalog names tables as the server stores them (see stored_name).
    recreated_set = {stored_name(connection, t) for t in recreated}
    present = existing_tables(connection)
    dropped = [t for t in reversed(recreated) if stored_name(connection, t) in present]
    incoming = foreign_keys_into(connection, present & recreated_set)
    references = [
        Reference(fk, count_rows(connection, fk.table, fk.columns))
        for fk in incoming
        if fk.table not in recreated_set
    ]
    plan = RecreatePlan(
        using=connection.alias,
        vendor=connection.vendor,
        models=models_in_order,
        models_to_create=as_migrate_builds_them(models_in_order),
        create=recreated,
        drop=[TableRows(t, count_rows(connection, t)) for t in dropped],
        references=references,
        internal_foreign_keys=[fk for fk in incoming if fk.table in recreated_set],
        cascade=cascade,
    )
    if cascade:
        plan.empty = _tables_to_empty(connection, references, recreated_set)
    plan.object_sql = migration_sql.for_created_tables(connection, models_in_order, recreated_set)
    # A table the history makes with SQL (an FTS5 virtual table) is made by that SQL.
    by_sql = migration_sql.tables_made_by_sql(plan.object_sql)
    plan.models_to_create = [m for m in plan.models_to_create if m._meta.db_table not in by_sql]
    return plan


def _tables_to_empty(
    connection: BaseDatabaseWrapper, references: list[Reference], recreated: set[str]
) -> list[TableRows]:
    """Tables whose rows point into the recreated tables, and, transitively,
    tables whose rows point into those. Deepest referrers come first, so
    deleting in this order never violates an immediate constraint."""
    levels: list[list[str]] = []
    seen = set(recreated)
    frontier = sorted({r.foreign_key.table for r in references if r.rows})
    while frontier:
        levels.append(frontier)
        seen.update(frontier)
        referrers = foreign_keys_into(connection, frontier)
        frontier = sorted(
            {
                fk.table
                for fk in referrers
                if fk.table not in seen and count_rows(connection, fk.table, fk.columns)
            }
        )
    ordered = [table for level in reversed(levels) for table in level]
    return [TableRows(t, count_rows(connection, t)) for t in ordered]


def describe_plan(plan: RecreatePlan) -> list[str]:
    """One line per step, for --dry-run and for the confirmation prompt."""
    lines = [f"Empty {t.table} ({rows_text(t.rows)}, --cascade)" for t in plan.empty]
    lines += [f"Drop table {t.table} ({rows_text(t.rows)})" for t in plan.drop]
    lines += [f"Create table {table}" for table in plan.create]
    if backend_named(plan.vendor).restores_references:
        lines += [
            f"Restore foreign key {r.foreign_key.table}.{r.foreign_key.name} "
            f"-> {r.foreign_key.target}"
            for r in plan.references
        ]
    return lines
