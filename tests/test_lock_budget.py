"""A project too big for one PostgreSQL transaction (issue 14): more tables
and indexes than the server's lock table holds, on the server's default
settings (``max_locks_per_transaction`` 64, ``max_connections`` 100).

A transaction keeps every relation it creates locked until it commits, and
the lock table holds about twice its nominal size (measured here: one
transaction failed at about 12,750 new indexes, with the defaults' nominal
6,400). The project makes about 18,000 relations. It is generated into a
folder of the test: one app without migrations, ``MODELS`` models of
``INDEXED`` indexed text columns each (two indexes apiece on PostgreSQL), a
foreign key to the previous model and now and then a many-to-many field. Its
own database is next to the test database.

The oracle that the case is real is the catalog: the relations the build
made, more than twice the nominal lock table. (Django's syncdb path, one
transaction, fails on this project with "out of shared memory"; a test
that shows it would exhaust the lock table for every other session, the
tests running beside it included.) ``automigrate``, ``autoupdate`` from an
empty database and ``pytest --automigrate`` each build it in several
transactions.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import PROJECT, database_url
from tests.test_commands_as_typed import assert_one_line

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL's lock table: no such limit elsewhere"
    ),
    pytest.mark.django_db(transaction=True),
]

MODELS = 500
INDEXED = 15
# Each model's table: its primary key and two indexes per indexed text
# column (PostgreSQL adds a _like one), and one on its foreign key.
INDEXES_PER_TABLE = 1 + 2 * INDEXED + 1
DATABASE = f"automigrate_test_locks_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


def models_module(bad_index: bool = False) -> str:
    lines = ["from django.db import models", "from django.db.models.functions import Now", ""]
    for number in range(MODELS):
        lines.append(f"class M{number:04d}(models.Model):")
        lines += [
            f"    f{i} = models.CharField(max_length=20, db_index=True)" for i in range(INDEXED)
        ]
        previous = f'"M{number - 1:04d}"' if number else '"self"'
        lines.append(f"    prev = models.ForeignKey({previous}, models.CASCADE, null=True)")
        if number % 50 == 49:
            lines.append('    tags = models.ManyToManyField("M0000", related_name="+")')
        lines.append("")
    if bad_index:
        # Fails in the last transaction (its deferred CREATE INDEX):
        # PostgreSQL wants index expressions IMMUTABLE.
        lines += [
            "class Late(models.Model):",
            "    class Meta:",
            '        indexes = [models.Index(Now(), name="late_now")]',
            "",
        ]
    return "\n".join(lines) + "\n"


SETTINGS = """
import dj_database_url
import os

SECRET_KEY = "test"
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "automigrate_cmd",
    "bigapp",
]
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
"""

TEST_MODULE = f"""
from django.db import connection


def test_every_table_is_built(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename LIKE 'bigapp_m%%'")
        assert cursor.fetchone()[0] >= {MODELS * INDEXES_PER_TABLE}
"""


@pytest.fixture
def big_project(tmp_path: Path) -> Path:
    (tmp_path / "bigapp").mkdir()
    (tmp_path / "bigapp" / "__init__.py").write_text("")
    (tmp_path / "bigapp" / "models.py").write_text(models_module())
    (tmp_path / "bigsettings.py").write_text(SETTINGS)
    (tmp_path / "test_big.py").write_text(textwrap.dedent(TEST_MODULE))
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nDJANGO_SETTINGS_MODULE = bigsettings\naddopts = -p no:cacheprovider\n"
    )
    empty_database()
    yield tmp_path
    server_execute(
        f'DROP DATABASE IF EXISTS "{DATABASE}"', f'DROP DATABASE IF EXISTS "test_{DATABASE}"'
    )


def server_execute(*statements: str) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def empty_database() -> None:
    server_execute(f'DROP DATABASE IF EXISTS "{DATABASE}"', f'CREATE DATABASE "{DATABASE}"')


def url() -> str:
    return database_url().rsplit("/", 1)[0] + f"/{DATABASE}"


def run(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bigsettings",
        "DATABASE_URL": url(),
        "PYTHONPATH": os.pathsep.join([str(project), str(PROJECT)]),
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
    )


def manage(project: Path, *args: str) -> subprocess.CompletedProcess:
    return run(project, "-m", "django", *args)


def built_indexes() -> int:
    """The indexes of bigapp's model tables, read from the catalog."""
    import psycopg

    with psycopg.connect(url().replace("postgres://", "postgresql://")) as db:
        query = "SELECT count(*) FROM pg_indexes WHERE tablename LIKE 'bigapp_m%%'"
        return db.execute(query).fetchone()[0]


def built_relations() -> int:
    """Tables, indexes, sequences and TOAST tables of bigapp, from the catalog."""
    import psycopg

    with psycopg.connect(url().replace("postgres://", "postgresql://")) as db:
        return db.execute(
            "SELECT count(*) FROM pg_class c WHERE c.relname LIKE 'bigapp%%' OR c.oid IN "
            "(SELECT reltoastrelid FROM pg_class WHERE relname LIKE 'bigapp%%') OR c.oid IN "
            "(SELECT indexrelid FROM pg_index WHERE indrelid IN (SELECT reltoastrelid "
            "FROM pg_class WHERE relname LIKE 'bigapp%%'))"
        ).fetchone()[0]


def lock_table_nominal() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_locks_per_transaction')::int * "
            "(current_setting('max_connections')::int "
            "+ current_setting('max_prepared_transactions')::int)"
        )
        return cursor.fetchone()[0]


def assert_built(project: Path) -> None:
    assert built_indexes() == MODELS * INDEXES_PER_TABLE + M2M_INDEXES
    # More than one transaction can lock: the case is real on this server.
    assert built_relations() > 2 * lock_table_nominal()
    check = manage(project, "autoupdate", "--check")
    assert check.returncode == 0, check.stdout + check.stderr


# The many-to-many tables (bigapp_mNNNN_tags): primary key, unique pair, two foreign keys.
M2M_INDEXES = (MODELS // 50) * 4
SPLIT = "it runs in several transactions"


def test_automigrate_builds_it_in_several_transactions(big_project):
    done = manage(big_project, "automigrate", "--noinput")
    assert done.returncode == 0, done.stderr
    assert SPLIT in done.stdout
    assert_built(big_project)


def test_autoupdate_builds_it_from_an_empty_database(big_project):
    done = manage(big_project, "autoupdate", "--noinput")
    assert done.returncode == 0, done.stderr
    assert SPLIT in done.stdout
    assert_built(big_project)


def test_pytest_automigrate_builds_the_test_database(big_project):
    done = run(big_project, "-m", "pytest", "--automigrate", "--create-db", "-q", "test_big.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_a_failure_keeps_what_was_committed_and_a_rerun_finishes(big_project):
    (big_project / "bigapp" / "models.py").write_text(models_module(bad_index=True))
    failed = manage(big_project, "automigrate", "--noinput")
    assert failed.returncode == 1
    message = assert_one_line(failed.stderr)
    assert "must be marked IMMUTABLE" in message
    assert "the ones before the failing one stay applied; fix the cause, then run" in message
    assert 0 < built_indexes() < MODELS * INDEXES_PER_TABLE + M2M_INDEXES
    (big_project / "bigapp" / "models.py").write_text(models_module())
    done = manage(big_project, "automigrate", "--noinput")
    assert done.returncode == 0, done.stderr
    assert_built(big_project)
