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
from django.db.migrations.state import ModelState

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
    """The model as makemigrations would write it: fields, options, bases."""
    state = ModelState.from_model(model)
    fields = [(name, _serialize(field)) for name, field in state.fields.items()]
    return repr((state.app_label, state.name, fields, _serialize(state.options), state.bases))


def _serialize(value) -> str:
    return serializer_factory(value).serialize()[0]


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
