"""autoupdate where PostgreSQL (and, for long names, every backend) differs
from the others: a foreign key made required with --default, a column type
changed together with its database default, and names longer than the server
keeps (issue 11, items 6, 7 and 8)."""

from __future__ import annotations

import io

import pytest
from django.apps.registry import Apps
from django.core.management import call_command
from django.db import connection, models

from automigrate_cmd import automigrate
from automigrate_cmd.snapshot import diff_schemas, inspect_schema
from automigrate_cmd.update import check
from tests.test_autoupdate import TABLES, alter
from todolist.models import TodoList, TodoListImage

pytestmark = pytest.mark.django_db(transaction=True)

APP_LABEL = "pgtest"


def build_model(name: str, table: str, fields: dict[str, models.Field]) -> type[models.Model]:
    """A model ``name`` with ``fields``, in a registry of its own (so that an
    earlier and a later version of it can exist side by side)."""
    meta = type("Meta", (), {"apps": Apps([]), "app_label": APP_LABEL, "db_table": table})
    return type(name, (models.Model,), {"__module__": __name__, "Meta": meta, **fields})


def create_table(model: type[models.Model]) -> None:
    with connection.schema_editor() as editor:
        editor.create_model(model)


def drop_table(table: str) -> None:
    if table in connection.introspection.table_names():
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {connection.ops.quote_name(table)}")


def fresh_schema(model: type[models.Model]) -> dict:
    """What the models build from nothing: the oracle for ``model``'s table."""
    drop_table(model._meta.db_table)
    automigrate([model])
    return inspect_schema(connection, [model._meta.db_table])


# --- item 6: a nullable foreign key made NOT NULL with --default ---------------


@pytest.fixture
def rebuild_todolist_afterwards():
    yield
    automigrate("todolist")


def test_nullable_foreign_key_made_required_with_default(rebuild_todolist_afterwards):
    """PostgreSQL's foreign keys are DEFERRABLE INITIALLY DEFERRED: the
    backfill UPDATE leaves a pending check, and the following ALTER TABLE
    used to fail with "pending trigger events"."""
    reference = inspect_schema(connection, TABLES)  # built by migrate
    home = TodoList.objects.create(title="home")
    work = TodoList.objects.create(title="work")
    alter(
        TodoListImage,
        "todo_list",
        models.OneToOneField(TodoList, models.CASCADE, null=True, related_name="image"),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO todolist_todolistimage (value, todo_list_id) VALUES (%s, %s), (%s, NULL)",
            ["linked", home.pk, "orphan"],
        )
    assert diff_schemas(reference, inspect_schema(connection, TABLES), ignore_names=True) != []

    out = io.StringIO()
    call_command(
        "autoupdate",
        "todolist",
        "--default",
        f"todolist.TodoListImage.todo_list={work.pk}",
        stdout=out,
        no_color=True,
    )

    assert "change(s) applied" in out.getvalue()
    assert diff_schemas(reference, inspect_schema(connection, TABLES), ignore_names=True) == []
    rows = TodoListImage.objects.order_by("value").values_list("value", "todo_list_id")
    assert list(rows) == [("linked", home.pk), ("orphan", work.pk)]
    assert check("todolist").steps == []
