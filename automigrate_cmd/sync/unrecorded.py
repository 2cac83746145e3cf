"""Migrations whose changes are already in the database.

After ``autoupdate`` has added a column, ``makemigrations`` writes a
migration for it that ``migrate`` would run again: PostgreSQL and MariaDB
fail on a column that exists, SQLite rebuilds the table for nothing. An
in-sync run finds such migrations and records them as applied, as
``migrate --fake`` would; ``--check`` and ``--dry-run`` only name them.

A migration counts as already applied only when all of these hold:

- its app is selected whole and its tables match the models (the run found
  nothing to do);
- the app's migration files, all of them applied, give the models as they
  are (the autodetector finds no change, as ``makemigrations --check``);
- it only changes the schema (built-in model, field, index and constraint
  operations): a ``RunPython`` or ``RunSQL`` did something that comparing
  tables cannot confirm, so it and what depends on it are left to ``migrate``;
- its dependencies are applied or recorded with it.

The in-sync run stays cheap: the migration files are loaded only when
``django_migrations`` lacks a row for one of the names on disk.
"""

from __future__ import annotations

import importlib.machinery
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import import_module

from django.apps import apps
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations import operations
from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.questioner import MigrationQuestioner
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.state import ProjectState

from ..catalog import stored_name
from ..history import MigrationKey, migration_loader
from ..selection import syncable_models

# Operations whose whole effect is the schema the migration state describes.
SCHEMA_ONLY = {
    getattr(operations, name)
    for name in operations.__all__
    if name not in {"RunPython", "RunSQL", "SeparateDatabaseAndState"}
}


@dataclass
class Unrecorded:
    """What an in-sync run found in the migration history of its apps."""

    # Already in the database: to record as applied, in the order migrate runs them.
    keys: list[MigrationKey] = field(default_factory=list)
    # Unapplied and left to migrate: app label -> why.
    left: dict[str, str] = field(default_factory=dict)
    # The rows migrate --fake would write for ``keys``: what squashed ones replace, too.
    rows: list[MigrationKey] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.keys or self.left)

    def names(self) -> str:
        return ", ".join(f"{app}.{name}" for app, name in self.keys)

    def commands(self, using: str) -> list[str]:
        """The ``migrate --fake`` commands that record the same rows."""
        database = "" if using == "default" else f" --database {using}"
        last = {app: name for app, name in self.keys}  # keys are in order: the last wins
        return [
            f"python manage.py migrate{database} --fake {app} {name}" for app, name in last.items()
        ]


@dataclass
class History:
    """The migration files of the apps a run holds whole, and the rows
    django_migrations has for them: read once per plan, by the history hints
    and by ``find``."""

    on_disk: dict[str, set[str]] = field(default_factory=dict)
    recorded: dict[str, set[str]] = field(default_factory=dict)

    @property
    def all_recorded(self) -> bool:
        return all(names <= self.recorded.get(app, set()) for app, names in self.on_disk.items())

    @property
    def behind(self) -> set[str]:
        """The apps whose records are behind their files: some migrations
        applied, not all (an app with no row: where its tables stand is not
        known from the history)."""
        return {
            label
            for label, names in self.on_disk.items()
            if self.recorded.get(label) and not names <= self.recorded[label]
        }


def read_history(
    connection: BaseDatabaseWrapper, chosen: list[type[models.Model]], present: set[str]
) -> History:
    """``History`` of ``chosen``; ``present``: the tables there. One query at
    most, none when no app has migration files."""
    on_disk = migration_files(connection.alias, chosen)
    if not on_disk:
        return History()
    return History(on_disk, recorded_migrations(connection, set(on_disk), present))


def find(connection: BaseDatabaseWrapper, history: History) -> Unrecorded:
    """For an in-sync run: the unapplied migrations whose changes are there."""
    if history.all_recorded:
        return Unrecorded()  # the usual case: nothing is loaded
    on_disk = history.on_disk
    loader = migration_loader(connection)
    return _already_in_database(loader, set(on_disk))


def record(connection: BaseDatabaseWrapper, found: Unrecorded, skip: set[str]) -> list[str]:
    """Write the rows ``migrate --fake`` writes for ``found``, less the apps
    ``skip`` names (recorded otherwise); the names recorded."""
    rows = [key for key in found.rows if key[0] not in skip]
    if rows:
        recorder = MigrationRecorder(connection)
        recorder.ensure_schema()
        # One INSERT for all: the rows record_applied() would write one by one.
        recorder.migration_qs.bulk_create(
            [recorder.Migration(app=app, name=name) for app, name in rows]
        )
    return [f"{app}.{name}" for app, name in found.keys if app not in skip]


def migration_files(alias: str, chosen: Iterable[type[models.Model]]) -> dict[str, set[str]]:
    """The migration names on disk of each app ``chosen`` holds whole,
    listed as MigrationLoader lists them, without importing them."""
    chosen = set(chosen)
    labels = {model._meta.app_label for model in chosen}
    files = {}
    for label in sorted(labels):
        try:
            config = apps.get_app_config(label)
        except LookupError:
            continue  # models of no installed app (isolate_apps in tests): no migrations
        if not set(syncable_models(alias, config)) <= chosen:
            continue  # part of the app: its migrations may be about the rest
        names = _names_in(MigrationLoader.migrations_module(label)[0])
        if names:
            files[label] = names
    return files


