"""What the user tells autoupdate that the schemas cannot: renames, and the
values existing rows get in a column that becomes required.

``--rename todolist.Todo.desc=description`` turns a dropped and an added
column into one renamed column (a relation's field name stands for its
column: ``--rename app.Book.owner=author`` renames ``owner_id`` to
``author_id``); ``--rename todolist.OldModel=NewModel`` (or
``old_table=NewModel``) renames a table, and with it the model's
auto-created many-to-many tables and their columns, as Django's
``RenameModel`` does. ``--default todolist.Todo.priority=3`` fills existing
rows of a new NOT NULL column, or the NULLs of a column that becomes NOT NULL.

Labels resolve against the models the run synchronizes. What a rename names
is checked against the live database before anything runs (``resolve``): an
old table or column that is not there is an error, never a silent drop and
add. A rename that is already done (the new name there, the old one gone) is
nothing to do, so the same command can run again.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import truncate_name
from django.utils import timezone

from ..catalog import stored_name
from ..exceptions import LabelError
from ..selection import select_models


@dataclass
class TableRename:
    """One table to rename, and the columns inside it to rename with it."""

    new: str
    old: str
    option: str  # the option as typed, for errors; "" for a rename it implies
    # (new column, old column) pairs inside the table (a many-to-many table's
    # ``post_id`` -> ``article_id``).
    columns: list[tuple[str, str]] = field(default_factory=list)
    from_history: str = ""  # the unapplied migration it comes from (migration_hints.py)


@dataclass
class ColumnRename:
    table: str  # the table's new name
    new: str
    olds: tuple[str, ...]  # candidate old columns, the most likely first
    option: str
    label: str  # app_label.Model, for errors
    from_history: str = ""  # the unapplied migration it comes from (migration_hints.py)


@dataclass
class Hints:
    # new table -> old table
    table_renames: dict[str, str] = field(default_factory=dict)
    # (table, new column) -> old column
    column_renames: dict[tuple[str, str], str] = field(default_factory=dict)
    # (table, column) -> (the field's Python value, the value as the user wrote it)
    defaults: dict[tuple[str, str], tuple[Any, str]] = field(default_factory=dict)
    # The renames asked for, before resolve() checked them against the live tables.
    requested_tables: list[TableRename] = field(default_factory=list)
    requested_columns: list[ColumnRename] = field(default_factory=list)
    # What came from an unapplied migration, for the plan: table or
    # (table, column) -> "app.0005_rename_desc".
    sources: dict[Any, str] = field(default_factory=dict)
    # Whether the unapplied migrations' hints were added (migration_hints.py).
    history_read: bool = False
    # Tables an unapplied migration deletes and creates again (knox's
    # ``DeleteModel`` + ``CreateModel``): table -> "app.0002_...". The plan
    # drops and creates them, as that migration does, only where keeping the
    # rows is refused (``recreating``: the tables it does that to).
    recreated: dict[str, str] = field(default_factory=dict)
    recreating: set[str] = field(default_factory=set)
    # App label -> its unapplied migrations with code autoupdate does not run
    # (RunPython, RunSQL): named where a step is refused (migrate may do it).
    unapplied_code: dict[str, list[str]] = field(default_factory=dict)
    # Columns an unapplied migration removes and makes again (a RemoveField
    # then an AddField of that name): (table, column) -> what the history does.
    # A refused step there says so (migrate drops the column's values).
    readded: dict[tuple[str, str], str] = field(default_factory=dict)
    # Those of them the plan drops and adds again, as the history does, where
    # keeping the values is refused: (table, column) -> the name the old
    # column is renamed to, and dropped under (recreated.py).
    readding: dict[tuple[str, str], str] = field(default_factory=dict)

    def old_name(self, table: str, column: str | None = None) -> tuple[str, str | None]:
        """Where a table (and column) of the plan is in the live database now."""
        old_column = self.column_renames.get((table, column), column) if column else None
        return self.table_renames.get(table, table), old_column

    def tables_to_inspect(self) -> list[str]:
        """The old tables the requested renames may start from."""
        return [rename.old for rename in self.requested_tables]


def parse_hints(
    renames: Iterable[str],
    defaults: Iterable[str],
    connection: BaseDatabaseWrapper,
    chosen: Sequence[type[models.Model]] = (),
) -> Hints:
    """Parse ``--rename`` and ``--default`` options; labels name models of
    ``chosen`` (the models of the run)."""
    hints = Hints()
    for text in renames:
        _parse_rename(text, hints, connection, chosen)
    for text in defaults:
        _parse_default(text, hints, connection, chosen)
    return hints


def resolve(hints: Hints, live_tables: set[str], live_columns: dict[str, set[str]]) -> None:
    """Turn the requested renames into ``table_renames``/``column_renames``,
    checked against the live database: ``live_tables`` (every table there)
    and ``live_columns`` (the columns of the tables inspected)."""
    for rename in hints.requested_tables:
        # new == old: only columns, in the M2M table of a model whose M2M points at it.
        columns_only = rename.new == rename.old and rename.old in live_tables
        if not columns_only and not _applies(_table_rename_applies, rename, live_tables):
            continue
        if not columns_only:
            hints.table_renames[rename.new] = rename.old
            if rename.from_history:
                hints.sources[rename.new] = rename.from_history
        for new_column, old_column in rename.columns:
            hints.column_renames.setdefault((rename.new, new_column), old_column)
    waiting = []
    for rename in hints.requested_columns:
        columns = live_columns.get(hints.table_renames.get(rename.table, rename.table))
        if columns and rename.new in columns and any(old in columns for old in rename.olds):
            waiting.append(rename)  # both there: unless another rename frees the new name
            continue
        _add_column_rename(hints, rename, _applies(_old_column, rename, columns))
    _add_renames_into_freed_names(hints, waiting, live_columns)


def _add_renames_into_freed_names(
    hints: Hints, waiting: list[ColumnRename], live_columns: dict[str, set[str]]
) -> None:
    """A rename into a column name that another rename frees (size -> tag,
    then body -> size) is made after it (``diff.apply_renames``); the others
    whose both names are there are what ``_old_column`` says (an error, or
    left out where they come from the history)."""
    while waiting:
        still = []
        for rename in waiting:
            freed = {
                old for (table, _new), old in hints.column_renames.items() if table == rename.table
            }
            taken = (rename.table, rename.new) in hints.column_renames and rename.from_history
            if rename.new in freed and not taken:
                columns = live_columns[hints.table_renames.get(rename.table, rename.table)]
                _add_column_rename(hints, rename, _old_column(rename, columns - {rename.new}))
            else:
                still.append(rename)
        if len(still) == len(waiting):
            break
        waiting = still
    for rename in waiting:
        columns = live_columns.get(hints.table_renames.get(rename.table, rename.table))
        _add_column_rename(hints, rename, _applies(_old_column, rename, columns))


def _add_column_rename(hints: Hints, rename: ColumnRename, old: str | None) -> None:
    if old:
        hints.column_renames[(rename.table, rename.new)] = old
        if rename.from_history:
            hints.sources[(rename.table, rename.new)] = rename.from_history


def _applies(check, rename, live):
    """``check(rename, live)``; a rename from an unapplied migration that the
    live tables disagree with is not used (one typed by the user is an error)."""
    try:
        return check(rename, live)
    except LabelError:
        if rename.from_history:
            return None
        raise


def _table_rename_applies(rename: TableRename, live_tables: set[str]) -> bool:
    old_there, new_there = rename.old in live_tables, rename.new in live_tables
    if old_there and not new_there:
        return True
    if not rename.option:  # implied (a many-to-many table): only where it can be done
        return False
    if old_there and new_there:
        raise LabelError(
            f"{rename.option}: both tables {rename.old} and {rename.new} exist; "
            f"drop one of them or leave out the rename. Nothing was changed."
        )
    if not new_there:
        raise LabelError(
            f"{rename.option}: there is no table {rename.old} to rename "
            f"(nor {rename.new}) in the database. Nothing was changed."
        )
    return False  # done by an earlier run


def _old_column(rename: ColumnRename, columns: set[str] | None) -> str | None:
    if columns is None:
        return None  # the table is created: no column to rename
    olds = [old for old in rename.olds if old in columns]
    if olds and rename.new not in columns:
        return olds[0]
    if olds:
        raise LabelError(
            f"{rename.option}: both columns {olds[0]} and {rename.new} exist in "
            f"{rename.table}; drop one of them or leave out the rename. Nothing was changed."
        )
    if rename.new in columns:
        return None  # done by an earlier run
    raise LabelError(
        f"{rename.option}: {rename.label}'s table {rename.table} has no column "
        f"{' or '.join(rename.olds)} to rename; it has: {', '.join(sorted(columns))}. "
        "Nothing was changed."
    )


def _split(text: str, option: str, form: str) -> tuple[str, str]:
    old, sep, new = text.partition("=")
    if not sep or not old.strip() or not new.strip():
        raise LabelError(f"{option} {text!r}: expected {form}.")
    return old.strip(), new.strip()


_RENAME_FORM = "app_label.Model.old_field=new_field or app_label.OldModel=NewModel"


def _parse_rename(text: str, hints: Hints, connection, chosen) -> None:
    option = f"--rename {text!r}"
    old, new = _split(text, "--rename", _RENAME_FORM)
    parts = old.split(".")
    if len(parts) == 3:
        model = _model(f"{parts[0]}.{parts[1]}", connection.alias, chosen, option)
        parse_column_rename(hints, model, parts[2], new, option, connection)
    elif len(parts) in (1, 2):
        app_label = parts[0] if len(parts) == 2 else None
        label = new if "." in new or app_label is None else f"{app_label}.{new}"
        model = _model(label, connection.alias, chosen, option)
        old_table = old if len(parts) == 1 else f"{app_label}_{parts[1].lower()}"
        old_model_name = parts[1].lower() if len(parts) == 2 else model._meta.model_name
        hints.requested_tables.extend(
            _model_renames(model, old_table, old_model_name, option, connection, chosen)
        )
    else:
        raise LabelError(f"--rename {text!r}: expected {_RENAME_FORM}.")


def parse_column_rename(
    hints: Hints, model: type[models.Model], old: str, new: str, option: str, connection
) -> None:
    """``model``'s field ``old`` is now ``new`` (both field names, or the old column)."""
    new_field = _field(model, new, option)
    hints.requested_columns.append(
        ColumnRename(
            model._meta.db_table,
            # Names as the server stores them, as the live snapshot has them.
            stored_name(connection, new_field.column),
            tuple(stored_name(connection, c) for c in _old_columns(old, new_field)),
            option,
            model._meta.label,
        )
    )


