"""Identifiers that need quoting (spaces, dashes, reserved words, mixed case)
survive every operation of automigrate and autoupdate."""

import pytest
from django.apps.registry import Apps
from django.db import connection, models

from automigrate_cmd import automigrate, autoupdate, check
from automigrate_cmd.snapshot import diff_schemas, inspect_schema
from tests.quotedapp.models import Weird
from tests.test_autoupdate import alter

pytestmark = pytest.mark.django_db(transaction=True)

TABLE = "Weird Table-Name"


def rows() -> list:
    return sorted(Weird.objects.values_list("order", "mixed", "select", "span", "parent_id"))


@pytest.fixture
def filled():
    automigrate("quotedapp")
    first = Weird.objects.create(order=1, mixed="A b", select="x", span=2)
    Weird.objects.create(order=2, mixed="C d", select="y", span=3, parent=first)
    yield
    automigrate("quotedapp")


def test_automigrate_recreates_quoted_table_with_references(filled):
    reference = inspect_schema(connection, [TABLE])
    automigrate("quotedapp", cascade=True)
    assert diff_schemas(reference, inspect_schema(connection, [TABLE])) == []


@pytest.mark.parametrize(
    "earlier",
    [
        lambda: alter(Weird, "select", models.CharField(max_length=10, db_column="select")),
        lambda: alter(
            Weird, "mixed", models.CharField(max_length=50, db_column="Mixed Case", null=True)
        ),
        lambda: alter(Weird, "parent", models.IntegerField(null=True, db_column="Parent Id")),
    ],
    ids=["shorter-unindexed", "longer-nullable", "no-foreign-key"],
)
def test_autoupdate_alters_quoted_columns_indexes_and_constraints(filled, earlier):
    reference = inspect_schema(connection, [TABLE])
    kept = rows()
    earlier()
    assert diff_schemas(reference, inspect_schema(connection, [TABLE]), ignore_names=True)

    autoupdate("quotedapp")

    assert diff_schemas(reference, inspect_schema(connection, [TABLE]), ignore_names=True) == []
    assert rows() == kept
    assert check("quotedapp").steps == []


def earlier_weird() -> type[models.Model]:
    """An earlier version of Weird: ``order`` was called "Old Order", and
    there was neither "from-to" nor the unique constraint over it."""

    class Meta:
        app_label = "quotedapp"
        db_table = TABLE
        apps = Apps()

    return type(
        "Weird",
        (models.Model,),
        {
            "__module__": __name__,
            "Meta": Meta,
            "order": models.IntegerField(db_column="Old Order"),
            "mixed": models.CharField(max_length=20, db_column="Mixed Case"),
            "select": models.CharField(max_length=20, db_column="select", db_index=True),
            "parent": models.ForeignKey(
                "self", models.CASCADE, null=True, db_column="Parent Id", related_name="+"
            ),
        },
    )


def test_autoupdate_adds_drops_and_renames_quoted_columns():
    automigrate("quotedapp")
    reference = inspect_schema(connection, [TABLE])
    Earlier = earlier_weird()
    with connection.schema_editor() as editor:
        editor.delete_model(Weird)
        editor.create_model(Earlier)
    first = Earlier.objects.create(order=1, mixed="A b", select="x")
    Earlier.objects.create(order=2, mixed="C d", select="y", parent=first)

    autoupdate("quotedapp", renames=["quotedapp.Weird.Old Order=order"])

    assert diff_schemas(reference, inspect_schema(connection, [TABLE]), ignore_names=True) == []
    assert rows() == [(1, "A b", "x", 0, None), (2, "C d", "y", 0, first.pk)]
    automigrate("quotedapp")
