"""Applies an autoupdate plan through the schema editor.

Tables and columns the models add are created by Django (``create_model``,
``add_field``), so every backend's DDL rules apply. Indexes and constraints
are given the definition the scratch build of the models got from the same
server (``pg_get_indexdef``/``pg_get_constraintdef``, ``SHOW CREATE TABLE``),
so the live schema ends up as the database itself renders the models.
SQLite does in place what ALTER TABLE can do there (columns, indexes,
renames) and rebuilds a table the way Django rebuilds it for the rest,
keeping the triggers and views that depend on it.
"""

from __future__ import annotations

import re

from django.db import DatabaseError, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from . import lock_budget, migration_sql
from .apply import (
    atomic_schema_editor,
    create_model,
    editor_in_transactions,
    report_skipped,
    run_deferred_sql,
)
from .backends.sqlite import objects as sqlite_objects
from .catalog import stored_name
from .diff import Step
from .exceptions import AutomigrateError, first_line
from .hints import Hints
from .primary_keys import rebuild_sqlite_table
from .report import Reporter
from .risks import backfill, cuts_strings, effective_default
from .scratch import Desired


class SyncContext:
    """What applying steps needs besides the steps."""

    def __init__(
        self,
        connection: BaseDatabaseWrapper,
        editor: BaseDatabaseSchemaEditor,
        models_by_table: dict[str, type[models.Model]],
        desired: Desired,
        hints: Hints,
    ):
        self.connection = connection
        self.editor = editor
        self.models_by_table = models_by_table
        self.desired = desired
        self.hints = hints
        self.qn = editor.quote_name
        self.created: set[str] = set()  # tables create_model has built
        self.tables_to_create: set[str] = set()
        self.cutting: set[tuple[str, str]] = set()
        # Tables created, to name the constraints the backend could not build.
        self.created_models: list[type[models.Model]] = []

    def field(self, table: str, column: str) -> models.Field:
        """The model field of ``column``, a name as the server stores it."""
        model = self.models_by_table[table]
        fields = model._meta.local_concrete_fields
        return next(f for f in fields if stored_name(self.connection, f.column) == column)

    def execute(self, sql: str, params=()) -> None:
        self.editor.execute(sql, params or None)


def apply_steps(
    steps: list[Step],
    connection: BaseDatabaseWrapper,
    models_by_table: dict[str, type[models.Model]],
    desired: Desired,
    report: Reporter,
    collect_sql: bool = False,
    hints: Hints | None = None,
) -> list[str]:
    limit = None if collect_sql else lock_budget.budget(connection)
    if limit is not None and steps_locks(steps, models_by_table) > limit:
        report.line(lock_budget.split_notice(limit))
        with editor_in_transactions(connection, limit) as (editor, batches):
            _apply_all(steps, editor, models_by_table, desired, report, hints, batches)
        return []
    with atomic_schema_editor(connection, collect_sql) as editor:
        _apply_all(steps, editor, models_by_table, desired, report, hints)
    return list(editor.collected_sql) if collect_sql else []


def _apply_all(
    steps: list[Step],
    editor: BaseDatabaseSchemaEditor,
    models_by_table: dict[str, type[models.Model]],
    desired: Desired,
    report: Reporter,
    hints: Hints | None,
    batches: lock_budget.Batches = lock_budget.ONE_TRANSACTION,
) -> None:
    context = SyncContext(editor.connection, editor, models_by_table, desired, hints or Hints())
    context.tables_to_create = {s.table for s in steps if s.kind == "create_table"}
    # MariaDB: columns whose MODIFY cuts longer strings (any step may MODIFY them).
    context.cutting = {
        (step.table, step.name)
        for step in steps
        if step.kind == "alter_column"
        and step.live
        and cuts_strings(step.live["type"], step.desired["type"])
    }
    for step in steps:
        batches.spend(_step_locks(step, models_by_table))
        with report.step(step.describe()):
            _APPLY[step.kind](context, step)
    for model in context.created_models:
        report_skipped(report, editor, model)
    run_deferred_sql(editor, report, batches)


def steps_locks(steps: list[Step], models_by_table: dict[str, type[models.Model]]) -> int:
    """An upper bound of the relations ``steps`` lock (see lock_budget)."""
    return sum(_step_locks(step, models_by_table) for step in steps)


def _step_locks(step: Step, models_by_table: dict[str, type[models.Model]]) -> int:
    """A new table: all that creating its model makes (an auto-created
    many-to-many table comes with its model's); any other step: one
    statement's, or a few for a rebuilt or dropped table."""
    if step.kind == "create_table" and step.table in models_by_table:
        return lock_budget.model_locks(models_by_table[step.table])
    if step.kind in ("drop_table", "rebuild_table"):
        return 4 * lock_budget.PER_STATEMENT
    return lock_budget.PER_STATEMENT


