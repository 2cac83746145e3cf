"""Labels -> the models whose tables a run may touch, in dependency order.

A label is ``app_label``, ``app_label.ModelName`` or a bare ``ModelName``
(case-insensitive, like LoopBack's ``automigrate('Todo')``); the Python API
also accepts model classes. Proxy, unmanaged and swapped models and models the
routers keep off the database have no table of their own here: they are left
out of whole-app selections and refused when named explicitly.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from django.apps import apps
from django.db import connections, models, router

from .backends import backend_or_generic
from .exceptions import LabelError, NameTooLong

Label = str | type[models.Model]


def select_models(labels: Label | Iterable[Label] | None, using: str) -> list[type[models.Model]]:
    """Resolve ``labels`` (None: everything) to models in dependency order."""
    if labels is None or isinstance(labels, str | type):
        labels = [] if labels is None else [labels]
    labels = list(labels)
    if not labels:
        found = syncable_models(using)
    else:
        chosen: dict[str, type[models.Model]] = {}
        for label in labels:
            for model in _resolve(label, using):
                chosen.setdefault(model._meta.label_lower, model)
        found = list(chosen.values())
    _refuse_names_too_long(found, using)
    return dependency_order(found)


def syncable_models(using: str, app_config=None) -> list[type[models.Model]]:
    """Every model of the app (or of every app) that owns a table on ``using``."""
    source = app_config.get_models() if app_config else apps.get_models()
    return [model for model in source if why_not_syncable(model, using) is None]


def describe(chosen: Sequence[type[models.Model]], using: str) -> str:
    """The chosen models as ``migrate`` lists the apps it migrates: an app's
    label where every model of it with a table is chosen, else the models'
    labels (a project with dozens of apps gets one line it can read)."""
    by_app: dict[str, list[type[models.Model]]] = {}
    for model in chosen:
        by_app.setdefault(model._meta.app_label, []).append(model)
    parts: list[str] = []
    for label in sorted(by_app):
        if _is_whole_app(label, by_app[label], using):
            parts.append(label)
        else:
            parts.extend(sorted(model._meta.label for model in by_app[label]))
    return ", ".join(parts) or "(none)"


def _is_whole_app(label: str, chosen: list[type[models.Model]], using: str) -> bool:
    try:
        app_config = apps.get_app_config(label)
    except LookupError:  # models of a registry of their own (tests)
        return False
    return set(syncable_models(using, app_config)) <= set(chosen)


def _refuse_names_too_long(chosen: list[type[models.Model]], using: str) -> None:
    """MySQL/MariaDB refuse a table or column name longer than 64 characters
    (PostgreSQL shortens it instead, see catalog.stored_name): refuse before
    anything is dropped or altered, naming each one."""
    connection = connections[using]
    limit = connection.ops.max_name_length()
    if limit is None or not backend_or_generic(connection).refuses_long_names:
        return
    too_long = []
    for model in chosen:
        for table_model in _models_with_tables(model):
            names = [table_model._meta.db_table]
            names += [f.column for f in table_model._meta.local_concrete_fields]
            too_long += [name for name in names if len(name) > limit]
    if too_long:
        shown = ", ".join(f"{name!r} ({len(name)})" for name in dict.fromkeys(too_long))
        raise NameTooLong(
            f"Names longer than {connection.display_name} allows ({limit} characters): "
            f"{shown}. Set a shorter Meta.db_table or db_column. Nothing was changed."
        )


def _models_with_tables(model: type[models.Model]) -> list[type[models.Model]]:
    """The model and its auto-created many-to-many models: one per table."""
    throughs = [f.remote_field.through for f in model._meta.local_many_to_many]
    return [model, *(t for t in throughs if t._meta.auto_created)]


def tables_of(model: type[models.Model]) -> list[str]:
    """The model's table and its auto-created many-to-many tables."""
    tables = [model._meta.db_table]
    for field in model._meta.local_many_to_many:
        through = field.remote_field.through
        if through._meta.auto_created:
            tables.append(through._meta.db_table)
    return tables


def dependency_order(chosen: Sequence[type[models.Model]]) -> list[type[models.Model]]:
    """Referenced models before the models that reference them: in rounds,
    each round every model whose references are all placed, by label.

    Cycles are legal (the schema editor adds foreign keys after all tables
    exist), so a cycle is broken at the model that comes first by label.
    """
    by_label = {m._meta.label_lower: m for m in sorted(chosen, key=lambda m: m._meta.label_lower)}
    # What each model still waits for, and who waits for it: each reference
    # is looked at once (rescanning every model each round was quadratic).
    waits_for = {label: _references(model, by_label) - {label} for label, model in by_label.items()}
    waited_by: dict[str, list[str]] = {label: [] for label in by_label}
    for label, targets in waits_for.items():
        for target in targets:
            waited_by[target].append(label)
    unplaced = dict.fromkeys(by_label)  # in label order
    ready = [label for label in unplaced if not waits_for[label]]
    ordered: list[type[models.Model]] = []
    while unplaced:
        batch = ready or [next(iter(unplaced))]
        for label in batch:
            del unplaced[label]
            ordered.append(by_label[label])
        freed = set()
        for label in batch:
            for waiting in waited_by[label]:
                waits_for[waiting].discard(label)
                if not waits_for[waiting] and waiting in unplaced:
                    freed.add(waiting)
        ready = sorted(freed)
    return ordered


