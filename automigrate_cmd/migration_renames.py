"""The names later migrations give the tables and columns an earlier RunSQL named.

A migration's ``RunSQL`` spells the table and columns as they were then. A
later ``RenameModel``, ``AlterModelTable``, ``RenameField`` or ``AlterField``
(a new ``db_column``) renames them, and ``migrate``'s schema editor carries the
index or trigger along (``ALTER TABLE ... RENAME`` keeps them). autoupdate and
automigrate run such a statement once, on the tables under the names the
models give them now; so a statement is rewritten with the names the rest of
the history gave its table and columns, as Django's migration state tells
them (walked without rendering a model: a few milliseconds for wagtail).
"""

from __future__ import annotations

import re
from dataclasses import replace

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import truncate_name
from django.db.migrations import operations
from django.db.migrations.state import ProjectState


class HistoryNames:
    """Django's migration state, advanced one operation at a time, keeping
    the statements chosen so far spelled with the current names."""

    def __init__(self, connection: BaseDatabaseWrapper):
        self.state = ProjectState()
        self.max_length = connection.ops.max_name_length()

    def follow(self, app_label: str, operation, statements: list) -> None:
        """Apply ``operation`` to the state; rewrite the ``statements`` (in
        place) on a table or column it renames."""
        if isinstance(operation, operations.SeparateDatabaseAndState):
            for inner in operation.state_operations:
                self.follow(app_label, inner, statements)
            return
        renaming = _renaming(operation) if statements else None
        if renaming is None:
            operation.state_forwards(app_label, self.state)
            return
        old_model, new_model, fields = renaming
        table = self._table(app_label, old_model)
        columns = {old: self._column(app_label, old_model, old) for old in fields}
        operation.state_forwards(app_label, self.state)
        new_table = self._table(app_label, new_model)
        new_columns = {
            columns[old]: self._column(app_label, new_model, new) for old, new in fields.items()
        }
        new_columns = {old: new for old, new in new_columns.items() if old and new and old != new}
        if not table or not new_table or (table == new_table and not new_columns):
            return
        for position, statement in enumerate(statements):
            if statement.table == table:
                statements[position] = renamed(statement, new_table, new_columns)

    def _table(self, app_label: str, model: str) -> str:
        model_state = self.state.models.get((app_label, model))
        if model_state is None:
            return ""
        default = truncate_name(f"{app_label}_{model}", self.max_length)
        return model_state.options.get("db_table") or default

    def _column(self, app_label: str, model: str, field_name: str) -> str:
        model_state = self.state.models.get((app_label, model))
        field = model_state.fields.get(field_name) if model_state else None
        if field is None:
            return ""
        field = field.clone()
        field.set_attributes_from_name(field_name)
        return field.column or ""


def _renaming(operation) -> tuple[str, str, dict[str, str]] | None:
    """(model before, model after, {field before: field after}) of an
    operation that may rename a table or a column; None for any other."""
    if isinstance(operation, operations.RenameModel):
        return operation.old_name_lower, operation.new_name_lower, {}
    if isinstance(operation, operations.AlterModelTable):
        return operation.name_lower, operation.name_lower, {}
    if isinstance(operation, operations.RenameField):
        field = {operation.old_name: operation.new_name}
        return operation.model_name_lower, operation.model_name_lower, field
    if isinstance(operation, operations.AlterField):
        return (
            operation.model_name_lower,
            operation.model_name_lower,
            {operation.name: operation.name},
        )
    return None


# A trigger's body names the row's columns NEW.column and OLD.column; other
# names in it (an FTS table's columns) are not the table's.
_TRIGGER = re.compile(r"\s*CREATE\s+(?:TEMP(?:ORARY)?\s+)?TRIGGER\b", re.IGNORECASE)


def renamed(statement, table: str, columns: dict[str, str]):
    """``statement`` on ``table``, its columns renamed as ``columns`` says."""
    sql = statement.sql
    if table != statement.table:
        sql = replace_name(sql, statement.table, table)
    if columns and statement.kind == "create":
        start = _after_table(sql, table)
        for old, new in columns.items():
            if _TRIGGER.match(sql):
                head, body = sql[:start], sql[start:]
                sql = head + re.sub(
                    rf"\b(NEW|OLD)\s*\.\s*{_quoted_or_bare(old)}",
                    lambda match, new=new: f"{match.group(1)}.{_as_quoted(match, new)}",
                    body,
                    flags=re.IGNORECASE,
                )
            else:
                sql = sql[:start] + replace_name(sql[start:], old, new)
    name = table if statement.kind == "virtual_table" else statement.name
    return replace(statement, sql=sql, table=table, name=name)


def _quoted_or_bare(name: str) -> str:
    escaped = re.escape(name)
    return (
        rf'(?:"(?P<dq>{escaped})"|`(?P<bq>{escaped})`|\[(?P<sq>{escaped})\]'
        rf"|(?<![\w$])(?P<bare>{escaped})(?![\w$]))"
    )


def _as_quoted(match: re.Match, new: str) -> str:
    if match.group("dq") is not None:
        return f'"{new}"'
    if match.group("bq") is not None:
        return f"`{new}`"
    if match.group("sq") is not None:
        return f"[{new}]"
    return new


def replace_name(sql: str, old: str, new: str) -> str:
    """``sql`` with each identifier ``old`` (bare or quoted) spelled ``new``."""
    pattern = re.compile(_quoted_or_bare(old), re.IGNORECASE)
    return pattern.sub(lambda match: _as_quoted(match, new), sql)


def _after_table(sql: str, table: str) -> int:
    """Where the part after the statement's table name begins: an index's
    columns, a trigger's body (``ALTER TABLE t ADD INDEX name (...)`` names
    the table first, so its index name is passed over too)."""
    match = re.compile(_quoted_or_bare(table), re.IGNORECASE).search(sql)
    if match is None:
        return len(sql)
    start = match.end()
    alter = re.compile(
        r"\s*ADD\s+(?:\w+\s+)?(?:INDEX|KEY)\s+(?:[\w$]+|\"[^\"]+\"|`[^`]+`)", re.IGNORECASE
    )
    added = alter.match(sql, start)
    return added.end() if added else start
