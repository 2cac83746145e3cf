"""Renames and one-off defaults that an app's unapplied migration files know.

When ``django_migrations`` is behind an app's migration files (a database
left at an early migration, then synced by ``autoupdate``), those files hold
what the schemas cannot tell: ``RenameField`` and ``RenameModel`` (or the
columns would be dropped and added again) and the one-off value that
``makemigrations`` asked the author for when a column became required
(``AddField``/``AlterField`` with ``preserve_default=False``). They are used
as if given with ``--rename``/``--default``, and the plan names the migration
they come from. A model that a migration deletes and creates again
(``DeleteModel`` then ``CreateModel``, as knox's 0002 does) has its table
dropped and created again, with its rows announced as lost, but only where
the table cannot be brought to the models with its rows (``recreated.py``).
Nothing else of the files is trusted over the models; a hint the models or
the live tables disagree with is left out (``hints.resolve``), and what the
user gives on the command line wins. Their code (RunPython, RunSQL) is not
run; a refused step names the migrations that have some.

Cheap when the history is complete: the files are only listed and one query
reads ``django_migrations`` (``unrecorded``); they are loaded only when a
file has no row.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations import operations
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ModelState, ProjectState

from ..exceptions import LabelError
from ..history import migration_loader
from ..migration_sql import runs_more_than_objects
from . import hints as hints_module
from .hints import Hints
from .unrecorded import History


@dataclass
class _Event:
    """One operation of an unapplied migration that the hints need, in order."""

    migration: str  # "app.0005_rename_desc"
    app: str
    # "rename_model", "rename_field", "default", "delete_model", "create_model",
    # "remove_field", "add_field", "code" (a RunPython or RunSQL: what
    # autoupdate does not run)
    kind: str
    model: str  # the model's name (lower case) when the migration runs
    old: str = ""  # rename_model/rename_field: the old name
    new: str = ""  # the new name; default: the field's name
    old_table: str = ""  # rename_model: the table before it
    value: object = None  # default: the one-off value (or the kept one AddField fills with)
    kept: bool = False  # default: the field keeps it (preserve_default=True)


def add_history_hints(
    hints: Hints,
    connection: BaseDatabaseWrapper,
    chosen: list[type[models.Model]],
    history: History,
) -> None:
    """Add to ``hints`` (the user's, which win) what the unapplied migrations
    of the apps of ``chosen`` know (``history``: their files and records)."""
    events = _unapplied_events(connection, history)
    if not events:
        return
    extra = Hints()
    for event in _final_renames(events):
        try:
            _add_rename(extra, event, connection, chosen)
        except LabelError:
            continue  # the models disagree: not used
    for event in (e for e in events if e.kind == "default"):
        _add_default(hints, event, events, connection, chosen)
    for event in _recreations(events):
        _add_recreation(hints, event, events, connection, chosen)
    for index, event in enumerate(events):
        if event.kind == "remove_field":
            _add_readded_column(hints, events, index, connection, chosen)
    for event in (e for e in events if e.kind == "code"):
        names = hints.unapplied_code.setdefault(event.app, [])
        if event.migration not in names:
            names.append(event.migration)
    # Earlier in the lists: resolve() lets the user's renames override them.
    hints.requested_tables[:0] = extra.requested_tables
    hints.requested_columns[:0] = extra.requested_columns


def _unapplied_events(connection, history: History) -> list[_Event]:
    behind = history.behind
    if not behind:
        return []
    loader = migration_loader(connection)
    applied = set(loader.applied_migrations or {})
    state = _state_at_applied(loader, applied)
    events: list[_Event] = []
    for key in _forwards_plan(loader):
        if key in applied:
            continue
        migration = loader.graph.nodes[key]
        for operation in migration.operations:
            if key[0] in behind:
                name = f"{key[0]}.{key[1]}"
                events.extend(_events_of(connection, operation, name, key[0], state))
            operation.state_forwards(key[0], state)
    return events


def _forwards_plan(loader: MigrationLoader) -> list[tuple[str, str]]:
    plan: list[tuple[str, str]] = []
    for leaf in sorted(loader.graph.leaf_nodes()):
        for key in loader.graph.forwards_plan(leaf):
            if key not in plan:
                plan.append(key)
    return plan


def _state_at_applied(loader: MigrationLoader, applied: set) -> ProjectState:
    state = ProjectState(real_apps=loader.unmigrated_apps)
    for key in _forwards_plan(loader):
        if key in applied:
            for operation in loader.graph.nodes[key].operations:
                operation.state_forwards(key[0], state)
    return state


def _events_of(connection, operation, migration: str, app: str, state) -> list[_Event]:
    if isinstance(operation, operations.RenameModel):
        old_state = state.models.get((app, operation.old_name_lower))
        old_table = _table_of(old_state, app, operation.old_name_lower)
        return [
            _Event(migration, app, "rename_model", operation.old_name_lower,
                   operation.old_name_lower, operation.new_name_lower, old_table)
        ]  # fmt: skip
    if isinstance(operation, operations.RenameField):
        return [
            _Event(migration, app, "rename_field", operation.model_name_lower,
                   operation.old_name, operation.new_name)
        ]  # fmt: skip
    if isinstance(operation, operations.RemoveField):
        return [_Event(migration, app, "remove_field", operation.model_name_lower, operation.name)]
    if isinstance(operation, operations.RunPython):
        noop = operation.code is operations.RunPython.noop
        return [] if noop else [_Event(migration, app, "code", "")]
    if isinstance(operation, operations.RunSQL):
        # What makes schema objects is run (migration_sql); the rest is not.
        runs = runs_more_than_objects(connection, operation)
        return [_Event(migration, app, "code", "")] if runs else []
    if isinstance(operation, operations.SeparateDatabaseAndState):
        return [
            event
            for inner in operation.database_operations
            for event in _events_of(connection, inner, migration, app, state)
            if event.kind == "code"
        ]
    if isinstance(operation, operations.DeleteModel | operations.CreateModel):
        kind = "delete_model" if isinstance(operation, operations.DeleteModel) else "create_model"
        return [_Event(migration, app, kind, operation.name_lower)]
    if isinstance(operation, operations.AddField | operations.AlterField):
        added = []
        if isinstance(operation, operations.AddField):
            added = [_Event(migration, app, "add_field", operation.model_name_lower,
                            new=operation.name)]  # fmt: skip
        if not operation.field.has_default():
            return added
        # A kept default counts where the rows get it: when AddField adds the
        # column (a later migration may drop or change the default).
        kept = operation.preserve_default
        if kept and (
            isinstance(operation, operations.AlterField) or callable(operation.field.default)
        ):
            return added
        return [
            *added,
            _Event(migration, app, "default", operation.model_name_lower,
                   new=operation.name, value=operation.field.default, kept=kept),
        ]  # fmt: skip
    return []


def _table_of(model_state: ModelState | None, app: str, model_name: str) -> str:
    if model_state is not None and model_state.options.get("db_table"):
        return model_state.options["db_table"]
    return f"{app}_{model_name}"


def _final_renames(events: list[_Event]) -> list[_Event]:
    """Each model and field rename from its first name to its last: what
    the unapplied migrations do together (a -> b, b -> c is a -> c)."""
    renames: list[_Event] = []
    for index, event in enumerate(events):
        if event.kind not in ("rename_model", "rename_field"):
            continue
        if any(_continues(earlier, event) for earlier in events[:index]):
            continue  # folded into the earlier one
        final, last = event, index
        for position, later in enumerate(events[index + 1 :], index + 1):
            if _continues(final, later):
                final, last = _Event(**{**vars(final), "new": later.new}), position
        if final.kind == "rename_field" and _removed_after(events, last, final.model, final.new):
            continue  # a later migration removes it: a field of that name now is another one
        if final.kind == "rename_field" and _added_before(events, index):
            continue  # it renames a field an unapplied migration adds: no live column is it
        model = _model_name_after(events, index, final.model, final.app)
        renames.append(_Event(**{**vars(final), "model": model}))
    return renames


def _continues(earlier: _Event, later: _Event) -> bool:
    if earlier.kind != later.kind or earlier.app != later.app or earlier.new != later.old:
        return False
    return earlier.kind == "rename_model" or earlier.model == later.model


def _following(events: list[_Event], index: int, model: str, field_name: str):
    """``(position, later, model, field_name)`` for each event of the same
    app after ``events[index]`` (``later`` is ``events[position]``), with the
    model and field names carried through the renames before it (names as
    they are at ``index``)."""
    app = events[index].app
    for position in range(index + 1, len(events)):
        later = events[position]
        if later.app != app:
            continue
        yield position, later, model, field_name
        if later.kind == "rename_model" and later.old == model:
            model = later.new
        elif later.kind == "rename_field" and later.model == model and later.old == field_name:
            field_name = later.new


def _field_name_after(events: list[_Event], index: int, model: str, field_name: str) -> str:
    """The name of ``model``'s field ``field_name`` after the renames that
    follow ``events[index]`` (of the field, and of its model in between)."""
    for _at, later, model_then, name_then in _following(events, index, model, field_name):
        if later.kind == "rename_field" and later.model == model_then and later.old == name_then:
            field_name = later.new
    return field_name


def _removed_after(events: list[_Event], index: int, model: str, field_name: str) -> bool:
    """Whether an event after ``events[index]`` removes the field ``field_name``
    of ``model`` (names as they are at ``index``, followed through renames), or
    the model (a CreateModel after it is another)."""
    for _at, later, model_then, name_then in _following(events, index, model, field_name):
        if later.kind == "remove_field" and later.model == model_then and later.old == name_then:
            return True
        if later.kind == "delete_model" and later.model == model_then:
            return True
    return False


def _added_before(events: list[_Event], index: int) -> bool:
    """Whether the field that ``events[index]`` (a RenameField) renames was
    added by an earlier unapplied AddField (names followed through renames,
    and not removed in between): the live column of that name, if any, is
    the field a RemoveField before the AddField removed."""
    rename = events[index]
    for start in range(index):
        added = events[start]
        if added.kind != "add_field" or added.app != rename.app:
            continue
        for position, later, model, name in _following(events, start, added.model, added.new):
            if position == index:
                if later.model == model and later.old == name:
                    return True
                break
            if later.kind == "remove_field" and (later.model, later.old) == (model, name):
                break  # removed again: the rename is of another field
    return False


def _model_name_after(events: list[_Event], index: int, model: str, app: str) -> str:
    """``model`` as the models call it after the unapplied migrations."""
    for later in events[index:]:
        if later.kind == "rename_model" and later.app == app and later.old == model:
            model = later.new
    return model


def _add_rename(extra: Hints, event: _Event, connection, chosen) -> None:
    option = f"{event.migration} ({event.kind.replace('_', ' ')})"
    if event.kind == "rename_model":
        model = hints_module._model(f"{event.app}.{event.new}", connection.alias, chosen, option)
        renames = hints_module._model_renames(
            model, event.old_table, event.old, option, connection, chosen
        )
        for rename in renames:
            rename.from_history = event.migration
        extra.requested_tables.extend(renames)
        return
    model = hints_module._model(f"{event.app}.{event.model}", connection.alias, chosen, option)
    before = len(extra.requested_columns)
    hints_module.parse_column_rename(extra, model, event.old, event.new, option, connection)
    for rename in extra.requested_columns[before:]:
        rename.from_history = event.migration


def _add_default(hints: Hints, event: _Event, events, connection, chosen) -> None:
    """The one-off value, for the field as the models call it now; or the
    value AddField filled the rows with, where the models' default is another
    (a later migration dropped or changed it)."""
    index = events.index(event)
    if _removed_after(events, index, event.model, event.new):
        return  # a later migration removes that field: its one-off value is not the models'
    model_name = _model_name_after(events, index, event.model, event.app)
    field_name = _field_name_after(events, index, event.model, event.new)
    try:
        model = hints_module._model(f"{event.app}.{model_name}", connection.alias, chosen, "")
        model_field = model._meta.get_field(field_name)
    except (LabelError, LookupError, FieldDoesNotExist):
        return  # the models disagree: not used
    column = (model._meta.db_table, hints_module.stored_name(connection, model_field.column))
    if column in hints.defaults:
        return  # the user's --default wins
    value = event.value() if callable(event.value) else event.value
    try:
        value = model_field.to_python(value)
    except ValidationError:
        return  # not a value of the field as the models have it: not used
    if event.kept and model_field.has_default() and model_field.get_default() == value:
        return  # the models' own default fills the rows alike
    hints_module.set_default_value(
        hints, model_field, value, f"{value!r} (from {event.migration})", connection
    )
    hints.sources[column] = event.migration


def _add_readded_column(hints: Hints, events: list[_Event], index: int, connection, chosen):
    """A field removed and then added again under its name (or another field
    renamed into it): ``migrate`` drops its column and its values. Noted, for
    a step the new field's column refuses to say so (``Hints.readded``)."""
    removed = events[index]
    for position, later, model, name in _following(events, index, removed.model, removed.old):
        comes_back = later.kind in ("add_field", "rename_field") and later.new == name
        if later.model != model or not comes_back:
            continue
        model_name = _model_name_after(events, position, model, later.app)
        field_name = _field_name_after(events, position, model, name)
        try:
            model_class = hints_module._model(
                f"{later.app}.{model_name}", connection.alias, chosen, ""
            )
            column = model_class._meta.get_field(field_name).column
        except (LabelError, LookupError, FieldDoesNotExist):
            return  # the models disagree: not used
        table = hints_module.stored_name(connection, model_class._meta.db_table)
        again = "adds it again" if later.kind == "add_field" else f"renames {later.old} into it"
        if later.migration != removed.migration:
            again = f"{later.migration} {again}"
        why = f"{removed.migration} removes the field {removed.old} and {again}"
        hints.readded.setdefault((table, hints_module.stored_name(connection, column)), why)
        return


def _recreations(events: list[_Event]) -> list[_Event]:
    """Each ``DeleteModel`` that a later ``CreateModel`` of the same name
    undoes: the model's table is made again, and its rows are not carried."""
    return [
        event
        for index, event in enumerate(events)
        if event.kind == "delete_model"
        and any(
            later.kind == "create_model" and (later.app, later.model) == (event.app, event.model)
            for later in events[index + 1 :]
        )
    ]


def _add_recreation(hints: Hints, event: _Event, events, connection, chosen) -> None:
    model_name = _model_name_after(events, events.index(event), event.model, event.app)
    try:
        model = hints_module._model(f"{event.app}.{model_name}", connection.alias, chosen, "")
    except LabelError:
        return  # the models disagree (no such model now): not used
    table = hints_module.stored_name(connection, model._meta.db_table)
    hints.recreated.setdefault(table, event.migration)
