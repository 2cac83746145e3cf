"""The commands with the database user a deployment gives the app (issue 13,
items 2 and 4): the privileges ``migrate`` needs and no more, granted by the
test to a role of its own on a database of its own, and a ``--check`` that
never holds up a writer of a live table.

Each privilege test runs ``manage.py`` of the example project as that user:
``migrate`` first (the baseline: it works with these grants), then the
first ``autoupdate`` against a database ``migrate`` built, which has to
build every model where it reads back what the server makes of them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from automigrate_cmd import automigrate, desired_cache
from tests.conftest import PROJECT, database_url
from tests.test_commands_as_typed import assert_one_line, manage_env

pytestmark = pytest.mark.django_db(transaction=True)

# Users and roles belong to the server, not to a database: one set per xdist worker.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
APP_USER = f"am_app_user_{_WORKER}"
READER = f"am_app_reader_{_WORKER}"  # SELECT only
SETTINGS = "tests.settings_app_user"  # the example project, plus AUTOMIGRATE_SCRATCH_DATABASE


def execute(*statements: str) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def server_url(user: str, database: str) -> str:
    """``database_url()`` for another user and database on the same server."""
    scheme, rest = database_url().split("://", 1)
    host = rest.split("@", 1)[1].rsplit("/", 1)[0]
    return f"{scheme}://{user}@{host}/{database}"


def manage(url: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env={**manage_env(SETTINGS, **env), "DATABASE_URL": url},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )


def migrate_then_change_a_column(url: str, **env: str) -> None:
    """The app's database as ``migrate`` builds it, then one column that
    autoupdate must put back (as the app user, who owns the tables)."""
    migrated = manage(url, "migrate", "--noinput", **env)
    assert migrated.returncode == 0, migrated.stderr
    shrink = "ALTER TABLE todolist_todo " + (
        "MODIFY title varchar(100) NOT NULL"
        if connection.vendor == "mysql"
        else "ALTER COLUMN title TYPE varchar(100)"
    )
    as_app_user = manage(url, "dbshell", "--", "-c" if connection.vendor != "mysql" else "-e",
                         shrink, **env)  # fmt: skip
    assert as_app_user.returncode == 0, as_app_user.stderr


# --- PostgreSQL: the app's role owns its tables, not the database ------------------


@pytest.fixture
def postgresql_app_database():
    """A database owned by the server's superuser in which the app's role may
    connect and create (and so own) tables in the public schema: what
    ``migrate`` needs. No CREATE on the database itself."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL roles and grants")
    name = f"{connection.settings_dict['NAME']}_app"
    execute(f'DROP DATABASE IF EXISTS "{name}"', f"DROP ROLE IF EXISTS {APP_USER}")
    execute(f"CREATE ROLE {APP_USER} LOGIN", f'CREATE DATABASE "{name}"')
    execute(
        f'REVOKE ALL ON DATABASE "{name}" FROM PUBLIC',
        f'GRANT CONNECT, TEMPORARY ON DATABASE "{name}" TO {APP_USER}',
    )
    with _connected_to(name) as cursor:
        cursor.execute(f"GRANT USAGE, CREATE ON SCHEMA public TO {APP_USER}")
    yield name
    execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f"DROP ROLE IF EXISTS {APP_USER}")


@contextmanager
def _connected_to(name: str) -> Iterator:
    """A cursor on another database of the server, as the superuser."""
    import psycopg

    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"],
        dbname=name, autocommit=True,
    ) as other:  # fmt: skip
        yield other.cursor()


def test_postgresql_autoupdate_works_with_the_privileges_migrate_needs(postgresql_app_database):
    url = server_url(APP_USER, postgresql_app_database)
    migrate_then_change_a_column(url)

    check = manage(url, "autoupdate", "--check")
    assert check.returncode == 1, check.stdout + check.stderr
    assert "todolist_todo" in check.stdout and "title" in check.stdout
    assert manage(url, "autoupdate", "--dry-run").returncode == 0
    synced = manage(url, "autoupdate", "--noinput")
    assert synced.returncode == 0, synced.stderr
    again = manage(url, "autoupdate", "--check")
    assert again.returncode == 0, again.stdout + again.stderr


