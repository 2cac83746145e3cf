"""What no version of the models declared is kept (issue 12, "Change only
what the models changed"): a hand-made index, a hand-set collation, a view,
a MariaDB FULLTEXT index survive an autoupdate of the same table; what the
models stop declaring is still removed; ``--drop-undeclared`` drops the rest.
"""

from __future__ import annotations

import pytest
from django.db import connection, models

from automigrate_cmd import Refused, automigrate, autoupdate, check
from automigrate_cmd.snapshot import inspect_schema
from tests.test_autoupdate_renames import (
    build,
    drop_own_tables,
    forget_stored_tables,
    model,
    own_tables,
    registry,
)

pytestmark = pytest.mark.django_db(transaction=True)

TABLE = "renameapp_note"


@pytest.fixture(autouse=True)
def clean_tables():
    drop_own_tables()
    forget_stored_tables()
    yield
    forget_stored_tables()
    with connection.cursor() as cursor:
        cursor.execute("DROP VIEW IF EXISTS renameapp_note_view")
    drop_own_tables()


def note(index_name: str = "", collation: str | None = None, body: bool = True):
    """The model, with a named Meta index on title (or none)."""
    meta = type("Meta", (), {})
    if index_name:
        meta.indexes = [models.Index(fields=["title"], name=index_name)]
    fields = {"title": models.CharField(max_length=50, db_collation=collation)}
    if body:
        fields["body"] = models.TextField(default="")
    fields["Meta"] = meta
    return model(registry(), "Note", **fields)


def index_names() -> set[str]:
    record = inspect_schema(connection, [TABLE])[TABLE]
    return {index["name"] for index in record.get("indexes", [])}


def execute(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


def test_hand_made_index_survives_an_autoupdate_of_the_table():
    build(note(body=False))
    note(body=False).objects.create(title="a")
    execute(f"CREATE INDEX hot_title ON {TABLE} (title)")

    result = autoupdate([note()])  # adds the body column: the table is altered

    assert "hot_title" in index_names()
    assert "index hot_title on renameapp_note" in result.plan.kept
    assert "body" in inspect_schema(connection, [TABLE])[TABLE]["columns"]
    assert check([note()]).steps == []


def test_drop_undeclared_drops_the_hand_made_index():
    build(note())
    execute(f"CREATE INDEX hot_title ON {TABLE} (title)")

    autoupdate([note()], drop_undeclared=True)

    assert "hot_title" not in index_names()
    assert check([note()]).steps == []


def test_meta_index_the_models_stop_declaring_is_dropped():
    automigrate([note("note_title_ix")])  # stores what the models produced
    assert "note_title_ix" in index_names()

    result = autoupdate([note()])

    assert "note_title_ix" not in index_names()
    assert result.plan.kept == []


def test_db_index_the_models_stop_declaring_is_dropped_after_migrate_too():
    """No stored tables (a database built by migrate): Django's generated
    names tell the models' own indexes."""
    apps = registry()
    indexed = model(apps, "Note", title=models.CharField(max_length=50, db_index=True))
    build(indexed)

    autoupdate([note(body=False)])

    assert index_names() == set()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="collations by name: PostgreSQL")
def test_hand_set_collation_survives_and_a_declared_one_is_applied():
    build(note())
    execute(f'ALTER TABLE {TABLE} ALTER COLUMN title TYPE varchar(50) COLLATE "C"')

    kept = autoupdate([note()]).plan.kept

    assert kept == ["collation C of renameapp_note.title"]
    assert inspect_schema(connection, [TABLE])[TABLE]["columns"]["title"]["collation"] == "C"
    # The models declare one of their own: it is applied, then removed with the declaration.
    autoupdate([note(collation="POSIX")])
    assert inspect_schema(connection, [TABLE])[TABLE]["columns"]["title"]["collation"] == "POSIX"
    autoupdate([note()])
    assert inspect_schema(connection, [TABLE])[TABLE]["columns"]["title"]["collation"] is None


def test_view_on_the_table_survives():
    build(note(body=False))
    note(body=False).objects.create(title="a")
    execute(f"CREATE VIEW renameapp_note_view AS SELECT title FROM {TABLE}")

    autoupdate([note()])

    with connection.cursor() as cursor:
        cursor.execute("SELECT title FROM renameapp_note_view")
        assert list(cursor.fetchall()) == [("a",)]


@pytest.mark.skipif(connection.vendor != "mysql", reason="FULLTEXT: MariaDB")
def test_fulltext_index_survives_on_mariadb():
    build(note())
    execute(f"CREATE FULLTEXT INDEX note_search ON {TABLE} (title, body)")

    result = autoupdate([note("note_title_ix")])

    assert {"note_search", "note_title_ix"} <= index_names()
    assert "index note_search on renameapp_note" in result.plan.kept
    assert check([note("note_title_ix")]).steps == []


# --- issue 12 item 2: tables of removed models --------------------------------


