"""The interface every database backend implements.

Modelled on Django's ``django/db/backends/base``: one shared base, one
subclass per vendor, which keeps each concern in a module of its own
(``inspect``, ``scratch``, ``locking``, ``row_counts``, ``steps``...) and
only dispatches to them. A backend holds no state: one instance serves
every connection of its vendor, each method is given the connection it works
on. The base's answers are the generic ones: what a server without quirks
does (and what ``GENERIC`` gives a vendor no backend serves, where the code
tolerates one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

if TYPE_CHECKING:
    from ..recreate.plan import RecreatePlan
    from ..report import Reporter
    from ..scratch import Desired
    from ..snapshot import Record, Snapshot
    from ..sync.apply import SyncContext
    from ..sync.conversions import Conversion
    from ..sync.diff import Step
    from ..sync.primary_keys import Retype


class Backend:
    """What ``automigrate_cmd`` asks of one database vendor: each concern
    answered by a module of the backend's own (as Django's DatabaseWrapper
    names a class per concern), which a subclass names."""

    # The ``connection.vendor`` this backend serves.
    vendor: ClassVar[str] = ""
    # inspect(connection, cursor, tables) -> Snapshot
    inspect_module: ClassVar[ModuleType]
    # build_desired(connection, models_to_create) -> Desired
    scratch_module: ClassVar[ModuleType]
    # schema_lock(connection, timeout) -> a context manager
    locking_module: ClassVar[ModuleType]

    # --- the catalog -----------------------------------------------------
    # The server cuts an identifier longer than max_name_length() in every
    # statement and keeps the short one (catalog.stored_name).
    shortens_long_names: ClassVar[bool] = False
    # The server refuses a name longer than max_name_length() (selection).
    refuses_long_names: ClassVar[bool] = False
    # The record keys whose names the server keeps once per schema, not per
    # table (name_clashes), and the query of those names with their tables.
    shared_name_kinds: ClassVar[tuple[str, ...]] = ()
    shared_names_sql: ClassVar[str] = ""
    # The query of the names of the triggers there (migration_sql: one an
    # unapplied migration makes is not made twice); "": none are known.
    trigger_names_sql: ClassVar[str] = ""
    # The column type of a long text (desired_cache's payload).
    long_text_type: ClassVar[str] = "text"
    # Every foreign key needs an index of its own, which the server keeps
    # (undeclared: such an index stays while its foreign key does).
    foreign_keys_need_indexes: ClassVar[bool] = False
    # The schema editor will not start inside a transaction (testing drives
    # it without entering it there).
    editor_refuses_transactions: ClassVar[bool] = False

    def foreign_keys_into(self, connection: BaseDatabaseWrapper, targets: set[str]) -> list:
        """Every ``catalog.ForeignKey`` from any table into one of ``targets``;
        by default from Django's introspection, one table at a time."""
        from ..catalog import foreign_keys_generic

        return foreign_keys_generic(connection, targets)

    def names_the_server_picks(self, table: str, record: Record) -> set[str]:
        """The names in ``record`` (a table to create) that the server
        chooses itself, and makes free of a clash (name_clashes)."""
        return set()

    # --- schemas of one database (``schemas``) ------------------------------
    # The database has schemas that may each hold the models (--schema).
    has_schemas: ClassVar[bool] = False

    def schema_names(self, connection: BaseDatabaseWrapper) -> list[str]:
        """The database's own schemas (the system's left out), sorted."""
        raise NotImplementedError(f"{type(self).__name__} has no schemas")

    def use_schema(
        self, connection: BaseDatabaseWrapper, schema: str
    ) -> AbstractContextManager[None]:
        """``connection`` pointed at ``schema`` for the body (in this thread)."""
        raise NotImplementedError(f"{type(self).__name__} has no schemas")

    def scratch_wrapper_class(self, wrapper_class: type) -> type:
        """The class of a scratch connection beside one of ``wrapper_class``."""
        return wrapper_class

    def schema_fingerprint(self, connection: BaseDatabaseWrapper) -> str | None:
        """A digest of what a plan reads in the current schema, equal for
        schemas a plan cannot tell apart (``twins``); None: none is made."""
        return None

    def lock_budget(self, connection: BaseDatabaseWrapper) -> int | None:
        """How many relations one transaction may lock (lock_budget); None:
        no limit to mind."""
        return None

    # --- what a risky step would do to the rows (risks, conversions) -------
    # The SQL function of a string's length in characters.
    char_length_function: ClassVar[str] = "CHAR_LENGTH"
    # conversion(connection, table, column, old_type, new_type, field) -> Conversion
    row_counts_module: ClassVar[ModuleType]

    def conversion(
        self,
        connection: BaseDatabaseWrapper,
        table: str,
        column: str,
        old_type: str,
        new_type: str,
        field: models.Field | None,
    ) -> Conversion:
        """What changing ``table.column`` (quoted live names) from
        ``old_type`` to ``new_type`` does to its values, counted the way the
        change converts them. ``conversions.conversion`` is the entry point."""
        return self.row_counts_module.conversion(
            connection, table, column, old_type, new_type, field
        )

    def broken_by_dropping(
        self, connection: BaseDatabaseWrapper, live_table: str, table: str, dropped: list[str]
    ) -> str:
        """Why dropping the ``dropped`` columns of ``table`` (``live_table``
        in the database now) would break objects that use them; "" if none."""
        return ""

    # --- the steps of a sync plan (diff) ----------------------------------

    def diff_table(
        self, table: str, live: Record, desired: Record, *, drops_columns: bool
    ) -> list[Step]:
        """The steps that turn ``live`` into ``desired``, one table's
        records; by default altered in place (``diff.diff_table``)."""
        from ..sync.diff import diff_table

        return diff_table(table, live, desired, self)

    def more_item_steps(
        self, table: str, live: Record, desired: Record, item_steps: list[Step]
    ) -> list[Step]:
        """Steps the server needs besides a table's index and constraint
        ``item_steps``; none by default."""
        return []

    # --- applying a sync plan (sync) --------------------------------------
    # Kind of step -> how this server applies it, where not with the
    # standard's SQL (``sync.apply``): (context, step) -> None.
    step_appliers: ClassVar[dict[str, Callable[[Any, Any], None]]] = {}

    def alter_column(self, context: SyncContext, step: Step) -> None:
        """Change one column to ``step.desired`` (its NULLs already filled
        where it becomes NOT NULL). No SQL serves every server here."""
        raise NotImplementedError(f"{type(self).__name__} cannot alter a column")

    def follow_key_steps(
        self, connection: BaseDatabaseWrapper, retype: Retype
    ) -> tuple[list[Step], dict[str, dict[str, str]] | None]:
        """The steps that give a table's columns the types of the primary key
        they point at (``primary_keys.Retype``), and the table's lines they
        are written with where the backend has them."""
        from ..sync.primary_keys import alter_steps

        return alter_steps(retype), None

    def reference_type(
        self, connection: BaseDatabaseWrapper, field: models.Field, key_column: dict
    ) -> str:
        """The type, as the catalog spells it, of ``field`` pointing at a
        primary key: a reference has the key's own type (an identity is a
        separate attribute), as the scratch build read ``key_column``."""
        return key_column["type"]

    # --- applying a recreate plan (apply) ---------------------------------
    # Statements of one block may go to the server as one query (one_round_trip).
    merges_round_trips: ClassVar[bool] = False
    # Foreign keys from outside the selection are dropped and restored (the
    # plan lists their restoring).
    restores_references: ClassVar[bool] = False

    def editor_session(self, connection: BaseDatabaseWrapper) -> AbstractContextManager[None]:
        """What the server's session needs around a schema editor's work."""
        return nullcontext()

    @contextmanager
    def atomic_schema_editor(
        self, connection: BaseDatabaseWrapper, collect_sql: bool
    ) -> Iterator[BaseDatabaseSchemaEditor]:
        """``connection.schema_editor(atomic=True)``, in the backend's session."""
        with (
            self.editor_session(connection),
            connection.schema_editor(atomic=True, collect_sql=collect_sql) as editor,
        ):
            yield editor

    def before_recreate(
        self, plan: RecreatePlan, editor: BaseDatabaseSchemaEditor, report: Reporter
    ) -> None:
        """What must happen before ``plan`` drops and creates tables."""

    def after_emptying(self, editor: BaseDatabaseSchemaEditor) -> None:
        """After ``--cascade`` emptied tables, before any is altered."""

    def after_recreate(
        self, plan: RecreatePlan, editor: BaseDatabaseSchemaEditor, report: Reporter
    ) -> None:
        """What must happen once ``plan``'s tables exist again."""

    def end_recreate(self, connection: BaseDatabaseWrapper) -> None:
        """After a recreate run (a failed one too): session state put back."""

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


# What a vendor no backend serves gets where the code tolerates one.
GENERIC = Backend()