# --- tables and columns ----------------------------------------------------


def _create_table(context: SyncContext, step: Step) -> None:
    """``create_model`` builds a model's auto-created many-to-many tables with
    it: such a table is built here only when its model's table already exists."""
    if step.table in context.created:
        return
    model = context.models_by_table[step.table]
    owner = _m2m_owner(model)
    if owner is not None and owner._meta.db_table in context.tables_to_create:
        _create_table(context, Step("create_table", owner._meta.db_table))
        return
    create_model(context.editor, model)
    context.created_models.append(model)
    context.created.add(step.table)
    if owner is None:
        context.created.update(_auto_m2m_tables(model))


def _m2m_owner(model: type[models.Model]) -> type[models.Model] | None:
    """The model whose ManyToManyField auto-created ``model``, if it is such a table."""
    owner = model._meta.auto_created  # Django sets it to the declaring model
    return owner if isinstance(owner, type) else None


def _auto_m2m_tables(model: type[models.Model]) -> list[str]:
    return [
        f.remote_field.through._meta.db_table
        for f in model._meta.local_many_to_many
        if f.remote_field.through._meta.auto_created
    ]


def _add_column(context: SyncContext, step: Step) -> None:
    if context.connection.vendor == "sqlite":
        _add_sqlite_column(context, step)
        return
    field = context.field(step.table, step.name)
    model = context.models_by_table[step.table]
    # Only the column: its indexes and constraints are separate steps.
    context.editor.add_field(
        model, _bare(field, context.hints.defaults.get((step.table, step.name)))
    )


def _bare(field: models.Field, backfill: tuple | None = None) -> models.Field:
    """A copy of ``field`` that adds a column and nothing else; existing rows
    get ``backfill`` (the user's --default) instead of the field's default."""
    # ``unique`` and ``_get_default`` are cached_properties: set or forget them.
    attributes = {**field.__dict__, "_unique": False, "unique": False, "db_index": False}
    attributes.pop("_get_default", None)
    if backfill is not None:
        attributes["default"] = backfill[0]
    bare = object.__new__(type(field))
    bare.__dict__ = attributes
    if field.remote_field:
        bare.db_constraint = False
    bare.db_check = lambda connection: None
    return bare


def _add_sqlite_column(context: SyncContext, step: Step) -> None:
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
    value_sql, params = _initial_value(context, step.table, field)
    if params != [None]:
        context.execute(
            f"UPDATE {context.qn(step.table)} SET {context.qn(step.name)} = {value_sql}", params
        )


def _sqlite_column(field: models.Field) -> models.Field:
    """``field`` without its index, uniqueness and Python default, keeping
    what SQLite declares inline with the column (CHECK, REFERENCES)."""
    column = _bare(field)
    column.default = models.NOT_PROVIDED
    del column.db_check  # the field's own again
    if field.remote_field:
        column.db_constraint = field.db_constraint
    return column


def _fill_nulls(context: SyncContext, step: Step, column: str) -> None:
    """Before a column becomes NOT NULL: its NULLs get the backfill value."""
    field = context.field(step.table, column)
    given = (step.table, column) in context.hints.defaults
    if not given and field.db_default is not models.NOT_PROVIDED:
        default_sql, params = context.editor.db_default_sql(field)  # as AlterField does
    else:
        filled = backfill(context.connection, context.hints, step.table, column, field)
        if filled is None:
            return
        default_sql, params = "%s", [filled[0]]
    # Django's own statement: on PostgreSQL it ends with SET CONSTRAINTS ALL
    # IMMEDIATE, so that the checks the UPDATE left pending on a deferred
    # foreign key run now and the table can be altered next.
    update = context.editor.sql_update_with_default % {
        "table": context.qn(step.table),
        "column": context.qn(column),
        "default": default_sql,
    }
    context.execute(update, params)


def _rename_table(context: SyncContext, step: Step) -> None:
    context.execute(
        context.editor.sql_rename_table
        % {"old_table": context.qn(step.extra["old"]), "new_table": context.qn(step.table)}
    )


def _rename_column(context: SyncContext, step: Step) -> None:
    context.execute(
        f"ALTER TABLE {context.qn(step.table)} RENAME COLUMN "
        f"{context.qn(step.extra['old'])} TO {context.qn(step.name)}"
    )


def _drop_table(context: SyncContext, step: Step) -> None:
    """A removed model's table (the removed tables referencing it go first;
    MariaDB checks each statement's foreign keys anyway: none that stays
    behind references it, the plan refused that)."""
    mysql = context.connection.vendor == "mysql"
    if mysql:
        context.execute("SET FOREIGN_KEY_CHECKS = 0")
    context.execute(f"DROP TABLE {context.qn(step.table)}")
    if mysql:
        context.execute("SET FOREIGN_KEY_CHECKS = 1")