def tag_and_post():
    apps = registry()
    tag = model(apps, "Tag", name=models.CharField(max_length=20))
    post = model(
        apps, "Post", title=models.CharField(max_length=20), tags=models.ManyToManyField(tag)
    )
    return tag, post


def test_removed_model_is_refused_then_dropped_with_accept_data_loss():
    tag, post = tag_and_post()
    automigrate([tag, post])  # stores what the models produced: Post had two tables
    first = post.objects.create(title="first")
    first.tags.add(tag.objects.create(name="red"))
    apps = registry()
    tag = model(apps, "Tag", name=models.CharField(max_length=20))

    with pytest.raises(Refused, match="renameapp_post: table of the removed model renameapp.post"):
        autoupdate([tag])
    assert {"renameapp_post", "renameapp_post_tags"} <= set(own_tables())
    steps = [s.describe() for s in check([tag]).steps]
    assert steps == [
        "Drop table renameapp_post_tags: model renameapp.post removed, 1 row",
        "Drop table renameapp_post: model renameapp.post removed, 1 row",
    ]

    autoupdate([tag], accept_data_loss=True)

    assert own_tables() == ["renameapp_tag"]
    assert check([tag]).steps == []


def test_removed_models_that_reference_each_other_are_dropped():
    """Found by a random PostgreSQL run of the property test: Tag and Post
    point at each other and both go; whichever was dropped first was still
    referenced by the other ("cannot drop table ... other objects depend on
    it"). The first one's foreign keys from the other are dropped with it."""
    apps = registry()
    tag = model(apps, "Tag", post=models.ForeignKey("Post", models.CASCADE, null=True))
    post = model(apps, "Post", tag=models.ForeignKey(tag, models.CASCADE, null=True))
    keep = model(apps, "Keep", tag=models.ForeignKey(tag, models.CASCADE, null=True))
    automigrate([tag, post, keep])
    first = tag.objects.create()
    post.objects.create(tag=first)
    apps = registry()
    keep = model(apps, "Keep", name=models.CharField(max_length=20, default=""))

    steps = [s.describe() for s in check([keep]).steps]
    autoupdate([keep], accept_data_loss=True)

    assert "Drop table renameapp_post: model renameapp.post removed, 1 row" in steps
    assert "Drop table renameapp_tag: model renameapp.tag removed, 1 row" in steps
    assert own_tables() == ["renameapp_keep"]
    assert check([keep]).steps == []


def test_table_no_model_ever_had_is_never_touched():
    apps = registry()
    tag = model(apps, "Tag", name=models.CharField(max_length=20))
    automigrate([tag])
    execute("CREATE TABLE renameapp_scratchpad (id integer PRIMARY KEY)")

    assert check([tag]).steps == []
    autoupdate([tag], accept_data_loss=True)

    assert "renameapp_scratchpad" in own_tables()


def test_stale_content_type_names_a_removed_models_table(run_manage):
    """A model of an installed app deleted from the code: its content type
    stays behind (remove_stale_contenttypes is separate), so does its table."""
    execute("CREATE TABLE todolist_oldthing (id integer PRIMARY KEY)")
    execute("INSERT INTO todolist_oldthing (id) VALUES (1)")
    execute("CREATE TABLE todolist_neverhad (id integer PRIMARY KEY)")
    execute("INSERT INTO django_content_type (app_label, model) VALUES ('todolist', 'oldthing')")
    try:
        listed = run_manage("autoupdate", "todolist", "--check")
        assert listed.returncode == 1
        assert "Drop table todolist_oldthing: model todolist.oldthing removed, 1 row" in (
            listed.stdout
        )
        assert "neverhad" not in listed.stdout
        refused = run_manage("autoupdate", "todolist", "--noinput")
        assert refused.returncode == 1
        assert "table of the removed model todolist.oldthing dropped, 1 row" in refused.stderr
        done = run_manage("autoupdate", "todolist", "--noinput", "--accept-data-loss")
        assert done.returncode == 0, done.stderr
        tables = connection.introspection.table_names()
        assert "todolist_oldthing" not in tables
        assert "todolist_neverhad" in tables
        # Only whole apps are looked at: naming one model leaves the rest alone.
        execute("CREATE TABLE todolist_oldthing (id integer PRIMARY KEY)")
        assert run_manage("autoupdate", "todolist.Todo", "--check").returncode == 0
    finally:
        execute("DELETE FROM django_content_type WHERE model = 'oldthing'")
        execute("DROP TABLE IF EXISTS todolist_oldthing")
        execute("DROP TABLE todolist_neverhad")


