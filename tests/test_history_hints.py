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


def start_with_two_notes(tmp_path: Path) -> None:
    """livingapp at 0001 (made and applied by makemigrations + migrate), two rows in it."""
    start_app(tmp_path, AT_0001)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO livingapp_note (title, " + connection.ops.quote_name("desc") + ") "
            "VALUES ('a', 'first'), ('b', 'second')"
        )


@pytest.fixture
def app_at_0001(tmp_path):
    """livingapp at 0001 (made and applied by makemigrations + migrate) with
    two rows; then the models as they are now and the three migrations that
    lead there, unapplied."""
    start_with_two_notes(tmp_path)
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


RECREATED_NOTE = """from django.db import models


class Note(models.Model):
    digest = models.CharField(max_length=64, primary_key=True)
    title = models.CharField(max_length=50)
"""
RECREATE_MIGRATION = """from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("livingapp", "0001_initial")]
    operations = [
        migrations.DeleteModel("Note"),
        migrations.CreateModel(
            name="Note",
            fields=[
                ("digest", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("title", models.CharField(max_length=50)),
            ],
        ),
    ]
"""


def app_recreating_note(tmp_path: Path, models_py: str) -> Path:
    """livingapp at 0001 with two notes, then ``models_py`` and a 0002 that
    deletes Note and creates it again (as knox's 0002 does), unapplied."""
    start_with_two_notes(tmp_path)
    package = tmp_path / APP
    (package / "models.py").write_text(models_py)
    (package / "migrations" / "0002_recreate_note.py").write_text(RECREATE_MIGRATION)
    return tmp_path


def note_columns_and_rows() -> tuple[set[str], int]:
    with connection.cursor() as cursor:
        described = connection.introspection.get_table_description(cursor, "livingapp_note")
        cursor.execute("SELECT COUNT(*) FROM livingapp_note")
        return {column.name for column in described}, cursor.fetchone()[0]


@pytest.fixture
def forgetting():
    yield
    forget_app()


def test_a_model_an_unapplied_migration_recreates_is_recreated_under_the_data_loss_rules(
    tmp_path: Path, forgetting
):
    """The new primary key has no value for the rows there: refused with its
    rows, so the table is dropped and created as 0002 does, its two rows
    announced; refused without --accept-data-loss, changing nothing."""
    app = app_recreating_note(tmp_path, RECREATED_NOTE)
    dry = ok(manage(app, "autoupdate", APP, "--dry-run"))
    assert (
        "Drop table livingapp_note: 2 rows; created again, as livingapp.0002_recreate_note does"
    ) in dry, dry
    assert "Create table livingapp_note" in dry, dry

    refused = manage(app, "autoupdate", APP, "--noinput")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "livingapp.0002_recreate_note deletes the model and creates it again" in (
        refused.stderr
    ), refused.stderr
    assert note_columns_and_rows() == ({"id", "title", "desc"}, 2)

    ok(manage(app, "autoupdate", APP, "--noinput", "--accept-data-loss"))

    assert note_columns_and_rows() == ({"digest", "title"}, 0)
    migrated = ok(manage(app, "migrate", APP))
    assert "No migrations to apply" in migrated, migrated


def test_a_model_an_unapplied_migration_recreates_keeps_its_rows_where_it_can(
    tmp_path: Path, forgetting
):
    """Where the rows can stay (here a column is dropped, another added with
    a default), autoupdate keeps them: the history's drop is not needed."""
    models_py = AT_0001.replace(
        "desc = models.TextField()", 'tag = models.CharField(max_length=9, default="x")'
    )
    app = app_recreating_note(tmp_path, models_py)
    migration = RECREATE_MIGRATION.replace(
        '("digest", models.CharField(max_length=64, primary_key=True, serialize=False))',
        '("id", models.AutoField(primary_key=True, serialize=False))',
    ).replace(
        '("title", models.CharField(max_length=50)),',
        '("title", models.CharField(max_length=50)), '
        '("tag", models.CharField(max_length=9, default="x")),',
    )
    (app / APP / "migrations" / "0002_recreate_note.py").write_text(migration)

    dry = ok(manage(app, "autoupdate", APP, "--dry-run"))
    assert "Drop table" not in dry, dry

    ok(manage(app, "autoupdate", APP, "--noinput", "--accept-data-loss"))

    assert note_columns_and_rows() == ({"id", "title", "tag"}, 2)


NOTE_WITH_CODE = AT_0001 + "    code = models.CharField(max_length=9, unique=True)\n"
CODE_MIGRATIONS = {
    "0002_note_code": (
        "0001_initial",
        'migrations.AddField("note", "code", models.CharField(max_length=9, null=True))',
    ),
    "0003_fill_codes": (
        "0002_note_code",
        "migrations.RunPython(fill_codes)",
    ),
    "0004_unique_code": (
        "0003_fill_codes",
        'migrations.AlterField("note", "code", models.CharField(max_length=9, unique=True))',
    ),
}
FILL_CODES = """

def fill_codes(apps, schema_editor):
    for note in apps.get_model("livingapp", "Note").objects.all():
        note.code = "n" + str(note.pk)
        note.save()
"""


