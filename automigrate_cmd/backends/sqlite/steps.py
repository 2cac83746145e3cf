"""SQLite: the steps of a sync plan it makes in place its own way (a new
column, an index); the rest of what differs rebuilds the table (rebuild)."""

from __future__ import annotations

from django.db import models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from ...sync.apply import Applier, SyncContext, bare_column, initial_value
from ...sync.diff import Step
from . import rebuild


def _add_column(context: SyncContext, step: Step) -> None:
    """ALTER TABLE ADD COLUMN, which the diff chose only where SQLite takes
    it. Django's sqlite3 ``add_field`` would rebuild the table for a column
    with a default (SQLite cannot drop a default afterwards): the column is
    added without it and existing rows get the value by an UPDATE instead."""
    field = context.field(step.table, step.name)
    model = context.models_by_table[step.table]
    # The base editor's add_field: the column, its CHECK and inline REFERENCES.
    BaseDatabaseSchemaEditor.add_field(context.editor, model, _sqlite_column(field))
    given = (step.table, step.name) in context.hints.defaults
    if field.generated or (field.has_db_default() and not given):
        return  # computed, or filled by its DEFAULT
    value_sql, params = initial_value(context, step.table, field)
    if params != [None]:
        context.execute(
            f"UPDATE {context.qn(step.table)} SET {context.qn(step.name)} = {value_sql}", params
        )


def _sqlite_column(field: models.Field) -> models.Field:
    """``field`` without its index, uniqueness and Python default, keeping
    what SQLite declares inline with the column (CHECK, REFERENCES)."""
    column = bare_column(field)
    column.default = models.NOT_PROVIDED
    del column.db_check  # the field's own again
    if field.remote_field:
        column.db_constraint = field.db_constraint
    return column


def _add_index(context: SyncContext, step: Step) -> None:
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


APPLIERS: dict[str, Applier] = {
    "add_column": _add_column,
    "add_index": _add_index,
    "rebuild_table": rebuild.rebuild_table,
}
