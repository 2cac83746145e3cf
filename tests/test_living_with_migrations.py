"""autoupdate next to migration files (issue 13, item 8).

After ``autoupdate`` has added a column, ``makemigrations`` writes a
migration for it that ``migrate`` would run again. The next autoupdate
records it as applied (``--check`` and ``--dry-run`` name it); migrations
whose changes are not in the database are left to ``migrate``. Each test
drives manage.py as a developer types it, on an app written to a tmp dir.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from automigrate_cmd import autoupdate, desired_cache
from automigrate_cmd.sync import unrecorded

from .conftest import PROJECT, database_url

pytestmark = pytest.mark.django_db(transaction=True)

APP = "livingapp"
NOTE = """from django.db import models


class Note(models.Model):
    text = models.CharField(max_length=50)
"""
COLOUR = "    colour = models.CharField(max_length=20, default='red')\n"
SIZE = "    size = models.IntegerField(default=0)\n"
RECORDED = "Recorded as applied (their changes are already in the database): "
WOULD = "Would record as applied (their changes are already in the database): "
FILL = """from django.db import migrations


def fill(apps, schema_editor):
    apps.get_model("livingapp", "Note").objects.update(colour="blue")


class Migration(migrations.Migration):
    dependencies = [("livingapp", "0002_note_colour")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
"""


@pytest.fixture
def app_dir(tmp_path):
    """livingapp with Note(text) and 0001 applied by ``migrate``; removed after."""
    start_app(tmp_path, NOTE)
    yield tmp_path
    forget_app()


def start_app(app_dir: Path, models_py: str) -> None:
    """livingapp in ``app_dir`` with these models, its 0001 made by
    makemigrations and applied by migrate."""
    package = app_dir / APP
    (package / "migrations").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "migrations" / "__init__.py").write_text("")
    (package / "models.py").write_text(models_py)
    ok(manage(app_dir, "makemigrations", APP))
    ok(manage(app_dir, "migrate", APP))


def forget_app() -> None:
    """What livingapp left in the test database, gone: the other tests do not know it."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in ("livingapp_note", "livingapp_memo"):  # Memo: tests/test_history_hints.py
            cursor.execute(f"DROP TABLE IF EXISTS {qn(table)}")
        if desired_cache.TABLE in connection.introspection.table_names(cursor):
            # A run that was refused may not have made it.
            cursor.execute(f"DELETE FROM {qn(desired_cache.TABLE)} WHERE model LIKE 'livingapp.%%'")
        cursor.execute("DELETE FROM django_migrations WHERE app = %s", [APP])
        cursor.execute(
            "DELETE FROM auth_permission WHERE content_type_id IN "
            "(SELECT id FROM django_content_type WHERE app_label = %s)",
            [APP],
        )
        cursor.execute("DELETE FROM django_content_type WHERE app_label = %s", [APP])


def manage(app_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings_living",
        "DATABASE_URL": database_url(),
        "LIVING_APP_DIR": str(app_dir),
        "PYTHONDONTWRITEBYTECODE": "1",  # models.py changes within the second
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def write_models(app_dir: Path, *fields: str) -> None:
    (app_dir / APP / "models.py").write_text(NOTE + "".join(fields))


def recorded() -> set[str]:
    applied = MigrationRecorder(connection).applied_migrations()
    return {name for app, name in applied if app == APP}


def columns() -> set[str]:
    with connection.cursor() as cursor:
        described = connection.introspection.get_table_description(cursor, "livingapp_note")
    return {column.name for column in described}


def add_colour_then_makemigrations(app_dir: Path) -> None:
    """The developer adds a field, runs autoupdate, and later makemigrations."""
    write_models(app_dir, COLOUR)
    ok(manage(app_dir, "autoupdate", APP))
    assert "colour" in columns()
    ok(manage(app_dir, "makemigrations", APP))
    assert (app_dir / APP / "migrations" / "0002_note_colour.py").exists()
    assert recorded() == {"0001_initial"}


def test_a_migration_of_what_autoupdate_did_is_recorded_and_migrate_does_nothing(app_dir):
    add_colour_then_makemigrations(app_dir)

    # --check and --dry-run say what a real run records, and record nothing.
    checked = manage(app_dir, "autoupdate", APP, "--check")
    assert checked.returncode == 0, checked.stdout + checked.stderr  # the schema matches
    assert "Database 'default' matches the models." in checked.stdout
    assert WOULD + "livingapp.0002_note_colour" in checked.stdout
    assert "python manage.py migrate --fake livingapp 0002_note_colour" in checked.stdout
    dry = ok(manage(app_dir, "autoupdate", APP, "--dry-run"))
    assert WOULD + "livingapp.0002_note_colour" in dry
    assert recorded() == {"0001_initial"}

    out = ok(manage(app_dir, "autoupdate", APP))
    assert "No changes: the database matches the models." in out
    assert RECORDED + "livingapp.0002_note_colour" in out
    assert recorded() == {"0001_initial", "0002_note_colour"}

    migrate = ok(manage(app_dir, "migrate", APP))
    assert "No migrations to apply." in migrate
    assert columns() == {"id", "text", "colour"}
    # Nothing left to record: the next run says nothing about migrations.
    again = ok(manage(app_dir, "autoupdate", APP))
    assert RECORDED not in again and WOULD not in again
    assert WOULD not in ok(manage(app_dir, "autoupdate", APP, "--check"))


def test_migrations_the_models_do_not_match_are_left_to_migrate(app_dir):
    """autoupdate added colour; then 0002 came to add colour and size (written
    for models that also have size): its changes are not all in the database."""
    write_models(app_dir, COLOUR)
    ok(manage(app_dir, "autoupdate", APP))
    write_models(app_dir, COLOUR, SIZE)
    ok(manage(app_dir, "makemigrations", APP))
    write_models(app_dir, COLOUR)
    assert recorded() == {"0001_initial"}

    out = ok(manage(app_dir, "autoupdate", APP, "-v", "2"))
    assert RECORDED not in out
    assert "livingapp: migrations left to `migrate`: the models differ" in out
    checked = ok(manage(app_dir, "autoupdate", APP, "--check"))
    assert WOULD not in checked and "the models differ" in checked
    assert recorded() == {"0001_initial"}


def test_a_data_migration_is_left_to_migrate_and_what_precedes_it_recorded(app_dir):
    add_colour_then_makemigrations(app_dir)
    (app_dir / APP / "migrations" / "0003_fill.py").write_text(FILL)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO livingapp_note (text, colour) VALUES ('a', 'red')")

    out = ok(manage(app_dir, "autoupdate", APP))
    assert RECORDED + "livingapp.0002_note_colour" in out
    assert "livingapp: migrations left to `migrate`: 0003_fill run code" in out
    assert "(autoupdate does not run it): run python manage.py migrate livingapp" in out
    assert recorded() == {"0001_initial", "0002_note_colour"}

    migrate = ok(manage(app_dir, "migrate", APP))
    assert "Applying livingapp.0003_fill... OK" in migrate
    with connection.cursor() as cursor:
        cursor.execute("SELECT colour FROM livingapp_note")
        assert list(cursor.fetchall()) == [("blue",)]


def test_an_in_sync_run_with_every_migration_recorded_loads_no_migration_file(monkeypatch):
    autoupdate("todolist")

    class NotNow(MigrationLoader):
        def __init__(self, *args, **kwargs):
            raise AssertionError("the migration files were loaded")

    monkeypatch.setattr(unrecorded, "MigrationLoader", NotNow)
    result = autoupdate("todolist")
    assert result.plan.steps == [] and not result.plan.unrecorded