def _drop_column(context: SyncContext, step: Step) -> None:
    context.execute(f"ALTER TABLE {context.qn(step.table)} DROP COLUMN {context.qn(step.name)}")


def _alter_column(context: SyncContext, step: Step) -> None:
    if step.live and step.live.get("null") and not step.desired.get("null"):
        _fill_nulls(context, step, step.name)
    if context.connection.vendor == "mysql":
        _modify_mysql_column(context, step.table, step.name)
    else:
        _alter_column_postgresql(context, step)


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


def _modify_cutting_longer_strings(context: SyncContext, statement: str) -> None:
    """MariaDB/MySQL: the MODIFY of a string column made shorter, with strict
    mode off for it: the server then cuts the longer values to the new
    length, where strict mode stops the run (risks.py has announced the cut,
    and refused anything else that would not convert)."""
    context.execute("SET @automigrate_sql_mode = @@SESSION.sql_mode")
    context.execute(
        "SET SESSION sql_mode = REPLACE(REPLACE(@@SESSION.sql_mode, 'STRICT_TRANS_TABLES', ''), "
        "'STRICT_ALL_TABLES', '')"
    )
    try:
        context.execute(statement)
    finally:
        context.execute("SET SESSION sql_mode = @automigrate_sql_mode")


def _alter_column_postgresql(context: SyncContext, step: Step) -> None:
    have, want = step.live, step.desired
    table, column = context.qn(step.table), context.qn(step.name)
    alter = f"ALTER TABLE {table} ALTER COLUMN {column}"
    if have.get("generated") or want.get("generated"):
        # Generated columns cannot be altered: drop and add again.
        _drop_column(context, step)
        _add_column(context, Step("add_column", step.table, step.name, desired=want))
        return
    if have["type"] != want["type"] and have.get("default") is not None:
        # ALTER ... TYPE casts the old default too, and fails where there is
        # no automatic cast ('0'::varchar to integer): drop it first, as the
        # PostgreSQL manual advises; the wanted one is set after the type.
        context.execute(f"{alter} DROP DEFAULT")
        have = {**have, "default": None}
    if have["type"] != want["type"] or have.get("collation") != want.get("collation"):
        collate = f" COLLATE {context.qn(want['collation'])}" if want.get("collation") else ""
        context.execute(f"{alter} TYPE {want['type']}{collate} USING {column}::{want['type']}")
    wanted_sequence = want.get("sequence") or {}
    if have.get("sequence") != want.get("sequence") and wanted_sequence.get("type"):
        # An identity column's sequence keeps its own type: widen it with the column.
        sequence = _serial_sequence(context, step)
        if sequence:
            context.execute(f"ALTER SEQUENCE {sequence} AS {wanted_sequence['type']}")
    if have.get("null") != want.get("null"):
        context.execute(f"{alter} {'DROP' if want['null'] else 'SET'} NOT NULL")
    if have.get("default") != want.get("default"):
        if want.get("default") is None:
            context.execute(f"{alter} DROP DEFAULT")
        else:
            context.execute(f"{alter} SET DEFAULT {want['default']}")
    if have.get("comment") != want.get("comment"):
        context.execute(f"COMMENT ON COLUMN {table}.{column} IS %s", [want.get("comment")])


def _serial_sequence(context: SyncContext, step: Step) -> str | None:
    with context.connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [context.qn(step.table), step.name])
        return cursor.fetchone()[0]


def _alter_table_comment(context: SyncContext, step: Step) -> None:
    comment = step.desired.get("comment")
    if context.connection.vendor == "mysql":
        context.execute(f"ALTER TABLE {context.qn(step.table)} COMMENT = %s", [comment or ""])
    else:
        context.execute(f"COMMENT ON TABLE {context.qn(step.table)} IS %s", [comment])


def _rebuild_table(context: SyncContext, step: Step) -> None:
    """SQLite: bring the columns the model adds in, then let Django rebuild
    the table from the model (copying every column, dropping the rest). The
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
    _remake_sqlite_table(context, step)
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


def _remake_sqlite_table(context: SyncContext, step: Step) -> None:
    model = context.models_by_table[step.table]
    table = context.qn(step.table)
    for column in step.desired["columns"]:
        if column in step.live["columns"]:
            continue
        field = context.field(step.table, column)
        if field.generated:
            continue  # computed by the rebuilt table itself
        context.execute(f"ALTER TABLE {table} ADD COLUMN {context.qn(column)} NULL")
        value_sql, params = _initial_value(context, step.table, field)
        context.execute(f"UPDATE {table} SET {context.qn(column)} = {value_sql}", params)
    for column, have in step.live["columns"].items():
        want = step.desired["columns"].get(column)
        if want is not None and have.get("null") and not want.get("null"):
            _fill_nulls(context, step, column)
    context.editor._remake_table(model)
    for column, have in step.live["columns"].items():
        want = step.desired["columns"].get(column)
        if want is not None:
            _cut_longer_strings(context, step.table, column, have, want)


def _initial_value(context: SyncContext, table: str, field: models.Field) -> tuple[str, list]:
    """What existing rows get in a new column: the user's --default, else
    db_default, else the field's default."""
    given = context.hints.defaults.get((table, stored_name(context.connection, field.column)))
    if given is not None:
        return "%s", [field.get_db_prep_save(given[0], context.connection)]
    if field.db_default is not models.NOT_PROVIDED:
        return context.editor.db_default_sql(field)
    return "%s", [effective_default(context.connection, field)]


