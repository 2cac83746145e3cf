"""What a sync plan would do to the rows that are there, measured first.

Each step that can lose data or cannot succeed on the live rows gets a
sentence with the count: ``loss`` (refused unless the user accepts data
loss) or ``impossible`` (refused always, naming the fix).
"""

from __future__ import annotations

import re

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from .catalog import count_rows
from .diff import Step
from .plan import rows_text

# Integer types by width: a change to an equal or wider one keeps every value.
# Any other type change is counted as a possible loss.
_BOUNDED_STRINGS = {"varchar", "character varying"}
_TEXT_TYPES = _BOUNDED_STRINGS | {"text", "tinytext", "mediumtext", "longtext"}
_INTEGER_BYTES = {"smallint": 2, "mediumint": 3, "integer": 4, "int": 4, "bigint": 8}


def measure(
    steps: list[Step],
    connection: BaseDatabaseWrapper,
    fields_by_column: dict[tuple[str, str], models.Field],
) -> None:
    qn = connection.ops.quote_name
    for step in steps:
        if step.kind == "drop_column":
            _measure_drop(step, connection, step.name)
        elif step.kind == "add_column":
            _measure_add(step, connection, fields_by_column.get((step.table, step.name)))
        elif step.kind == "alter_column" and step.live:
            _measure_alter(step, connection, step.name, step.live, step.desired, qn)
        elif step.kind == "rebuild_table":
            _measure_rebuild(step, connection, fields_by_column, qn)


def _non_null(connection, table: str, column: str) -> int:
    return count_rows(connection, table, [column])


def _measure_drop(step: Step, connection, column: str) -> None:
    values = _non_null(connection, step.table, column)
    if values:
        step.loss = (
            f"{step.table}.{column}: column dropped, {values:,} non-null "
            f"value{'s' if values != 1 else ''} would be lost"
        )


def _measure_add(step: Step, connection, field: models.Field | None) -> None:
    wanted = step.desired
    if wanted.get("null") or wanted.get("default") is not None or wanted.get("generated"):
        return
    if field is not None and _has_python_default(field):
        return
    rows = count_rows(connection, step.table)
    if rows:
        step.impossible = (
            f"{step.table}.{step.name}: new NOT NULL column without a default, and the table "
            f"holds {rows_text(rows)}; give the field a default (or db_default) or null=True"
        )


def _has_python_default(field: models.Field) -> bool:
    # Django's effective_default: an explicit default, or "" for blank strings.
    if field.has_default():
        return True
    return not field.null and field.blank and field.empty_strings_allowed


def _measure_alter(step: Step, connection, column: str, have: dict, want: dict, qn) -> None:
    table = qn(step.table)
    if have.get("null") and not want.get("null"):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE {qn(column)} IS NULL")
            nulls = cursor.fetchone()[0]
        if nulls:
            step.impossible = (
                f"{step.table}.{column}: becomes NOT NULL, {rows_text(nulls)} "
                f"{'is' if nulls == 1 else 'are'} NULL; "
                "fill them first or keep null=True"
            )
    if have.get("type") != want.get("type") and not _widens(have["type"], want["type"]):
        _measure_retype(step, connection, column, have["type"], want["type"], qn)


def _measure_retype(step: Step, connection, column: str, old: str, new: str, qn) -> None:
    new_length = _length(new)
    if _base(old) in _TEXT_TYPES and _base(new) in _BOUNDED_STRINGS and new_length is not None:
        # Strings into a bounded string: only longer values are at risk.
        length = "CHAR_LENGTH" if connection.vendor != "sqlite" else "LENGTH"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*) FROM {qn(step.table)} WHERE {length}({qn(column)}) > %s",
                [new_length],
            )
            longer = cursor.fetchone()[0]
        if longer:
            step.loss = (
                f"{step.table}.{column}: {old} -> {new}, {rows_text(longer)} "
                f"{'holds' if longer == 1 else 'hold'} longer values"
            )
        return
    values = _non_null(connection, step.table, column)
    if values:
        step.loss = (
            f"{step.table}.{column}: type {old} -> {new}, {values:,} "
            f"value{'s' if values != 1 else ''} may not survive the conversion"
        )


def _measure_rebuild(step: Step, connection, fields_by_column, qn) -> None:
    losses, impossible = [], []
    for column, have in step.live["columns"].items():
        want = step.desired["columns"].get(column)
        probe = Step("drop_column" if want is None else "alter_column", step.table, column)
        if want is None:
            _measure_drop(probe, connection, column)
        else:
            _measure_alter(probe, connection, column, have, want, qn)
        losses += [probe.loss] if probe.loss else []
        impossible += [probe.impossible] if probe.impossible else []
    for column, want in step.desired["columns"].items():
        if column not in step.live["columns"]:
            probe = Step("add_column", step.table, column, desired=want)
            _measure_add(probe, connection, fields_by_column.get((step.table, column)))
            impossible += [probe.impossible] if probe.impossible else []
    step.loss = "; ".join(losses)
    step.impossible = "; ".join(impossible)


def _base(sql_type: str) -> str:
    """``bigint(20) unsigned`` -> ``bigint unsigned``."""
    return " ".join(re.sub(r"\(.*?\)", " ", sql_type).lower().split())


def _length(sql_type: str) -> int | None:
    match = re.search(r"\((\d+)\)", sql_type)
    return int(match.group(1)) if match else None


def _widens(old: str, new: str) -> bool:
    """True when every value of ``old`` fits ``new`` unchanged."""
    old_base, new_base = _base(old), _base(new)
    if old_base in _BOUNDED_STRINGS and new_base in _TEXT_TYPES:
        old_length, new_length = _length(old), _length(new)
        return new_length is None or (old_length is not None and new_length >= old_length)
    old_int = old_base.replace(" unsigned", "")
    new_int = new_base.replace(" unsigned", "")
    if old_int in _INTEGER_BYTES and new_int in _INTEGER_BYTES:
        signedness_changes = ("unsigned" in new_base) != ("unsigned" in old_base)
        return not signedness_changes and _INTEGER_BYTES[new_int] >= _INTEGER_BYTES[old_int]
    return False
