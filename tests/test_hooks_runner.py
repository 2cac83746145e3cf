"""Django's own runner: ``TEST_RUNNER = "automigrate_cmd.test_runner.AutomigrateRunner"``,
shown by outer ``manage.py test`` runs of tests/hooks_project/dj_tests.py."""

import pytest

from tests.hooks_support import MODELS_V2, hooks_project, open_database, rows, show, table_names


@pytest.fixture
def project(tmp_path, django_db_blocker):
    with hooks_project(tmp_path, django_db_blocker) as created:
        yield created


def test_runner_builds_with_automigrate_and_updates_a_kept_database(project):
    first = project.manage("test", "-p", "dj_*.py", "--keepdb", "-v", "2")
    # dj_tests.py fails once on purpose, inside a class with a test-only table.
    assert "Ran 7 tests" in first.stderr and "FAILED (failures=1)" in first.stderr, show(first)
    assert "test_zz_deliberate_failure" in first.stderr
    assert "Using existing test database for alias 'default'" in first.stderr
    assert "(automigrate)" in first.stderr
    for alias in ("default", "other"):
        with open_database(project.test_database(alias)) as db:
            assert table_names(db) & {"hooksapp_gizmo", "hooksapp_doohickey"} == set()
    with open_database(project.test_database()) as db, db.cursor() as cursor:
        cursor.execute("INSERT INTO hooksapp_book (title) VALUES ('kept')")

    project.write_models(MODELS_V2)
    second = project.manage("test", "-p", "dj_*.py", "--keepdb", "-k", "Schema")
    assert second.returncode == 0, show(second)
    with open_database(project.test_database()) as db:
        assert rows(db, "SELECT title, pages FROM hooksapp_book") == [("kept", 0)]
