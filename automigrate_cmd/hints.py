"""What the user tells autoupdate that the schemas cannot: renames, and the
values existing rows get in a column that becomes required.

``--rename todolist.Todo.desc=description`` turns a dropped and an added
column into one renamed column; ``--rename todolist.OldModel=NewModel`` (or
``old_table=NewModel``) renames a table. ``--default todolist.Todo.priority=3``
fills existing rows of a new NOT NULL column, or the NULLs of a column that
becomes NOT NULL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from .catalog import stored_name
from .exceptions import LabelError
from .selection import select_models


@dataclass
class Hints:
    # new table -> old table
    table_renames: dict[str, str] = field(default_factory=dict)
    # (table, new column) -> old column
    column_renames: dict[tuple[str, str], str] = field(default_factory=dict)
    # (table, column) -> (the field's Python value, the value as the user wrote it)
    defaults: dict[tuple[str, str], tuple[Any, str]] = field(default_factory=dict)

    def old_name(self, table: str, column: str | None = None) -> tuple[str, str | None]:
        """Where a table (and column) of the plan is in the live database now."""
        old_column = self.column_renames.get((table, column), column) if column else None
        return self.table_renames.get(table, table), old_column


def parse_hints(
    renames: Iterable[str], defaults: Iterable[str], connection: BaseDatabaseWrapper
) -> Hints:
    hints = Hints()
    for text in renames:
        _parse_rename(text, hints, connection)
    for text in defaults:
        _parse_default(text, hints, connection)
    return hints


def _split(text: str, option: str, form: str) -> tuple[str, str]:
    old, sep, new = text.partition("=")
    if not sep or not old.strip() or not new.strip():
        raise LabelError(f"{option} {text!r}: expected {form}.")
    return old.strip(), new.strip()


def _parse_rename(text: str, hints: Hints, connection: BaseDatabaseWrapper) -> None:
    using = connection.alias
    form = "app_label.Model.old_field=new_field or app_label.OldModel=NewModel"
    old, new = _split(text, "--rename", form)
    parts = old.split(".")
    if len(parts) == 3:
        model = _model(f"{parts[0]}.{parts[1]}", using)
        new_field = _field(model, new)
        # Both names as the server stores them, as the live snapshot has them.
        new_column = stored_name(connection, new_field.column)
        hints.column_renames[(model._meta.db_table, new_column)] = stored_name(connection, parts[2])
    elif len(parts) in (1, 2):
        app_label = parts[0] if len(parts) == 2 else None
        label = new if "." in new or app_label is None else f"{app_label}.{new}"
        model = _model(label, using)
        old_table = old if len(parts) == 1 else f"{app_label}_{parts[1].lower()}"
        hints.table_renames[model._meta.db_table] = old_table
    else:
        raise LabelError(f"--rename {text!r}: expected {form}.")


def _parse_default(text: str, hints: Hints, connection: BaseDatabaseWrapper) -> None:
    target, raw = _split(text, "--default", "app_label.Model.field=VALUE")
    label, _, name = target.rpartition(".")
    if not label:
        raise LabelError(f"--default {text!r}: expected app_label.Model.field=VALUE.")
    model_field = _field(_model(label, connection.alias), name)
    set_default(hints, model_field, raw, connection, option=f"--default {text!r}")


def set_default(
    hints: Hints,
    model_field: models.Field,
    raw: str,
    connection: BaseDatabaseWrapper,
    option: str = "",
) -> None:
    """Record ``raw`` (text, as typed) as the backfill value of ``model_field``,
    under its column's name as the server stores it (as the plan names it)."""
    try:
        value = model_field.to_python(raw)
    except ValidationError as error:
        where = option or f"{model_field.model._meta.label}.{model_field.name}"
        raise LabelError(f"{where}: {'; '.join(error.messages)}") from None
    column = stored_name(connection, model_field.column)
    hints.defaults[(model_field.model._meta.db_table, column)] = (value, raw)


def _model(label: str, using: str) -> type[models.Model]:
    (model,) = select_models([label], using)
    return model


def _field(model: type[models.Model], name: str) -> models.Field:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        names = ", ".join(f.name for f in model._meta.concrete_fields)
        raise LabelError(f"{model._meta.label} has no field {name!r}; it has: {names}.") from None