# --- indexes and constraints -------------------------------------------------


def _drop_foreign_key(context: SyncContext, step: Step) -> None:
    table, name = context.qn(step.table), context.qn(step.name)
    if context.connection.vendor == "mysql":
        context.execute(f"ALTER TABLE {table} DROP FOREIGN KEY {name}")
    else:
        context.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")


def _drop_constraint(context: SyncContext, step: Step) -> None:
    if _is_mysql_column_check(context, step.live):
        # Part of the column's definition: redefine the column as wanted
        # (a column being dropped takes its check with it).
        if step.name in context.desired.mysql_lines[step.table]["columns"]:
            _modify_mysql_column(context, step.table, step.name)
        return
    table, name = context.qn(step.table), context.qn(step.name)
    if context.connection.vendor == "mysql" and step.item_kind == "uniques":
        context.execute(f"ALTER TABLE {table} DROP INDEX {name}")
    else:
        context.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")


def _drop_index(context: SyncContext, step: Step) -> None:
    if context.connection.vendor == "mysql":
        context.execute(f"ALTER TABLE {context.qn(step.table)} DROP INDEX {context.qn(step.name)}")
    else:
        context.execute(f"DROP INDEX {context.qn(step.name)}")


def _add_index(context: SyncContext, step: Step) -> None:
    if context.connection.vendor == "mysql":
        _add_mysql_line(context, step, "keys")
        return
    if context.connection.vendor == "sqlite":
        context.execute(_sqlite_index_sql(context, step.table, step.desired))
        return
    item = step.desired
    unique = "UNIQUE " if item.get("unique") else ""
    context.execute(
        f"CREATE {unique}INDEX {context.qn(item['name'])} ON {context.qn(step.table)} "
        f"{item['definition']}"
    )


def _sqlite_index_sql(context: SyncContext, table: str, item: dict) -> str:
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


def _add_constraint(context: SyncContext, step: Step) -> None:
    if _is_mysql_column_check(context, step.desired):
        _modify_mysql_column(context, step.table, step.desired["name"])
        return
    if context.connection.vendor == "mysql":
        _add_mysql_line(context, step, "keys" if step.item_kind == "uniques" else "constraints")
        return
    item = step.desired
    # pg_get_constraintdef's text; check records keep it under "check".
    definition = item.get("definition") or item["check"]
    context.execute(
        f"ALTER TABLE {context.qn(step.table)} ADD CONSTRAINT {context.qn(item['name'])} "
        f"{definition}"
    )


def _is_mysql_column_check(context: SyncContext, item: dict | None) -> bool:
    """MariaDB prints a column-level CHECK (JSONField's json_valid(), a
    positive integer's >= 0) inside the column's line, named after it."""
    return context.connection.vendor == "mysql" and bool(item) and item.get("level") == "column"


def _modify_mysql_column(context: SyncContext, table: str, column: str) -> None:
    line = context.desired.mysql_lines[table]["columns"][column]
    statement = f"ALTER TABLE {context.qn(table)} MODIFY {line}"
    if (table, column) in context.cutting:
        _modify_cutting_longer_strings(context, statement)
    else:
        context.execute(statement)


def _add_mysql_line(context: SyncContext, step: Step, group: str) -> None:
    line = context.desired.mysql_lines[step.table][group][step.desired["name"]]
    context.execute(f"ALTER TABLE {context.qn(step.table)} ADD {line}")


_APPLY = {
    "rename_table": _rename_table,
    "rename_column": _rename_column,
    "create_table": _create_table,
    "drop_table": _drop_table,
    "rebuild_table": _rebuild_table,
    "add_column": _add_column,
    "alter_column": _alter_column,
    "drop_column": _drop_column,
    "alter_table_comment": _alter_table_comment,
    "drop_foreign_key": _drop_foreign_key,
    "drop_constraint": _drop_constraint,
    "drop_index": _drop_index,
    "add_index": _add_index,
    "add_constraint": _add_constraint,
    "add_foreign_key": _add_constraint,
    "run_migration_sql": lambda context, step: step.extra["skipped"].extend(
        migration_sql.run_in_editor(context.editor, step.extra["statements"])
    ),
}
