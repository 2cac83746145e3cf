"""Index and constraint names an app's migration files declared, ever.

The three-way rule of ``undeclared.py`` keeps what no version of the models
declared. On a database no run of ours has stored desired tables for (one
built by ``migrate``), the versions of the models it knows are the app's
migration history: a ``Meta`` index or constraint with a name of its own
that a migration added (``AddIndex``, ``CreateModel``'s options) was the
models', so when the models no longer declare it (a later ``RemoveIndex``,
applied or not) it is dropped as ``migrate`` drops it. What ``RunSQL`` made
is named by no operation and stays kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db.migrations import operations

from ..history import migration_loader


def names_declared_by_history(app_labels: Iterable[str]) -> set[str]:
    """The names of the indexes and constraints that the migration files of
    ``app_labels`` (squashed ones too) add, remove or rename."""
    wanted = set(app_labels)
    loader = migration_loader(None)
    names: set[str] = set()
    for (app, _name), migration in loader.disk_migrations.items():
        if app in wanted:
            for operation in _state_operations(migration.operations):
                names.update(_names_of(operation))
    names.discard(None)
    return names


def _state_operations(ops: Iterable) -> Iterator:
    for operation in ops:
        if isinstance(operation, operations.SeparateDatabaseAndState):
            yield from _state_operations(operation.state_operations)
        else:
            yield operation


def _names_of(operation) -> list[str | None]:
    if isinstance(operation, operations.CreateModel):
        options = operation.options
        return [
            item.name for item in [*options.get("indexes", []), *options.get("constraints", [])]
        ]
    if isinstance(operation, operations.AddIndex):
        return [operation.index.name]
    if isinstance(operation, operations.AddConstraint):
        return [operation.constraint.name]
    if isinstance(operation, operations.RemoveIndex | operations.RemoveConstraint):
        return [operation.name]
    if isinstance(operation, operations.RenameIndex):
        return [operation.old_name, operation.new_name]
    return []
