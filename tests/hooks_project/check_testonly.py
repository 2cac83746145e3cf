"""Test-only models: their tables exist during the marked test and are gone
after it, also after a failing test. Run in file order (pytest-django runs
the non-transactional database tests first, in file order)."""

import pytest
from django.db import connection, connections, models
from django.db.transaction import TransactionManagementError
from django.test import TestCase
from hooksapp.models import AbstractThing, Book

from automigrate_cmd.testing import automigrated


class Widget(models.Model):
    name = models.CharField(max_length=20)
    book = models.ForeignKey(Book, models.CASCADE, null=True)

    class Meta:
        app_label = "hooksapp"


class Thing(AbstractThing):
    """A concrete subclass of an abstract model of the app, with a many-to-many table."""

    books = models.ManyToManyField(Book)

    class Meta:
        app_label = "hooksapp"


class Gizmo(models.Model):
    class Meta:
        app_label = "hooksapp"


TEST_ONLY = {"hooksapp_widget", "hooksapp_thing", "hooksapp_thing_books", "hooksapp_gizmo"}


def tables(alias: str = "default") -> set[str]:
    return set(connections[alias].introspection.table_names()) & TEST_ONLY


@pytest.mark.django_db
def test_before_no_test_only_tables():
    assert tables() == set()


@pytest.mark.django_db
@pytest.mark.automigrated("hooksapp.Widget", "hooksapp.Thing")
def test_marked_tables_exist_then_the_test_fails():
    assert tables() == {"hooksapp_widget", "hooksapp_thing", "hooksapp_thing_books"}
    book = Book.objects.create(title="Dune")
    Widget.objects.create(name="w", book=book)
    Thing.objects.create(name="t").books.add(book)
    pytest.fail("deliberate failure: the tables must be dropped all the same")


@pytest.mark.django_db
def test_after_the_failing_test_the_tables_are_gone():
    assert tables() == set()


@pytest.mark.django_db
def test_inline_context_manager():
    if not connection.features.can_rollback_ddl:  # MariaDB/MySQL: DDL would commit
        with pytest.raises(TransactionManagementError), automigrated(Gizmo):
            pass
        return
    with automigrated(Gizmo):
        Gizmo.objects.create()
        assert tables() == {"hooksapp_gizmo"}
    assert tables() == set()


@pytest.mark.django_db(transaction=True, databases=["default", "other"])
@pytest.mark.automigrated("hooksapp.Widget", databases=["default", "other"])
def test_marker_on_two_databases_with_transactional_db():
    assert tables("default") == tables("other") == {"hooksapp_widget"}
    Widget.objects.using("other").create(name="w")


@automigrated(Widget)
class WidgetTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        Widget.objects.create(name="from setUpTestData")

    def test_table_for_the_class(self):
        assert tables() == {"hooksapp_widget"}
        assert Widget.objects.count() == 1
