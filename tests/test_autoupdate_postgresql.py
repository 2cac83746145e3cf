"""autoupdate where PostgreSQL (and, for long names, every backend) differs
from the others: a foreign key made required with --default, a column type
changed together with its database default, and names longer than the server
keeps (issue 11, items 6, 7 and 8)."""

from __future__ import annotations

import io

import pytest
from django.apps.registry import Apps
from django.core.management import CommandError, call_command
from django.db import connection, models

from automigrate_cmd import NameTooLong, automigrate, autoupdate
from automigrate_cmd.snapshot import diff_schemas, inspect_schema
from automigrate_cmd.sync.update import check
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
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)}")


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


def test_a_default_that_is_no_key_of_the_target_is_refused(rebuild_todolist_afterwards):
    """With its checks made immediate, the foreign key rejects a --default
    that names no row, half-way through the run: refused up front instead."""
    TodoList.objects.create(title="home")
    alter(
        TodoListImage,
        "todo_list",
        models.OneToOneField(TodoList, models.CASCADE, null=True, related_name="image"),
    )
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO todolist_todolistimage (value) VALUES ('orphan')")
    before = inspect_schema(connection, TABLES)

    with pytest.raises(CommandError) as refused:
        call_command("autoupdate", "todolist", "--default", "todolist.TodoListImage.todo_list=999")

    assert str(refused.value).startswith("Cannot apply: ")
    assert (
        "todolist_todolistimage.todo_list_id: its rows would get 999, which is not a key of "
        "todolist_todolist.id (no such row)" in str(refused.value)
    )
    assert diff_schemas(before, inspect_schema(connection, TABLES)) == []
    assert list(TodoListImage.objects.values_list("value", "todo_list_id")) == [("orphan", None)]


# --- item 7: a type change together with the column's database default -------

TYPE_AND_DEFAULT_CHANGES = {
    # migrate drops the default in the same statement as the type change:
    # the old default ('0'::varchar) cannot be cast to integer.
    "default_dropped": (
        models.CharField(max_length=10, db_default="0"),
        models.IntegerField(null=True),
        ["5", "7"],
        [5, 7],
    ),
    # The old default cannot be cast; the new one is set after the type.
    "default_kept": (
        models.CharField(max_length=10, db_default="0"),
        models.IntegerField(db_default=0),
        ["5", "7"],
        [5, 7],
    ),
    "default_changed": (
        models.CharField(max_length=10, db_default="abc"),
        models.IntegerField(db_default=3),
        ["5", "7"],
        [5, 7],
    ),
    # The reverse: a default the old type would not take.
    "default_added": (
        models.IntegerField(),
        models.CharField(max_length=10, db_default="none"),
        [5, 7],
        ["5", "7"],
    ),
    "default_kept_castable": (
        models.IntegerField(db_default=3),
        models.BigIntegerField(db_default=3),
        [5, 7],
        [5, 7],
    ),
    "default_added_castable": (
        models.IntegerField(),
        models.BigIntegerField(db_default=4),
        [5, 7],
        [5, 7],
    ),
}


@pytest.mark.parametrize(
    "old, new, stored, expected",
    list(TYPE_AND_DEFAULT_CHANGES.values()),
    ids=list(TYPE_AND_DEFAULT_CHANGES),
)
def test_type_change_with_database_default(old, new, stored, expected):
    table = f"{APP_LABEL}_gauge"
    earlier = build_model("Gauge", table, {"level": old})
    later = build_model("Gauge", table, {"level": new})
    drop_table(table)
    create_table(earlier)
    try:
        for value in stored:
            earlier.objects.create(level=value)

        autoupdate([later], accept_data_loss=True)

        updated = inspect_schema(connection, [table])
        assert list(later.objects.order_by("pk").values_list("level", flat=True)) == expected
        # New rows get the new default from the database itself.
        if new.has_db_default():
            added = later.objects.create()  # the ORM leaves the value to DEFAULT
            assert later.objects.get(pk=added.pk).level == new.db_default
        assert check([later]).steps == []
        assert diff_schemas(fresh_schema(later), updated, ignore_names=True) == []
    finally:
        drop_table(table)


# --- item 8: names longer than the server keeps ----------------------------------

LONG_TABLE = f"{APP_LABEL}_" + "a_table_name_longer_than_postgresql_keeps_" * 2
LONG_COLUMN = "a_column_name_longer_than_postgresql_keeps_" * 2


