"""The interface every database backend implements.

Modelled on Django's ``django/db/backends/base``: one shared base, one
subclass per vendor, which keeps each concern in a module of its own
(``inspect``, ``scratch``, ``locking``, ``steps``) and only dispatches to
them. Where most backends do the same (applying a plan: nothing around it,
Django's own atomic schema editor), the base does it and a subclass
overrides the method. A backend holds no state: one instance serves every
connection of its vendor, each method is given the connection it works on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

if TYPE_CHECKING:
    from ..plan import RecreatePlan
    from ..report import Reporter
    from ..scratch import Desired
    from ..snapshot import Snapshot
    from ..sync import StepApplier


class Backend:
    """What ``automigrate_cmd`` asks of one database vendor: each concern
    answered by a module of the backend's own (as Django's DatabaseWrapper
    names a class per concern), which a subclass names."""

    # The ``connection.vendor`` this backend serves.
    vendor: ClassVar[str]
    # inspect(connection, cursor, tables) -> Snapshot
    inspect_module: ClassVar[ModuleType]
    # build_desired(connection, models_to_create) -> Desired
    scratch_module: ClassVar[ModuleType]
    # schema_lock(connection, timeout) -> a context manager
    locking_module: ClassVar[ModuleType]
    # STEPS: {step kind: applier} of the autoupdate steps applied its own way
    steps_module: ClassVar[ModuleType]
    # Whether ``apply.one_round_trip`` may send a block's statements as one query.
    merges_round_trips: ClassVar[bool] = False

    def inspect(
        self, connection: BaseDatabaseWrapper, cursor: Any, tables: list[str] | None
    ) -> Snapshot:
        """One record per table (``snapshot`` describes their keys) of the
        stored ``tables``, or of every table of the current database/schema if
        None, read from the catalog with ``cursor``. Tables that do not exist
        are left out. ``snapshot.inspect_schema`` sorts the records' lists."""
        return self.inspect_module.inspect(connection, cursor, tables)

    def build_desired(
        self, connection: BaseDatabaseWrapper, models_to_create: list[type[models.Model]]
    ) -> Desired:
        """``models_to_create`` built where the same server renders them
        without touching the live tables, read back (``scratch.read_back``)
        and thrown away. ``scratch.desired_schema`` is the entry point."""
        return self.scratch_module.build_desired(connection, models_to_create)

    def create_lines(
        self, connection: BaseDatabaseWrapper, tables: Iterable[str]
    ) -> dict[str, dict[str, dict[str, str]]]:
        """The server's own DDL of each of ``tables``, by table, where steps
        are applied from it (``Desired.mysql_lines``); none by default."""
        return {}

    def schema_lock(
        self, connection: BaseDatabaseWrapper, timeout: float
    ) -> AbstractContextManager[None]:
        """Hold the database's lock of one schema change at a time for the
        body; ``locking.LockTimeout`` after ``timeout`` seconds of waiting.
        ``locking.schema_lock`` is the entry point."""
        return self.locking_module.schema_lock(connection, timeout)

    def step_appliers(self) -> dict[str, StepApplier]:
        """The autoupdate steps this backend applies its own way, by step kind,
        over ``sync.SHARED_STEPS`` (what reads the same on every server)."""
        return self.steps_module.STEPS

    def lock_budget(self, connection: BaseDatabaseWrapper) -> int | None:
        """How many relations one transaction may lock (``lock_budget``);
        None, by default: no limit to mind."""
        return None

    @contextmanager
    def atomic_schema_editor(
        self, connection: BaseDatabaseWrapper, collect_sql: bool
    ) -> Iterator[BaseDatabaseSchemaEditor]:
        """A schema editor whose body runs in one transaction, rolled back
        if it raises; ``apply.atomic_schema_editor`` is the entry point."""
        with (
            self.editor_reads_once(connection),
            connection.schema_editor(atomic=True, collect_sql=collect_sql) as editor,
        ):
            yield editor

    def editor_reads_once(self, connection: BaseDatabaseWrapper) -> AbstractContextManager[None]:
        """In the body, what the schema editor asks the server over and over
        is asked once; by default it asks as Django does."""
        return nullcontext()

    def recreating(
        self,
        plan: RecreatePlan,
        editor: BaseDatabaseSchemaEditor,
        report: Reporter,
        collect_sql: bool,
    ) -> AbstractContextManager[None]:
        """Around the body that empties, drops and creates ``plan``'s tables:
        what keeps the foreign keys into them; by default nothing (they
        point at the table by name and survive its drop, as on SQLite)."""
        return nullcontext()

    def after_deletes(self, editor: BaseDatabaseSchemaEditor) -> None:
        """What a recreate runs after emptying tables; by default nothing."""
