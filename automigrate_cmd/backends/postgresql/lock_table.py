"""PostgreSQL: how many relations one transaction may lock.

All sessions share one lock table of ``max_locks_per_transaction x
(max_connections + max_prepared_transactions)`` slots; one transaction
takes at most its share of it (``lock_budget`` splits a build that needs
more).
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from ...lock_budget import SHARE


def budget(connection: BaseDatabaseWrapper) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_locks_per_transaction')::int * "
            "(current_setting('max_connections')::int "
            "+ current_setting('max_prepared_transactions')::int)"
        )
        return cursor.fetchone()[0] // SHARE
