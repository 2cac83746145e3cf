"""Run by Django's own runner (manage.py test -p "dj_*.py") with AutomigrateRunner."""

from django.contrib.auth.models import Permission
from django.db import connection, connections, models
from django.db.transaction import TransactionManagementError
from django.test import TestCase, TransactionTestCase
from hooksapp.models import AbstractThing, Book

from automigrate_cmd import check
from automigrate_cmd.selection import syncable_models
from automigrate_cmd.testing import automigrated


class Gizmo(models.Model):
    book = models.ForeignKey(Book, models.CASCADE)

    class Meta:
        app_label = "hooksapp"


class Doohickey(AbstractThing):
    class Meta:
        app_label = "hooksapp"


TEST_ONLY = {"hooksapp_gizmo", "hooksapp_doohickey"}


def tables(alias: str = "default") -> set[str]:
    return set(connections[alias].introspection.table_names()) & TEST_ONLY


class SchemaTests(TestCase):
    databases = {"default", "other"}

    def test_schema_matches_the_models(self):
        for alias in ("default", "other"):
            wanted = [m for m in syncable_models(alias) if m.__module__ != __name__]
            self.assertEqual([s.describe() for s in check(wanted, using=alias).steps], [])

    def test_permissions_and_cache_table(self):
        self.assertTrue(Permission.objects.filter(codename="add_book").exists())
        self.assertIn("hooks_cache", connection.introspection.table_names())

    def test_no_test_only_tables_outside_decorated_classes(self):
        self.assertEqual(tables(), set())


@automigrated(Gizmo)
class GizmoTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        Gizmo.objects.create(book=Book.objects.create(title="Dune"))

    def test_table_for_the_class(self):
        self.assertEqual(tables(), {"hooksapp_gizmo"})
        self.assertEqual(Gizmo.objects.count(), 1)

    def test_zz_deliberate_failure(self):
        self.fail("deliberate failure: the table must be dropped all the same")

    def test_inline_context_manager(self):
        if not connection.features.can_rollback_ddl:  # MariaDB/MySQL: DDL would commit
            with self.assertRaises(TransactionManagementError), automigrated(Doohickey):
                pass
            return
        with automigrated(Doohickey):
            Doohickey.objects.create(name="d")
            self.assertEqual(tables(), {"hooksapp_gizmo", "hooksapp_doohickey"})
        self.assertEqual(tables(), {"hooksapp_gizmo"})


@automigrated("hooksapp.Doohickey", databases=["default", "other"])
class DoohickeyTransactionTests(TransactionTestCase):
    databases = {"default", "other"}

    def test_tables_on_both_databases(self):
        self.assertEqual(tables("default"), {"hooksapp_doohickey"})
        self.assertEqual(tables("other"), {"hooksapp_doohickey"})
        Doohickey.objects.using("other").create(name="d")
