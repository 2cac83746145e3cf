"""autoupdate against a real database: from an earlier schema it reaches the
schema automigrate builds, keeps the rows, refuses what would lose data, and
a second run does nothing."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import django
import pytest
from django.core.management import CommandError, call_command
from django.db import connection, models

from automigrate_cmd import Refused, automigrate, desired_cache
from automigrate_cmd.scratch import desired_schema
from automigrate_cmd.snapshot import diff_schemas, inspect_schema
from automigrate_cmd.sync.update import autoupdate
from tests.conftest import row_count
from tests.featureapp.models import AllFields
from todolist.models import Todo, TodoList, TodoListImage

pytestmark = pytest.mark.django_db(transaction=True)

TABLES = ["todolist_todolist", "todolist_todo", "todolist_todolistimage"]


def seed() -> None:
    home = TodoList.objects.create(title="home", color="red")
    TodoList.objects.create(title="work", color="blue")
    Todo.objects.create(title="milk", desc="2 litres", todo_list=home, tag={"k": [1, 2]})
    Todo.objects.create(title="bread", todo_list=home)
    TodoListImage.objects.create(value="pic", todo_list=home)


def values() -> dict:
    return {
        "lists": sorted(TodoList.objects.values_list("id", "title", "color")),
        "todos": sorted(Todo.objects.values_list("id", "title", "desc", "todo_list_id", "tag")),
        "images": sorted(TodoListImage.objects.values_list("id", "value", "todo_list_id")),
    }


def old_field(model: type[models.Model], name: str, field: models.Field) -> models.Field:
    """``field`` as if it were ``model.name`` in an earlier version of the model."""
    field.set_attributes_from_name(name)
    field.model = model
    return field


def alter(model, name: str, old: models.Field) -> None:
    """Put the live column back to an earlier definition ``old``."""
    with connection.schema_editor() as editor:
        editor.alter_field(model, model._meta.get_field(name), old_field(model, name, old))


def reference_schema() -> dict:
    """What automigrate builds for the current models (the oracle tests prove
    that equals migrate's schema)."""
    automigrate("todolist")
    return inspect_schema(connection, TABLES)


def executed_sql(action: Callable[[], object]) -> list[str]:
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        action()
    return statements


def is_change(sql: str) -> bool:
    """A statement that changes the live schema or rows (autoupdate's own
    cache of desired schemas aside)."""
    if desired_cache.TABLE in sql:
        return False
    return sql.lstrip().split(" ", 1)[0].upper() in {
        "CREATE",
        "ALTER",
        "DROP",
        "COMMENT",
        "INSERT",
        "UPDATE",
        "DELETE",
        "RENAME",
    }


# Earlier schemas: each puts the live todolist tables into a state an older
# version of the models would have built. Rows are seeded before.
def title_was_shorter():
    alter(Todo, "title", models.CharField(max_length=100))


def color_was_required():
    alter(TodoList, "color", models.CharField(max_length=50, default="none"))


def desc_did_not_exist():
    with connection.schema_editor() as editor:
        editor.remove_field(Todo, Todo._meta.get_field("desc"))


def todo_list_had_no_constraint_or_index():
    alter(
        Todo,
        "todo_list",
        models.ForeignKey(TodoList, models.CASCADE, null=True, db_constraint=False, db_index=False),
    )


def image_link_was_not_unique():
    alter(TodoListImage, "todo_list", models.ForeignKey(TodoList, models.CASCADE))


def title_had_an_index_and_comment():
    alter(Todo, "title", models.CharField(max_length=200, db_index=True, db_comment="old"))


def title_was_nullable():
    alter(Todo, "title", models.CharField(max_length=200, null=True))


def todo_list_pointed_at_images():
    """A retargeted foreign key: the values are valid for the new target."""
    alter(
        Todo,
        "todo_list",
        models.ForeignKey(TodoListImage, models.CASCADE, null=True, db_column="todo_list_id"),
    )


def list_title_was_text():
    alter(TodoList, "title", models.TextField())


EARLIER = [
    title_was_nullable,
    todo_list_pointed_at_images,
    list_title_was_text,
    title_was_shorter,
    color_was_required,
    desc_did_not_exist,
    todo_list_had_no_constraint_or_index,
    image_link_was_not_unique,
    title_had_an_index_and_comment,
]


@pytest.fixture(autouse=True)
def rebuild_todolist_afterwards():
    """Schema changes outlive a transactional test: put the tables back."""
    yield
    automigrate("todolist")


@pytest.mark.parametrize("make_earlier", EARLIER, ids=lambda f: f.__name__)
def test_reaches_automigrate_schema_and_keeps_rows(make_earlier):
    reference = inspect_schema(connection, TABLES)  # the test database: built by migrate
    seed()
    kept = values()
    make_earlier()
    assert diff_schemas(reference, inspect_schema(connection, TABLES), ignore_names=True) != []

    result = autoupdate("todolist")

    assert result.plan.steps
    after = inspect_schema(connection, TABLES)
    assert diff_schemas(reference, after, ignore_names=True) == []
    if make_earlier is desc_did_not_exist:
        kept["todos"] = [(*todo[:2], None, *todo[3:]) for todo in kept["todos"]]
    assert values() == kept
    # A second run finds nothing and changes nothing in the live database.
    second = executed_sql(lambda: autoupdate("todolist"))
    assert [sql for sql in second if is_change(sql)] == []
    # The oracle: what automigrate builds from the models.
    assert diff_schemas(reference_schema(), after, ignore_names=True) == []


def test_no_churn_on_a_migrated_database_for_every_app():
    """A database built by migrate (the test database) needs nothing."""
    statements = executed_sql(lambda: autoupdate())
    result = autoupdate()
    assert [step.describe() for step in result.plan.steps] == []
    assert [sql for sql in statements if is_change(sql)] == []


def test_creates_missing_tables():
    with connection.schema_editor() as editor:
        editor.delete_model(TodoListImage)
    result = autoupdate("todolist")
    assert [s.kind for s in result.plan.steps] == ["create_table"]
    assert "todolist_todolistimage" in connection.introspection.table_names()


def test_dropping_a_column_with_values_is_refused_with_counts():
    seed()
    with connection.schema_editor() as editor:
        extra = old_field(Todo, "legacy", models.CharField(max_length=20, null=True))
        editor.add_field(Todo, extra)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE todolist_todo SET legacy = 'x'")
    before = inspect_schema(connection, TABLES)

    with pytest.raises(Refused) as refused:
        autoupdate("todolist")

    assert "todolist_todo.legacy: column dropped, 2 non-null values would be lost" in str(
        refused.value
    )
    assert diff_schemas(before, inspect_schema(connection, TABLES)) == []
    autoupdate("todolist", accept_data_loss=True)
    assert "legacy" not in inspect_schema(connection, TABLES)["todolist_todo"]["columns"]
    assert row_count("todolist_todo") == 2


def test_shrinking_with_longer_values_is_refused():
    seed()
    alter(Todo, "title", models.CharField(max_length=300))
    Todo.objects.create(title="x" * 250)
    with pytest.raises(Refused, match=r"todolist_todo.title: .* 1 row holds longer values"):
        autoupdate("todolist")
    assert Todo.objects.filter(title="x" * 250).exists()


def test_not_null_with_nulls_is_impossible_even_with_consent():
    seed()
    alter(Todo, "title", models.CharField(max_length=200, null=True))
    Todo.objects.create(title=None)
    with pytest.raises(Refused, match="becomes NOT NULL, 1 row is NULL"):
        autoupdate("todolist", accept_data_loss=True)
    assert Todo.objects.filter(title__isnull=True).count() == 1


def test_dry_run_changes_nothing_and_shows_sql():
    seed()
    title_was_shorter()
    before = inspect_schema(connection, TABLES)
    out = io.StringIO()
    call_command("autoupdate", "todolist", "--dry-run", "--sql", stdout=out, no_color=True)
    assert "Planned changes:" in out.getvalue()
    # SQLite rebuilds the table; the others alter the column.
    assert re.search(
        r"- (Alter column todolist_todo\.title|Rebuild table todolist_todo: alter column title)",
        out.getvalue(),
    )
    assert "SQL it would run (dry run, nothing was changed):" in out.getvalue()
    assert "ALTER TABLE" in out.getvalue() or "CREATE TABLE" in out.getvalue()
    assert diff_schemas(before, inspect_schema(connection, TABLES)) == []
    plain = io.StringIO()
    call_command("autoupdate", "todolist", "--dry-run", stdout=plain, no_color=True)
    assert "SQL it would run" not in plain.getvalue()
    assert "Dry run: nothing was changed" in plain.getvalue()


def test_command_refuses_loss_without_terminal_and_exits_1(run_manage):
    seed()
    with connection.schema_editor() as editor:
        editor.add_field(Todo, old_field(Todo, "legacy", models.IntegerField(default=7)))
    result = run_manage("autoupdate", "todolist")
    assert result.returncode == 1
    assert "todolist_todo.legacy: column dropped, 2 non-null values would be lost" in result.stderr
    assert "--accept-data-loss" in result.stderr
    assert "legacy" in inspect_schema(connection, TABLES)["todolist_todo"]["columns"]
    done = run_manage("autoupdate", "todolist", "--accept-data-loss")
    assert done.returncode == 0, done.stderr
    assert "legacy" not in inspect_schema(connection, TABLES)["todolist_todo"]["columns"]


def test_unknown_label_is_refused():
    with pytest.raises(CommandError, match="Unknown model or app label 'Tdo'"):
        call_command("autoupdate", "Tdo")


HISTORY_TABLES = ["historyapp_author", "historyapp_book"]


@pytest.mark.parametrize("target", ["0001_initial", "0002_isbn"])
def test_old_migration_state_reaches_the_latest_without_the_history(target):
    """An app migrated to an old migration, then autoupdated, has the schema
    migrate builds at the latest migration, keeps its rows, and a later
    migrate has nothing to do."""
    call_command("migrate", "historyapp", verbosity=0)
    latest = inspect_schema(connection, HISTORY_TABLES)
    call_command("migrate", "historyapp", target, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO historyapp_author (name) VALUES ('ann'), ('bob')")
        # 0002 added isbn (NOT NULL, no database default).
        column, value = (", isbn", ", ''") if target == "0002_isbn" else ("", "")
        cursor.execute(
            f"INSERT INTO historyapp_book (title, author_id, pages{column}) "
            f"SELECT 'dune', id, 412{value} FROM historyapp_author WHERE name = 'ann'"
        )
    assert diff_schemas(latest, inspect_schema(connection, HISTORY_TABLES), ignore_names=True)

    with pytest.raises(Refused, match="historyapp_book.pages: column dropped, 1 non-null value"):
        autoupdate("historyapp")
    autoupdate("historyapp", accept_data_loss=True)

    assert diff_schemas(latest, inspect_schema(connection, HISTORY_TABLES), ignore_names=True) == []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.name, b.title, b.isbn, b.rating FROM historyapp_book b "
            "JOIN historyapp_author a ON a.id = b.author_id"
        )
        assert list(cursor.fetchall()) == [("ann", "dune", "", 0)]
        assert row_count("historyapp_author") == 2
    out = io.StringIO()
    call_command("migrate", "historyapp", stdout=out, no_color=True)
    assert "No migrations to apply." in out.getvalue()


@pytest.mark.skipif(django.VERSION < (6, 1), reason="database-level on_delete is Django 6.1+")
def test_database_level_on_delete_is_synced():
    from tests.dbdeleteapp.models import Child, Parent

    alter(Child, "cascade", models.ForeignKey(Parent, models.CASCADE, related_name="+"))
    parent = Parent.objects.create(name="p")
    Child.objects.create(cascade=parent)
    live = inspect_schema(connection, ["dbdeleteapp_child"])["dbdeleteapp_child"]
    assert {fk["on_delete"] for fk in live["foreign_keys"]} != {"CASCADE", "SET NULL"}

    autoupdate("dbdeleteapp")

    synced = inspect_schema(connection, ["dbdeleteapp_child"])["dbdeleteapp_child"]
    by_column = {fk["columns"][0]: fk["on_delete"] for fk in synced["foreign_keys"]}
    assert by_column == {"cascade_id": "CASCADE", "set_null_id": "SET NULL"}
    with connection.cursor() as cursor:  # the database itself cascades now
        cursor.execute("DELETE FROM dbdeleteapp_parent")
    assert row_count("dbdeleteapp_child") == 0


def test_a_check_lost_by_a_modify_comes_back():
    """On MariaDB, Django's MODIFY of a column drops its column-level CHECK:
    a PositiveSmallIntegerField whose nullability changed by migrate has no
    `>= 0` check any more. autoupdate puts the column back as the model
    wants it, check included (it used to crash with a KeyError)."""
    table = AllFields._meta.db_table
    reference = inspect_schema(connection, [table])
    alter(AllFields, "positive_small_integer", models.PositiveSmallIntegerField(null=True))
    try:
        drift = diff_schemas(reference, inspect_schema(connection, [table]))
        assert drift != []
        if connection.vendor == "mysql":
            assert any("check positive_small_integer only in a" in line for line in drift)
        assert autoupdate("featureapp.AllFields").plan.steps
        assert diff_schemas(reference, inspect_schema(connection, [table]), ignore_names=True) == []
        assert autoupdate("featureapp.AllFields").plan.steps == []
    finally:
        automigrate("featureapp.AllFields")


def test_desired_schema_accepts_the_default_connection_proxy():
    """``django.db.connection`` is a proxy object, not a connection class."""
    desired = desired_schema(connection, [TodoList, Todo, TodoListImage])
    live = inspect_schema(connection, TABLES)
    assert diff_schemas(live, desired.snapshot, ignore_names=True) == []
