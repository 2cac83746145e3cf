"""PostgreSQL's lock budget: a build too big for one transaction runs in several.

Every table, index, sequence and TOAST table a transaction creates (or drops,
or alters) stays locked until it commits, and all sessions share one lock
table of ``max_locks_per_transaction x (max_connections +
max_prepared_transactions)`` slots (6,400 with the server's defaults). A
project of about a thousand models needs more than that in one transaction:
the build fails with "out of shared memory". ``migrate`` does not meet it
(one transaction per migration).

So a build whose estimate exceeds half the lock table (the other half is left
to the other sessions) runs in several transactions, each within it. The
estimate is an upper bound counted from the models: every relation
``create_model`` can make, and every table a foreign key locks. Such a run
has the re-run semantics of MariaDB's: a failure keeps the transactions
committed before it, and running the same command again finishes the work
(see ``exceptions.after_failure``). Other backends have no such limit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from django.db import DatabaseError, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from .backends import backend_or_generic
from .exceptions import PartlyCommitted

# What one statement outside create_model locks at most: its table, the index
# it makes or uses, and the table a foreign key points at (with its key).
PER_STATEMENT = 4
# The share of the server's lock table one transaction may take.
SHARE = 2


def budget(connection: BaseDatabaseWrapper) -> int | None:
    """How many relations one transaction may lock; None: no limit to mind."""
    return backend_or_generic(connection).lock_budget(connection)


def model_locks(model: type[models.Model]) -> int:
    """An upper bound of the relations ``create_model(model)`` locks: its
    tables (with their auto-created many-to-many tables), their TOAST tables,
    primary keys, sequences, indexes (PostgreSQL adds a ``_like`` index for a
    text column) and constraints, and the tables its foreign keys point at."""
    return sum(table_locks(model).values())


def table_locks(model: type[models.Model]) -> dict[str, int]:
    """``model_locks`` by table: what creating or dropping each one locks."""
    return {m._meta.db_table: _table_locks(m) for m in _table_models(model)}


def _table_models(model: type[models.Model]) -> list[type[models.Model]]:
    throughs = [field.remote_field.through for field in model._meta.local_many_to_many]
    return [model, *(through for through in throughs if through._meta.auto_created)]


def _table_locks(model: type[models.Model]) -> int:
    meta = model._meta
    fields = meta.local_concrete_fields
    count = 4  # the table, its TOAST table and TOAST index, its primary key
    count += sum(1 for field in fields if isinstance(field, models.AutoField))  # a sequence
    count += sum(2 for field in fields if field.unique or field.db_index)
    count += sum(1 for field in fields if field.remote_field is not None)
    together = [*meta.unique_together, *getattr(meta, "index_together", ())]
    return count + 2 * (len(meta.indexes) + len(meta.constraints) + len(together))


class Transactions:
    """Transactions that each lock at most ``limit`` relations: ``spend(n)``
    before a piece of work that locks up to ``n`` commits the open
    transaction first when ``n`` would not fit in it. ``count`` is how many
    were begun."""

    def __init__(self, alias: str, limit: int):
        self.alias, self.limit = alias, limit
        self.used = 0
        self.count = 0
        self._open: transaction.Atomic | None = None

    def spend(self, locks: int) -> None:
        if self._open is not None and self.used + locks > self.limit:
            self.commit()
        if self._open is None:
            self._open = transaction.atomic(using=self.alias)
            self._open.__enter__()
            self.count += 1
        self.used += locks

    def room(self) -> int:
        """The locks a piece of work may take without a commit first (all of
        a fresh transaction's when the open one has no room for a statement)."""
        left = self.limit - self.used
        return left if self._open is not None and left >= PER_STATEMENT else self.limit

    def commit(self) -> None:
        if self._open is not None:
            block, self._open, self.used = self._open, None, 0
            block.__exit__(None, None, None)

    def rollback(self, error: BaseException) -> None:
        if self._open is not None:
            block, self._open, self.used = self._open, None, 0
            block.__exit__(type(error), error, error.__traceback__)


class OneTransaction:
    """The caller's one transaction: nothing to split."""

    count = 1

    def spend(self, locks: int) -> None:
        pass

    def room(self) -> int:
        return 2**62


ONE_TRANSACTION = OneTransaction()
Batches = Transactions | OneTransaction


@contextmanager
def transactions(alias: str, limit: int) -> Iterator[Transactions]:
    """:class:`Transactions` whose last one commits at the end of the block,
    and whose open one rolls back if the block raises: a database error
    after a commit comes out as :class:`PartlyCommitted`."""
    batches = Transactions(alias, limit)
    try:
        yield batches
    except BaseException as error:
        batches.rollback(error)
        if isinstance(error, DatabaseError) and batches.count > 1:
            raise PartlyCommitted(error) from error
        raise
    batches.commit()


def chunks(
    models_to_build: Iterable[type[models.Model]],
    limit: int,
    locks: Callable[[type[models.Model]], int] = model_locks,
) -> list[list[type[models.Model]]]:
    """``models_to_build`` in order, cut into lists that each lock at most
    ``limit`` relations by ``locks`` (a model alone over it gets a list of
    its own)."""
    cut: list[list[type[models.Model]]] = [[]]
    used = 0
    for model in models_to_build:
        needed = locks(model)
        if cut[-1] and used + needed > limit:
            cut.append([])
            used = 0
        cut[-1].append(model)
        used += needed
    return cut


def split_notice(limit: int) -> str:
    return (
        "  PostgreSQL: this run locks more tables and indexes than one transaction may "
        f"({limit:,}: half of max_locks_per_transaction x (max_connections + "
        "max_prepared_transactions)); it runs in several transactions. If it fails, the "
        "ones before stay applied: run the same command again to finish."
    )
