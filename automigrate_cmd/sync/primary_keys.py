"""Columns of tables outside the plan that point at a primary key of the plan.

When a primary key changes between integer types (``AutoField`` ->
``BigAutoField``), ``migrate``'s AlterField alters every column pointing at
it, in whatever model's table (the schema editor's
``_related_non_m2m_objects``), dropping and re-adding their foreign keys. The
tables of the plan get that from the diff; this module gives it to the tables
of the other models: their column takes the type a reference to the key takes
and nothing else of theirs changes (the rest of such a model is synced when
that model is).

Only models whose tables the plan changes are looked at, so that a run with
nothing to do reads no more of the catalog.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import NamedTuple

from django.db import models, router
from django.db.backends.base.base import BaseDatabaseWrapper

from ..backends import backend_or_generic
from ..selection import tables_of
from ..snapshot import Record, Snapshot, inspect_schema
from .diff import STEP_ORDER, Step, is_integer_type

# (table, column) -> the type the column must have.
Wanted = dict[tuple[str, str], str]


class Retype(NamedTuple):
    """A table outside the plan whose columns follow a primary key."""

    table: str
    record: Record  # as it is
    target: Record  # with the new types
    types: dict[str, str]  # column -> its new type


def outside_references(
    connection: BaseDatabaseWrapper,
    chosen: Iterable[type[models.Model]],
    steps: list[Step],
    desired: Snapshot,
) -> tuple[list[Step], Snapshot, dict[str, dict[str, dict[str, str]]]]:
    """The steps that bring the columns of other models' tables pointing at a
    key of the plan to the key's type; the live records of those tables; and
    (MySQL) the lines their columns and foreign keys are written with."""
    chosen = list(chosen)
    plan_tables = {table for model in chosen for table in tables_of(model)}
    changed = {step.table for step in steps}
    wanted: Wanted = {}
    for model in chosen:
        if changed & set(tables_of(model)):
            wanted.update(_references(connection, model, plan_tables, desired))
    if not wanted:
        return [], {}, {}
    live = inspect_schema(connection, {table for table, _ in wanted})
    backend = backend_or_generic(connection)
    new_steps: list[Step] = []
    lines: dict[str, dict[str, dict[str, str]]] = {}
    retyped_tables: Snapshot = {}
    for table, record in live.items():
        retyped = {
            column: sql_type
            for (owner, column), sql_type in wanted.items()
            if owner == table
            and column in record["columns"]
            and record["columns"][column]["type"] != sql_type
        }
        if not retyped:
            continue
        retyped_tables[table] = record
        retype = Retype(table, record, _with_types(record, retyped), retyped)
        steps, table_lines = backend.follow_key_steps(connection, retype)
        new_steps.extend(steps)
        if table_lines is not None:
            lines[table] = table_lines
    new_steps.sort(key=lambda step: STEP_ORDER.index(step.kind))
    return new_steps, retyped_tables, lines


def _references(
    connection: BaseDatabaseWrapper,
    model: type[models.Model],
    plan_tables: set[str],
    desired: Snapshot,
) -> Wanted:
    """Columns outside the plan pointing at ``model``'s integer primary key."""
    key = model._meta.pk
    key_column = desired.get(model._meta.db_table, {}).get("columns", {}).get(key.column)
    if key_column is None or not is_integer_type(key_column.get("type")):
        return {}
    found: Wanted = {}
    for relation in model._meta._get_fields(
        forward=False, reverse=True, include_hidden=True, include_parents=False
    ):
        field = relation.field
        # A many-to-many relation is reached through its table's own foreign key.
        if relation.many_to_many or not field.concrete or field.target_field is not key:
            continue
        owner = field.model
        table = owner._meta.db_table
        if table in plan_tables or not _has_table_here(connection, owner):
            continue
        found[(table, field.column)] = _reference_type(connection, field, key_column)
    return found


def _has_table_here(connection: BaseDatabaseWrapper, model: type[models.Model]) -> bool:
    meta = model._meta
    return (
        meta.managed
        and not meta.proxy
        and not meta.swapped
        and router.allow_migrate_model(connection.alias, model)
    )


def _reference_type(connection: BaseDatabaseWrapper, field: models.Field, key_column: dict) -> str:
    """The type, as the catalog spells it, of ``field`` pointing at the key
    (``Backend.reference_type``)."""
    return backend_or_generic(connection).reference_type(connection, field, key_column)


def _with_types(record: Record, types: dict[str, str]) -> Record:
    target = json.loads(json.dumps(record))
    for column, sql_type in types.items():
        target["columns"][column]["type"] = sql_type
    return target


def retype_text(record: Record, column: str, sql_type: str) -> str:
    old = record["columns"][column]["type"]
    return f"type {old!r} -> {sql_type!r}, to follow the primary key it points at"


def alter_steps(retype: Retype) -> list[Step]:
    """The column's foreign keys are dropped around the change (MySQL refuses
    it otherwise) and restored as they were."""
    table, record, target, types = retype
    steps = []
    for column in sorted(types):
        have, want = record["columns"][column], target["columns"][column]
        detail = retype_text(record, column, types[column])
        steps.append(Step("alter_column", table, column, detail, live=have, desired=want))
    for item in record.get("foreign_keys", []):
        if set(item.get("columns", [])) & set(types):
            label = f"foreign key on ({', '.join(item['columns'])}) -> {item.get('ref_table')}"
            name, kind = item["name"], "foreign_keys"
            steps.append(Step("drop_foreign_key", table, name, label, live=item, item_kind=kind))
            steps.append(Step("add_foreign_key", table, name, label, desired=item, item_kind=kind))
    return steps
