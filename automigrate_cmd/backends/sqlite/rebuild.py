"""SQLite: a table rebuilt, the way Django rebuilds it (a new table, rows
copied, the old one dropped), keeping the triggers, views and indexes that
depend on it (``objects``); and a table outside the plan rebuilt from its own
CREATE TABLE, where its columns follow a primary key's new type.
"""

from __future__ import annotations

import copy
import re
from types import SimpleNamespace
from typing import Any

from django.db import DatabaseError, models

from ...exceptions import AutomigrateError, first_line
from ...sync.apply import SyncContext, fill_nulls, initial_value
from ...sync.diff import Step
from ...sync.primary_keys import Retype, retype_text
from ...sync.type_changes import cuts_strings
from . import objects


def rebuild_table(context: SyncContext, step: Step) -> None:
    """Bring the columns the model adds in, then let Django rebuild
    the table from the model (copying every column, dropping the rest). The
    triggers and views that depend on the table are dropped around the
    rebuild and made again from their own SQL."""
    if "retyped" in step.extra:
        # A table outside the plan whose columns follow a primary key.
        rebuild_from_own_sql(context.editor, step.table, step.extra["retyped"])
        return
    kept = objects.dependents(context.connection, step.table)
    indexes = objects.index_sql(context.connection, step.table)
    for sql in objects.drop_statements(kept, step.table):
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
    rebuilt = objects.index_sql(context.connection, step.table)
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
    filled_in_copy = []
    for column, have in step.live["columns"].items():
        want = step.desired["columns"].get(column)
        if want is None or not have.get("null") or want.get("null"):
            continue
        if have["type"] != want["type"] and _fill_in_copy(context, step.table, column):
            filled_in_copy.append(_nullable_to_required(context, step.table, column))
        else:
            fill_nulls(context, step, column)
    context.editor._remake_table(model, alter_fields=filled_in_copy)
    for column, have in step.live["columns"].items():
        want = step.desired["columns"].get(column)
        if want is not None:
            _cut_longer_strings(context, step.table, column, have, want)


def _fill_in_copy(context: SyncContext, table: str, column: str) -> bool:
    """Whether a column whose type changes gets its NULLs filled as Django's
    rebuild copies the rows (coalesce() to the new type's value, which the old
    column's CHECK may not take: a JSONField's json_valid), rather than
    before. Not for a --default on a field with a db_default: Django's copy
    would take the db_default."""
    given = (table, column) in context.hints.defaults
    return not (given and context.field(table, column).has_db_default())


def _nullable_to_required(
    context: SyncContext, table: str, column: str
) -> tuple[Any, models.Field]:
    """The (old, new) field pair of ``_remake_table(alter_fields=...)`` that
    makes Django copy ``column``'s rows with coalesce(column, value): the old
    one stands for the nullable live column, the new one is the model's
    field, with the user's --default as its default if one is given."""
    field = context.field(table, column)
    given = context.hints.defaults.get((table, column))
    if given is not None:
        field = copy.copy(field)
        field.__dict__.pop("_get_default", None)  # a cached_property of the default
        field.default = given[0]
    return SimpleNamespace(name=field.name, column=field.column, null=True), field


def _cut_longer_strings(context: SyncContext, table: str, column: str, have, want) -> None:
    """SQLite, after the rebuild: a string column made shorter keeps the
    first characters of its longer values (the outcome risks.py announces;
    SQLite would keep them whole). After, not before: the old column may
    have a CHECK the cut values break (a JSONField's json_valid)."""
    if not have or not cuts_strings(have["type"], want["type"]):
        return
    length = re.search(r"\((\d+)\)", want["type"]).group(1)
    qn = context.qn
    cut, measure = f"substr({qn(column)}, 1, {length})", f"length({qn(column)})"
    context.execute(f"UPDATE {qn(table)} SET {qn(column)} = {cut} WHERE {measure} > {length}")


def rebuild_step(retype: Retype) -> Step:
    """The table is rebuilt from its own definition, the types swapped."""
    table, record, target, types = retype
    return Step(
        "rebuild_table",
        table,
        detail="; ".join(
            f"alter column {column} ({retype_text(record, column, sql_type)})"
            for column, sql_type in sorted(types.items())
        ),
        live=record,
        desired=target,
        extra={"retyped": types},
    )


def rebuild_from_own_sql(editor, table: str, types: dict[str, str]) -> None:
    """Rebuild ``table`` from its own CREATE TABLE with ``types`` swapped in,
    keeping every row and index: the way Django rebuilds a table, but from
    what the table is rather than from a model (which may differ otherwise)."""
    qn = editor.quote_name
    with editor.connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
        (sql,) = cursor.fetchone()
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
            "AND sql IS NOT NULL",
            [table],
        )
        indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT name, type, hidden FROM pragma_table_xinfo(%s)", [table])
        columns = cursor.fetchall()
    declared = {name: " ".join(sql_type.split()) for name, sql_type, _ in columns}
    for column, sql_type in types.items():
        sql = _swap_type(sql, column, declared[column], sql_type)
    new_table = f"new__{table}"
    head = r"^\s*CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?(\"(?:[^\"]|\"\")*\"|[^\s(]+)"
    sql = re.sub(head, "", sql, count=1, flags=re.I)
    # Generated columns (hidden 2, 3) compute themselves in the new table.
    copied = ", ".join(qn(name) for name, _, hidden in columns if hidden == 0)
    editor.execute(f"CREATE TABLE {qn(new_table)}{sql}", None)
    editor.execute(f"INSERT INTO {qn(new_table)} ({copied}) SELECT {copied} FROM {qn(table)}", None)
    editor.execute(f"DROP TABLE {qn(table)}", None)
    editor.execute(f"ALTER TABLE {qn(new_table)} RENAME TO {qn(table)}", None)
    for index_sql in indexes:
        editor.execute(index_sql, None)


def _swap_type(sql: str, column: str, old: str, new: str) -> str:
    """``sql`` with the declared type of ``column`` (quoted as Django quotes
    it) changed from ``old`` to ``new``."""
    name = re.escape('"' + column.replace('"', '""') + '"')
    old_type = r"\s+".join(re.escape(word) for word in old.split())
    pattern = rf"([(,]\s*{name}\s+){old_type}(?=[\s,)])"
    swapped, count = re.subn(pattern, lambda m: m.group(1) + new, sql, count=1, flags=re.I)
    if count != 1:
        raise AutomigrateError(f"Cannot find the definition of column {column} in: {sql}")
    return swapped
