"""Keeping ``migrate`` happy after an automigrate.

An app whose tables were built by automigrate has the schema its models
describe, so its migrations must not run again (they would fail on tables
that exist). After a run, every migration of each app with migrations whose
models now all have their tables is recorded as applied, as
``migrate --fake`` would record it. An app is skipped (and a warning says
so) when some of its tables are missing, or when its migrations depend on a
migration of another app that is neither applied nor recorded now: recording
it would make ``migrate`` fail with InconsistentMigrationHistory.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from . import desired_cache
from .catalog import existing_tables, stored_name
from .report import Reporter
from .selection import syncable_models, tables_of

MigrationKey = tuple[str, str]


def migrations_to_record(
    loader: MigrationLoader, app_labels: Iterable[str]
) -> tuple[list[MigrationKey], dict[str, str]]:
    """The migrations to record for ``app_labels``, and why some apps are skipped."""
    connection = loader.connection
    applied = set(loader.applied_migrations or {})
    present = existing_tables(connection)
    skipped: dict[str, str] = {}
    candidates = set()
    for label in sorted(set(app_labels) & loader.migrated_apps):
        models = syncable_models(connection.alias, apps.get_app_config(label))
        tables = [t for m in models for t in tables_of(m)]
        missing = sorted(t for t in tables if stored_name(connection, t) not in present)
        if missing:
            skipped[label] = "tables missing: " + ", ".join(missing)
        else:
            candidates.add(label)
    keys = _consistent_keys(loader, candidates, applied, skipped)
    return keys, skipped


def _consistent_keys(loader, candidates: set[str], applied: set, skipped: dict) -> list:
    """Unapplied migrations of ``candidates`` whose dependencies will be met."""
    graph = loader.graph
    while True:
        chosen = {k for k in graph.nodes if k[0] in candidates and k not in applied}
        unmet = {
            key[0]: parent
            for key in chosen
            for parent in graph.node_map[key].parents
            if parent.key not in applied and parent.key not in chosen
        }
        if not unmet:
            return _in_order(graph, chosen)
        for label, parent in unmet.items():
            candidates.discard(label)
            skipped[label] = f"depends on {parent.key[0]}.{parent.key[1]}, which is not applied"


def _in_order(graph, keys: set) -> list:
    """``keys`` in an order where each migration follows its dependencies."""
    ordered, seen = [], set()
    for leaf in sorted(graph.leaf_nodes()):
        for key in graph.forwards_plan(leaf):
            if key in keys and key not in seen:
                ordered.append(key)
                seen.add(key)
    return ordered


def record_applied(loader: MigrationLoader, keys: list[MigrationKey]) -> None:
    """Record ``keys`` (and what squashed ones replace) as ``migrate`` does."""
    if not keys:
        return
    recorder = MigrationRecorder(loader.connection)
    recorder.ensure_schema()
    rows = []
    for key in keys:
        rows.extend(loader.graph.nodes[key].replaces or ())
        rows.append(key)
    # One INSERT for all: the rows record_applied() would write one by one.
    recorder.migration_qs.bulk_create(
        [recorder.Migration(app=app, name=name) for app, name in rows]
    )


def record_history(connection: BaseDatabaseWrapper, chosen, report: Reporter) -> list[MigrationKey]:
    """After a run: record what can be recorded, and say what could not."""
    return record_apps_history(connection, {model._meta.app_label for model in chosen}, report)


def record_apps_history(
    connection: BaseDatabaseWrapper, app_labels: set[str], report: Reporter
) -> list[MigrationKey]:
    """``record_history`` for the apps ``app_labels`` names."""
    # Loaded once: it imports every migration file and reads django_migrations.
    loader = migration_loader(connection)
    keys, skipped = migrations_to_record(loader, app_labels)
    record_applied(loader, keys)
    for app_label in sorted({key[0] for key in keys}):
        names = [name for label, name in keys if label == app_label]
        report.line(f"  Recorded {len(names)} migration(s) of {app_label} as applied.", level=2)
    for app_label, reason in sorted(skipped.items()):
        report.warning(
            f"  {app_label}: migrations not recorded as applied ({reason}); "
            f"`migrate {app_label}` may fail on tables that exist."
        )
    return keys


def migration_loader(connection: BaseDatabaseWrapper | None) -> MigrationLoader:
    """``MigrationLoader(connection, ignore_no_migrations=True)``. In a run
    over several schemas the migration files are listed and imported once
    for all of them (the same files); each loader reads its own schema's
    django_migrations."""
    return _FilesReadOnce(connection, ignore_no_migrations=True)


class _FilesReadOnce(MigrationLoader):
    def load_disk(self) -> None:
        disk, unmigrated, migrated = desired_cache.shared_once(
            ("migration files",), self._read_files
        )
        # build_graph() reads these and leaves the migrations as they are.
        self.disk_migrations, self.unmigrated_apps = dict(disk), set(unmigrated)
        self.migrated_apps = set(migrated)

    def _read_files(self) -> tuple[dict, set, set]:
        super().load_disk()
        return self.disk_migrations, self.unmigrated_apps, self.migrated_apps
