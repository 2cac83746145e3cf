"""PostgreSQL's lock table: how many relations one transaction may lock
(``lock_budget`` splits a build too big for it)."""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from ...lock_budget import SHARE


def budget(connection: BaseDatabaseWrapper) -> int:
    """This transaction's share of the server's shared lock table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_locks_per_transaction')::int * "
            "(current_setting('max_connections')::int "
            "+ current_setting('max_prepared_transactions')::int)"
        )
        return cursor.fetchone()[0] // SHARE
