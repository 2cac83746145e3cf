"""automigrate against a real database: what is dropped, created, kept,
refused and recorded, and what the user sees."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.migrations.recorder import MigrationRecorder

from automigrate_cmd import Refused, automigrate
from automigrate_cmd.snapshot import diff_schemas, inspect_schema
from tests.conftest import row_count, table_names
from tests.otherapp.models import Attachment, Legacy
from todolist.models import Todo, TodoList, TodoListImage

pytestmark = pytest.mark.django_db(transaction=True)

TODOLIST_TABLES = ["todolist_todolist", "todolist_todo", "todolist_todolistimage"]


def seed_todolist() -> TodoList:
    home = TodoList.objects.create(title="home", color="red")
    Todo.objects.create(title="milk", todo_list=home, tag={"k": 1})
    Todo.objects.create(title="loose")
    TodoListImage.objects.create(value="pic", todo_list=home)
    return home


def run(*args: str, verbosity: int = 1) -> str:
    out = io.StringIO()
    call_command("automigrate", *args, stdout=out, verbosity=verbosity, no_color=True)
    return out.getvalue()


def test_recreates_named_app_and_reports_like_migrate():
    seed_todolist()
    output = run("todolist", "--noinput")
    for table in TODOLIST_TABLES:
        assert f"  Dropping {table}... OK" in output
        assert f"  Creating {table}... OK" in output
        assert row_count(table) == 0
    assert output.startswith("Operations to perform:\n  Recreate tables for: todolist\n")
    assert "Automigrate done on database 'default': tables dropped 3, created 3." in output
    # The recreated tables work.
    assert TodoList.objects.create(title="again").pk


def test_verbosity_zero_prints_nothing():
    assert run("todolist", "--noinput", verbosity=0) == ""


def test_other_tables_keep_rows_and_their_foreign_keys():
    """Recreating a referenced table leaves references into it in place
    (PostgreSQL's DROP ... CASCADE would silently drop them)."""
    User.objects.create(username="ann")
    Attachment.objects.create(name="loose", todo=None)
    outside = ["otherapp_attachment", "auth_user"]
    before = inspect_schema(connection, outside)

    run("todolist", "--noinput")

    assert diff_schemas(before, inspect_schema(connection, outside)) == []
    assert row_count("otherapp_attachment") == 1
    assert User.objects.filter(username="ann").exists()
    # The restored foreign key is enforced again.
    with pytest.raises(IntegrityError), transaction.atomic():
        Attachment.objects.create(name="dangling", todo_id=424242)
        connection.check_constraints(table_names=["otherapp_attachment"])


def test_referencing_rows_are_refused_without_cascade():
    home = seed_todolist()
    Attachment.objects.create(name="att", todo=Todo.objects.get(title="milk"))
    before = inspect_schema(connection)

    with pytest.raises(CommandError) as refused:
        run("TodoList", "--noinput")

    message = str(refused.value)
    assert "todolist_todo.todo_list_id -> todolist_todolist (1 row)" in message
    assert "todolist_todolistimage.todo_list_id -> todolist_todolist (1 row)" in message
    assert "--cascade" in message
    assert diff_schemas(before, inspect_schema(connection)) == []
    assert TodoList.objects.get(pk=home.pk).title == "home"
    assert Todo.objects.count() == 2


def test_naming_the_referencing_models_too_is_allowed():
    seed_todolist()
    run("TodoList", "Todo", "TodoListImage", "--noinput")
    assert Todo.objects.count() == 0


def test_cascade_empties_referencing_tables_transitively():
    seed_todolist()
    Attachment.objects.create(name="att", todo=Todo.objects.get(title="milk"))
    User.objects.create(username="ann")

    output = run("TodoList", "--noinput", "--cascade")

    assert "  Emptying todolist_todo... OK" in output
    assert "  Emptying otherapp_attachment... OK" in output  # references todolist_todo
    assert Todo.objects.count() == 0 and Attachment.objects.count() == 0
    assert TodoListImage.objects.count() == 0
    assert User.objects.count() == 1


def test_dry_run_prints_plan_and_sql_and_changes_nothing():
    seed_todolist()
    before = inspect_schema(connection)
    output = run("todolist", "--dry-run")
    assert "Plan (dry run, nothing was changed):" in output
    assert "  Drop table todolist_todo (2 rows)" in output
    assert "  Create table todolist_todolistimage" in output
    qn = connection.ops.quote_name
    assert f"DROP TABLE {qn('todolist_todo')};" in output
    assert f"CREATE TABLE {qn('todolist_todo')}" in output
    assert diff_schemas(before, inspect_schema(connection)) == []
    assert Todo.objects.count() == 2


def test_unmanaged_and_router_excluded_tables_are_never_touched():
    with connection.schema_editor() as editor:
        editor.create_model(Legacy)
    try:
        Legacy.objects.create(name="old")
        run("--noinput", verbosity=0)
        assert Legacy.objects.count() == 1
        assert "otherapp_otheronly" not in table_names("default")
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(Legacy)


@pytest.mark.django_db(transaction=True, databases=["default", "other"])
def test_database_option_touches_only_that_database():
    seed_todolist()
    output = run("--database", "other", "--noinput")
    assert "Automigrate done on database 'other'" in output
    assert "otherapp_otheronly" in table_names("other")
    assert Todo.objects.count() == 2
    assert Todo.objects.using("other").count() == 0


def test_signals_create_content_types_and_permissions():
    run("--noinput", verbosity=0)
    assert ContentType.objects.filter(app_label="todolist", model="todo").exists()
    assert Permission.objects.filter(codename="add_todo").exists()


def test_a_post_migrate_handler_that_cannot_run_in_a_transaction_still_runs():
    """The bookkeeping runs in one transaction; a handler that fails inside it
    (here one that uses the schema editor: SQLite refuses it inside a
    transaction, MariaDB's DDL commits it) gets the signal again the way
    migrate sends it; on PostgreSQL it just runs inside."""
    from django.db.models.signals import post_migrate

    calls: list[bool] = []

    def makes_a_table(sender, using, **kwargs):
        if sender.label != "todolist":
            return
        calls.append(transaction.get_autocommit(using))
        with connection.schema_editor() as editor:
            editor.execute("CREATE TABLE handler_made (id integer)")

    post_migrate.connect(makes_a_table)
    try:
        automigrate("todolist")
        made = "handler_made" in table_names()
    finally:
        post_migrate.disconnect(makes_a_table)
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS handler_made")
    assert made
    expected = [False] if connection.vendor == "postgresql" else [False, True]
    assert calls == expected  # in the transaction, then (if it failed there) as migrate runs it
    assert ContentType.objects.filter(app_label="todolist").count() == 3


def test_migrate_after_automigrate_has_nothing_to_do():
    run("--noinput", verbosity=0)
    recorded = MigrationRecorder(connection).applied_migrations()
    assert ("todolist", "0001_initial") in recorded
    assert ("auth", "0001_initial") in recorded
    out = io.StringIO()
    call_command("migrate", stdout=out, verbosity=1, no_color=True)
    assert "No migrations to apply." in out.getvalue()


def test_app_with_missing_tables_is_not_recorded():
    recorder = MigrationRecorder(connection)
    recorder.migration_qs.filter(app="todolist").delete()
    with connection.schema_editor() as editor:
        editor.delete_model(TodoListImage)
    out = io.StringIO()
    automigrate("Todo", verbosity=1, stdout=out)
    assert "todolist: migrations not recorded as applied" in out.getvalue()
    assert "todolist_todolistimage" in out.getvalue()
    assert not recorder.migration_qs.filter(app="todolist").exists()
    automigrate("todolist")  # leave every table in place for the next test
    assert recorder.migration_qs.filter(app="todolist").exists()


def test_python_api_forms():
    seed_todolist()
    result = automigrate("Todo")
    assert [t.table for t in result.plan.drop] == ["todolist_todo"]
    assert Todo.objects.count() == 0 and TodoList.objects.count() == 1
    result = automigrate([TodoListImage, "Todo"], using="default")
    assert [m._meta.label for m in result.plan.models] == [
        "todolist.Todo",
        "todolist.TodoListImage",
    ]


def test_python_api_refuses_dangling_rows():
    seed_todolist()
    with pytest.raises(Refused, match="left dangling"):
        automigrate(TodoList)
    result = automigrate(TodoList, cascade=True)
    assert sorted(t.table for t in result.plan.empty) == ["todolist_todo", "todolist_todolistimage"]


class Answer:
    """A terminal on standard input that answers one line."""

    def __init__(self, text: str):
        self.text = text

    def isatty(self) -> bool:
        return True

    def readline(self) -> str:
        return self.text + "\n"


@pytest.mark.parametrize("answer, kept", [("no", 2), ("yes", 0)])
def test_interactive_confirmation_names_tables_and_rows(monkeypatch, answer, kept):
    seed_todolist()
    monkeypatch.setattr("sys.stdin", Answer(answer))
    output = run("todolist")
    assert "These tables will be DROPPED and recreated empty" in output
    assert "  todolist_todo: 2 rows" in output
    assert "  todolist_todolist: 1 row" in output
    assert Todo.objects.count() == kept
    if answer == "no":
        assert "Automigrate cancelled; nothing was changed." in output


def test_non_interactive_run_without_noinput_refuses(run_manage):
    seed_todolist()
    result = run_manage("automigrate", "todolist")
    assert result.returncode == 1
    assert "cannot ask for confirmation (no terminal)" in result.stderr
    assert "--noinput" in result.stderr
    assert "Traceback" not in result.stderr
    assert Todo.objects.count() == 2


def test_noinput_from_the_shell(run_manage):
    seed_todolist()
    result = run_manage("automigrate", "todolist", "--noinput")
    assert result.returncode == 0, result.stderr
    assert "Dropping todolist_todo... OK" in result.stdout
    assert Todo.objects.count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "postgres://postgres@127.0.0.1:1/nowhere",
        "mysql://root@127.0.0.1:3306/automigrate_no_such_database",
    ],
)
def test_unreachable_database_is_one_line_and_exit_1(run_manage, url):
    if url.startswith("mysql"):
        # Without the driver Django fails in django.setup(), before any command.
        pytest.importorskip("MySQLdb", reason="the MariaDB driver (requirements-mysql.txt)")
    result = run_manage("automigrate", "--noinput", url=url)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("CommandError: Cannot connect to database 'default'")
    traced = run_manage("automigrate", "--noinput", "--traceback", url=url)
    assert "Traceback" in traced.stderr


