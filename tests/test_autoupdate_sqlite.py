"""SQLite: autoupdate alters in place what ALTER TABLE can alter there (add
or drop a plain column, create or drop an index), as Django's sqlite3 schema
editor does, and rebuilds a table only for the rest; a rebuild keeps the
triggers and views made by hand, or refuses naming the ones it would break."""

from __future__ import annotations

import pytest
from django.apps.registry import Apps
from django.db import connection, models
from django.db.models.functions import Lower

from automigrate_cmd import AutomigrateError, Refused, automigrate, autoupdate
from automigrate_cmd.snapshot import diff_schemas, inspect_schema
from tests.featureapp.models import Constrained, Indexed
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


# --- in place ------------------------------------------------------------------


def test_nullable_column_is_added_in_place_and_rows_stay():
    reference = inspect_schema(connection, TABLES)
    seed()
    kept = values()
    with connection.schema_editor() as editor:
        editor.remove_field(Todo, Todo._meta.get_field("desc"))

    statements = executed_sql(lambda: autoupdate("todolist"))

    assert not rebuilt(statements), statements
    assert any('ADD COLUMN "desc"' in sql for sql in statements), statements
    assert diff_schemas(reference, inspect_schema(connection, TABLES), ignore_names=True) == []
    kept["todos"] = [(*todo[:2], None, *todo[3:]) for todo in kept["todos"]]
    assert values() == kept
    assert diff_schemas(reference_schema(), reference, ignore_names=True) == []


def test_new_columns_with_defaults_are_added_in_place_and_filled():
    """A Python default fills the rows there by an UPDATE (SQLite cannot drop
    the DEFAULT Django would add); a constant db_default by the DEFAULT itself,
    NOT NULL too; a nullable foreign key takes its REFERENCES inline, a
    positive integer its CHECK; a virtual generated column is computed."""
    create(gadget(), "a", "b")
    later = gadget(
        size=models.IntegerField(null=True, default=7),
        color=models.CharField(max_length=10, db_default="red"),
        count=models.PositiveIntegerField(null=True),
        owner=models.ForeignKey(TodoList, models.SET_NULL, null=True, db_index=False),
        double=models.GeneratedField(
            expression=models.F("size") * 2, output_field=models.IntegerField(), db_persist=False
        ),
    )

    result = None

    def update():
        nonlocal result
        result = autoupdate([later])

    statements = executed_sql(update)

    assert not rebuilt(statements), statements
    assert sorted(s.kind for s in result.plan.steps) == ["add_column"] * 5
    rows = sorted(later.objects.values_list("name", "size", "color", "count", "owner", "double"))
    assert rows == [("a", 7, "red", None, None, 14), ("b", 7, "red", None, None, 14)]
    after = inspect_schema(connection, [GADGET])
    assert diff_schemas(what_automigrate_builds(later), after, ignore_names=True) == []


def test_columns_are_dropped_in_place():
    """A column with its own CHECK (JSON, positive integer) and one made by hand."""
    earlier = gadget(tag=models.JSONField(null=True), count=models.PositiveIntegerField(null=True))
    create(earlier, "a")
    earlier.objects.update(tag={"k": 1}, count=3)
    run(f'ALTER TABLE "{GADGET}" ADD COLUMN "legacy" integer NULL')
    run(f'UPDATE "{GADGET}" SET "legacy" = 1')
    model = gadget()

    with pytest.raises(Refused, match="legacy: column dropped, 1 non-null value"):
        autoupdate([model])
    statements = executed_sql(lambda: autoupdate([model], accept_data_loss=True))

    assert not rebuilt(statements), statements
    for column in ("legacy", "tag", "count"):
        assert any(f'DROP COLUMN "{column}"' in sql for sql in statements), statements
    assert list(model.objects.values_list("name", flat=True)) == ["a"]
    after = inspect_schema(connection, [GADGET])
    assert diff_schemas(what_automigrate_builds(model), after, ignore_names=True) == []


def test_extra_index_is_dropped_in_place():
    reference = inspect_schema(connection, TABLES)
    seed()
    kept = values()
    alter(Todo, "title", models.CharField(max_length=200, db_index=True))

    result = None

    def update():
        nonlocal result
        result = autoupdate("todolist")

    statements = executed_sql(update)

    assert [s.kind for s in result.plan.steps] == ["drop_index"]
    assert not rebuilt(statements), statements
    assert values() == kept
    assert diff_schemas(reference, inspect_schema(connection, TABLES), ignore_names=True) == []


def test_missing_indexes_are_created_in_place_as_the_models_define_them():
    """Plain, multi-column, descending, expression, partial and unique
    (expression, conditional) indexes: each made again by CREATE INDEX."""
    tables = [Indexed._meta.db_table, Constrained._meta.db_table]
    reference = inspect_schema(connection, tables)
    Indexed.objects.create(name="x", tag="t", rank=11)
    dropped = [index["name"] for t in tables for index in reference[t]["indexes"]]
    assert len(dropped) >= 8
    for name in dropped:
        run(f'DROP INDEX "{name}"')

    result = None

    def update():
        nonlocal result
        result = autoupdate(["featureapp.Indexed", "featureapp.Constrained"])

    statements = executed_sql(update)

    assert sorted(s.name for s in result.plan.steps) == sorted(dropped)
    assert {s.kind for s in result.plan.steps} == {"add_index"}
    assert not rebuilt(statements), statements
    assert diff_schemas(reference, inspect_schema(connection, tables)) == []
    assert list(Indexed.objects.values_list("name", "tag", "rank")) == [("x", "t", 11)]


def test_new_unique_index_over_duplicates_is_refused_and_the_other_one_rolled_back():
    create(gadget(), "same", "Same", "same")
    before = inspect_schema(connection, [GADGET])
    measured = gadget({"unique_together": [("name",)]})
    with pytest.raises(Refused, match=r"gadget\.name: becomes unique, 1 duplicate value"):
        autoupdate([measured])
    # An expression is not measured up front: SQLite refuses the index, and
    # the index made before it in the same run is rolled back.
    unmeasured = gadget(
        {
            "indexes": [models.Index("name", name="gadget_name")],
            "constraints": [models.UniqueConstraint(Lower("name"), name="gadget_uq_lower")],
        }
    )
    with pytest.raises(AutomigrateError, match="UNIQUE constraint failed"):
        autoupdate([unmeasured])
    assert inspect_schema(connection, [GADGET]) == before
    assert sorted(unmeasured.objects.values_list("name", flat=True)) == ["Same", "same", "same"]


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
