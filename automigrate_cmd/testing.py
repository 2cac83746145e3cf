"""Test setup with automigrate, shared by the pytest plugin and the Django test runner.

- :func:`automigrated_test_databases`: while active, Django's own
  ``setup_databases()`` (what pytest-django's ``django_db_setup`` and
  ``DiscoverRunner`` call) builds each test database with ``automigrate``
  instead of ``migrate``, and brings a kept one (``--reuse-db``/``--keepdb``)
  up to date with ``autoupdate``. Everything else (which aliases, mirrors,
  xdist/parallel names, serialization, teardown) stays Django's.
- :class:`automigrated`: tables for test-only models, for a ``with`` block, a
  test function or a ``TestCase``/``TransactionTestCase`` class.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from unittest import mock

from django.apps import apps as global_apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import DEFAULT_DB_ALIAS, connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.transaction import TransactionManagementError
from django.test import TransactionTestCase
from django.test.utils import TestContextDecorator

from .api import automigrate
from .backends import backend_or_generic
from .catalog import existing_tables, stored_name
from .exceptions import Refused
from .schema_editor import create_model
from .selection import dependency_order, syncable_models, tables_of
from .sync.update import autoupdate

Model = type[models.Model]

# Models named by automigrated() (and the pytest marker and fixtures) so far:
# they are test-only, so the test databases are built without them.
_declared_test_only: set[Model] = set()


def declare_test_only(*models_: Model) -> None:
    _declared_test_only.update(models_)


def find_test_only_models(test_modules: Collection[str] = ()) -> set[Model]:
    """Models defined in a test module, or declared test-only: no table in the test database."""
    defined_in_tests = {m for m in global_apps.get_models() if m.__module__ in test_modules}
    return defined_in_tests | _declared_test_only


# --- building the test databases ---------------------------------------------------


@contextmanager
def automigrated_test_databases(test_only: Collection[Model] = ()) -> Iterator[None]:
    """While active, ``connection.creation.create_test_db()`` builds with automigrate.

    Only the method of the connection objects is replaced (Django's own
    ``create_test_db`` minus its ``migrate`` call), so whatever calls it,
    pytest-django or ``DiscoverRunner``, keeps its own logic.
    """
    with ExitStack() as stack:
        for alias in connections:
            connection = connections[alias]
            build = partial(create_test_db, connection, test_only=frozenset(test_only))
            stack.enter_context(mock.patch.object(connection.creation, "create_test_db", build))
        yield


def create_test_db(
    connection: BaseDatabaseWrapper,
    verbosity: int = 1,
    autoclobber: bool = False,
    serialize: bool | None = None,
    keepdb: bool = False,
    *,
    test_only: Collection[Model] = (),
) -> str:
    """``BaseDatabaseCreation.create_test_db`` with automigrate in place of migrate."""
    creation = connection.creation
    name = creation._get_test_db_name()
    if verbosity >= 1:
        action = "Using existing" if keepdb else "Creating"
        where = creation._get_database_display_str(verbosity, name)
        creation.log(f"{action} test database for alias {where} (automigrate)...")
    # Creates the empty database, or keeps an existing one with keepdb.
    creation._create_test_db(verbosity, autoclobber, keepdb)
    connection.close()
    settings.DATABASES[connection.alias]["NAME"] = name
    connection.settings_dict["NAME"] = name

    build_test_schema(connection.alias, keepdb=keepdb, test_only=test_only, verbosity=verbosity)

    # Django < 6.1 callers may still ask for this; setup_databases() does it itself.
    if serialize:
        connection._test_serialized_contents = creation.serialize_db_to_string()
    call_command("createcachetable", database=connection.alias)
    connection.ensure_connection()
    return name


def build_test_schema(
    using: str, *, keepdb: bool = False, test_only: Collection[Model] = (), verbosity: int = 1
) -> None:
    """Tables for every model but the test-only ones: automigrate on a new
    database, autoupdate on a kept one (data loss accepted: a test database)."""
    wanted = [m for m in syncable_models(using) if m not in test_only]
    if not wanted:
        return  # an empty label list would mean every model to automigrate()
    connection = connections[using]
    # Like migrate in create_test_db: one verbosity level lower.
    output = {"verbosity": max(verbosity - 1, 0), "stdout": sys.stdout}
    if not (keepdb and existing_tables(connection)):
        automigrate(wanted, using, remember=keepdb, **output)
        return
    try:
        result = autoupdate(wanted, using, accept_data_loss=True, **output)
    except Refused as error:
        # A change autoupdate cannot make (a new primary key, say): rebuild.
        if verbosity >= 1:
            connection.creation.log(
                f"  autoupdate: {error} Rebuilding the tables with automigrate."
            )
        automigrate(wanted, using, cascade=True, **output)
        return
    if not result.applied:
        # migrate sends post_migrate on a kept database too: content types and
        # permissions that a TransactionTestCase flushed come back.
        emit_post_migrate_signal(
            output["verbosity"], False, using, apps=global_apps, plan=[], stdout=sys.stdout
        )


# --- test-only models --------------------------------------------------------------


class automigrated(TestContextDecorator):  # noqa: N801 (named like override_settings)
    """Tables for test-only models while a block, a test or a test class runs.

    ``with automigrated(Widget, "app.Gadget"): ...`` (classes or labels), as a
    test function decorator, or on a ``TestCase``/``TransactionTestCase`` class
    (tables built once, before the class's transaction, dropped after it). The
    tables are dropped afterwards even when the test fails; a table left over
    from an interrupted run is rebuilt. ``databases``: the aliases to build them
    on (``"__all__"``: every one), where the routers allow the model.
    """

    def __init__(self, *models_: Model | str, databases: str | Iterable[str] = DEFAULT_DB_ALIAS):
        super().__init__()
        models_ = tuple(as_model(model) for model in models_)
        declare_test_only(*models_)
        self.models = dependency_order(models_)
        if databases == "__all__":
            databases = list(connections)
        self.databases = [databases] if isinstance(databases, str) else list(databases)
        self._built: list[tuple[str, list[Model]]] = []

    def enable(self) -> None:
        try:
            for alias in self.databases:
                connection = connections[alias]
                chosen = [m for m in self.models if router.allow_migrate_model(alias, m)]
                with _schema_editor(connection) as editor:
                    _drop_tables(editor, chosen)  # left over from an interrupted run
                    self._built.append((alias, chosen))
                    for model in chosen:
                        create_model(editor, model)
        except BaseException:
            self.disable()
            raise

    def disable(self) -> None:
        built, self._built = self._built, []
        for alias, chosen in reversed(built):
            connection = connections[alias]
            if connection.needs_rollback:
                continue  # the enclosing transaction is rolled back, the tables with it
            with _schema_editor(connection) as editor:
                _drop_tables(editor, chosen)

    def decorate_class(self, cls: type) -> type:
        """Tables for the whole class, built before ``TestCase`` opens its
        class-wide transaction and dropped after it rolled back: the DDL runs
        outside any transaction, which every backend accepts."""
        if not (isinstance(cls, type) and issubclass(cls, TransactionTestCase)):
            raise TypeError("@automigrated decorates TestCase and TransactionTestCase classes.")
        decorated_setup = cls.setUpClass.__func__

        def setUpClass(klass) -> None:  # noqa: N802
            self.enable()
            klass.addClassCleanup(self.disable)
            decorated_setup(klass)

        cls.setUpClass = classmethod(setUpClass)
        return cls


def as_model(model: Model | str) -> Model:
    """A model class, or the one ``"app_label.ModelName"`` names, checked to own a table."""
    if isinstance(model, str):
        model = global_apps.get_model(model)
    if not (isinstance(model, type) and issubclass(model, models.Model)):
        raise TypeError(f"automigrated() takes model classes or labels, not {model!r}.")
    meta = model._meta
    if meta.abstract:
        raise ValueError(f"{model.__name__} is abstract: name a concrete subclass.")
    if meta.proxy or not meta.managed or meta.swapped:
        raise ValueError(
            f"{meta.label} has no table of its own to build (proxy/unmanaged/swapped)."
        )
    return model


@contextmanager
def _schema_editor(connection: BaseDatabaseWrapper) -> Iterator:
    if connection.in_atomic_block and not connection.features.can_rollback_ddl:
        raise TransactionManagementError(
            f"automigrated() inside a transaction on {connection.vendor}: its DDL would commit "
            "the test's transaction. Decorate the TestCase class (tables are built before its "
            "transaction), use the pytest marker or a TransactionTestCase."
        )
    if connection.in_atomic_block and backend_or_generic(connection).editor_refuses_transactions:
        # SQLite's schema editor refuses to start inside a transaction, where it
        # cannot turn foreign-key checks off. Creating and dropping whole tables
        # never needs them off, so drive the editor without entering it.
        editor = connection.schema_editor(atomic=False)
        editor.deferred_sql = []
        yield editor
        for sql in editor.deferred_sql:
            editor.execute(sql)
        return
    with connection.schema_editor() as editor:
        yield editor


def _drop_tables(editor, chosen: list[Model]) -> None:
    """Drop the tables of ``chosen`` that exist, referencing ones first."""
    present = existing_tables(editor.connection)
    for model in reversed(chosen):
        for table in reversed(tables_of(model)):
            if stored_name(editor.connection, table) in present:
                # Plain DROP TABLE, never CASCADE: what still depends on it fails loudly.
                editor.execute(f"DROP TABLE {editor.quote_name(table)}")