def test_unknown_database_alias_is_refused(run_manage):
    result = run_manage("automigrate", "--database", "nope", "--noinput")
    assert result.returncode != 0
    assert "invalid choice: 'nope'" in result.stderr
    assert "Traceback" not in result.stderr


def test_failed_run_is_rolled_back_or_rerunnable():
    """A failure half-way (injected where the third CREATE TABLE is sent;
    PostgreSQL gets them all in one query) leaves the old tables and rows on
    transactional-DDL backends; on MariaDB a re-run completes the job."""
    seed_todolist()
    before = inspect_schema(connection, TODOLIST_TABLES)
    creates = []

    def fail_third_create(execute, sql, params, many, context):
        creates.extend(["CREATE TABLE"] * sql.count("CREATE TABLE"))
        if len(creates) >= 3:
            raise OperationalError("injected failure")
        return execute(sql, params, many, context)

    with (
        pytest.raises(CommandError, match="injected failure"),
        connection.execute_wrapper(fail_third_create),
    ):
        run("todolist", "--noinput", verbosity=0)

    if connection.features.can_rollback_ddl:
        assert diff_schemas(before, inspect_schema(connection, TODOLIST_TABLES)) == []
        assert Todo.objects.count() == 2
    else:
        run("todolist", "--noinput", verbosity=0)
        assert diff_schemas(before, inspect_schema(connection, TODOLIST_TABLES)) == []


