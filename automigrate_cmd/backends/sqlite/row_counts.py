"""SQLite: what a column type change would do to the values there
(``conversions``), counted in a temporary table of the new type; and the
triggers and views a dropped column would break."""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from ...sync.conversions import PROBE, Conversion
from .objects import dependents, describe, mentioning

# SQLite keeps any value in any column; these field types hold only numbers.
# A fraction in an integer column is kept as it is, as migrate keeps it.
_SQLITE_NUMBER_TYPES = {
    "AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField",
    "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField",
    "PositiveSmallIntegerField", "BooleanField", "FloatField", "DecimalField",
}  # fmt: skip


def conversion(
    connection: BaseDatabaseWrapper, table: str, column: str, _old_type: str, new_type: str, field
) -> Conversion:
    """The rebuild copies each value into a column of the new type, which
    converts what looks like a number and keeps the rest as it was. Failing:
    the values a number field then holds that are not numbers, and those a
    JSON field holds that are not JSON (its CHECK would fail)."""
    kind = field.get_internal_type() if field is not None else ""
    if kind == "JSONField":
        condition = "NOT json_valid(v)"
    elif kind in _SQLITE_NUMBER_TYPES:
        condition = "typeof(v) NOT IN ('integer', 'real')"
    else:
        condition = "0"
    probe = connection.ops.quote_name(PROBE)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS temp.{probe}")
        cursor.execute(f"CREATE TEMP TABLE {probe} (v {new_type}, was)")
        try:
            cursor.execute(
                f"INSERT INTO {probe} (v, was) SELECT {column}, {column} FROM {table} "
                f"WHERE {column} IS NOT NULL"
            )
            cursor.execute(f"SELECT COUNT(*) FROM {probe} WHERE {condition}")
            failing = cursor.fetchone()[0]
            cursor.execute(f"SELECT CAST(v AS TEXT) FROM {probe} WHERE {condition} LIMIT 3")
            examples = [row[0] for row in cursor.fetchall()]
            # Changed: another value, not only another storage class (12 and
            # '12' are not the same to IS NOT, but read back alike).
            cursor.execute(
                f"SELECT COUNT(*) FROM {probe} WHERE NOT ({condition}) AND v IS NOT was "
                "AND CAST(v AS TEXT) IS NOT CAST(was AS TEXT)"
            )
            return Conversion(failing, examples, changed=cursor.fetchone()[0])
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS temp.{probe}")


def broken_by_dropping(
    connection: BaseDatabaseWrapper, live_table: str, table: str, dropped: list[str]
) -> str:
    """A trigger or view that uses a column being dropped would fail the
    drop (or could not be made again after a rebuild)."""
    objects = dependents(connection, live_table)
    broken = [
        f"{table}.{column}: used by {describe(users)}; change or drop "
        f"{'it' if len(users) == 1 else 'them'} first"
        for column in dropped
        if (users := mentioning(objects, column))
    ]
    return "; ".join(broken)
