"""SQLite: the desired tables built in an in-memory database.

Nobody else sees it and it goes with its connection: nothing to lock,
grant or clean up.
"""

from __future__ import annotations

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from ...scratch import Desired, create_all, read_back, sibling_connection


def build_desired(
    connection: BaseDatabaseWrapper, models_to_create: list[type[models.Model]]
) -> Desired:
    with sibling_connection(connection, ":memory:") as sibling:
        with sibling.schema_editor() as editor:
            tables = create_all(editor, models_to_create)
        return read_back(sibling, tables)
