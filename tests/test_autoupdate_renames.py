"""autoupdate where users start and rename (issue 11, items 1-5): an empty
database, a new model with a ManyToManyField, renames of relations, of models
with many-to-many tables (as source and as target), renames that name
nothing, and a model renamed without ``--rename`` whose index name is taken.

Each test builds an earlier version of throwaway models (an isolated
registry, app label ``renameapp``), fills it, autoupdates to the next
version and checks the schema against what automigrate builds for it, the
values that must survive, and that a second plan is empty."""

from __future__ import annotations

import pytest
from django.apps.registry import Apps
from django.db import connection, models

from automigrate_cmd import LabelError, Refused, automigrate, autoupdate, check, desired_cache
from automigrate_cmd.snapshot import diff_schemas, inspect_schema
from tests.conftest import drop_all_tables, model_schema, table_names
from todolist.models import Todo

pytestmark = pytest.mark.django_db(transaction=True)

APP = "renameapp"


def registry() -> Apps:
    return Apps([])


def model(apps: Apps, class_name: str, /, **fields) -> type[models.Model]:
    meta = fields.pop("Meta", type("Meta", (), {}))
    meta.apps, meta.app_label = apps, APP
    return type(class_name, (models.Model,), {"__module__": __name__, "Meta": meta, **fields})


def own_tables() -> list[str]:
    return sorted(t for t in table_names() if t.startswith(f"{APP}_"))


def drop_own_tables() -> None:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if own_tables():
                cursor.execute(f"DROP TABLE {', '.join(map(qn, own_tables()))} CASCADE")
            return
        with connection.constraint_checks_disabled():
            for table in own_tables():
                cursor.execute(f"DROP TABLE {qn(table)}")


def forget_stored_tables() -> None:
    """What earlier tests stored for renameapp's models: each test starts
    from a project that never synced them."""
    if desired_cache.TABLE in table_names():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {desired_cache.TABLE} WHERE model LIKE %s", [f"{APP}.%"])


@pytest.fixture(autouse=True)
def clean_tables():
    drop_own_tables()
    forget_stored_tables()
    yield
    drop_own_tables()
    forget_stored_tables()


def build(*classes: type[models.Model]) -> None:
    with connection.schema_editor() as editor:
        for cls in classes:
            editor.create_model(cls)


def assert_built_as_automigrate_builds(*classes: type[models.Model]) -> None:
    """The live tables of ``classes`` equal what automigrate builds for them
    (names ignored), and a second plan has nothing to do."""
    assert check(list(classes)).steps == []
    updated = inspect_schema(connection, own_tables())
    drop_own_tables()
    automigrate(list(classes))
    fresh = inspect_schema(connection, own_tables())
    assert diff_schemas(fresh, updated, ignore_names=True, labels=("automigrate", "update")) == []


# --- item 1: new models with a ManyToManyField, and an empty database ---------


def test_new_model_with_many_to_many_is_created_once():
    apps = registry()
    tag = model(apps, "Tag", name=models.CharField(max_length=20))
    build(tag)
    tag.objects.create(name="red")
    post = model(apps, "Post", tags=models.ManyToManyField(tag))

    result = autoupdate([tag, post])

    assert [s.describe() for s in result.plan.steps] == [
        "Create table renameapp_post",
        "Create table renameapp_post_tags",
    ]
    assert own_tables() == ["renameapp_post", "renameapp_post_tags", "renameapp_tag"]
    first = post.objects.create()
    first.tags.add(tag.objects.get())
    assert_built_as_automigrate_builds(tag, post)


def test_new_many_to_many_field_on_an_existing_model():
    apps = registry()
    tag = model(apps, "Tag", name=models.CharField(max_length=20))
    post = model(apps, "Post", title=models.CharField(max_length=20))
    build(tag, post)
    post.objects.create(title="kept")
    apps = registry()
    tag = model(apps, "Tag", name=models.CharField(max_length=20))
    post = model(
        apps, "Post", title=models.CharField(max_length=20), tags=models.ManyToManyField(tag)
    )

    autoupdate([tag, post])

    assert post.objects.get().title == "kept"
    assert_built_as_automigrate_builds(tag, post)


def test_autoupdate_on_an_empty_database_builds_what_automigrate_builds(run_manage):
    drop_all_tables()
    try:
        done = run_manage("autoupdate", "--noinput")
        assert done.returncode == 0, done.stderr
        assert "auth_group_permissions" in done.stdout
        updated = model_schema(inspect_schema(connection))
        assert run_manage("autoupdate", "--check").returncode == 0
        migrate = run_manage("migrate", "--noinput")
        assert migrate.returncode == 0, migrate.stderr
        assert "No migrations to apply." in migrate.stdout
    finally:
        drop_all_tables()
        automigrate()
    fresh = model_schema(inspect_schema(connection))
    assert diff_schemas(fresh, updated, labels=("automigrate", "autoupdate")) == []


# --- item 2: renaming a ForeignKey / OneToOneField by its field name ----------


