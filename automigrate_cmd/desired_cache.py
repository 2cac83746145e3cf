"""Remembers what the models want, so an in-sync check stays cheap.

Building the models in a scratch place costs about as much as creating the
tables. The result depends only on the model definitions and on the server
that renders them, so it is stored, keyed by a fingerprint of both, in one
small table of the database (``automigrate_cmd_desired``, next to
``django_migrations``). A run whose models have not changed since the last
one reads it back instead of building the scratch schema again; the live
schema is still inspected every time, so drift made by hand is still found.
"""

from __future__ import annotations

import hashlib
import json

import django
from django.conf import settings
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.serializer import serializer_factory

from .scratch import Desired

TABLE = "automigrate_cmd_desired"
# Bump when the snapshot format or the way desired schemas are built changes.
FORMAT = "1"
KEEP = 50

_TEXT = {"postgresql": "text", "mysql": "longtext", "sqlite": "text"}


def fingerprint(chosen: list[type[models.Model]], connection: BaseDatabaseWrapper) -> str:
    digest = hashlib.sha256()
    for part in (
        FORMAT,
        django.get_version(),
        connection.vendor,
        repr(connection.get_database_version()),
        repr(sorted(connection.settings_dict.get("OPTIONS", {}).items())),
        settings.DEFAULT_AUTO_FIELD,
    ):
        digest.update(part.encode() + b"\0")
    for model in sorted(chosen, key=lambda m: m._meta.label_lower):
        digest.update(_describe(model).encode() + b"\0")
    return digest.hexdigest()


def _describe(model: type[models.Model]) -> str:
    """What of the model can change its tables: fields as deconstructed (less
    the Python-only options), the fields its relations point at, the options
    that reach the database. Cheaper than makemigrations' full serialization,
    which dominated an in-sync run."""
    meta = model._meta
    fields = [_describe_field(field) for field in [*meta.local_fields, *meta.local_many_to_many]]
    options = [(name, getattr(meta, name, None)) for name in _DDL_OPTIONS]
    parents = [parent._meta.label_lower for parent in meta.get_parent_list()]
    return _stable_repr((meta.label_lower, fields, options, parents))


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


def load(connection: BaseDatabaseWrapper, key: str) -> Desired | None:
    if TABLE not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT desired FROM {_table(connection)} WHERE fingerprint = %s", [key])
        row = cursor.fetchone()
    if row is None:
        return None
    stored = json.loads(row[0])
    return Desired(stored["snapshot"], stored.get("mysql_lines", {}))


def store(connection: BaseDatabaseWrapper, key: str, desired: Desired) -> None:
    table = _table(connection)
    payload = json.dumps({"snapshot": desired.snapshot, "mysql_lines": desired.mysql_lines})
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {table} (fingerprint varchar(64) NOT NULL PRIMARY KEY, "
            f"desired {_TEXT.get(connection.vendor, 'text')} NOT NULL)"
        )
        cursor.execute(f"DELETE FROM {table} WHERE fingerprint = %s", [key])
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        if cursor.fetchone()[0] >= KEEP:
            cursor.execute(f"DELETE FROM {table}")  # old model versions: start over
        cursor.execute(
            f"INSERT INTO {table} (fingerprint, desired) VALUES (%s, %s)", [key, payload]
        )


def _table(connection: BaseDatabaseWrapper) -> str:
    return connection.ops.quote_name(TABLE)
