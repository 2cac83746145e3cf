"""MySQL/MariaDB: what a column type change would do to the values there
(``conversions``), counted in a temporary table changed the same way."""

from __future__ import annotations

from django.db import DatabaseError
from django.db.backends.base.base import BaseDatabaseWrapper

from ...sync.conversions import PROBE, Conversion


def conversion(
    connection: BaseDatabaseWrapper, table: str, column: str, old_type: str, new_type: str, field
) -> Conversion:
    """Copy the values into a temporary table and change its column's type
    the way the run will (``MODIFY``, in the session's strict mode: an
    INSERT converts more leniently than ALTER TABLE, '290.75' into 291); next
    to it, the value as it was."""
    probe = connection.ops.quote_name(PROBE)
    modify = f"TABLE {probe} MODIFY v {new_type} NULL"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TEMPORARY TABLE IF EXISTS {probe}")
        cursor.execute(f"CREATE TEMPORARY TABLE {probe} (v {old_type} NULL, was {old_type} NULL)")
        try:
            cursor.execute(
                f"INSERT INTO {probe} (v, was) SELECT {column}, {column} FROM {table} "
                f"WHERE {column} IS NOT NULL"
            )
            try:
                cursor.execute(f"ALTER {modify}")
            except DatabaseError:
                # Again, each value that does not fit or convert a warning.
                return Conversion(*_mysql_warnings(cursor, f"ALTER IGNORE {modify}"))
            if field is not None and field.get_internal_type() == "JSONField":
                # A JSON column is longtext plus CHECK (json_valid(...)), which the type leaves out.
                cursor.execute(f"SELECT COUNT(*) FROM {probe} WHERE NOT json_valid(v)")
                failing = cursor.fetchone()[0]
                cursor.execute(f"SELECT v FROM {probe} WHERE NOT json_valid(v) LIMIT 3")
                return Conversion(failing, [row[0] for row in cursor.fetchall()])
            cursor.execute(f"SELECT COUNT(*) FROM {probe} WHERE NOT (v <=> was)")
            return Conversion(changed=cursor.fetchone()[0])
        finally:
            cursor.execute(f"DROP TEMPORARY TABLE IF EXISTS {probe}")


def _mysql_warnings(cursor, statement: str) -> tuple[int, list[str]]:
    """Run ``statement``; each value that does not fit or convert is a warning."""
    cursor.execute("SET @automigrate_max_error_count = @@max_error_count")
    cursor.execute("SET SESSION max_error_count = 65535")
    try:
        cursor.execute(statement)
        cursor.execute("SHOW WARNINGS")
        warnings = [row for row in cursor.fetchall() if row[0] in ("Warning", "Error")]
    finally:
        cursor.execute("SET SESSION max_error_count = @automigrate_max_error_count")
    return len(warnings), [row[2] for row in warnings[:3]]