def test_a_refused_step_names_the_unapplied_migration_code_that_migrate_would_run(
    tmp_path: Path, forgetting
):
    """wagtailembeds' case: a data migration (RunPython) computes each row's
    value of the new unique column. autoupdate runs no migration code: it
    refuses, changes nothing, and names the migration and what to run; after
    that migrate, autoupdate has nothing to do."""
    start_with_two_notes(tmp_path)
    package = tmp_path / APP
    (package / "models.py").write_text(NOTE_WITH_CODE)
    for name, (parent, operation) in CODE_MIGRATIONS.items():
        text = MIGRATION.format(parent=parent, operation=operation)
        if "RunPython" in operation:
            text = text.replace("\n\nclass Migration", FILL_CODES + "\n\nclass Migration")
        (package / "migrations" / f"{name}.py").write_text(text)

    refused = manage(tmp_path, "autoupdate", APP, "--noinput", "--accept-data-loss")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert (
        "livingapp's unapplied migrations livingapp.0003_fill_codes run code autoupdate does "
        "not run: run python manage.py migrate livingapp first, then autoupdate"
    ) in refused.stderr, refused.stderr
    assert note_columns_and_rows() == ({"id", "title", "desc"}, 2)

    ok(manage(tmp_path, "migrate", APP))
    checked = ok(manage(tmp_path, "autoupdate", APP, "--check"))
    assert "matches the models" in checked, checked


def test_a_column_the_history_removes_and_adds_again_is_dropped_and_added_as_migrate_does(
    tmp_path: Path, forgetting
):
    """0002 removes title and adds an integer title: migrate drops the
    column's values. autoupdate would convert them, cannot, and so does what
    the history does: the old column out of the way, dropped under the
    data-loss rules, and a new one added."""
    start_with_two_notes(tmp_path)
    package = tmp_path / APP
    (package / "models.py").write_text(
        AT_0001.replace("models.CharField(max_length=50)", "models.IntegerField(null=True)")
    )
    operations = (
        'migrations.RemoveField("note", "title"), '
        'migrations.AddField("note", "title", models.IntegerField(null=True))'
    )
    text = MIGRATION.format(parent="0001_initial", operation=operations)
    (package / "migrations" / "0002_title_again.py").write_text(text)

    planned = ok(manage(tmp_path, "autoupdate", APP, "--dry-run"))
    assert (
        "Rename column livingapp_note.title__replaced: from title (livingapp.0002_title_again "
        "removes the field title and adds it again: dropped below, with its values)"
    ) in planned, planned
    assert "Add column livingapp_note.title" in planned, planned
    refused = manage(tmp_path, "autoupdate", APP, "--noinput")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "livingapp_note.title__replaced: column dropped, 2 non-null values" in refused.stderr
    assert note_columns_and_rows() == ({"id", "title", "desc"}, 2)

    ok(manage(tmp_path, "autoupdate", APP, "--noinput", "--accept-data-loss"))
    assert note_columns_and_rows() == ({"id", "title", "desc"}, 2)
    with connection.cursor() as cursor:
        desc = connection.ops.quote_name("desc")
        cursor.execute(f"SELECT title, {desc} FROM livingapp_note")
        assert sorted(cursor.fetchall()) == [(None, "first"), (None, "second")]


def test_a_long_column_the_history_adds_again_is_moved_out_of_the_way_under_a_name_that_fits(
    tmp_path: Path, forgetting
):
    """``<column>__replaced`` is over the backend's limit for a 62-character
    column (MariaDB refuses such a name, PostgreSQL cuts it): shortened as
    Django shortens names."""
    long = "title_" + "x" * 56
    field = f"models.{{}}(db_column={long!r}, {{}})"
    start_app(
        tmp_path,
        AT_0001.replace(
            "models.CharField(max_length=50)", field.format("CharField", "max_length=50")
        ),
    )
    with connection.cursor() as cursor:
        column, desc = connection.ops.quote_name(long), connection.ops.quote_name("desc")
        cursor.execute(
            f"INSERT INTO livingapp_note ({column}, {desc}) VALUES ('a', 'first'), ('b', 'second')"
        )
    package = tmp_path / APP
    integer = field.format("IntegerField", "null=True")
    (package / "models.py").write_text(AT_0001.replace("models.CharField(max_length=50)", integer))
    operations = (
        f'migrations.RemoveField("note", "title"), migrations.AddField("note", "title", {integer})'
    )
    text = MIGRATION.format(parent="0001_initial", operation=operations)
    (package / "migrations" / "0002_title_again.py").write_text(text)

    ok(manage(tmp_path, "autoupdate", APP, "--noinput", "--accept-data-loss"))
    assert note_columns_and_rows() == ({"id", long, "desc"}, 2)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM livingapp_note")
        assert list(cursor.fetchall()) == [(None,), (None,)]
