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
import re
from collections.abc import Iterable

from django.db import models, router
from django.db.backends.base.base import BaseDatabaseWrapper

from .diff import STEP_ORDER, Step, is_integer_type
from .exceptions import AutomigrateError
from .scratch import mysql_create_lines
from .selection import tables_of
from .snapshot import Record, Snapshot, inspect_schema

# (table, column) -> the type the column must have.
Wanted = dict[tuple[str, str], str]


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
        target = _with_types(record, retyped)
        if connection.vendor == "sqlite":
            new_steps.append(_rebuild_step(table, record, target, retyped))
            continue
        new_steps.extend(_alter_steps(table, record, target, retyped))
        if connection.vendor == "mysql":
            lines[table] = _mysql_lines(connection, table, record, retyped)
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
    """The type, as the catalog spells it, of ``field`` pointing at the key.

    On PostgreSQL and MySQL a reference has the key's own type (an identity
    is a separate attribute), so the key column the scratch build read gives
    the catalog's spelling ("int(11)" on MariaDB). On SQLite every auto key is
    a plain "integer" (the rowid) while references take the width's own type:
    the field says which, as SQLite stores the declared type verbatim."""
    if connection.vendor == "sqlite":
        return " ".join(field.db_parameters(connection)["type"].split())
    return key_column["type"]


def _with_types(record: Record, types: dict[str, str]) -> Record:
    target = json.loads(json.dumps(record))
    for column, sql_type in types.items():
        target["columns"][column]["type"] = sql_type
    return target


def _retype_text(record: Record, column: str, sql_type: str) -> str:
    old = record["columns"][column]["type"]
    return f"type {old!r} -> {sql_type!r}, to follow the primary key it points at"


def _rebuild_step(table: str, record: Record, target: Record, types: dict[str, str]) -> Step:
    """SQLite: the table is rebuilt from its own definition, the types swapped."""
    return Step(
        "rebuild_table",
        table,
        detail="; ".join(
            f"alter column {column} ({_retype_text(record, column, sql_type)})"
            for column, sql_type in sorted(types.items())
        ),
        live=record,
        desired=target,
        extra={"retyped": types},
    )


def _alter_steps(table: str, record: Record, target: Record, types: dict[str, str]) -> list[Step]:
    """The column's foreign keys are dropped around the change (MySQL refuses
    it otherwise) and restored as they were."""
    steps = []
    for column in sorted(types):
        have, want = record["columns"][column], target["columns"][column]
        detail = _retype_text(record, column, types[column])
        steps.append(Step("alter_column", table, column, detail, live=have, desired=want))
    for item in record.get("foreign_keys", []):
        if set(item.get("columns", [])) & set(types):
            label = f"foreign key on ({', '.join(item['columns'])}) -> {item.get('ref_table')}"
            name, kind = item["name"], "foreign_keys"
            steps.append(Step("drop_foreign_key", table, name, label, live=item, item_kind=kind))
            steps.append(Step("add_foreign_key", table, name, label, desired=item, item_kind=kind))
    return steps


def _mysql_lines(
    connection: BaseDatabaseWrapper, table: str, record: Record, types: dict[str, str]
) -> dict[str, dict[str, str]]:
    """The table's SHOW CREATE TABLE lines, the retyped columns' types swapped."""
    lines = mysql_create_lines(connection, table)
    for column, sql_type in types.items():
        line = lines["columns"][column]
        live_type = record["columns"][column]["type"]
        head = re.match(r"`(?:[^`]|``)*`\s+", line)
        rest = line[head.end() :]
        if not rest.lower().startswith(live_type.lower()):
            raise AutomigrateError(f"Unexpected definition of {table}.{column}: {line}")
        lines["columns"][column] = head.group(0) + sql_type + rest[len(live_type) :]
    return lines


def rebuild_sqlite_table(editor, table: str, types: dict[str, str]) -> None:
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
