"""The same models in several schemas of one PostgreSQL database (issue 16,
second part): ``--schema NAME`` (repeatable) and ``--all-schemas PATTERN``,
from the command line and from Python.

Each schema gets the run it would get alone, through the connection's
``search_path``; the oracle is ``migrate`` run in a schema of its own the same
way. Other schemas (``public`` too) are left as they were.
"""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import connection, connections

from automigrate_cmd import autoupdate, check, schemas_for
from automigrate_cmd.schemas import in_schema
from automigrate_cmd.snapshot import diff_schemas, inspect_schema
from tests.conftest import model_schema
from tests.test_oracle import without_history_app
from tests.test_several_databases import run

pytestmark = pytest.mark.django_db(transaction=True)

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="schemas of one database: PostgreSQL"
)
SCHEMAS = ("t_a", "t_b", "other_x")


@pytest.fixture
def schemas():
    """Empty schemas t_a, t_b and other_x, dropped afterwards."""
    _drop_schemas()
    with connection.cursor() as cursor:
        for name in SCHEMAS:
            cursor.execute(f'CREATE SCHEMA "{name}"')
    yield
    _drop_schemas()


def _drop_schemas() -> None:
    connections.close_all()  # a schema's lock or path must not outlive a test
    with connection.cursor() as cursor:
        for name in (*SCHEMAS, "oracle"):
            cursor.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def execute(schema: str, sql: str, params=None) -> list:
    with in_schema("default", schema), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def schema_of(schema: str) -> dict:
    """The tables of ``schema`` as the catalog has them."""
    with in_schema("default", schema):
        return model_schema(inspect_schema(connection))


def tables_of(schema: str) -> set[str]:
    rows = execute("public", "SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema])
    return {name for (name,) in rows}


def migrate_into(schema: str) -> dict:
    """What ``migrate`` builds in a new schema ``schema``: the oracle."""
    execute("public", f'CREATE SCHEMA "{schema}"')
    with in_schema("default", schema):
        call_command("migrate", verbosity=0)
    return schema_of(schema)


@on_postgresql
def test_autoupdate_in_two_schemas_builds_in_each_what_migrate_builds(schemas):
    public_before = schema_of("public")

    status, output, errors = run("autoupdate", "--schema", "t_a", "--schema", "t_b", "--noinput")

    assert status == 0, errors
    # historyapp's migrations make what its models do not say (test_oracle.py).
    expected = without_history_app(migrate_into("oracle"))
    assert diff_schemas(expected, without_history_app(schema_of("t_a"))) == []
    assert diff_schemas(expected, without_history_app(schema_of("t_b"))) == []
    assert tables_of("other_x") == set()
    assert diff_schemas(public_before, schema_of("public")) == []
    # Grouped per schema, one summary line each.
    assert output.index("Schema 't_a':") < output.index("Schema 't_b':")
    assert "Autoupdate done on database 'default', schema 't_b'" in output
    created = len(schema_of("t_a")) - 1  # django_migrations is made by the bookkeeping
    assert f"  t_a: {created} change(s) applied." in output.split("Summary:")[1]


@on_postgresql
def test_all_schemas_takes_the_schemas_the_pattern_matches(schemas):
    status, output, _ = run("autoupdate", "todolist", "--all-schemas", "t_*", "--noinput")

    assert status == 0
    assert "todolist_todo" in tables_of("t_a") and "todolist_todo" in tables_of("t_b")
    assert tables_of("other_x") == set()
    assert "other_x" not in output


@on_postgresql
def test_check_exits_1_naming_the_schema_that_differs_and_the_run_keeps_rows(schemas):
    run("autoupdate", "todolist", "--all-schemas", "t_*", "--noinput")
    execute("t_a", "INSERT INTO todolist_todolist (title) VALUES ('kept in a')")
    execute("t_b", "ALTER TABLE todolist_todolist ADD COLUMN extra integer NULL")

    status, output, _ = run("autoupdate", "todolist", "--all-schemas", "t_*", "--check")

    assert status == 1
    summary = output.split("Summary:")[1]
    assert "  t_a: matches the models." in summary
    assert "  t_b: differs from the models (1 change(s))." in summary

    status, output, _ = run("autoupdate", "todolist", "--all-schemas", "t_*", "--noinput")

    assert status == 0
    assert "extra" not in schema_of("t_b")["todolist_todolist"]["columns"]
    assert execute("t_a", "SELECT title FROM todolist_todolist") == [("kept in a",)]
    summary = output.split("Summary:")[1]
    assert "  t_a: matches the models, nothing to do." in summary
    assert "  t_b: 1 change(s) applied." in summary


@on_postgresql
def test_json_reports_each_schema(schemas):
    run("autoupdate", "todolist", "--schema", "t_a", "--noinput")

    status, output, _ = run(
        "autoupdate", "todolist", "--schema", "t_a", "--schema", "t_b", "--check", "--json"
    )

    assert status == 1
    report = json.loads(output)
    assert report["database"] == "default"
    assert report["schemas"]["t_a"]["steps"] == []
    assert {step["kind"] for step in report["schemas"]["t_b"]["steps"]} == {"create_table"}


@on_postgresql
def test_a_schema_that_is_not_there_is_one_line_and_changes_nothing(schemas, run_manage):
    done = run_manage("autoupdate", "--schema", "t_a", "--schema", "nope", "--noinput")

    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "CommandError: Database 'default' has no schema 'nope' (it has: other_x, public, "
        "t_a, t_b). Create it first (CREATE SCHEMA), or check the name. Nothing was changed."
    ]
    assert tables_of("t_a") == set()


