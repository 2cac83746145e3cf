"""SQLite: the autoupdate steps it applies its own way.

What ALTER TABLE can do there is done in place (ADD COLUMN, indexes from the
scratch database's record of them); the rest is a rebuild of the table the
way Django rebuilds it, keeping the triggers, views and indexes that depend
on it.
"""

from __future__ import annotations

import re

from django.db import DatabaseError, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from ... import sqlite_objects
from ...diff import Step
from ...exceptions import AutomigrateError, first_line
from ...primary_keys import rebuild_sqlite_table
from ...risks import cuts_strings
from ...sync import StepApplier, SyncContext, bare_field, fill_nulls, initial_value


def add_column(context: SyncContext, step: Step) -> None:
    """ALTER TABLE ADD COLUMN, which the diff chose only where SQLite takes
    it. Django's sqlite3 ``add_field`` would rebuild the table for a column
    with a default (SQLite cannot drop a default afterwards): the column is
    added without it and existing rows get the value by an UPDATE instead."""
    field = context.field(step.table, step.name)
    model = context.models_by_table[step.table]
    # The base editor's add_field: the column, its CHECK and inline REFERENCES.
    BaseDatabaseSchemaEditor.add_field(context.editor, model, _inline_column(field))
    given = (step.table, step.name) in context.hints.defaults
    if field.generated or (field.has_db_default() and not given):
        return  # computed, or filled by its DEFAULT
    value_sql, params = initial_value(context, step.table, field)
    if params != [None]:
        context.execute(
            f"UPDATE {context.qn(step.table)} SET {context.qn(step.name)} = {value_sql}", params
        )


def _inline_column(field: models.Field) -> models.Field:
    """``field`` without its index, uniqueness and Python default, keeping
    what SQLite declares inline with the column (CHECK, REFERENCES)."""
    column = bare_field(field)
    column.default = models.NOT_PROVIDED
    del column.db_check  # the field's own again
    if field.remote_field:
        column.db_constraint = field.db_constraint
    return column


def add_index(context: SyncContext, step: Step) -> None:
    context.execute(_index_sql(context, step.table, step.desired))


def _index_sql(context: SyncContext, table: str, item: dict) -> str:
    """CREATE INDEX from the scratch database's record of the index: its
    keys (columns or expressions, each with its collation and order) and its
    WHERE predicate, as SQLite reported them."""
    keys = []
    for key in item["columns"]:
        text = context.qn(key["column"]) if key.get("column") else key["expression"]
        if key.get("collation") and key["collation"] != "BINARY":
            text += f" COLLATE {key['collation']}"
        keys.append(text + (" DESC" if key.get("order") == "DESC" else ""))
    unique = "UNIQUE " if item.get("unique") else ""
    where = f" WHERE {item['predicate']}" if item.get("predicate") else ""
    return (
        f"CREATE {unique}INDEX {context.qn(item['name'])} ON {context.qn(table)} "
        f"({', '.join(keys)}){where}"
    )


def rebuild_table(context: SyncContext, step: Step) -> None:
    """Bring the columns the model adds in, then let Django rebuild the
    table from the model (copying every column, dropping the rest). The
    triggers and views that depend on the table are dropped around the
    rebuild and made again from their own SQL."""
    if "retyped" in step.extra:
        # A table outside the plan whose columns follow a primary key.
        rebuild_sqlite_table(context.editor, step.table, step.extra["retyped"])
        return
    kept = sqlite_objects.dependents(context.connection, step.table)
    indexes = sqlite_objects.index_sql(context.connection, step.table)
    for sql in sqlite_objects.drop_statements(kept, step.table):
        context.execute(sql)
    _remake_table(context, step)
    _restore_kept_indexes(context, step, indexes)
    for item in kept:
        try:
            context.execute(item.sql)
        except DatabaseError as error:
            raise AutomigrateError(
                f"Rebuilding {step.table} would break {item.type} {item.name} "
                f"({first_line(error)}); change or drop it first. Nothing was changed."
            ) from error


def _restore_kept_indexes(context: SyncContext, step: Step, before: dict[str, str]) -> None:
    """The rebuilt table has the model's indexes; the ones the plan keeps
    that no version of the models declared (undeclared.py) come back from
    their own SQL."""
    wanted = {item["name"] for item in step.desired.get("indexes", [])}
    rebuilt = sqlite_objects.index_sql(context.connection, step.table)
    for name, sql in before.items():
        if name in wanted and name not in rebuilt:
            context.execute(sql)


def _remake_table(context: SyncContext, step: Step) -> None:
    model = context.models_by_table[step.table]
    table = context.qn(step.table)
    for column in step.desired["columns"]:
        if column in step.live["columns"]:
            continue
        field = context.field(step.table, column)
        if field.generated:
            continue  # computed by the rebuilt table itself
        context.execute(f"ALTER TABLE {table} ADD COLUMN {context.qn(column)} NULL")
        value_sql, params = initial_value(context, step.table, field)
        context.execute(f"UPDATE {table} SET {context.qn(column)} = {value_sql}", params)
    for column, have in step.live["columns"].items():
        want = step.desired["columns"].get(column)
        if want is not None and have.get("null") and not want.get("null"):
            fill_nulls(context, step, column)
    context.editor._remake_table(model)
    for column, have in step.live["columns"].items():
        want = step.desired["columns"].get(column)
        if want is not None:
            _cut_longer_strings(context, step.table, column, have, want)


def _cut_longer_strings(context: SyncContext, table: str, column: str, have, want) -> None:
    """After the rebuild: a string column made shorter keeps the first
    characters of its longer values (the outcome risks.py announces; SQLite
    would keep them whole). After, not before: the old column may have a
    CHECK the cut values break (a JSONField's json_valid)."""
    if not have or not cuts_strings(have["type"], want["type"]):
        return
    length = re.search(r"\((\d+)\)", want["type"]).group(1)
    qn = context.qn
    cut, measure = f"substr({qn(column)}, 1, {length})", f"length({qn(column)})"
    context.execute(f"UPDATE {qn(table)} SET {qn(column)} = {cut} WHERE {measure} > {length}")


STEPS: dict[str, StepApplier] = {
    "add_column": add_column,
    "add_index": add_index,
    "rebuild_table": rebuild_table,
}
