"""autoupdate --check / --json for CI gates, and the schema lock that
serializes concurrent runs against one database."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.db import connection, connections, models

from automigrate_cmd import automigrate, autoupdate, check, desired_cache
from automigrate_cmd.locking import schema_lock
from automigrate_cmd.snapshot import diff_schemas, inspect_schema
from tests.conftest import PROJECT, database_url
from tests.test_autoupdate import TABLES, alter, seed, values
from todolist.models import Todo

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def rebuild_todolist_afterwards():
    yield
    automigrate("todolist")


def make_title_shorter():
    alter(Todo, "title", models.CharField(max_length=100))


def test_check_exit_codes_and_plan(run_manage):
    in_sync = run_manage("autoupdate", "todolist", "--check")
    assert in_sync.returncode == 0, in_sync.stderr
    assert "Database 'default' matches the models." in in_sync.stdout

    make_title_shorter()
    before = inspect_schema(connection, TABLES)
    differs = run_manage("autoupdate", "todolist", "--check")

    assert differs.returncode == 1
    assert "Database 'default' differs from the models:" in differs.stdout
    assert "todolist_todo" in differs.stdout and "title" in differs.stdout
    assert diff_schemas(before, inspect_schema(connection, TABLES)) == []


def test_check_api_returns_the_plan():
    assert check("todolist").steps == []
    make_title_shorter()
    plan = check("todolist")
    assert [step.table for step in plan.steps] == ["todolist_todo"]


def test_json_plan(run_manage):
    make_title_shorter()
    result = run_manage("autoupdate", "todolist", "--check", "--json")
    assert result.returncode == 1
    plan = json.loads(result.stdout)
    assert plan["database"] == "default" and plan["in_sync"] is False
    assert plan["steps"][0]["table"] == "todolist_todo"
    assert {"kind", "description", "data_loss", "impossible"} <= set(plan["steps"][0])


def test_concurrent_runs_apply_each_change_once():
    """8 processes start autoupdate at the same moment against one database
    with pending changes: all succeed, exactly one applies the changes."""
    seed()
    kept = values()
    reference = inspect_schema(connection, TABLES)
    make_title_shorter()
    env = {"DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url()}
    command = [sys.executable, "manage.py", "autoupdate", "todolist", "--noinput"]
    runs = [
        subprocess.Popen(
            command,
            cwd=PROJECT,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]

    assert [run.returncode for run in runs] == [0] * 8, [err for _out, err in outputs]
    applied = [out for out, _err in outputs if "change(s) applied" in out]
    assert len(applied) == 1
    assert sum("No changes: the database matches the models." in out for out, _ in outputs) == 7
    assert diff_schemas(reference, inspect_schema(connection, TABLES), ignore_names=True) == []
    assert values() == kept


def test_lock_timeout_gives_up_with_a_clear_error(run_manage):
    make_title_shorter()
    with schema_lock(connection, timeout=5):
        result = run_manage("autoupdate", "todolist", "--noinput", "--lock-timeout", "1")
    assert result.returncode == 1
    assert "holds the schema lock of database 'default'; gave up after 1s" in result.stderr
    assert "Traceback" not in result.stderr
    assert check("todolist").steps  # nothing was applied


def test_mariadb_scratch_databases_of_killed_runs_are_dropped():
    """MariaDB builds the models in a database of its own. A run killed while
    it exists leaves it behind; the next run that builds one drops it, but
    never one whose run is still going (it holds a lock named after it), nor
    one it cannot prove its own: a database that only shares the name
    pattern and holds tables that are not its mark (issue 13, item 9)."""
    if connection.vendor != "mysql":
        pytest.skip("only MariaDB/MySQL builds the scratch schema in a database of its own")
    abandoned, killed_before_the_mark = "automigrate_scratch_1_deadbeef", "automigrate_scratch_3_0"
    in_use, not_ours = "automigrate_scratch_2_cafebabe", "automigrate_scratch_of_someone_else"
    everything = (abandoned, killed_before_the_mark, in_use, not_ours)
    holder = connections.create_connection(connection.alias)
    with holder.cursor() as cursor:
        cursor.execute("SELECT GET_LOCK(%s, 0)", [in_use])
        for name in everything:
            cursor.execute(f"CREATE DATABASE {name}")
        cursor.execute(f"CREATE TABLE {abandoned}.automigrate_cmd_scratch (id integer)")
        cursor.execute(f"CREATE TABLE {abandoned}.todolist_todo (id integer)")
        cursor.execute(f"CREATE TABLE {not_ours}.customers (id integer)")
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {desired_cache.TABLE}")  # build the scratch
        autoupdate("todolist")
        with connection.cursor() as cursor:
            cursor.execute("SHOW DATABASES LIKE 'automigrate\\_scratch\\_%%'")
            left = {name for (name,) in cursor.fetchall()}
        # Another run's (an xdist worker's) scratch database may be there too.
        assert left & set(everything) == {in_use, not_ours}
    finally:
        with holder.cursor() as cursor:
            for name in everything:
                cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        holder.close()