@on_postgresql
def test_a_pattern_nothing_matches_is_one_line(schemas, run_manage):
    done = run_manage("autoupdate", "--all-schemas", "tenant_*", "--check")

    assert done.returncode == 1
    assert "No schema of database 'default' matches 'tenant_*'" in done.stderr
    assert "Traceback" not in done.stderr


@on_postgresql
def test_schemas_of_several_databases_is_a_usage_error(schemas, run_manage):
    done = run_manage("autoupdate", "--all-databases", "--schema", "t_a", "--check")

    assert done.returncode == 2
    assert "--schema and --all-schemas take one database, not several." in done.stderr


@on_postgresql
def test_python_api_takes_one_schema_or_a_list(schemas):
    results = autoupdate("todolist", schema=["t_a", "t_b"])

    assert set(results) == {"t_a", "t_b"}
    assert all(result.applied for result in results.values())
    assert check("todolist", schema="t_a").steps == []
    assert schemas_for("default", pattern="t_*") == ["t_a", "t_b"]
    assert "todolist_todo" not in tables_of("other_x")


@on_postgresql
def test_automigrate_in_a_schema_recreates_only_its_tables(schemas):
    run("autoupdate", "todolist", "--schema", "t_a", "--noinput")
    execute("t_a", "INSERT INTO todolist_todolist (title) VALUES ('in a')")
    execute("public", "INSERT INTO todolist_todolist (title) VALUES ('in public')")

    status, output, _ = run("automigrate", "todolist", "--schema", "t_a", "--noinput")

    assert status == 0, output
    assert execute("t_a", "SELECT count(*) FROM todolist_todolist") == [(0,)]
    assert execute("public", "SELECT title FROM todolist_todolist") == [("in public",)]


@on_postgresql
def test_the_schema_lock_is_each_schemas_own(schemas):
    """A run holding t_a's lock does not hold up a run in t_b; the one in
    t_a gives up, naming the schema."""
    from automigrate_cmd.locking import schema_lock

    run("autoupdate", "todolist", "--schema", "t_a", "--noinput")
    with in_schema("default", "t_a"), schema_lock(connection, 1):
        status_b, _, errors_b = _in_another_thread(
            lambda: run(
                "autoupdate", "todolist", "--schema", "t_b", "--noinput", "--lock-timeout", "0"
            )
        )
        status_a, _, errors_a = _in_another_thread(
            lambda: run(
                "autoupdate", "todolist", "--schema", "t_a", "--noinput", "--lock-timeout", "0"
            )
        )

    assert status_b == 0, errors_b
    assert status_a == 1
    assert "holds the schema lock of database 'default', schema 't_a'" in errors_a


def _in_another_thread(function):
    """``function()`` on a thread of its own (connections of its own, as
    another process would have)."""
    from concurrent.futures import ThreadPoolExecutor

    def closing():
        try:
            return function()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(closing).result()


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the error of other servers")
def test_schemas_on_a_server_without_them_is_one_line(run_manage):
    done = run_manage("autoupdate", "--schema", "t_a", "--check")

    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "CommandError: --schema and --all-schemas need a PostgreSQL database; 'default' is "
        f"{connection.vendor}."
    ]


def current_schema() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        return cursor.fetchone()[0]


@on_postgresql
def test_a_connection_that_reconnects_in_a_schema_stays_in_it(schemas):
    """A run must never fall back to public half-way (a lost connection
    reopened by Django): the new session is pointed at the schema too."""
    with in_schema("default", "t_a"):
        assert current_schema() == "t_a"
        connection.close()
        assert current_schema() == "t_a"
    assert current_schema() == "public"


@on_postgresql
def test_each_schema_gets_permissions_of_its_own_content_types(schemas):
    """Content types are cached by alias, which the schemas share: t_b's
    permissions must point at t_b's content types (ids from 1000 there),
    never at what a run in t_a cached."""
    run("autoupdate", "--schema", "t_a", "--schema", "t_b", "--noinput")
    execute("t_b", "DELETE FROM auth_permission")
    execute("t_b", "DELETE FROM django_content_type")
    execute("t_b", "ALTER TABLE django_content_type ALTER COLUMN id RESTART WITH 1000")
    for schema in ("t_a", "t_b"):  # so that both runs send post_migrate
        execute(schema, "DROP TABLE todolist_todolistimage")

    status, _, errors = run("autoupdate", "--schema", "t_a", "--schema", "t_b", "--noinput")

    assert status == 0, errors
    ids = execute("t_b", "SELECT DISTINCT content_type_id FROM auth_permission")
    assert ids and all(content_type >= 1000 for (content_type,) in ids)
    counts = [execute(s, "SELECT count(*) FROM auth_permission")[0][0] for s in ("t_a", "t_b")]
    assert counts[0] == counts[1] > 0


@on_postgresql
def test_a_content_type_cached_in_one_schema_is_not_served_in_another(schemas):
    """What makes the test above hold whatever the threads' timing: under
    shared_run, ContentType.objects' cache is each thread's own."""
    from django.contrib.contenttypes.models import ContentType

    from automigrate_cmd.schemas import shared_run
    from todolist.models import Todo

    run("autoupdate", "--schema", "t_b", "--noinput")
    execute("t_b", "DELETE FROM auth_permission")
    execute("t_b", "UPDATE django_content_type SET id = id + 1000000")
    (t_b_id,) = execute(
        "t_b", "SELECT id FROM django_content_type WHERE app_label = 'todolist' AND model = 'todo'"
    )[0]
    with shared_run():
        in_public = ContentType.objects.get_for_model(Todo).id  # cached here

        def in_t_b():
            with in_schema("default", "t_b"):
                return ContentType.objects.get_for_model(Todo).id

        in_t_b_id = _in_another_thread(in_t_b)
    assert in_public != t_b_id
    assert in_t_b_id == t_b_id