def _old_columns(old: str, new_field: models.Field) -> tuple[str, ...]:
    """The columns ``old`` may name: a relation's old field ``owner`` had the
    column ``owner_id`` (unless it had a db_column: then it is named as such)."""
    if (new_field.many_to_one or new_field.one_to_one) and not old.endswith("_id"):
        return (f"{old}_id", old)
    return (old,)


def _model_renames(
    model: type[models.Model],
    old_table: str,
    old_model_name: str,
    option: str,
    connection: BaseDatabaseWrapper,
    chosen: Sequence[type[models.Model]],
) -> list[TableRename]:
    """The model's table, and what RenameModel renames with it: the
    auto-created many-to-many tables named after the table, and their columns
    named after the model (also in tables of models whose M2M points at it)."""
    renames = [TableRename(model._meta.db_table, old_table, option)]
    max_length = connection.ops.max_name_length()
    new_model_name = model._meta.model_name
    for m2m in model._meta.local_many_to_many:
        through = m2m.remote_field.through._meta
        if not through.auto_created:
            continue
        old_through = m2m.db_table or truncate_name(f"{old_table}_{m2m.name}", max_length)
        self_ref = m2m.related_model is model
        columns = _m2m_columns(old_model_name, new_model_name, "from_" if self_ref else "")
        if self_ref:
            columns += _m2m_columns(old_model_name, new_model_name, "to_")
        renames.append(TableRename(through.db_table, old_through, "", columns))
    for other in chosen:
        if other is model:
            continue
        for m2m in other._meta.local_many_to_many:
            if m2m.remote_field.through._meta.auto_created and m2m.related_model is model:
                through = m2m.remote_field.through._meta.db_table
                columns = _m2m_columns(old_model_name, new_model_name, "")
                renames.append(TableRename(through, through, "", columns))
    return renames