def _references(model: type[models.Model], among: dict[str, type[models.Model]]) -> set[str]:
    targets = set()
    for field in [*model._meta.local_fields, *model._meta.local_many_to_many]:
        if field.remote_field and field.remote_field.model:
            target = field.remote_field.model._meta.concrete_model._meta.label_lower
            if target in among:
                targets.add(target)
    return targets


def _resolve(label: Label, using: str) -> list[type[models.Model]]:
    if isinstance(label, type) and issubclass(label, models.Model):
        return [_explicit(label, using)]
    if not isinstance(label, str) or not label.strip():
        raise LabelError(f"Not a model or app label: {label!r}.")
    label = label.strip()
    if "." in label:
        return [_explicit(_model_by_qualified_label(label), using)]
    # An exact app label wins, then a model name, then a case-folded app
    # label: ``todolist`` is the app, ``TodoList`` its model.
    app_config = _app_by_label(label, exact=True)
    if app_config is not None:
        return _whole_app(app_config, using)
    model = _model_by_bare_name(label)
    if model is not None:
        return [_explicit(model, using)]
    app_config = _app_by_label(label)
    if app_config is not None:
        return _whole_app(app_config, using)
    raise LabelError(_unknown_label_message(label))


def _whole_app(app_config, using: str) -> list[type[models.Model]]:
    found = syncable_models(using, app_config)
    if not found:
        raise LabelError(
            f"App '{app_config.label}' has no models with a table on database '{using}'."
        )
    return found


def _explicit(model: type[models.Model], using: str) -> type[models.Model]:
    reason = why_not_syncable(model, using)
    if reason:
        raise LabelError(reason)
    return model


def why_not_syncable(model: type[models.Model], using: str) -> str | None:
    """None when the model owns a table on ``using``; else the reason it doesn't."""
    meta = model._meta
    if meta.proxy:
        concrete = meta.concrete_model._meta.label
        return (
            f"{meta.label} is a proxy model and has no table of its own; "
            f"name its concrete model {concrete} instead."
        )
    if not meta.managed:
        return (
            f"{meta.label} is unmanaged (Meta.managed = False): "
            "automigrate never drops or creates its table."
        )
    if meta.swapped:
        return (
            f"{meta.label} is swapped for {meta.swapped} by settings.{meta.swappable}; "
            f"name {meta.swapped} instead."
        )
    if not meta.can_migrate(connections[using]):
        needs = meta.required_db_vendor or ", ".join(meta.required_db_features)
        return (
            f"{meta.label} requires {needs}, which database '{using}' "
            f"({connections[using].vendor}) lacks (Meta.required_db_vendor/features)."
        )
    if not router.allow_migrate_model(using, model):
        return (
            f"{meta.label} is kept off database '{using}' by the database routers "
            "(allow_migrate); use --database with an alias that may hold it."
        )
    return None


def _app_by_label(label: str, exact: bool = False):
    configs = {config.label: config for config in apps.get_app_configs()}
    if label in configs or exact:
        return configs.get(label)
    folded = [c for name, c in configs.items() if name.lower() == label.lower()]
    return folded[0] if len(folded) == 1 else None


def _model_by_qualified_label(label: str) -> type[models.Model]:
    app_label, _, model_name = label.partition(".")
    app_config = _app_by_label(app_label)
    if app_config is not None:
        for model in app_config.get_models(include_swapped=True):
            if model._meta.model_name == model_name.lower():
                return model
    raise LabelError(_unknown_label_message(label))


def _model_by_bare_name(name: str) -> type[models.Model] | None:
    matches = [
        m for m in apps.get_models(include_swapped=True) if m._meta.model_name == name.lower()
    ]
    if len(matches) <= 1:
        return matches[0] if matches else None
    qualified = " and ".join(sorted(m._meta.label for m in matches))
    raise LabelError(
        f"Model name '{name}' is ambiguous: it matches {qualified}; "
        "use the qualified label (app_label.ModelName)."
    )


def _unknown_label_message(label: str) -> str:
    # Match what was typed (a bare name or a qualified label), suggest labels.
    by_lower = {config.label.lower(): config.label for config in apps.get_app_configs()}
    for model in apps.get_models():
        by_lower.setdefault(model._meta.model_name, model._meta.label)
        by_lower[model._meta.label_lower] = model._meta.label
    close = difflib.get_close_matches(label.lower(), list(by_lower), n=5, cutoff=0.6)
    if close:
        suggestions = ", ".join(dict.fromkeys(by_lower[c] for c in close))
        return f"Unknown model or app label '{label}'. Did you mean: {suggestions}?"
    return (
        f"Unknown model or app label '{label}': no installed app or model has that name. "
        "Labels are app_label, app_label.ModelName or ModelName."
    )
