"""MySQL/MariaDB: foreign-key checks off while tables are recreated.

DDL is not transactional here, so a recreate leans on
``FOREIGN_KEY_CHECKS = 0``: the referencing tables keep their constraints,
which attach to the new table. Every step can be re-run: a failed run is
completed by running it again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.base.schema import BaseDatabaseSchemaEditor


@contextmanager
def foreign_key_checks_off(editor: BaseDatabaseSchemaEditor, collect_sql: bool) -> Iterator[None]:
    """The body runs with the checks off; they are back on after it, even
    if it raises (session state outlives the run: never leave checks off)."""
    try:
        editor.execute("SET FOREIGN_KEY_CHECKS = 0")
        yield
        editor.execute("SET FOREIGN_KEY_CHECKS = 1")
    finally:
        if not collect_sql:
            editor.connection.enable_constraint_checking()
