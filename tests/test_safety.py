"""autoupdate's safety features: backfills, renames (by option and by
prompt), refusals with counts, and a run killed half-way."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection, connections, models

from automigrate_cmd import LabelError, Refused, automigrate, autoupdate, check
from automigrate_cmd.snapshot import diff_schemas, inspect_schema
from tests.conftest import PROJECT, database_url, row_count
from tests.test_autoupdate import TABLES, alter, old_field, seed
from tests.test_autoupdate import values as todolist_values
from todolist.models import Todo, TodoList, TodoListImage

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def rebuild_todolist_afterwards():
    yield
    if "todolist_task" in connection.introspection.table_names():
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE todolist_task")
    automigrate("todolist", cascade=True)


def columns(table: str = "todolist_todo") -> dict:
    return inspect_schema(connection, [table])[table]["columns"]


# --- backfills ---------------------------------------------------------------


def test_new_required_column_needs_a_default(run_manage):
    seed()
    with connection.schema_editor() as editor:
        editor.remove_field(Todo, Todo._meta.get_field("title"))

    refused = run_manage("autoupdate", "todolist", "--noinput")
    assert refused.returncode == 1
    assert (
        "todolist_todo.title: new NOT NULL column without a default, and the table holds 2 rows; "
        "pass --default todolist.Todo.title=VALUE" in refused.stderr
    )
    assert "title" not in columns()

    done = run_manage(
        "autoupdate", "todolist", "--noinput", "--default", "todolist.Todo.title=untitled"
    )
    assert done.returncode == 0, done.stderr
    assert sorted(Todo.objects.values_list("title", flat=True)) == ["untitled", "untitled"]
    assert columns()["title"]["null"] is False


def test_nulls_under_not_null_are_filled_from_default():
    seed()
    alter(Todo, "title", models.CharField(max_length=200, null=True))
    Todo.objects.create(title=None)
    with pytest.raises(Refused, match=r"becomes NOT NULL, 1 row is NULL; pass --default todolist"):
        autoupdate("todolist", accept_data_loss=True)

    autoupdate("todolist", defaults=["todolist.Todo.title=(none)"])

    assert sorted(Todo.objects.values_list("title", flat=True)) == ["(none)", "bread", "milk"]
    assert columns()["title"]["null"] is False


def test_bad_default_value_is_a_clear_error():
    with pytest.raises(LabelError, match="todolist.Todo.is_complete=maybe"):
        autoupdate("todolist", defaults=["todolist.Todo.is_complete=maybe"])


# --- renames -----------------------------------------------------------------


def rename_desc_to_details():
    """An earlier model called the column ``details``."""
    alter(Todo, "desc", models.TextField(null=True, db_column="details"))


def test_rename_option_keeps_the_values(run_manage):
    seed()
    rename_desc_to_details()

    lossy = run_manage("autoupdate", "todolist", "--noinput")
    assert lossy.returncode == 1
    assert "todolist_todo.details: column dropped, 1 non-null value would be lost" in lossy.stderr

    done = run_manage(
        "autoupdate", "todolist", "--noinput", "--rename", "todolist.Todo.details=desc"
    )
    assert done.returncode == 0, done.stderr
    assert "Rename column todolist_todo.desc: from details" in done.stdout
    assert Todo.objects.get(title="milk").desc == "2 litres"
    assert "details" not in columns()
    assert check("todolist").steps == []


def test_rename_table_keeps_rows_and_references():
    seed()
    kept = todolist_values()
    with connection.schema_editor() as editor:
        editor.alter_db_table(Todo, "todolist_todo", "todolist_task")

    autoupdate("todolist", renames=["todolist.Task=Todo"])

    assert todolist_values() == kept
    assert "todolist_task" not in connection.introspection.table_names()
    assert check("todolist").steps == []


class Terminal:
    """Standard input that is a terminal and answers from a script."""

    def __init__(self, *answers: str):
        self.answers = list(answers)

    def isatty(self) -> bool:
        return True

    def readline(self) -> str:
        return self.answers.pop(0) + "\n"


def test_interactive_rename_prompt(monkeypatch, capsys):
    from django.core.management import call_command

    seed()
    rename_desc_to_details()
    monkeypatch.setattr("sys.stdin", Terminal("y"))
    call_command("autoupdate", "todolist", no_color=True)
    assert "Did you rename todolist_todo.details to desc? [y/N]" in capsys.readouterr().out
    assert Todo.objects.get(title="milk").desc == "2 litres"


def test_interactive_default_prompt(monkeypatch, capsys):
    from django.core.management import call_command

    seed()
    with connection.schema_editor() as editor:
        editor.remove_field(Todo, Todo._meta.get_field("title"))
    monkeypatch.setattr("sys.stdin", Terminal("'chores'"))  # Python, as makemigrations reads it
    call_command("autoupdate", "todolist", no_color=True)
    assert "Please enter a one-off value" in capsys.readouterr().out
    assert set(Todo.objects.values_list("title", flat=True)) == {"chores"}


def test_renames_are_never_guessed_without_a_terminal():
    seed()
    rename_desc_to_details()
    with pytest.raises(Refused, match="details: column dropped"):
        autoupdate("todolist")
    assert "details" in columns()


# --- refusals with counts -------------------------------------------------------


def test_duplicates_block_a_new_unique_constraint():
    seed()
    alter(TodoListImage, "todo_list", models.ForeignKey(TodoList, models.CASCADE))
    TodoListImage.objects.create(value="second", todo_list=TodoList.objects.get(title="home"))
    before = inspect_schema(connection, TABLES)

    with pytest.raises(Refused) as refused:
        autoupdate("todolist", accept_data_loss=True)

    assert "becomes unique, 1 duplicate value (2 rows); remove the duplicates first" in str(
        refused.value
    )
    assert diff_schemas(before, inspect_schema(connection, TABLES)) == []
    assert row_count("todolist_todolistimage") == 2


def test_type_change_counts_exactly_the_values_that_do_not_convert():
    """A boolean column that became a string: the values written there by
    the conversion convert back; one typed by hand does not."""
    seed()
    alter(Todo, "is_complete", models.CharField(max_length=10, default="no"))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE todolist_todo SET is_complete = 'maybe' WHERE id = "
            "(SELECT MIN(id) FROM (SELECT id FROM todolist_todo) AS ids)"
        )
    raw = raw_values("todolist_todo", "is_complete")
    with pytest.raises(
        Refused, match=r"todolist_todo.is_complete: type .* 1 value does not convert \(.*maybe"
    ):
        autoupdate("todolist", accept_data_loss=True)
    assert raw_values("todolist_todo", "is_complete") == raw


def raw_values(table: str, column: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name(column)} FROM {table} ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


# --- a run killed half-way --------------------------------------------------------


def wait_until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_run_killed_half_way():
    """Two steps on two tables; the test holds a lock on the second table so
    the run stops there, after the first step, and is killed with SIGKILL.
    PostgreSQL and SQLite: nothing of the plan is left. MariaDB: a re-run
    completes it."""
    seed()
    reference = inspect_schema(connection, TABLES)
    alter(TodoList, "color", models.CharField(max_length=50, default="none"))  # step 1
    with connection.schema_editor() as editor:  # step 2: an extra column to drop
        editor.add_field(Todo, old_field(Todo, "legacy", models.IntegerField(null=True)))
    earlier = inspect_schema(connection, TABLES)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url()}
    command = [sys.executable, "manage.py", "autoupdate", "todolist", "--noinput"]
    with read_lock_on("todolist_todo") as is_waited_for:
        run = subprocess.Popen(
            command,
            cwd=PROJECT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        wait_until(lambda: is_waited_for(run))
        run.send_signal(signal.SIGKILL)
        run.wait()

    if connection.features.can_rollback_ddl:
        assert diff_schemas(earlier, inspect_schema(connection, TABLES)) == []
    else:
        autoupdate("todolist", accept_data_loss=True)
        assert diff_schemas(reference, inspect_schema(connection, TABLES), ignore_names=True) == []
    assert row_count("todolist_todo") == 2


@contextmanager
def read_lock_on(table: str):
    """Hold a read lock on ``table`` in a transaction of another connection:
    a run's ALTER of that table (its COMMIT, on SQLite) waits for it. Yields a
    function that tells whether a run is waiting for it now."""
    if connection.vendor == "sqlite":
        path = connection.settings_dict["NAME"]
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN")
        holder.execute(f"SELECT COUNT(*) FROM {table}").fetchall()
        try:
            # The run has written its changes and waits to commit them.
            yield lambda run: _alive(run) and Path(f"{path}-journal").exists()
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    holder = connections.create_connection("default")
    holder.settings_dict = connection.settings_dict
    holder.set_autocommit(False)
    with holder.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
    waiting = {
        "postgresql": "SELECT COUNT(*) FROM pg_locks WHERE NOT granted",
        "mysql": "SELECT COUNT(*) FROM information_schema.PROCESSLIST "
        "WHERE STATE LIKE 'Waiting for table metadata lock%%'",
    }[connection.vendor]

    def is_waited_for(run: subprocess.Popen) -> bool:
        with connection.cursor() as cursor:
            cursor.execute(waiting)
            return _alive(run) and cursor.fetchone()[0] > 0

    try:
        yield is_waited_for
    finally:
        holder.rollback()
        holder.close()


def _alive(run: subprocess.Popen) -> bool:
    assert run.poll() is None, run.communicate()
    return True