def _names_in(module_name: str | None) -> set[str]:
    if module_name is None:
        return set()
    try:
        module = import_module(module_name)
    except ModuleNotFoundError:
        return set()
    if not hasattr(module, "__path__"):
        return set()
    return {name for folder in module.__path__ for name in _module_names(folder)}


def _module_names(folder: str) -> set[str]:
    """What ``pkgutil.iter_modules`` lists in ``folder``, less packages and
    names MigrationLoader skips: file names with a module suffix (a listing,
    where pkgutil inspects every entry; an in-sync run lists each app's)."""
    try:
        entries = os.listdir(folder)
    except OSError:
        return set()
    names = set()
    for entry in entries:
        suffix = next((s for s in _MODULE_SUFFIXES if entry.endswith(s)), None)
        name = entry[: -len(suffix)] if suffix else ""
        if name and name[0] not in "_~":
            names.add(name)
    return names


# Longest first: ".cpython-311-x86_64-linux-gnu.so" before ".so".
_MODULE_SUFFIXES = sorted(importlib.machinery.all_suffixes(), key=len, reverse=True)


def recorded_migrations(
    connection: BaseDatabaseWrapper, labels: set[str], present: set[str]
) -> dict[str, set[str]]:
    """The rows django_migrations has for ``labels``: one query, none when
    the table does not exist."""
    recorder = MigrationRecorder(connection)
    if stored_name(connection, recorder.Migration._meta.db_table) not in present:
        return {}
    rows: dict[str, set[str]] = {}
    for app, name in recorder.migration_qs.filter(app__in=labels).values_list("app", "name"):
        rows.setdefault(app, set()).add(name)
    return rows


def _already_in_database(loader: MigrationLoader, labels: set[str]) -> Unrecorded:
    applied = set(loader.applied_migrations or {})
    changed = _apps_whose_models_changed(loader, labels)
    found = Unrecorded()
    eligible: set[MigrationKey] = set()
    for label in sorted(labels):
        pending = {key for key in loader.graph.nodes if key[0] == label and key not in applied}
        if not pending:
            continue
        if label in changed:
            found.left[label] = (
                "the models differ from what its migrations build (run makemigrations first)"
            )
            continue
        runs_code = {key for key in pending if not _schema_only(loader, key)}
        if runs_code:
            names = ", ".join(sorted(name for _, name in runs_code))
            found.left[label] = (
                f"{names} run code or SQL whose effect cannot be checked "
                f"(autoupdate does not run it): run python manage.py migrate {label}"
            )
        eligible |= pending - runs_code
    keys = _with_dependencies_met(loader, eligible, applied)
    for app, name in sorted(eligible - keys):
        found.left.setdefault(app, f"{name} depends on a migration that is not applied")
    found.keys = _in_order(loader, keys)
    for key in found.keys:
        found.rows.extend(loader.graph.nodes[key].replaces or ())
        found.rows.append(key)
    return found


def _apps_whose_models_changed(loader: MigrationLoader, labels: set[str]) -> set[str]:
    """The apps of ``labels`` for which makemigrations would write a migration."""
    autodetector = MigrationAutodetector(
        loader.project_state(), ProjectState.from_apps(apps), MigrationQuestioner()
    )
    return set(autodetector.changes(graph=loader.graph, trim_to_apps=labels)) & labels


def _schema_only(loader: MigrationLoader, key: MigrationKey) -> bool:
    migration = loader.graph.nodes[key]
    return all(type(operation) in SCHEMA_ONLY for operation in migration.operations)


def _with_dependencies_met(
    loader: MigrationLoader, eligible: set[MigrationKey], applied: set[MigrationKey]
) -> set[MigrationKey]:
    """The keys of ``eligible`` whose dependencies are applied or recorded
    with them: recording one without would make migrate raise
    InconsistentMigrationHistory."""
    keys = set(eligible)
    while True:
        unmet = {
            key
            for key in keys
            for parent in loader.graph.node_map[key].parents
            if parent.key not in applied and parent.key not in keys
        }
        if not unmet:
            return keys
        keys -= unmet


def _in_order(loader: MigrationLoader, keys: set[MigrationKey]) -> list[MigrationKey]:
    ordered: list[MigrationKey] = []
    for leaf in sorted(loader.graph.leaf_nodes()):
        for key in loader.graph.forwards_plan(leaf):
            if key in keys and key not in ordered:
                ordered.append(key)
    return ordered


def left_lines(found: Unrecorded) -> list[str]:
    """Why unapplied migrations stay unapplied, one line an app."""
    return [
        f"  {app}: migrations left to `migrate`: {why}" for app, why in sorted(found.left.items())
    ]


def would_record_lines(found: Unrecorded, using: str) -> list[str]:
    """What a real run would record, for ``--check`` and ``--dry-run``."""
    if not found.keys:
        return left_lines(found)
    return [
        "  Would record as applied (their changes are already in the database): " + found.names(),
        "  A real autoupdate records them; or run: " + "; ".join(found.commands(using)),
        *left_lines(found),
    ]
