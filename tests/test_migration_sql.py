"""What an app's migrations make with RunSQL (migration_sql.py): built by
``automigrate`` and by ``autoupdate`` on an empty database as ``migrate``
builds it. The oracle is migrate itself: the same migration files, the
schema in the catalog afterwards. Driven through manage.py on an app
written to a tmp dir (tests/settings_living.py), as wagtailsearch's
FULLTEXT indexes, FTS5 virtual table and triggers are made.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from automigrate_cmd.snapshot import diff_schemas, inspect_schema

from .test_living_with_migrations import APP, forget_app, manage, ok, start_app

pytestmark = pytest.mark.django_db(transaction=True)

AT_0001 = """from django.db import models


class Note(models.Model):
    title = models.CharField(max_length=50)
    body = models.TextField()
    gone = models.IntegerField(null=True)
"""
NOW = """from django.db import models


class Note(models.Model):
    title = models.CharField(max_length=50)
    body = models.TextField()
"""
# Per backend, as wagtail's migrations do: 0002 makes two objects (one on a
# column 0003 removes) and inserts a row; 0003 drops both and makes another.
OBJECTS = {
    "postgresql": (
        "CREATE INDEX note_title_lower ON livingapp_note (lower(title))",
        "CREATE INDEX note_gone ON livingapp_note (gone)",
        "DROP INDEX note_gone",
        "DROP INDEX note_title_lower; "
        "CREATE INDEX note_title_upper ON livingapp_note (upper(title))",
    ),
    "sqlite": (
        "CREATE TRIGGER note_touch AFTER INSERT ON livingapp_note "
        "BEGIN UPDATE livingapp_note SET body = body WHERE id = NEW.id; END",
        "CREATE INDEX note_gone ON livingapp_note (gone)",
        "DROP INDEX note_gone",
        "CREATE INDEX note_title_upper ON livingapp_note (upper(title))",
    ),
    "mysql": (
        "ALTER TABLE livingapp_note ADD FULLTEXT INDEX note_body_ft (body)",
        "ALTER TABLE livingapp_note ADD INDEX note_gone (gone)",
        "ALTER TABLE livingapp_note DROP INDEX note_gone",
        "ALTER TABLE livingapp_note DROP INDEX note_body_ft; "
        "ALTER TABLE livingapp_note ADD FULLTEXT INDEX note_title_body_ft (title, body)",
    ),
}
MIGRATION = """from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("livingapp", "{parent}")]
    operations = [{operations}]
"""


def write_migration(app: Path, name: str, parent: str, *operations: str) -> None:
    text = MIGRATION.format(parent=parent, operations=", ".join(operations))
    (app / APP / "migrations" / f"{name}.py").write_text(text)


def livingapp_schema() -> dict:
    tables = [t for t in connection.introspection.table_names() if t.startswith("livingapp_")]
    return inspect_schema(connection, tables)


def drop_livingapp() -> None:
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table.startswith("livingapp_note_fts") or table == "livingapp_note":
                cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)}")
    forget_app()


@pytest.fixture
def app(tmp_path):
    yield tmp_path
    drop_livingapp()


def write_later_migrations(app: Path) -> None:
    """NOW, and the two RunSQL migrations that lead there from 0001, unapplied."""
    first, on_gone, drop_gone, third = OBJECTS[connection.vendor]
    insert = "INSERT INTO livingapp_note (title, body) VALUES ('from 0002', 'x')"
    run_sql = [f"migrations.RunSQL({statement!r})" for statement in (first, on_gone, insert)]
    write_migration(app, "0002_objects", "0001_initial", *run_sql)
    removal = [
        f"migrations.RunSQL({drop_gone!r})",
        'migrations.RemoveField("note", "gone")',
        f"migrations.RunSQL({third!r})",
    ]
    write_migration(app, "0003_more", "0002_objects", *removal)
    (app / APP / "models.py").write_text(NOW)


def forget_livingapp_tables() -> None:
    """An empty database for livingapp, its migration files still there."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE livingapp_note")
        cursor.execute("DELETE FROM django_migrations WHERE app = %s", [APP])


