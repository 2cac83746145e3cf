"""SQLite's catalog: foreign keys into tables (``PRAGMA foreign_key_list``
of each table), and the index names the database holds once."""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from ...catalog import ForeignKey


def foreign_keys_into(connection: BaseDatabaseWrapper, targets: set[str]) -> list[ForeignKey]:
    lowered = {t.lower() for t in targets}
    found = []
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"PRAGMA foreign_key_list({connection.ops.quote_name(table)})")
            grouped: dict[int, tuple[str, list[str]]] = {}
            for fk_id, _seq, target, column, *_rest in cursor.fetchall():
                if target.lower() in lowered:
                    grouped.setdefault(fk_id, (target, []))[1].append(column)
            for fk_id, (target, columns) in grouped.items():
                found.append(ForeignKey(table, f"fk{fk_id}", tuple(columns), target))
    return found


# Index names are the database's (a unique constraint's index too): name_clashes.
SHARED_NAME_KINDS = ("uniques", "indexes")
SHARED_NAMES_SQL = "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'"

# The triggers there (migration_sql).
TRIGGER_NAMES_SQL = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
