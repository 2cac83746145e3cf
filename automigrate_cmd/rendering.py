"""The model classes the tables are built from: the ones ``migrate`` would use.

``migrate`` does not build an app that has migrations from its model classes
but from models rendered out of the migration state, and the two can differ
in the DDL they produce: an auto-created many-to-many table gets its ``id``
type from ``settings.DEFAULT_AUTO_FIELD`` in the state, while the real model
takes it from the app's ``default_auto_field`` (so ``auth_group_permissions.id``
is a bigint after ``migrate`` in a project with BigAutoField, an int in the
model class). Rendering the current models through ``ProjectState`` (the
same states ``makemigrations`` writes into migration files) reproduces what
``migrate`` builds; apps without migrations are built from their model
classes, as ``migrate --run-syncdb`` does.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.db import models
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState


def as_migrate_builds_them(chosen: list[type[models.Model]]) -> list[type[models.Model]]:
    migrated = MigrationLoader(None, ignore_no_migrations=True).migrated_apps
    if not any(model._meta.app_label in migrated for model in chosen):
        return list(chosen)
    state_apps = ProjectState.from_apps(global_apps).apps
    return [
        state_apps.get_model(model._meta.label) if model._meta.app_label in migrated else model
        for model in chosen
    ]