def test_automigrate_and_autoupdate_build_what_migrate_builds_with_run_sql(app: Path):
    start_app(app, AT_0001)
    write_later_migrations(app)
    ok(manage(app, "migrate", APP))
    by_migrate = livingapp_schema()

    recreated = ok(manage(app, "automigrate", APP, "--noinput"))
    assert "Running the SQL of livingapp.0002_objects, livingapp.0003_more" in recreated, recreated
    # The index on the column 0003 removed cannot be made: named, not fatal.
    assert "Skipped, it no longer fits the models: livingapp.0002_objects:" in recreated, recreated
    assert diff_schemas(by_migrate, livingapp_schema(), labels=("migrate", "automigrate")) == []
    with connection.cursor() as cursor:  # the INSERT is data: migrate's, not automigrate's
        cursor.execute("SELECT COUNT(*) FROM livingapp_note")
        assert cursor.fetchone()[0] == 0
    checked = ok(manage(app, "autoupdate", APP, "--check"))
    assert "matches the models" in checked, checked

    forget_livingapp_tables()
    planned = ok(manage(app, "autoupdate", APP, "--dry-run"))
    assert "Run migration sql livingapp_note: " in planned, planned
    assert "of livingapp.0002_objects, livingapp.0003_more" in planned, planned
    ok(manage(app, "autoupdate", APP, "--noinput"))
    assert diff_schemas(by_migrate, livingapp_schema(), labels=("migrate", "autoupdate")) == []
    checked = ok(manage(app, "autoupdate", APP, "--check"))
    assert "matches the models" in checked, checked


def test_autoupdate_of_a_database_behind_makes_what_the_unapplied_migrations_make(app: Path):
    """A database at 0001 with rows (a copy of production, say), 0002 and 0003
    unapplied: their SQL makes on the existing table what migrate makes."""
    start_app(app, AT_0001)
    write_later_migrations(app)
    ok(manage(app, "migrate", APP))
    by_migrate = livingapp_schema()
    forget_livingapp_tables()
    ok(manage(app, "migrate", APP, "0001"))
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO livingapp_note (title, body) VALUES ('kept', 'row')")

    planned = ok(manage(app, "autoupdate", APP, "--dry-run"))
    assert "Run migration sql livingapp_note: " in planned, planned
    updated = ok(manage(app, "autoupdate", APP, "--noinput", "--accept-data-loss"))
    assert "Skipped, it no longer fits the models: livingapp.0002_objects:" in updated, updated
    assert diff_schemas(by_migrate, livingapp_schema(), labels=("migrate", "autoupdate")) == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT title, body FROM livingapp_note")
        assert list(cursor.fetchall()) == [("kept", "row")]
    # What it made is there: not made again, and nothing else to do.
    checked = ok(manage(app, "autoupdate", APP, "--check"))
    assert "matches the models" in checked, checked


SEARCH_MODELS = (
    NOW
    + """

class NoteSearch(models.Model):
    note = models.OneToOneField(Note, models.CASCADE, primary_key=True, db_column="rowid")
    body = models.TextField(null=True)

    class Meta:
        db_table = "livingapp_note_fts"
"""
)
VIRTUAL_TABLE = """migrations.SeparateDatabaseAndState(
        state_operations=[
            migrations.CreateModel(
                name="NoteSearch",
                fields=[
                    ("note", models.OneToOneField(on_delete=models.CASCADE, primary_key=True,
                        serialize=False, to="livingapp.note", db_column="rowid")),
                    ("body", models.TextField(null=True)),
                ],
                options={"db_table": "livingapp_note_fts"},
            ),
        ],
        database_operations=[
            migrations.RunSQL("CREATE VIRTUAL TABLE livingapp_note_fts USING fts5(body)"),
            migrations.RunSQL(
                "CREATE TRIGGER note_fts_insert AFTER INSERT ON livingapp_note BEGIN "
                "INSERT INTO livingapp_note_fts(rowid, body) VALUES (NEW.id, NEW.body); END"
            ),
        ],
    )"""


def sqlite_objects() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT type, name FROM sqlite_master WHERE name LIKE 'livingapp_note_fts' "
            "OR name = 'note_fts_insert' ORDER BY name"
        )
        return list(cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "sqlite", reason="an FTS5 virtual table is SQLite's")