def _m2m_columns(old_name: str, new_name: str, prefix: str) -> list[tuple[str, str]]:
    """(new column, old column) of an auto-created M2M table's column named
    after a model (Django: ``<model_name>_id``, ``from_``/``to_`` when self-referential)."""
    if old_name == new_name:
        return []
    return [(f"{prefix}{new_name}_id", f"{prefix}{old_name}_id")]


def _parse_default(text: str, hints: Hints, connection, chosen) -> None:
    option = f"--default {text!r}"
    target, raw = _split(text, "--default", "app_label.Model.field=VALUE")
    label, _, name = target.rpartition(".")
    if not label:
        raise LabelError(f"--default {text!r}: expected app_label.Model.field=VALUE.")
    model_field = _field(_model(label, connection.alias, chosen, option), name, option)
    set_default(hints, model_field, raw, connection, option=option)


def set_default(
    hints: Hints,
    model_field: models.Field,
    raw: str,
    connection: BaseDatabaseWrapper,
    option: str = "",
) -> None:
    """Record ``raw`` (text, as typed: ``--default``) as the backfill value of ``model_field``,
    under its column's name as the server stores it (as the plan names it)."""
    try:
        value = model_field.to_python(raw)
    except ValidationError as error:
        where = option or f"{model_field.model._meta.label}.{model_field.name}"
        raise LabelError(f"{where}: {'; '.join(error.messages)}") from None
    set_default_value(hints, model_field, value, raw, connection)


