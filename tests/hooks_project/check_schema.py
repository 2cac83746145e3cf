"""The test databases hold exactly what the current models want."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections

from automigrate_cmd import check
from automigrate_cmd.selection import syncable_models

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def project_models(alias: str) -> list:
    """The project's models on ``alias``, without test-only models of check_* modules."""
    return [
        m
        for m in syncable_models(alias)
        if not m.__module__.startswith(("check_", "hooksapp.check_"))
    ]


@pytest.mark.parametrize("alias", ["default", "other"])
def test_schema_matches_the_models(alias):
    assert [step.describe() for step in check(project_models(alias), using=alias).steps] == []


@pytest.mark.parametrize("alias", ["default", "other"])
def test_content_types_permissions_and_cache_table(alias):
    assert ContentType.objects.using(alias).filter(app_label="hooksapp", model="book").exists()
    assert Permission.objects.using(alias).filter(codename="add_book").exists()
    assert "hooks_cache" in connections[alias].introspection.table_names()


def test_note_only_on_other():
    assert "hooksapp_note" in connections["other"].introspection.table_names()
    assert "hooksapp_note" not in connections["default"].introspection.table_names()


def test_each_xdist_worker_has_its_own_database(worker_id):
    for alias in ("default", "other"):
        name = str(connections[alias].settings_dict["NAME"])
        assert name.endswith(f"_{worker_id}") == (worker_id != "master")
