"""automigrated_fixture: tables for a whole module."""

import pytest
from django.db import connection, models

from automigrate_cmd.pytest_plugin import automigrated_fixture


class Sprocket(models.Model):
    size = models.IntegerField()

    class Meta:
        app_label = "hooksapp"


sprocket_tables = automigrated_fixture(Sprocket, scope="module")
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sprocket_tables")]


@pytest.mark.parametrize("size", [1, 2])
def test_table_for_the_module(size):
    assert "hooksapp_sprocket" in connection.introspection.table_names()
    Sprocket.objects.create(size=size)
    assert Sprocket.objects.count() == 1  # each test's rows are rolled back
