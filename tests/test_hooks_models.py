"""Tables for test-only models: they exist during the test and are gone after
it, also after a failing test.

In this process the models live in a registry of their own (models in the
global registry would change what ``automigrate()`` of everything builds in
the other tests here); the outer runs use models defined in test modules, as
a project would.
"""

import pytest
from django.apps.registry import Apps
from django.db import connection, connections, models
from django.db.transaction import TransactionManagementError
from django.test import TestCase, TransactionTestCase

from automigrate_cmd.pytest_plugin import automigrated_fixture
from automigrate_cmd.testing import automigrated
from tests.hooks_support import (
    hooks_project,
    open_database,
    outcome,
    show,
    table_names,
)

registry = Apps([])


class Base(models.Model):
    name = models.CharField(max_length=20)

    class Meta:
        abstract = True
        apps = registry
        app_label = "hookstest"


class Crate(Base):
    class Meta:
        apps = registry
        app_label = "hookstest"


class Bottle(Base):
    """A concrete subclass of an abstract model, referencing another test-only model."""

    crate = models.ForeignKey(Crate, models.CASCADE)
    neighbours = models.ManyToManyField("self")

    class Meta:
        apps = registry
        app_label = "hookstest"


class Pallet(Base):
    """Used by the module-scoped fixture only: its table lives as long as the module's tests."""

    class Meta:
        apps = registry
        app_label = "hookstest"


TABLES = {"hookstest_crate", "hookstest_bottle", "hookstest_bottle_neighbours"}


def only_tables(alias: str = "default") -> set[str]:
    return table_names(connections[alias]) & TABLES


def in_transaction_ddl_refused() -> bool:
    return not connection.features.can_rollback_ddl  # MariaDB/MySQL


@pytest.mark.django_db(transaction=True)
def test_context_manager_builds_and_drops_even_when_the_block_fails():
    with pytest.raises(ZeroDivisionError), automigrated(Crate, Bottle):
        assert only_tables() == TABLES
        crate = Crate.objects.create(name="c")
        Bottle.objects.create(name="b", crate=crate).neighbours.add(
            Bottle.objects.create(name="n", crate=crate)
        )
        1 / 0  # noqa: B018
    assert only_tables() == set()


@pytest.mark.django_db
def test_context_manager_inside_the_test_transaction():
    if in_transaction_ddl_refused():
        with (
            pytest.raises(TransactionManagementError, match="DDL would commit"),
            automigrated(Crate),
        ):
            pass
        return
    with automigrated(Crate, Bottle):
        assert only_tables() == TABLES
    assert only_tables() == set()


@pytest.mark.django_db(transaction=True)
def test_leftover_table_is_rebuilt():
    with connection.schema_editor() as editor:
        editor.create_model(Crate)  # as an interrupted run would leave it
    with automigrated(Crate):
        assert only_tables() == {"hookstest_crate"}
    assert only_tables() == set()


@pytest.mark.django_db
@pytest.mark.automigrated(Crate, Bottle)
def test_marker_builds_before_the_test_transaction():
    # On MariaDB this works only because the tables were built before the
    # test's transaction opened (the plugin orders its fixture first).
    assert only_tables() == TABLES
    Crate.objects.create(name="c")


@pytest.mark.django_db(databases=["default", "other"])
@pytest.mark.automigrated(Crate, databases="__all__")
def test_marker_on_every_database():
    assert only_tables("default") == only_tables("other") == {"hookstest_crate"}


pallet_tables = automigrated_fixture(Pallet, scope="module")


@pytest.mark.django_db
def test_module_scoped_fixture(pallet_tables):
    assert "hookstest_pallet" in table_names(connection)
    Pallet.objects.create(name="p")


def test_models_named_by_label_and_checked():
    with pytest.raises(ValueError, match="abstract"):
        automigrated(Base)
    with pytest.raises(LookupError):
        automigrated("todolist.Nope")
    with pytest.raises(ValueError, match="For one test"):
        automigrated_fixture(Crate, scope="function")


@automigrated(Crate)
class CrateTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        Crate.objects.create(name="from setUpTestData")

    def test_table_for_the_class(self):
        assert only_tables() == {"hookstest_crate"}
        assert Crate.objects.count() == 1


@automigrated(Crate, Bottle)
class BottleTransactionTestCase(TransactionTestCase):
    def test_tables_for_the_class(self):
        assert only_tables() == TABLES
        Crate.objects.create(name="c")


# --- outer runs: test-only models defined in test modules -------------------------


@pytest.fixture
def project(tmp_path, django_db_blocker):
    with hooks_project(tmp_path, django_db_blocker) as created:
        yield created


OUTER_FILES = ["check_testonly.py", "check_module_scope.py", "hooksapp/check_inside.py"]
OUTER_TABLES = {
    "hooksapp_widget",
    "hooksapp_thing",
    "hooksapp_thing_books",
    "hooksapp_gizmo",
    "hooksapp_sprocket",
    "hooksapp_doohickey",
}


def test_pytest_test_only_tables_exist_only_during_their_tests(project):
    result = project.pytest(*OUTER_FILES, "--automigrate", "--reuse-db")
    # The one failure is check_testonly's deliberate one; the tests after it
    # check that its tables are gone.
    assert outcome(result) == {"failed": 1, "passed": 8}, show(result)
    assert "FAILED check_testonly.py::test_marked_tables_exist_then_the_test_fails" in result.stdout
    for alias in ("default", "other"):
        with open_database(project.test_database(alias)) as db:
            assert table_names(db) & OUTER_TABLES == set()
            assert "hooksapp_book" in table_names(db)
