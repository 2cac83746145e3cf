"""Remembers what the models want, so an in-sync check stays cheap.

Building the models in a scratch place costs about as much as creating the
tables. What a model's tables look like there depends only on its definition
(and the fields its relations point at) and on the server that renders them,
so it is stored per model, keyed by a fingerprint of both, in one small table
of the database (``automigrate_cmd_desired_tables``, next to
``django_migrations``). A run reads back the tables of every model that has
not changed since it was stored and builds only the others: an in-sync run
builds nothing, a run after k model changes builds those k. ``automigrate``
stores the tables it has just built (``store_built``), so the autoupdate after
it builds nothing either. The live schema is still inspected every time, so
drift made by hand is still found.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import django
from django.conf import settings
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.serializer import serializer_factory

from . import rendering
from .backends import backend_or_generic
from .rendering import built_from_state
from .scratch import Desired, by_model, read_back
from .selection import tables_of

T = TypeVar("T")

TABLE = "automigrate_cmd_desired_tables"
# Bump when the snapshot format or the way desired schemas are built changes.
FORMAT = "3"


def fingerprints(
    chosen: list[type[models.Model]], connection: BaseDatabaseWrapper
) -> dict[str, str]:
    """Model label -> a fingerprint of the model and of the server that renders it
    (worked out once for all the runs of ``shared_between_runs``)."""
    key = ("fingerprints", connection.alias, *(model._meta.label_lower for model in chosen))
    return dict(shared_once(key, lambda: _fingerprints(chosen, connection)))


def _fingerprints(
    chosen: list[type[models.Model]], connection: BaseDatabaseWrapper
) -> dict[str, str]:
    server = hashlib.sha256()
    for part in (
        FORMAT,
        django.get_version(),
        connection.vendor,
        repr(connection.get_database_version()),
        repr(sorted(connection.settings_dict.get("OPTIONS", {}).items())),
        settings.DEFAULT_AUTO_FIELD,
    ):
        server.update(part.encode() + b"\0")
    keys = {}
    for model in chosen:
        digest = server.copy()
        digest.update(_describe(model).encode())
        keys[model._meta.label_lower] = digest.hexdigest()
    return keys


def _describe(model: type[models.Model]) -> str:
    """What of the model can change its tables: fields as deconstructed (less
    the Python-only options), the fields its relations point at, the options
    that reach the database. Cheaper than makemigrations' full serialization,
    which dominated an in-sync run."""
    meta = model._meta
    fields = [_describe_field(field) for field in [*meta.local_fields, *meta.local_many_to_many]]
    options = [(name, _deconstructed(getattr(meta, name, None))) for name in _DDL_OPTIONS]
    parents = [parent._meta.label_lower for parent in meta.get_parent_list()]
    rendered = built_from_state(model)  # auto-created M2M ids then follow DEFAULT_AUTO_FIELD
    return _stable_repr((meta.label_lower, fields, options, parents, rendered))


# Field options that never reach the database.
_PYTHON_ONLY = frozenset(
    {
        "default", "choices", "validators", "help_text", "verbose_name", "blank",
        "editable", "error_messages", "related_name", "related_query_name",
        "limit_choices_to", "auto_now", "auto_now_add", "upload_to", "storage",
        "serialize", "unique_for_date", "unique_for_month", "unique_for_year",
        "encoder", "decoder", "symmetrical",
    }
)  # fmt: skip
_DDL_OPTIONS = (
    "db_table", "db_table_comment", "db_tablespace", "managed", "unique_together",
    "index_together", "indexes", "constraints", "order_with_respect_to", "required_db_features",
    "required_db_vendor", "proxy", "swapped",
)  # fmt: skip


def _describe_field(field: models.Field) -> tuple:
    name, path, args, kwargs = field.deconstruct()
    kept = sorted((key, _named(value)) for key, value in kwargs.items() if key not in _PYTHON_ONLY)
    described = [name, path, args, kept]
    if field.remote_field is not None:
        # The referencing column takes its type from the field it points at,
        # which may belong to a model outside the selection.
        target = field.related_model._meta
        described.append((target.db_table, _target_fields(field)))
        through = getattr(field.remote_field, "through", None)
        if through is not None:
            described.append((through._meta.db_table, type(through._meta.pk).__name__))
    return tuple(described)


def _deconstructed(value):
    """Indexes and constraints as deconstruct() gives them (what makemigrations
    writes): their repr() leaves options out, a PostgreSQL index's fillfactor say."""
    if isinstance(value, list | tuple):
        return [_deconstructed(item) for item in value]
    if hasattr(value, "deconstruct") and not isinstance(value, type):
        return value.deconstruct()
    return value


def _named(value):
    """A function or class (on_delete=CASCADE, say) by its dotted name, stable across processes."""
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{value.__module__}.{value.__qualname__}"
    return value


def _target_fields(field: models.Field) -> list:
    targets = getattr(field, "target_field", None) or field.related_model._meta.pk
    targets = targets if isinstance(targets, list | tuple) else [targets]
    return [target.deconstruct()[1:] for target in targets]


def _stable_repr(value) -> str:
    """repr(), unless some part of it would differ between processes (an
    object address): then makemigrations' serializer. What neither can write
    stably only costs a rebuild of the scratch schema, never a stale result."""
    text = repr(value)
    if " at 0x" not in text:
        return text
    try:
        return serializer_factory(value).serialize()[0]
    except ValueError:
        return text


def load(
    connection: BaseDatabaseWrapper, keys: dict[str, str], present: set[str]
) -> dict[str, Desired]:
    """The stored tables of each model in ``keys`` whose fingerprint still
    matches; ``present``: the tables the database has."""
    return {label: desired for label, (key, desired) in _rows(connection, present).items()
            if keys.get(label) == key}  # fmt: skip


