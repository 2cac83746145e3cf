"""The pytest plugin's ``--automigrate``, shown by outer pytest runs.

- this repository's tests/test_todolist_views.py under ``--automigrate`` builds
  the schema (and content types, permissions, migration records) that
  ``migrate`` builds;
- with ``--reuse-db``, a model change between two runs is picked up by
  autoupdate, keeping the rows; ``--create-db`` still rebuilds;
- the same with pytest-xdist: each worker's database is built and updated.
"""

import uuid

import pytest

from automigrate_cmd import desired_cache
from automigrate_cmd.snapshot import diff_schemas, inspect_schema
from tests.conftest import model_schema
from tests.hooks_support import (
    MODELS_V2,
    REPOSITORY,
    drop_databases,
    hooks_project,
    open_database,
    outcome,
    rows,
    run,
    server_url,
    show,
    vendor,
)

BOOK_WITH_CODE_PK = """class Book(models.Model):
    code = models.CharField(max_length=20, primary_key=True)"""


@pytest.fixture
def project(tmp_path, django_db_blocker):
    with hooks_project(tmp_path, django_db_blocker) as created:
        yield created


def test_reuse_db_picks_up_a_model_change(project):
    first = project.pytest("check_schema.py", "--automigrate", "--reuse-db")
    assert first.returncode == 0, show(first)
    with open_database(project.test_database()) as db, db.cursor() as cursor:
        cursor.execute("INSERT INTO hooksapp_book (title) VALUES ('kept')")
        # A kept database remembers what automigrate built, for the next run's autoupdate.
        stored = rows(db, f"SELECT model FROM {desired_cache.TABLE} ORDER BY model")
        assert ("hooksapp.book",) in stored, stored

    project.write_models(MODELS_V2)
    stale = project.pytest("check_schema.py", "--reuse-db")
    # Plain pytest-django uses the kept database as it is: the check fails.
    assert stale.returncode == 1, show(stale)
    assert "FAILED check_schema.py::test_schema_matches_the_models[default]" in stale.stdout

    updated = project.pytest("check_schema.py", "--automigrate", "--reuse-db")
    assert updated.returncode == 0, show(updated)
    with open_database(project.test_database()) as db:
        # autoupdate altered the table in place: the row is still there.
        assert rows(db, "SELECT title, pages FROM hooksapp_book") == [("kept", 0)]

    # A change autoupdate refuses (a new primary key): the tables are rebuilt.
    project.write_models(MODELS_V2.replace("class Book(models.Model):", BOOK_WITH_CODE_PK))
    new_key = project.pytest("check_schema.py", "--automigrate", "--reuse-db", "-vv", "-s")
    assert new_key.returncode == 0, show(new_key)
    assert "Rebuilding the tables with automigrate." in new_key.stderr, show(new_key)
    with open_database(project.test_database()) as db:
        assert rows(db, "SELECT code FROM hooksapp_book") == []

    rebuilt = project.pytest("check_schema.py", "--automigrate", "--reuse-db", "--create-db")
    assert rebuilt.returncode == 0, show(rebuilt)
    with open_database(project.test_database()) as db:
        assert rows(db, "SELECT title FROM hooksapp_book") == []


def test_ini_option_and_no_automigrate_flag(project):
    ini = project.root / "pytest.ini"
    ini.write_text(ini.read_text() + "automigrate = true\n")
    on = project.pytest("check_schema.py", "-k", "matches and default", "-v")
    assert on.returncode == 0, show(on)
    assert "automigrate: test databases built by automigrate" in on.stdout
    off = project.pytest("check_schema.py", "-k", "matches and default", "--no-automigrate")
    assert off.returncode == 0, show(off)
    assert "built by automigrate" not in off.stdout


def test_xdist_workers_each_build_and_update_their_database(project):
    first = project.pytest("check_schema.py", "-n", "2", "--automigrate", "--reuse-db")
    assert outcome(first) == {"passed": 6}, show(first)
    project.write_models(MODELS_V2)
    second = project.pytest("check_schema.py", "-n", "2", "--automigrate", "--reuse-db")
    assert outcome(second) == {"passed": 6}, show(second)
    for worker in ("gw0", "gw1"):
        with open_database(project.test_database("default", worker)) as db:
            assert rows(db, "SELECT pages FROM hooksapp_book") == []  # the new column
        with open_database(project.test_database("other", worker)) as db:
            assert rows(db, "SELECT pinned FROM hooksapp_note") == []


# --- this repository's own suite under --automigrate ------------------------------


@pytest.fixture
def repository_databases(tmp_path, django_db_blocker):
    """DATABASE_URLs for two runs of this repository's suite, and their test databases."""
    prefix = f"amhr_{uuid.uuid4().hex[:10]}"
    urls = {how: server_url(f"{prefix}_{how}", tmp_path) for how in ("automigrate", "migrate")}
    if vendor() == "sqlite":
        # tests/settings.py: test_<name>.sqlite3 next to the file DATABASE_URL names.
        names = {how: str(tmp_path / f"test_{prefix}_{how}.sqlite3") for how in urls}
    else:
        names = {how: f"test_{prefix}_{how}" for how in urls}
    with django_db_blocker.unblock():
        try:
            yield urls, names
        finally:
            drop_databases(f"test_{prefix}")


def test_example_suite_under_automigrate_builds_what_migrate_builds(repository_databases):
    urls, names = repository_databases
    suite = ["-m", "pytest", "-q", "tests/test_todolist_views.py", "--reuse-db"]
    by_automigrate = run([*suite, "--automigrate"], REPOSITORY, urls["automigrate"])
    assert by_automigrate.returncode == 0, show(by_automigrate)
    by_migrate = run(suite, REPOSITORY, urls["migrate"])
    assert by_migrate.returncode == 0, show(by_migrate)

    with open_database(names["automigrate"]) as built, open_database(names["migrate"]) as wanted:
        by_automigrate = model_schema(inspect_schema(built))
        assert diff_schemas(inspect_schema(wanted), by_automigrate, ignore_names=True) == []
        for query in (
            "SELECT app_label, model FROM django_content_type",
            "SELECT c.app_label, p.codename, p.name FROM auth_permission p "
            "JOIN django_content_type c ON c.id = p.content_type_id",
            # migrate has nothing left to do on the automigrate-built database
            "SELECT app, name FROM django_migrations",
        ):
            assert sorted(rows(built, query)) == sorted(rows(wanted, query)), query