def test_a_statement_failing_mid_build_is_one_line_and_loses_nothing_unasked():
    """A name the database uses elsewhere (moved there by hand) makes a
    statement of the build fail: an index name on PostgreSQL and SQLite, where
    they are global to the schema; a foreign key name on MariaDB. PostgreSQL and SQLite roll
    the whole run back; MariaDB cannot, says so, and a re-run finishes."""
    seed_todolist()
    as_built = inspect_schema(connection, ["todolist_todo"])
    sql = run("Todo", "--dry-run")
    qn = connection.ops.quote_name
    if connection.vendor == "mysql":
        taken = re.search(r"ADD CONSTRAINT `(\w+)` FOREIGN KEY", sql).group(1)
        blocker = [
            f"ALTER TABLE todolist_todo DROP FOREIGN KEY {qn(taken)}",
            f"CREATE TABLE blocker (id int PRIMARY KEY, ref int, "
            f"CONSTRAINT {qn(taken)} FOREIGN KEY (ref) REFERENCES blocker (id))",
        ]
    else:
        taken = re.search(r'CREATE INDEX "(\w+)" ON "todolist_todo"', sql).group(1)
        blocker = [
            f"DROP INDEX {qn(taken)}",
            "CREATE TABLE blocker (id int PRIMARY KEY)",
            f"CREATE INDEX {qn(taken)} ON blocker (id)",
        ]
    with connection.cursor() as cursor:
        for statement in blocker:
            cursor.execute(statement)
    try:
        before = inspect_schema(connection, ["todolist_todo"])
        with pytest.raises(CommandError) as failed:
            run("Todo", "--noinput")
        message = str(failed.value)
        assert message.startswith("Automigrate failed: ") and "\n" not in message
        if connection.features.can_rollback_ddl:
            assert message.endswith("Nothing was changed (the run was rolled back).")
            assert diff_schemas(before, inspect_schema(connection, ["todolist_todo"])) == []
            assert Todo.objects.count() == 2
        else:
            # The statement failed, not the connection: a re-run alone fails again.
            assert message.endswith("fix the cause, then run the same command again to finish.")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE blocker")
    run("Todo", "--noinput")
    assert Todo.objects.count() == 0
    assert diff_schemas(as_built, inspect_schema(connection, ["todolist_todo"])) == []
