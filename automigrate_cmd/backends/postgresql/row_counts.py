"""PostgreSQL: what a column type change would do to the values there
(``conversions``), counted by the same cast the change runs."""

from __future__ import annotations

from django.db import DatabaseError, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from ...sync.conversions import Conversion


class _Rollback(Exception):
    pass


def conversion(
    connection: BaseDatabaseWrapper, table: str, column: str, old_type: str, new_type: str, _field
) -> Conversion:
    """What ``ALTER ... TYPE`` would do to the values: the same cast, counted
    in a rolled-back transaction."""
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