def test_postgresql_without_temporary_tables_is_one_line_naming_the_grant(
    postgresql_app_database,
):
    url = server_url(APP_USER, postgresql_app_database)
    migrated = manage(url, "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr
    execute(f'REVOKE TEMPORARY ON DATABASE "{postgresql_app_database}" FROM {APP_USER}')

    for args in (["--check"], ["--dry-run"], ["--noinput"]):
        result = manage(url, "autoupdate", *args)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        line = assert_one_line(result.stderr)
        assert "permission denied to create temporary tables" in line, line
        assert f'GRANT TEMPORARY ON DATABASE "{postgresql_app_database}" TO' in line, line


# --- MariaDB/MySQL: the app's user has ALL on its own database only ---------------


@pytest.fixture
def mysql_app_database():
    if connection.vendor != "mysql":
        pytest.skip("MariaDB/MySQL users and grants")
    name = f"{connection.settings_dict['NAME']}_app"
    scratch = f"{name}_scratch"
    _drop_mysql(name, scratch)
    execute(
        f"CREATE DATABASE `{name}`",
        f"CREATE USER '{APP_USER}'@'%'",
        f"CREATE USER '{APP_USER}'@'localhost'",
    )
    for host in ("%", "localhost"):
        execute(f"GRANT ALL ON `{name}`.* TO '{APP_USER}'@'{host}'")
    yield name, scratch
    _drop_mysql(name, scratch)


def _drop_mysql(*databases: str) -> None:
    for database in databases:
        execute(f"DROP DATABASE IF EXISTS `{database}`")
    for host in ("%", "localhost"):
        execute(f"DROP USER IF EXISTS '{APP_USER}'@'{host}'")
    execute(f"DROP USER IF EXISTS '{READER}'@'%'")


def test_mysql_user_who_may_not_create_databases_gets_one_line_naming_grant_and_setting(
    mysql_app_database,
):
    name, _scratch = mysql_app_database
    url = server_url(APP_USER, name)
    migrate_then_change_a_column(url)

    for args in (["--check"], ["--dry-run"], ["--noinput"]):
        result = manage(url, "autoupdate", *args)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        line = assert_one_line(result.stderr)
        assert "Access denied" in line and "AUTOMIGRATE_SCRATCH_DATABASE" in line, line
        assert r"GRANT ALL ON `automigrate\_scratch\_%`.*" in line, line


def test_mysql_scratch_database_set_aside_for_it(mysql_app_database):
    name, scratch = mysql_app_database
    execute(f"CREATE DATABASE `{scratch}`")
    for host in ("%", "localhost"):
        execute(f"GRANT ALL ON `{scratch}`.* TO '{APP_USER}'@'{host}'")
    url = server_url(APP_USER, name)
    env = {"AUTOMIGRATE_SCRATCH_DATABASE": scratch}
    migrate_then_change_a_column(url, **env)

    check = manage(url, "autoupdate", "--check", **env)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "todolist_todo" in check.stdout and "title" in check.stdout
    synced = manage(url, "autoupdate", "--noinput", **env)
    assert synced.returncode == 0, synced.stderr
    again = manage(url, "autoupdate", "--check", **env)
    assert again.returncode == 0, again.stdout + again.stderr
    # The scratch database is left as it was found: empty.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s", [scratch]
        )
        assert cursor.fetchone()[0] == 0


def test_mysql_scratch_database_must_not_be_the_live_one(mysql_app_database):
    name, _scratch = mysql_app_database
    url = server_url(APP_USER, name)
    migrated = manage(url, "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr

    result = manage(url, "autoupdate", "--check", AUTOMIGRATE_SCRATCH_DATABASE=name)
    assert result.returncode == 1
    assert "names the database" in assert_one_line(result.stderr)


def test_mysql_user_who_cannot_see_constraints_is_refused_in_one_line(mysql_app_database):
    """A user with SELECT only: MariaDB's TABLE_CONSTRAINTS and
    REFERENTIAL_CONSTRAINTS show it nothing, so every primary and foreign key
    would read as missing (issue 13, item 3)."""
    name, _scratch = mysql_app_database
    migrated = manage(server_url(APP_USER, name), "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr
    execute(f"CREATE USER '{READER}'@'%'", f"GRANT SELECT ON `{name}`.* TO '{READER}'@'%'")

    for args in (["--check"], ["--dry-run"]):
        result = manage(server_url(READER, name), "autoupdate", *args)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        line = assert_one_line(result.stderr)
        assert "cannot see the constraints of its tables" in line, line


# --- item 4: a --check holds up no writer (PostgreSQL) ------------------------------


def test_postgresql_check_of_a_new_model_with_a_foreign_key_blocks_no_writer(request):
    """Todo is new (its table is missing, nothing stored for it: it is built)
    and has a foreign key to the live todolist_todolist (stored: not built),
    in which an open transaction has inserted a row. The check must neither
    wait for that transaction nor make the inserts after it wait."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's foreign keys lock the table they point at")
    automigrate("todolist")
    # CASCADE: otherapp's foreign key into it goes too; put back at the end.
    execute(
        "DROP TABLE todolist_todo CASCADE",
        f"DELETE FROM {desired_cache.TABLE} WHERE model = 'todolist.todo'",
    )
    request.addfinalizer(lambda: automigrate(["todolist", "otherapp"]))
    name = connection.settings_dict["NAME"]
    with _connected_to(name) as open_transaction, _connected_to(name) as writer:
        open_transaction.execute("BEGIN")
        open_transaction.execute("INSERT INTO todolist_todolist (title) VALUES ('open')")
        check = subprocess.Popen(
            [sys.executable, "manage.py", "autoupdate", "todolist", "--check"],
            cwd=PROJECT,
            env=manage_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        writes = _write_until_done(writer, check)
        out, err = check.communicate(timeout=5)
        open_transaction.execute("ROLLBACK")

    assert check.returncode == 1, out + err  # a table to create: not in sync
    assert "todolist_todo" in out
    assert writes and all(waited < 2 for waited in writes), writes


def _write_until_done(cursor, process: subprocess.Popen, limit: float = 60) -> list[float]:
    """Insert rows while ``process`` runs, each allowed to wait 2 seconds for
    a lock: how long each waited. Fails if the process outlives ``limit``."""
    cursor.execute("SET lock_timeout = '2s'")
    waited = []
    done = threading.Event()
    threading.Thread(target=lambda: (process.wait(), done.set()), daemon=True).start()
    deadline = time.monotonic() + limit
    while not done.is_set():
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"autoupdate --check still runs after {limit} s: it waits for a lock")
        start = time.monotonic()
        cursor.execute("INSERT INTO todolist_todolist (title) VALUES ('writer')")
        waited.append(time.monotonic() - start)
        time.sleep(0.05)
    return waited