def meter_models() -> tuple[type[models.Model], type[models.Model]]:
    earlier = build_model("Meter", LONG_TABLE, {"level": models.IntegerField()})
    later = build_model(
        "Meter",
        LONG_TABLE,
        {
            "level": models.IntegerField(),
            "note": models.CharField(max_length=20, null=True),
            "reading": models.IntegerField(null=True, db_column=LONG_COLUMN),
        },
    )
    return earlier, later


@pytest.mark.skipif(connection.vendor == "mysql", reason="MariaDB refuses such names")
def test_long_names_are_compared_as_the_server_stores_them():
    """PostgreSQL cuts names to 63 bytes: the live table and the scratch one
    used to be both "missing" under the model's name, so autoupdate --check
    said the database matched while the new columns were not there."""
    earlier, later = meter_models()
    drop_table(LONG_TABLE)
    create_table(earlier)
    try:
        earlier.objects.create(level=5)

        planned = check([later]).steps
        result = autoupdate([later])

        assert planned, "the missing columns must be seen"
        column = LONG_COLUMN[:63] if connection.vendor == "postgresql" else LONG_COLUMN
        if connection.vendor == "postgresql":
            added = {(s.kind, s.name) for s in planned}
            assert added == {("add_column", "note"), ("add_column", column)}
        assert result.plan.steps
        later.objects.create(level=7, note="new", reading=3)
        rows = later.objects.order_by("pk").values_list("level", "note", "reading")
        assert list(rows) == [(5, None, None), (7, "new", 3)]
        assert check([later]).steps == []
        updated = inspect_schema(connection, [LONG_TABLE])
        assert set(updated[LONG_TABLE]["columns"]) == {"id", "level", "note", column}
        # The oracle: automigrate recreates the (existing) table the same way.
        automigrate([later])
        rebuilt = inspect_schema(connection, [LONG_TABLE])
        assert diff_schemas(rebuilt, updated, ignore_names=True) == []
    finally:
        drop_table(LONG_TABLE)


class DefaultGiver:
    """A questioner that answers every missing default with ``value``."""

    def __init__(self, value: str):
        self.value = value
        self.asked: list[tuple[str, str, str]] = []

    def ask_rename(self, table: str, old: str, new: str) -> bool:
        return False

    def ask_default(self, field: models.Field, table: str, column: str) -> tuple | None:
        self.asked.append((f"{field.model._meta.label}.{field.name}", table, column))
        return field.to_python(self.value), self.value


@pytest.mark.skipif(connection.vendor == "mysql", reason="MariaDB refuses such names")
def test_a_default_given_for_a_long_column_fills_the_rows():
    """A required column with a long name added to a filled table: the value
    the user gives is found under the name the plan uses (the stored one)."""
    earlier = build_model("Meter", LONG_TABLE, {"level": models.IntegerField()})
    later = build_model(
        "Meter",
        LONG_TABLE,
        {"level": models.IntegerField(), "reading": models.IntegerField(db_column=LONG_COLUMN)},
    )
    drop_table(LONG_TABLE)
    create_table(earlier)
    try:
        earlier.objects.create(level=5)
        questioner = DefaultGiver("9")

        autoupdate([later], questioner=questioner)

        assert [label for label, _table, _column in questioner.asked] == ["pgtest.Meter.reading"]
        assert list(later.objects.values_list("level", "reading")) == [(5, 9)]
        assert check([later]).steps == []
    finally:
        drop_table(LONG_TABLE)


@pytest.mark.skipif(connection.vendor != "mysql", reason="MySQL/MariaDB refuse long names")
def test_long_names_are_refused_up_front_on_mariadb():
    """MariaDB rejects names over 64 characters ("Incorrect table name"):
    autoupdate and automigrate say so before changing anything."""
    _earlier, later = meter_models()
    short = build_model("Meter", f"{APP_LABEL}_meter", {"level": models.IntegerField()})
    drop_table(short._meta.db_table)
    create_table(short)
    try:
        before = inspect_schema(connection, [short._meta.db_table])
        renamed = build_model(
            "Meter",
            short._meta.db_table,
            {"level": models.IntegerField(db_column=LONG_COLUMN)},
        )
        with pytest.raises(NameTooLong, match=rf"'{LONG_COLUMN}' \(86\)"):
            autoupdate([renamed])
        with pytest.raises(NameTooLong, match=rf"'{LONG_TABLE}' \({len(LONG_TABLE)}\)"):
            automigrate([later])
        with pytest.raises(NameTooLong, match="MariaDB allows \\(64 characters\\)"):
            automigrate([renamed])  # would drop the table, then fail to create it
        assert inspect_schema(connection, [short._meta.db_table]) == before
    finally:
        drop_table(short._meta.db_table)