def test_removed_many_to_many_field_drops_its_table():
    tag, post = tag_and_post()
    automigrate([tag, post])
    apps = registry()
    tag = model(apps, "Tag", name=models.CharField(max_length=20))
    post = model(apps, "Post", title=models.CharField(max_length=20))

    steps = [s.describe() for s in check([tag, post]).steps]

    assert steps == [
        "Drop table renameapp_post_tags: a many-to-many field of renameapp.post removed, 0 rows"
    ]
    autoupdate([tag, post])
    assert own_tables() == ["renameapp_post", "renameapp_tag"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5: SQLite")
def test_fts5_virtual_table_and_its_triggers_survive_on_sqlite(request):
    """As wagtail's search backend makes one: an FTS5 table over the model's
    table, kept up to date by triggers. An autoupdate that adds a column in
    place and one that rebuilds the table (a shorter title) keep both."""
    build(note(body=False))
    note(body=False).objects.create(title="alpha")
    # Before its shadow tables (renameapp_note_fts_data...), which go with it.
    request.addfinalizer(lambda: execute("DROP TABLE IF EXISTS renameapp_note_fts"))
    execute(
        f"CREATE VIRTUAL TABLE renameapp_note_fts USING fts5(title, content='{TABLE}', "
        "content_rowid='id')"
    )
    execute(
        f"CREATE TRIGGER renameapp_note_ai AFTER INSERT ON {TABLE} BEGIN "
        "INSERT INTO renameapp_note_fts(rowid, title) VALUES (new.id, new.title); END"
    )
    execute(f"INSERT INTO renameapp_note_fts(rowid, title) SELECT id, title FROM {TABLE}")

    autoupdate([note()])  # adds body in place
    shorter = note()
    shorter._meta.get_field("title").max_length = 40
    autoupdate([shorter], accept_data_loss=True)  # a type change: SQLite rebuilds the table
    shorter.objects.create(title="beta", body="")

    with connection.cursor() as cursor:
        cursor.execute("SELECT title FROM renameapp_note_fts WHERE renameapp_note_fts MATCH 'beta'")
        assert cursor.fetchall() == [("beta",)]
        cursor.execute("SELECT COUNT(*) FROM renameapp_note_fts")
        assert cursor.fetchone()[0] == 2
    assert check([shorter]).steps == []
    assert "renameapp_note_fts" in own_tables()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5: SQLite")
def test_a_model_over_an_fts5_virtual_table_is_left_as_it_is(request):
    """wagtail's SQLiteFTSIndexEntry: a model whose table its migration made
    with RunSQL as an FTS5 virtual table (the columns have no types there).
    It cannot be altered: autoupdate leaves it, and says so at -v 1."""
    apps = registry()
    entry = model(apps, "Entry", title=models.CharField(max_length=50))
    meta = type("Meta", (), {"db_table": "renameapp_entry_fts"})
    fts = model(
        apps,
        "EntryFts",
        entry=models.OneToOneField(
            entry, primary_key=True, on_delete=models.CASCADE, db_column="rowid"
        ),
        title=models.TextField(),
        Meta=meta,
    )
    build(entry)
    request.addfinalizer(lambda: execute("DROP TABLE IF EXISTS renameapp_entry_fts"))
    execute("CREATE VIRTUAL TABLE renameapp_entry_fts USING fts5(title)")
    execute("INSERT INTO renameapp_entry_fts(rowid, title) VALUES (1, 'alpha')")

    plan = check([entry, fts])
    result = autoupdate([entry, fts])

    assert plan.steps == [] and result.plan.steps == []
    assert "virtual table renameapp_entry_fts (not compared)" in result.plan.kept
    with connection.cursor() as cursor:
        cursor.execute("SELECT title FROM renameapp_entry_fts WHERE title MATCH 'alpha'")
        assert cursor.fetchall() == [("alpha",)]


@pytest.mark.skipif(connection.vendor != "mysql", reason="InnoDB's indexes for foreign keys")
def test_mariadb_index_on_a_foreign_key_built_by_migrates_history_is_kept():
    """wagtailcore_grouppagepermission as migrate's history leaves it: an
    index on group_id (Django's generated name) next to a unique constraint
    that begins with group_id. A fresh build has no such index (InnoDB uses
    the unique one for the foreign key); either is right, so autoupdate keeps
    what is there instead of dropping it (found by the real-app corpus)."""
    apps = registry()
    group = model(apps, "Group", name=models.CharField(max_length=20))
    meta = type("Meta", (), {"unique_together": [("group", "code")]})
    permission = model(
        apps,
        "Permission",
        group=models.ForeignKey(group, on_delete=models.CASCADE),
        code=models.CharField(max_length=20),
        Meta=meta,
    )
    build(group, permission)
    index = "renameapp_permission_group_id_fc07e671"
    execute(f"CREATE INDEX {index} ON renameapp_permission (group_id)")

    assert check([group, permission]).steps == []
    autoupdate([group, permission])
    assert index in index_names_of("renameapp_permission")


def index_names_of(table: str) -> set[str]:
    record = inspect_schema(connection, [table])[table]
    return {index["name"] for index in record.get("indexes", [])}