def owner_and_book(relation: type[models.Field], name: str):
    apps = registry()
    owner = model(apps, "Owner", name=models.CharField(max_length=20))
    book = model(apps, "Book", **{name: relation(owner, models.CASCADE, null=True)})
    return owner, book


@pytest.mark.parametrize("relation", [models.ForeignKey, models.OneToOneField])
@pytest.mark.parametrize("old_name", ["owner", "owner_id"])
def test_relation_renamed_by_field_or_column_name_keeps_the_links(relation, old_name):
    owner, book = owner_and_book(relation, "owner")
    build(owner, book)
    ann, bob = owner.objects.create(name="ann"), owner.objects.create(name="bob")
    book.objects.create(owner=ann)
    book.objects.create(owner=bob)
    owner, book = owner_and_book(relation, "author")

    result = autoupdate([owner, book], renames=[f"{APP}.Book.{old_name}=author"])

    assert "Rename column renameapp_book.author_id: from owner_id" in [
        s.describe() for s in result.plan.steps
    ]
    assert sorted(book.objects.values_list("author__name", flat=True)) == ["ann", "bob"]
    assert_built_as_automigrate_builds(owner, book)


# --- item 3: a rename or default that names nothing is an error ---------------


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--rename=todolist.Todo.desc=nosuch", "todolist.Todo has no field 'nosuch'"),
        ("--rename=todolist.Todo=Nosuch", "Unknown model or app label 'todolist.Nosuch'"),
        ("--rename=nosuchapp.Todo.a=b", "Unknown model or app label 'nosuchapp.Todo'"),
        ("--default=todolist.Todo.nosuch=1", "todolist.Todo has no field 'nosuch'"),
        ("--default=todolist.Nosuch.title=x", "Unknown model or app label 'todolist.Nosuch'"),
        ("--rename=auth.User.x=username", "auth.User is not among the models this run"),
    ],
)
@pytest.mark.parametrize("mode", [[], ["--check"], ["--dry-run"]])
def test_unknown_rename_or_default_is_a_one_line_error(run_manage, option, message, mode):
    before = inspect_schema(connection)
    done = run_manage("autoupdate", "todolist", "--noinput", *mode, option)
    assert done.returncode == 1, done.stdout
    assert message in done.stderr
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert inspect_schema(connection) == before


def rename_live(old_column: str = "", old_table: str = "") -> None:
    """Give the live todolist_todo an earlier column or table name."""
    with connection.schema_editor() as editor:
        if old_column:
            desc = Todo._meta.get_field("desc")
            earlier = models.TextField(null=True, db_column=old_column)
            earlier.set_attributes_from_name("desc")
            earlier.model = Todo
            editor.alter_field(Todo, desc, earlier)
        if old_table:
            editor.alter_db_table(Todo, "todolist_todo", old_table)


@pytest.mark.parametrize("mode", [[], ["--check"], ["--dry-run"]])
@pytest.mark.parametrize(
    ("earlier", "option", "message"),
    [
        (
            {"old_column": "details"},
            "--rename=todolist.Todo.detials=desc",
            "todolist.Todo's table todolist_todo has no column detials to rename; it has: ",
        ),
        (
            {"old_table": "todolist_task"},
            "--rename=todolist.Tsak=Todo",
            "no table todolist_tsak to rename (nor todolist_todo)",
        ),
    ],
)
def test_rename_of_a_column_or_table_not_there_is_a_one_line_error(
    run_manage, mode, earlier, option, message
):
    rename_live(**earlier)
    before = inspect_schema(connection)
    try:
        done = run_manage("autoupdate", "todolist", "--noinput", *mode, option)
        assert done.returncode == 1, done.stdout
        assert message in done.stderr
        assert done.stderr.strip().count("\n") == 0, done.stderr
        assert inspect_schema(connection) == before
    finally:
        drop_all_tables()
        automigrate()


def test_rename_already_done_is_nothing_to_do():
    """Deploy scripts run the same command again: the rename is done."""
    assert autoupdate("todolist", renames=["todolist.Todo.details=desc"]).plan.steps == []
    assert check("todolist", renames=["todolist.Task=Todo"]).steps == []


def test_rename_refused_when_both_columns_exist():
    with connection.schema_editor() as editor:
        field = models.TextField(null=True, db_column="details")
        field.set_attributes_from_name("details")
        editor.add_field(Todo, field)
    try:
        with pytest.raises(LabelError, match="both columns details and desc exist"):
            autoupdate("todolist", renames=["todolist.Todo.details=desc"])
    finally:
        with connection.schema_editor() as editor:
            editor.remove_field(Todo, field)


def note_with(*names: str):
    """A Note whose fields ``names`` are nullable text."""
    return model(registry(), "Note", **{name: models.TextField(null=True) for name in names})


def test_rename_into_a_name_another_rename_frees_keeps_both_columns_values():
    build(note_with("body", "size"))
    note_with("body", "size").objects.create(body="the body", size="the size")
    renamed = note_with("size", "tag")

    result = autoupdate([renamed], renames=[f"{APP}.Note.size=tag", f"{APP}.Note.body=size"])

    assert [s.describe() for s in result.plan.steps] == [
        "Rename column renameapp_note.tag: from size",
        "Rename column renameapp_note.size: from body",
    ]
    assert list(renamed.objects.values_list("size", "tag")) == [("the body", "the size")]
    assert_built_as_automigrate_builds(renamed)