def set_default_value(
    hints: Hints,
    model_field: models.Field,
    value: Any,
    shown: str,
    connection: BaseDatabaseWrapper,
) -> None:
    """Record ``value`` (a Python value, already checked) as the backfill
    value of ``model_field``, under its column's name as the server stores
    it (as the plan names it); ``shown`` is how messages name it."""
    column = stored_name(connection, model_field.column)
    hints.defaults[(model_field.model._meta.db_table, column)] = (value, shown)


def evaluate_default(code: str, model_field: models.Field) -> Any:
    """``code`` read as ``makemigrations`` reads a one-off default: a Python
    expression, with the ``datetime`` and ``django.utils.timezone`` modules
    available. A callable (``timezone.now``) is called once, as the schema
    editor calls a callable default: every existing row gets the same value.
    Raises what the expression raises, or ``ValidationError`` when the value
    does not suit the field."""
    # The person at the terminal typing code to run, as for makemigrations.
    value = eval(code, {}, {"datetime": datetime, "timezone": timezone})
    if callable(value):
        value = value()
    return model_field.to_python(value)


def _model(
    label: str, using: str, chosen: Sequence[type[models.Model]], option: str
) -> type[models.Model]:
    """The model ``label`` names among ``chosen`` (any installed one when the
    caller gave none)."""
    if not chosen:
        (model,) = select_models([label], using)
        return model
    wanted = label.lower()
    for model in chosen:
        if wanted in (model._meta.label_lower, model._meta.model_name):
            return model
    try:
        (model,) = select_models([label], using)
    except LabelError as error:
        raise LabelError(f"{option}: {error}") from None
    raise LabelError(
        f"{option}: {model._meta.label} is not among the models this run synchronizes; "
        f"add {model._meta.label} (or its app) to the labels."
    )


def _field(model: type[models.Model], name: str, option: str) -> models.Field:
    try:
        found = model._meta.get_field(name)
    except FieldDoesNotExist:
        found = None
    if found is None or not found.concrete or found.many_to_many:
        names = ", ".join(f.name for f in model._meta.concrete_fields)
        raise LabelError(
            f"{option}: {model._meta.label} has no field {name!r} with a column; it has: {names}."
        )
    return found


def name_sources(renames: list, hints: Hints) -> None:
    """A rename taken from an unapplied migration says which (migration_hints.py)."""
    for step in renames:
        key = (step.table, step.name) if step.kind == "rename_column" else step.table
        if key in hints.sources:
            step.detail += f" (as {hints.sources[key]} does)"
