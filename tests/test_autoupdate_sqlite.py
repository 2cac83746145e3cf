"""SQLite: a table rebuild keeps the triggers and views made by hand, or
refuses naming the ones it would break."""

from __future__ import annotations

import pytest
from django.apps.registry import Apps
from django.db import connection, models

from automigrate_cmd import Refused, automigrate, autoupdate
from automigrate_cmd.snapshot import diff_schemas, inspect_schema
from tests.test_autoupdate import TABLES, alter, executed_sql, reference_schema, seed, values
from todolist.models import Todo, TodoList

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's ALTER TABLE rules"),
]

REBUILD = 'CREATE TABLE "new__'
APP_LABEL = "sqlitetest"
GADGET = f"{APP_LABEL}_gadget"


def run(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def rebuilt(statements: list[str]) -> bool:
    return any(sql.lstrip().startswith(REBUILD) for sql in statements)


def schema_objects() -> list[tuple]:
    return run(
        "SELECT type, name, tbl_name, sql FROM sqlite_master "
        "WHERE type IN ('trigger', 'view') ORDER BY name"
    )


@pytest.fixture(autouse=True)
def clean_up():
    """Schema changes outlive a transactional test: put the tables back."""
    yield
    for kind, name, *_ in schema_objects():
        run(f'DROP {kind.upper()} IF EXISTS "{name}"')
    run('DROP TABLE IF EXISTS "am_log"')
    run(f'DROP TABLE IF EXISTS "{GADGET}"')
    automigrate("todolist")
    automigrate(["featureapp.Indexed", "featureapp.Constrained"])


def gadget(meta: dict | None = None, **fields: models.Field) -> type[models.Model]:
    """A throwaway model with a name and ``fields``, in a registry of its own
    (each call is another version of the same model)."""
    options = {"apps": Apps([]), "app_label": APP_LABEL, "db_table": GADGET, **(meta or {})}
    attrs = {"__module__": __name__, "name": models.CharField(max_length=20), **fields}
    return type("Gadget", (models.Model,), {**attrs, "Meta": type("Meta", (), options)})


def create(model: type[models.Model], *names: str) -> None:
    with connection.schema_editor() as editor:
        editor.create_model(model)
    for name in names:
        model.objects.create(name=name)


def what_automigrate_builds(model: type[models.Model]) -> dict:
    automigrate([model])
    return inspect_schema(connection, [GADGET])


# --- rebuilds ------------------------------------------------------------------

TRIGGER = (
    'CREATE TRIGGER "todo_added" AFTER INSERT ON "todolist_todo" '
    "BEGIN INSERT INTO am_log (msg) VALUES ('added ' || new.title); END"
)
FOREIGN_TRIGGER = (
    "CREATE TRIGGER list_renamed AFTER UPDATE OF title ON todolist_todolist "
    "BEGIN UPDATE todolist_todo SET \"desc\" = 'list renamed' WHERE todo_list_id = new.id; END"
)
VIEW = "CREATE VIEW todo_titles AS SELECT id, title FROM todolist_todo"
VIEW_ON_VIEW = "CREATE VIEW todo_title_count AS SELECT COUNT(*) AS n FROM todo_titles"


def make_triggers_and_views() -> None:
    run("CREATE TABLE am_log (msg text)")
    for sql in (TRIGGER, FOREIGN_TRIGGER, VIEW, VIEW_ON_VIEW):
        run(sql)


def test_rebuild_keeps_triggers_and_views_and_they_still_work():
    reference = inspect_schema(connection, TABLES)
    seed()
    kept = values()
    alter(Todo, "title", models.CharField(max_length=100))  # a type change: a rebuild
    make_triggers_and_views()
    objects = schema_objects()

    result = None

    def update():
        nonlocal result
        result = autoupdate("todolist")

    statements = executed_sql(update)

    assert [s.kind for s in result.plan.steps] == ["rebuild_table"]
    assert rebuilt(statements)
    assert schema_objects() == objects
    assert values() == kept
    after = inspect_schema(connection, TABLES)
    assert diff_schemas(reference, after, ignore_names=True) == []
    # The triggers fire, the views read the rebuilt table.
    home = TodoList.objects.get(title="home")
    Todo.objects.create(title="eggs", todo_list=home)
    assert run("SELECT msg FROM am_log") == [("added eggs",)]
    TodoList.objects.filter(pk=home.pk).update(title="house")
    assert set(Todo.objects.filter(todo_list=home).values_list("desc", flat=True)) == {
        "list renamed"
    }
    assert run("SELECT n FROM todo_title_count") == [(3,)]
    assert diff_schemas(reference_schema_keeping_objects(), after, ignore_names=True) == []


def reference_schema_keeping_objects() -> dict:
    """automigrate's schema (it drops the tables: the views go first)."""
    for kind, name, *_ in reversed(schema_objects()):
        run(f'DROP {kind.upper()} "{name}"')
    return reference_schema()


def test_rebuild_refuses_when_a_trigger_uses_a_column_it_drops():
    create(gadget(), "a")
    run(f'ALTER TABLE "{GADGET}" ADD COLUMN "legacy" integer NULL')
    run("CREATE TABLE am_log (msg text)")
    run(
        f'CREATE TRIGGER "gadget_legacy" AFTER UPDATE ON "{GADGET}" '
        "BEGIN INSERT INTO am_log (msg) VALUES (new.legacy); END"
    )
    before = inspect_schema(connection, [GADGET])
    # legacy goes in place, then in a rebuild (name becomes longer).
    for model in (gadget(), gadget(name=models.CharField(max_length=50))):
        with pytest.raises(
            Refused, match=rf"{GADGET}\.legacy: used by trigger gadget_legacy; change or drop it"
        ):
            autoupdate([model], accept_data_loss=True)
        assert inspect_schema(connection, [GADGET]) == before
    assert [name for _, name, *_ in schema_objects()] == ["gadget_legacy"]