def test_renames_into_each_others_names_are_refused():
    build(note_with("body", "size"))

    with pytest.raises(LabelError, match="both columns"):
        autoupdate(
            [note_with("body", "size")], renames=[f"{APP}.Note.size=body", f"{APP}.Note.body=size"]
        )


# --- item 4: renaming a model that has many-to-many tables --------------------


def tagged(post_name: str, tag_name: str, symmetrical_self: bool = False, db_table: str = ""):
    apps = registry()
    tag = model(apps, tag_name, name=models.CharField(max_length=20))
    fields = {"title": models.CharField(max_length=20), "tags": models.ManyToManyField(tag)}
    if symmetrical_self:
        fields["related"] = models.ManyToManyField("self", symmetrical=False)
    if db_table:
        fields["Meta"] = type("Meta", (), {"db_table": db_table})
    return tag, model(apps, post_name, **fields)


def seed_links(tag, post, symmetrical_self: bool = False) -> None:
    red, blue = tag.objects.create(name="red"), tag.objects.create(name="blue")
    first, second = post.objects.create(title="first"), post.objects.create(title="second")
    first.tags.add(red, blue)
    second.tags.add(blue)
    if symmetrical_self:
        first.related.add(second)


def self_links(post) -> list[tuple[str, str]]:
    """The ``related`` links, by title (read with SQL: the ORM's reverse
    lookups of a self-referential M2M do not work in a throwaway registry)."""
    through = post._meta.get_field("related").remote_field.through._meta
    name = post._meta.model_name
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {qn(f'from_{name}_id')}, {qn(f'to_{name}_id')} FROM {qn(through.db_table)}"
        )
        pairs = cursor.fetchall()
    titles = dict(post.objects.values_list("pk", "title"))
    return sorted((titles[a], titles[b]) for a, b in pairs)


def links(post) -> list[tuple[str, str]]:
    return sorted(post.objects.values_list("title", "tags__name"))


@pytest.mark.parametrize("symmetrical_self", [False, True])
def test_renamed_model_takes_its_many_to_many_tables_along(symmetrical_self):
    tag, post = tagged("Post", "Tag", symmetrical_self)
    build(tag, post)
    seed_links(tag, post, symmetrical_self)
    kept = links(post)
    tag, article = tagged("Article", "Tag", symmetrical_self)

    result = autoupdate([tag, article], renames=[f"{APP}.Post=Article"])

    steps = [s.describe() for s in result.plan.steps]
    assert "Rename table renameapp_article_tags: from renameapp_post_tags" in steps
    assert "Rename column renameapp_article_tags.article_id: from post_id" in steps
    assert links(article) == kept
    if symmetrical_self:
        assert self_links(article) == [("first", "second")]
    assert [t for t in own_tables() if "post" in t] == []
    assert_built_as_automigrate_builds(tag, article)


def test_renamed_target_of_a_many_to_many_renames_the_link_column():
    tag, post = tagged("Post", "Tag")
    build(tag, post)
    seed_links(tag, post)
    kept = links(post)
    label, post = tagged("Post", "Label")

    result = autoupdate([label, post], renames=[f"{APP}.Tag=Label"])

    assert "Rename column renameapp_post_tags.label_id: from tag_id" in [
        s.describe() for s in result.plan.steps
    ]
    assert links(post) == kept
    assert_built_as_automigrate_builds(label, post)


def test_renamed_db_table_takes_the_many_to_many_tables_along():
    tag, post = tagged("Post", "Tag")
    build(tag, post)
    seed_links(tag, post)
    kept = links(post)
    tag, post = tagged("Post", "Tag", db_table=f"{APP}_entry")

    autoupdate([tag, post], renames=[f"{APP}_post={APP}.Post"])

    assert links(post) == kept
    assert own_tables() == [f"{APP}_entry", f"{APP}_entry_tags", f"{APP}_tag"]
    assert_built_as_automigrate_builds(tag, post)


# --- item 5: a model renamed without --rename, its index name taken -----------


def indexed(name: str):
    apps = registry()
    meta = type("Meta", (), {"indexes": [models.Index(fields=["title"], name="rn_title_idx")]})
    return model(apps, name, title=models.CharField(max_length=20), Meta=meta)


def test_renamed_model_whose_index_name_is_taken_is_refused_up_front():
    build(indexed("Post"))
    before = inspect_schema(connection, own_tables())
    article = indexed("Article")

    if connection.vendor == "mysql":  # index names are per table there: nothing clashes
        autoupdate([article])
        assert check([article]).steps == []
        return
    with pytest.raises(Refused, match="rn_title_idx is taken by .* table renameapp_post"):
        autoupdate([article])
    assert inspect_schema(connection, own_tables()) == before
    with pytest.raises(Refused, match="--rename"):
        autoupdate([article], dry_run=True)

    autoupdate([article], renames=[f"{APP}.Post=Article"])
    assert_built_as_automigrate_builds(article)