def test_a_model_whose_table_the_migrations_make_with_sql_is_made_by_that_sql(app: Path):
    """wagtailsearch's SQLite search index: the state creates the model, the
    database gets a virtual table and a trigger from RunSQL."""
    start_app(app, NOW)
    (app / APP / "models.py").write_text(SEARCH_MODELS)
    write_migration(app, "0002_search", "0001_initial", VIRTUAL_TABLE)
    ok(manage(app, "migrate", APP))
    by_migrate = (livingapp_schema(), sqlite_objects())
    assert ("table", "livingapp_note_fts") in by_migrate[1]

    ok(manage(app, "automigrate", APP, "--noinput"))
    assert (livingapp_schema(), sqlite_objects()) == by_migrate
    checked = ok(manage(app, "autoupdate", APP, "--check"))
    assert "matches the models" in checked, checked

    drop_livingapp_fts()
    forget_livingapp_tables()
    ok(manage(app, "autoupdate", APP, "--noinput"))
    assert (livingapp_schema(), sqlite_objects()) == by_migrate
    with connection.cursor() as cursor:  # the trigger feeds the index, as wagtail's do
        cursor.execute("INSERT INTO livingapp_note (title, body) VALUES ('a', 'some words')")
        cursor.execute(
            "SELECT rowid FROM livingapp_note_fts WHERE livingapp_note_fts MATCH 'words'"
        )
        assert len(cursor.fetchall()) == 1
    checked = ok(manage(app, "autoupdate", APP, "--check"))
    assert "matches the models" in checked, checked


def drop_livingapp_fts() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE livingapp_note_fts")


@pytest.mark.parametrize(
    ("sql", "kind", "table", "name"),
    [
        ("ALTER TABLE `t` ADD FULLTEXT INDEX `ft` (`body`)", "create", "t", "ft"),
        ("ALTER TABLE t DROP INDEX ft;", "drop", "t", "ft"),
        ('CREATE UNIQUE INDEX "u" ON public."t" (lower(name))', "create", "t", "u"),
        (
            "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO s VALUES (1); END",
            "create",
            "t",
            "tr",
        ),
        ("CREATE VIRTUAL TABLE t_fts USING fts5(body)", "virtual_table", "t_fts", "t_fts"),
        ("DROP INDEX IF EXISTS u", "drop", "", "u"),
        ("create extension if not exists pg_trgm", "extension", "", "pg_trgm"),
    ],
)
def test_object_statements_are_told_apart(sql, kind, table, name):
    from automigrate_cmd.migration_sql import _classify

    statement = _classify("app.0002", sql)
    assert (statement.kind, statement.table, statement.name) == (kind, table, name)


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO t (a) VALUES (1)",
        "UPDATE t SET a = 1",
        "ALTER TABLE t ALTER COLUMN a TYPE varchar(9)",
        "ALTER TABLE t DROP INDEX ft, ADD INDEX b (b)",
    ],
)
def test_data_and_type_statements_are_not_run(sql):
    from automigrate_cmd.migration_sql import _classify

    assert _classify("app.0002", sql) is None


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            "ALTER TABLE `t` ADD FULLTEXT INDEX `title` (`title`, body)",
            "ALTER TABLE `memo` ADD FULLTEXT INDEX `title` (`heading`, body)",
        ),
        (
            'CREATE INDEX "t_title_idx" ON public."t" (lower("title"))',
            'CREATE INDEX "t_title_idx" ON public."memo" (lower("heading"))',
        ),
        (
            "CREATE TRIGGER t_ai AFTER INSERT ON t BEGIN "
            "INSERT INTO t_fts(rowid, title) VALUES (new.id, NEW.title); END",
            "CREATE TRIGGER t_ai AFTER INSERT ON memo BEGIN "
            "INSERT INTO t_fts(rowid, title) VALUES (new.id, NEW.heading); END",
        ),
    ],
)
def test_a_statement_is_spelled_with_the_names_later_migrations_give(sql, expected):
    """The table everywhere, the columns only where they are the table's: an
    index's name and another table's columns (an FTS table's) are left."""
    from automigrate_cmd.migration_renames import renamed
    from automigrate_cmd.migration_sql import _classify

    statement = renamed(_classify("app.0002", sql), "memo", {"title": "heading"})
    assert (statement.sql, statement.table) == (expected, "memo")
