"""History-aware hints (issue 12): a database left at an early migration of
an app, then synced by ``autoupdate`` to the current models, uses what the
unapplied migration files know: their RenameField and RenameModel (the
values move with the column and the table), and the one-off default that
makemigrations asked for (``preserve_default=False``). The plan names the
migration; ``--default`` on the command line wins. Driven through manage.py
on an app written to a tmp dir (tests/settings_living.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from .test_living_with_migrations import APP, forget_app, manage, ok, start_app

pytestmark = pytest.mark.django_db(transaction=True)

AT_0001 = """from django.db import models


class Note(models.Model):
    title = models.CharField(max_length=50)
    desc = models.TextField()
"""
NOW = """from django.db import models


class Memo(models.Model):
    title = models.CharField(max_length=50)
    body = models.TextField()
    owner = models.CharField(max_length=20)
"""
LATER_MIGRATIONS = {
    "0002_rename_desc": ("0001_initial", 'migrations.RenameField("note", "desc", "body")'),
    "0003_note_owner": (
        "0002_rename_desc",
        'migrations.AddField("note", "owner", models.CharField(max_length=20, '
        'default="nobody"), preserve_default=False)',
    ),
    "0004_rename_note_memo": ("0003_note_owner", 'migrations.RenameModel("Note", "Memo")'),
}
MIGRATION = """from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("livingapp", "{parent}")]
    operations = [{operation}]
"""


@pytest.fixture
def app_at_0001(tmp_path):
    """livingapp at 0001 (made and applied by makemigrations + migrate) with
    two rows; then the models as they are now and the three migrations that
    lead there, unapplied."""
    start_app(tmp_path, AT_0001)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO livingapp_note (title, " + connection.ops.quote_name("desc") + ") "
            "VALUES ('a', 'first'), ('b', 'second')"
        )
    package = tmp_path / APP
    (package / "models.py").write_text(NOW)
    for name, (parent, operation) in LATER_MIGRATIONS.items():
        text = MIGRATION.format(parent=parent, operation=operation)
        (package / "migrations" / f"{name}.py").write_text(text)
    yield tmp_path
    forget_app()


def memos() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT title, body, owner FROM livingapp_memo ORDER BY title")
        return list(cursor.fetchall())


def test_renames_and_one_off_default_of_unapplied_migrations_are_used(app_at_0001: Path):
    dry = ok(manage(app_at_0001, "autoupdate", APP, "--dry-run"))
    assert (
        "Rename table livingapp_memo: from livingapp_note (as livingapp.0004_rename_note_memo does)"
    ) in dry, dry
    assert "Rename column livingapp_memo.body: from desc (as livingapp.0002_rename_desc does)" in (
        dry
    ), dry
    assert "Drop" not in dry, dry

    ok(manage(app_at_0001, "autoupdate", APP, "--noinput"))

    assert memos() == [("a", "first", "nobody"), ("b", "second", "nobody")]
    migrated = ok(manage(app_at_0001, "migrate", APP))
    assert "No migrations to apply" in migrated, migrated
    ok(manage(app_at_0001, "makemigrations", APP, "--check", "--dry-run"))


def test_the_users_default_wins_over_the_migrations(app_at_0001: Path):
    ok(manage(app_at_0001, "autoupdate", APP, "--noinput", "--default", "livingapp.Memo.owner=ann"))

    assert memos() == [("a", "first", "ann"), ("b", "second", "ann")]
