"""Outer runs for the test-setup hooks: a copy of tests/hooks_project (or this
repository) run by pytest or manage.py in a subprocess, against databases of
its own on the server the suite runs on, and readers of what they left."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

REPOSITORY = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "hooks_project"

# hooksapp/models.py after a change: a new model, new and altered columns.
MODELS_V2 = """
from django.db import models


class Shelf(models.Model):
    label = models.CharField(max_length=50, unique=True)


class Book(models.Model):
    title = models.CharField(max_length=200)  # was 100
    pages = models.IntegerField(default=0)  # new
    shelf = models.ForeignKey(Shelf, models.SET_NULL, null=True)  # new


class Note(models.Model):
    text = models.TextField()
    pinned = models.BooleanField(default=False)  # new, on the "other" database only


class AbstractThing(models.Model):
    name = models.CharField(max_length=30)

    class Meta:
        abstract = True
"""


def vendor() -> str:
    return connections["default"].vendor


def server_url(name: str, directory: Path) -> str:
    """A DATABASE_URL for database ``name`` on the suite's server (a file in ``directory``)."""
    settings = connections["default"].settings_dict
    if vendor() == "sqlite":
        return f"sqlite:///{directory / f'{name}.sqlite3'}"
    scheme = {"postgresql": "postgres", "mysql": "mysql"}[vendor()]
    credentials = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
    return f"{scheme}://{credentials}@{settings['HOST']}:{settings['PORT']}/{name}"


def run(args: list[str], cwd: Path, url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # each project names its own
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def outcome(result: subprocess.CompletedProcess) -> dict[str, int]:
    """pytest's summary line as counts: {"passed": 14, "failed": 1}."""
    last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    return {word: int(count) for count, word in re.findall(r"(\d+) (passed|failed|error)", last)}


def show(result: subprocess.CompletedProcess) -> str:
    return f"exit {result.returncode}\n{result.stdout[-6000:]}\n{result.stderr[-4000:]}"


@contextmanager
def open_database(name: str) -> Iterator[BaseDatabaseWrapper]:
    """A connection to database ``name`` (a file path on SQLite) of the suite's server."""
    base = connections["default"]
    alias = f"outer_{uuid.uuid4().hex[:8]}"
    wrapper = base.__class__({**base.settings_dict, "NAME": name}, alias=alias)
    # Registered while in use: django.contrib.postgres looks connections up by alias.
    connections[alias] = wrapper
    try:
        yield wrapper
    finally:
        wrapper.close()
        del connections[alias]


def rows(connection: BaseDatabaseWrapper, sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]


def drop_databases(prefix: str) -> None:
    """Drop every database whose name starts with ``prefix`` (server backends)."""
    if vendor() == "sqlite":
        return
    with connections["default"]._nodb_cursor() as cursor:
        if vendor() == "postgresql":
            cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [prefix + "%"])
        else:
            cursor.execute("SHOW DATABASES LIKE %s", [prefix + "%"])
        qn = connections["default"].ops.quote_name
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP DATABASE IF EXISTS {qn(name)}")


class HooksProject:
    """A copy of tests/hooks_project in ``tmp_path``, with databases of its own."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path / "project"
        shutil.copytree(TEMPLATE, self.root)
        self.name = f"amh_{uuid.uuid4().hex[:10]}"
        self.url = server_url(self.name if vendor() != "sqlite" else "db", self.root)

    def pytest(self, *args: str) -> subprocess.CompletedProcess:
        return run(["-m", "pytest", "-q", *args], self.root, self.url)

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        return run(["manage.py", *args], self.root, self.url)

    def write_models(self, source: str) -> None:
        path = self.root / "hooksapp" / "models.py"
        path.write_text(source)
        shutil.rmtree(path.parent / "__pycache__", ignore_errors=True)

    def test_database(self, alias: str = "default", worker: str | None = None) -> str:
        """The name of a test database pytest-django or Django's runner builds."""
        suffix = f"_{worker}" if worker else ""
        if vendor() == "sqlite":
            file = "test_db.sqlite3" if alias == "default" else "test_db_other.sqlite3"
            return str(self.root / file) + suffix
        other = "" if alias == "default" else "_other"
        return f"test_{self.name}{other}{suffix}"

    def drop(self) -> None:
        drop_databases(f"test_{self.name}")


def table_names(connection: BaseDatabaseWrapper) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


@contextmanager
def hooks_project(tmp_path: Path, django_db_blocker) -> Iterator[HooksProject]:
    """A HooksProject whose test databases are dropped afterwards."""
    project = HooksProject(tmp_path)
    with django_db_blocker.unblock():
        try:
            yield project
        finally:
            project.drop()
