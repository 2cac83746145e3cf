"""MySQL/MariaDB's catalog, from ``information_schema``: foreign keys into
tables, and the foreign key names the schema holds once."""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from ...catalog import ForeignKey


def foreign_keys_into(connection: BaseDatabaseWrapper, targets: set[str]) -> list[ForeignKey]:
    placeholders = ", ".join(["%s"] * len(targets))
    sql = f"""
        SELECT CONSTRAINT_NAME, TABLE_NAME, REFERENCED_TABLE_NAME, COLUMN_NAME
        FROM information_schema.KEY_COLUMN_USAGE
        WHERE TABLE_SCHEMA = DATABASE()
          AND REFERENCED_TABLE_SCHEMA = DATABASE()
          AND REFERENCED_TABLE_NAME IN ({placeholders})
        ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION
    """
    grouped: dict[tuple[str, str, str], list[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, sorted(targets))
        for name, table, target, column in cursor.fetchall():
            grouped.setdefault((table, name, target), []).append(column)
    return [
        ForeignKey(table, name, tuple(columns), target)
        for (table, name, target), columns in grouped.items()
    ]


# Foreign key names are the schema's: name_clashes.
SHARED_NAME_KINDS = ("foreign_keys",)
SHARED_NAMES_SQL = """
        SELECT CONSTRAINT_NAME, TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS
        WHERE CONSTRAINT_SCHEMA = DATABASE()
    """

# The triggers there (migration_sql).
TRIGGER_NAMES_SQL = """
        SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()
    """
