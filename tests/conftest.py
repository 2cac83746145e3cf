"""Fixtures shared by the test suite: manage.py in a subprocess, pointed at
the test database, and small readers of what the database holds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections

from automigrate_cmd import desired_cache

PROJECT = Path(__file__).resolve().parent.parent


def scaled(examples: int, least: int = 1) -> int:
    """The share of a generated test's examples this run takes: all of them,
    or on CI's second Django leg a fifth (EVOLUTION_SCALE=0.2)."""
    return max(least, round(examples * float(os.environ.get("EVOLUTION_SCALE", "1"))))


def database_url(alias: str = "default") -> str:
    """A DATABASE_URL for the (test) database ``alias`` points at right now."""
    connection = connections[alias]
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(settings['NAME']).resolve()}"
    scheme = {"postgresql": "postgres", "mysql": "mysql"}[connection.vendor]
    credentials = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
    return f"{scheme}://{credentials}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


@pytest.fixture
def run_manage():
    """Run ``manage.py ARGS`` as a user would, against the test database.

    Standard input is not a terminal (like CI), unless ``stdin`` is given.
    """

    def run(*args: str, url: str | None = None, stdin=subprocess.DEVNULL):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": url or database_url(),
        }
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=PROJECT,
            env=env,
            stdin=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


def table_names(alias: str = "default") -> set[str]:
    connection = connections[alias]
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def row_count(table: str, alias: str = "default") -> int:
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        return cursor.fetchone()[0]


def model_schema(snapshot: dict) -> dict:
    """``snapshot`` without automigrate_cmd's own bookkeeping table (the
    desired tables it remembers), which ``migrate`` does not make."""
    return {table: record for table, record in snapshot.items() if table != desired_cache.TABLE}


def drop_all_tables(alias: str = "default") -> None:
    """Empty the database completely (tables, views, sequences): a blank slate."""
    connection = connections[alias]
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
            return
        tables = connection.introspection.table_names(cursor, include_views=False)
        connection.disable_constraint_checking()
        try:
            for table in tables:
                cursor.execute(f"DROP TABLE {qn(table)}")
        finally:
            connection.enable_constraint_checking()


def pytest_addoption(parser):
    """``--slow``: property tests run many more examples (tests/test_autoupdate_property.py)."""
    parser.addoption(
        "--slow", action="store_true", default=False, help="run property tests with more examples"
    )
