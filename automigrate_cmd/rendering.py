"""The model classes the tables are built from: the ones ``migrate`` would use.

``migrate`` does not build an app that has migrations from its model classes
but from models rendered out of the migration state, and the two can differ
in the DDL they produce: an auto-created many-to-many table gets its ``id``
type from ``settings.DEFAULT_AUTO_FIELD`` in the state, while the real model
takes it from the app's ``default_auto_field`` (so ``auth_group_permissions.id``
is a bigint after ``migrate`` in a project with BigAutoField, an int in the
model class). Those models are rendered through ``ProjectState`` (the same
states ``makemigrations`` writes into migration files), together with the
models they relate to, which rendering needs; every other model, and every
model of an app without migrations (as ``migrate --run-syncdb`` builds them),
is built from its class. Rendering only where it changes the DDL keeps the
cost of a run off the size of the project (tests/test_oracle.py checks that
the result is what ``migrate`` builds).
"""

from __future__ import annotations

import importlib.util

from django.conf import settings
from django.db import models
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ModelState, ProjectState
from django.utils.module_loading import import_string


def as_migrate_builds_them(chosen: list[type[models.Model]]) -> list[type[models.Model]]:
    to_render = [m for m in chosen if built_from_state(m)]
    if not to_render:
        return list(chosen)
    state_apps = _render(to_render)
    labels = {model._meta.label_lower for model in to_render}
    return [
        state_apps.get_model(model._meta.label) if model._meta.label_lower in labels else model
        for model in chosen
    ]


def built_from_state(model: type[models.Model]) -> bool:
    """Whether ``as_migrate_builds_them`` renders this model, without loading
    any migration: its app has a migrations package and rendering changes its
    DDL. For fingerprints, which must change when an app gains migrations."""
    return _state_differs(model) and has_migrations(model._meta.app_label)


def has_migrations(app_label: str) -> bool:
    """Whether ``MigrationLoader`` counts the app as migrated: its migrations
    module is a package (not a namespace), without loading any migration."""
    try:
        module_name, _explicit = MigrationLoader.migrations_module(app_label)
        if module_name is None:
            return False
        module = importlib.import_module(module_name)
    except (LookupError, ImportError):  # not an installed app; no such module
        return False
    path = getattr(module, "__path__", None)
    return path is not None and (
        getattr(module, "__file__", None) is not None or isinstance(path, list)
    )


def _state_differs(model: type[models.Model]) -> bool:
    """Whether the rendered model would give an auto-created M2M table another id type."""
    state_pk = import_string(settings.DEFAULT_AUTO_FIELD)
    return any(
        type(field.remote_field.through._meta.pk) is not state_pk
        for field in model._meta.local_many_to_many
        if field.remote_field.through._meta.auto_created
    )


def _render(chosen: list[type[models.Model]]):
    """Render ``chosen`` and every model they reach (relations, parents)."""
    state = ProjectState()
    for model in _reachable(chosen):
        state.add_model(ModelState.from_model(model))
    return state.apps


def _reachable(chosen: list[type[models.Model]]) -> list[type[models.Model]]:
    seen: dict[str, type[models.Model]] = {}
    pending = list(chosen)
    while pending:
        model = pending.pop()
        if model._meta.label_lower in seen:
            continue
        seen[model._meta.label_lower] = model
        pending.extend(model._meta.get_parent_list())
        for field in [*model._meta.local_fields, *model._meta.local_many_to_many]:
            if field.remote_field is None:
                continue
            pending.append(field.related_model)
            through = getattr(field.remote_field, "through", None)
            if through is not None and not through._meta.auto_created:
                pending.append(through)
    return list(seen.values())
