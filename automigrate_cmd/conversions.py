"""Which live values a column type change cannot keep, asked of the database.

A type change has one outcome on every backend (README, "Safety"):

- a string made shorter keeps its first characters: the longer values are
  cut, explicitly, before the type changes (PostgreSQL's cast does the
  same; MariaDB would stop with "Data too long", SQLite would keep them);
- any other value the new type cannot hold refuses the run before anything
  runs, on every backend (MariaDB would stop part-way; SQLite would keep
  ``'abc'`` in an INTEGER column, which the ORM then reads as a string).

So before a run each backend counts exactly the values that will not
convert, converting them the way the change itself will, in a throwaway
place: a rolled-back transaction (PostgreSQL), a temporary table (MariaDB,
SQLite). A value that converts (``'123'`` to an integer) is not counted; one
that converts into another value (290.75 into 291) is a loss, announced.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from django.db import DatabaseError, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

# SQLite keeps any value in any column; these field types hold only numbers.
# A fraction in an integer column is kept as it is, as migrate keeps it.
_SQLITE_NUMBER_TYPES = {
    "AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField",
    "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField",
    "PositiveSmallIntegerField", "BooleanField", "FloatField", "DecimalField",
}  # fmt: skip
_PROBE = "automigrate_cmd_probe"


@dataclass
class Conversion:
    """What a type change does to the non-null values of one column."""

    failing: int = 0  # values the new type cannot hold: the run is refused
    failing_examples: list[str] = dataclasses.field(default_factory=list)
    # Values that convert to something else (290.75 -> 291); None: not known
    # (PostgreSQL has no cast back to compare with).
    changed: int | None = 0
    no_cast: bool = False  # PostgreSQL has no conversion between the types at all


def conversion(
    connection: BaseDatabaseWrapper,
    table: str,
    column: str,
    old_type: str,
    new_type: str,
    field: models.Field | None,
) -> Conversion:
    """What changing ``table.column`` (quoted live names) from ``old_type``
    to ``new_type`` does to its values. ``field``: the model field (SQLite
    needs its kind)."""
    counter = {"postgresql": _postgresql, "mysql": _mysql, "sqlite": _sqlite}[connection.vendor]
    return counter(connection, table, column, old_type, new_type, field)


class _Rollback(Exception):
    pass


def _postgresql(connection, table, column, old_type, new_type, _field) -> Conversion:
    # The change runs ALTER ... TYPE new USING column::new: the same cast.
    converted = f"({column})::{new_type}"
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT({converted}) FROM {table}")
    except DatabaseError:
        return _postgresql_failing(connection, table, column, new_type)
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*) FROM {table} WHERE ({converted})::{old_type} "
                f"IS DISTINCT FROM {column}"
            )
            return Conversion(changed=cursor.fetchone()[0])
    except DatabaseError:
        return Conversion(changed=None)  # no cast back: cannot tell


def _postgresql_failing(connection, table, column, new_type) -> Conversion:
    found: Conversion | None = None
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            # Gone with the transaction: a temporary function that tries one value.
            cursor.execute(
                "CREATE FUNCTION pg_temp.automigrate_cast_fails(value anyelement, target text) "
                "RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN "
                "EXECUTE format('SELECT $1::%s', target) USING value; RETURN false; "
                "EXCEPTION WHEN others THEN RETURN true; END $$"
            )
            failing = f"{column} IS NOT NULL AND pg_temp.automigrate_cast_fails({column}, %s)"
            cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE {failing}", [new_type])
            count = cursor.fetchone()[0]
            cursor.execute(
                f"SELECT ({column})::text FROM {table} WHERE {failing} LIMIT 3", [new_type]
            )
            found = Conversion(count, [row[0] for row in cursor.fetchall()])
            raise _Rollback
    except _Rollback:
        pass
    assert found is not None
    # The cast failed with no value failing: no conversion between the types.
    return found if found.failing else Conversion(no_cast=True)


def _mysql(connection, table, column, old_type, new_type, field) -> Conversion:
    """Copy the values into a temporary table and change its column's type
    the way the run will (``MODIFY``, in the session's strict mode: an
    INSERT converts more leniently than ALTER TABLE, '290.75' into 291); next
    to it, the value as it was."""
    probe = connection.ops.quote_name(_PROBE)
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


def _sqlite(connection, table, column, _old_type, new_type, field) -> Conversion:
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
    probe = connection.ops.quote_name(_PROBE)
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