def load_with_previous(
    connection: BaseDatabaseWrapper, keys: dict[str, str], present: set[str]
) -> tuple[dict[str, Desired], dict[str, Desired]]:
    """``load()``, and every stored model's tables whatever model version
    they were stored for: what the models produced before (one query)."""
    rows = _rows(connection, present)
    current = {label: desired for label, (key, desired) in rows.items() if keys.get(label) == key}
    return current, {label: desired for label, (_key, desired) in rows.items()}


def _rows(connection: BaseDatabaseWrapper, present: set[str]) -> dict[str, tuple[str, Desired]]:
    if TABLE not in present:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT model, fingerprint, desired FROM {_table(connection)}")
        rows = cursor.fetchall()
    found = {}
    for label, key, payload in rows:
        stored = json.loads(payload)
        found[label] = (key, Desired(stored["snapshot"], stored.get("mysql_lines", {})))
    return found


def store(connection: BaseDatabaseWrapper, keys: dict[str, str], parts: dict[str, Desired]) -> None:
    """Remember ``parts`` (model label -> its tables), replacing older versions."""
    if not parts:
        return
    table = _table(connection)
    rows = [
        (label, keys[label], json.dumps({"snapshot": d.snapshot, "mysql_lines": d.mysql_lines}))
        for label, d in sorted(parts.items())
    ]
    text = backend_or_generic(connection).long_text_type
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {table} (model varchar(255) NOT NULL PRIMARY KEY, "
            f"fingerprint varchar(64) NOT NULL, desired {text} "
            "NOT NULL)"
        )
        labels = [label for label, _key, _payload in rows]
        for start in range(0, len(labels), 500):
            chunk = labels[start : start + 500]
            placeholders = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {table} WHERE model IN ({placeholders})", chunk)
        cursor.executemany(
            f"INSERT INTO {table} (model, fingerprint, desired) VALUES (%s, %s, %s)", rows
        )


def forget(connection: BaseDatabaseWrapper, labels: set[str]) -> None:
    """Forget the stored tables of models that are gone (their tables dropped)."""
    if not labels or TABLE not in connection.introspection.table_names():
        return
    placeholders = ", ".join(["%s"] * len(labels))
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {_table(connection)} WHERE model IN ({placeholders})", sorted(labels)
        )


def store_built(connection: BaseDatabaseWrapper, chosen: list[type[models.Model]]) -> None:
    """Remember the tables ``automigrate`` has just built as what ``chosen``
    want. They were made by the same ``create_model`` calls on the same server
    as a scratch build would make them (tests/test_desired_cache.py holds the
    two equal), so the next autoupdate reads them back instead of building
    every model again."""
    built = read_back(connection, [table for model in chosen for table in tables_of(model)])
    store(connection, fingerprints(chosen, connection), by_model(built, chosen))


class _Shared:
    """Tables built in one run of a multi-schema run, for the others."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.parts: dict[tuple[str, str], Desired] = {}
        self.values: dict[tuple, object] = {}


_shared: _Shared | None = None


@contextmanager
def shared_between_runs() -> Iterator[None]:
    """For the body, the models' tables one run builds in the scratch place
    serve the runs of other schemas that have the same fingerprints (which
    say the tables are the same: the same models on the same server)."""
    global _shared
    outer = _shared
    if outer is None:
        _shared = _Shared()
    try:
        yield
    finally:
        if outer is None:
            _shared = None


def as_migrate_builds_them(chosen: list[type[models.Model]]) -> list[type[models.Model]]:
    """``rendering.as_migrate_builds_them``: rendered once for all the runs
    of ``shared_between_runs`` (it depends on the models alone)."""
    key = ("rendered", *(model._meta.label_lower for model in chosen))
    return shared_once(key, lambda: rendering.as_migrate_builds_them(chosen))


def shared_once(key: tuple, compute: Callable[[], T]) -> T:
    """``compute()``, once for all the runs of ``shared_between_runs`` (for
    what depends on the models and the files alone); each call outside."""
    shared = _shared
    if shared is None:
        return compute()
    if key not in shared.values:
        # Two runs may both compute it; both go on with the one kept.
        shared.values.setdefault(key, compute())
    return shared.values[key]


def in_shared_run() -> bool:
    """Whether this is one of the runs of ``shared_between_runs``."""
    return _shared is not None


def shared_or_built(
    keys: dict[str, str],
    labels: set[str],
    build: Callable[[set[str]], dict[str, Desired]],
) -> dict[str, Desired]:
    """The tables of the models ``labels`` names (by label): what another run
    of ``shared_between_runs`` built for the same fingerprints, the rest by
    ``build(labels)``, offered to the others. The lookup and the build are
    one at a time, so the runs of other schemas wait for the first build and
    then find it; copies are handed out, as a run may change what it gets."""
    shared = _shared
    if shared is None:
        return build(labels)
    with shared.lock:
        found = {label: shared.parts.get((label, keys[label])) for label in labels}
        parts = {label: copy.deepcopy(part) for label, part in found.items() if part is not None}
        if labels - set(parts):
            made = build(labels - set(parts))
            for label, part in made.items():
                shared.parts[(label, keys[label])] = copy.deepcopy(part)
            parts.update(made)
    return parts


def combine(parts: Iterable[Desired | None]) -> Desired:
    """One desired schema from the tables of several models."""
    combined = Desired({}, {})
    for part in parts:
        if part is None:
            continue
        combined.snapshot.update(part.snapshot)
        combined.mysql_lines.update(part.mysql_lines)
    return combined


def _table(connection: BaseDatabaseWrapper) -> str:
    return connection.ops.quote_name(TABLE)
