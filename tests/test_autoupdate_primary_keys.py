"""autoupdate and primary keys (issue 11, item 11).

A change of a primary key between integer types (``AutoField`` ->
``BigAutoField`` when a project switches ``DEFAULT_AUTO_FIELD``,
``SmallAutoField`` <-> ``AutoField`` <-> ``BigAutoField``, an explicit
``IntegerField(primary_key=True)`` -> ``BigIntegerField``) is made the way
``migrate``'s ``AlterField`` makes it: the key column, every foreign-key column
pointing at it (in the tables of the plan and in other models' tables), the
auto-created many-to-many columns and the sequences follow, the foreign keys
are restored, and rows and links survive. Any other primary-key change is
refused up front, naming the table and column, with nothing changed.

The earlier version of the models is built in an isolated ``Apps`` registry
(with the same table names), its tables created with ``create_model`` and
filled; then the later version is autoupdated and compared with what
automigrate builds for it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.apps import AppConfig
from django.apps.registry import Apps
from django.db import connection, models
from django.test.utils import override_settings

import tests
from automigrate_cmd import Refused, automigrate, autoupdate
from automigrate_cmd.selection import dependency_order
from automigrate_cmd.snapshot import diff_schemas, inspect_schema
from automigrate_cmd.sync.update import check

pytestmark = pytest.mark.django_db(transaction=True)

APP_LABEL = "pktest"
PREFIX = f"{APP_LABEL}_"

AUTO_FIELDS = {
    "small": "django.db.models.SmallAutoField",
    "auto": "django.db.models.AutoField",
    "big": "django.db.models.BigAutoField",
}

PrimaryKey = Callable[[], models.Field]


class PkTestConfig(AppConfig):
    """An app of its own for each version of the models: unlike a bare
    ``Apps([])``, its registry lists the models, so that relations are
    known in reverse (which models point at a key), as in a project."""

    label = APP_LABEL
    path = str(Path(tests.__file__).parent)


def build_models(
    author_pk: PrimaryKey | None,
    other_pk: PrimaryKey | None = None,
    default_auto_field: str = AUTO_FIELDS["big"],
) -> dict[str, type[models.Model]]:
    """One version of the test models, in a registry of its own.

    ``author_pk`` makes Author's primary key (None: an implicit ``id`` of
    ``default_auto_field``); ``other_pk`` the same for the other models.
    ``default_auto_field`` is also what the auto-created many-to-many tables
    take for their own ``id``. Author is referenced from everywhere: its own
    table (``mentor``), Book (two foreign keys and a many-to-many), a
    many-to-many of its own to Tag, Shelf (left out of some plans) and Poet,
    a child model whose primary key points at Author's.
    """
    registry = Apps([PkTestConfig(APP_LABEL, tests)])

    def model(class_name: str, pk: PrimaryKey | None, **fields) -> type[models.Model]:
        meta = type("Meta", (), {"apps": registry, "app_label": APP_LABEL})
        attrs = {"__module__": __name__, "Meta": meta, **fields}
        if pk is not None:
            attrs["id"] = pk()
        return type(class_name, (models.Model,), attrs)

    with override_settings(DEFAULT_AUTO_FIELD=default_auto_field):
        tag = model("Tag", other_pk, label=models.CharField(max_length=20))
        author = model(
            "Author",
            author_pk,
            name=models.CharField(max_length=50),
            mentor=models.ForeignKey("self", models.SET_NULL, null=True, related_name="mentees"),
            tags=models.ManyToManyField(tag, related_name="authors"),
        )
        book = model(
            "Book",
            other_pk,
            title=models.CharField(max_length=50),
            author=models.ForeignKey(author, models.CASCADE, related_name="books"),
            editor=models.ForeignKey(
                author, models.SET_NULL, null=True, db_index=False, related_name="edited"
            ),
            coauthors=models.ManyToManyField(author, related_name="coauthored"),
        )
        shelf = model(
            "Shelf",
            other_pk,
            owner=models.ForeignKey(author, models.PROTECT, db_comment="who owns it"),
        )
        # Multi-table inheritance: the child's primary key points at Author's.
        meta = type("Meta", (), {"apps": registry, "app_label": APP_LABEL})
        poet = type(
            "Poet",
            (author,),
            {"__module__": __name__, "Meta": meta, "verses": models.IntegerField(default=0)},
        )
    return {"Tag": tag, "Author": author, "Book": book, "Shelf": shelf, "Poet": poet}


def auto(kind: str) -> PrimaryKey:
    return lambda: import_field(AUTO_FIELDS[kind])(primary_key=True)


def import_field(path: str) -> type[models.Field]:
    return getattr(models, path.rsplit(".", 1)[1])


# --- the database ----------------------------------------------------------------


def pktest_tables() -> list[str]:
    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor)
    return sorted(t for t in names if t.startswith(PREFIX))


def drop_pktest_tables() -> None:
    tables = pktest_tables()
    if not tables:
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TABLE {', '.join(qn(t) for t in tables)} CASCADE")
            return
        with connection.constraint_checks_disabled():
            for table in tables:
                cursor.execute(f"DROP TABLE {qn(table)}")


@pytest.fixture(autouse=True)
def no_pktest_tables():
    drop_pktest_tables()
    yield
    drop_pktest_tables()


def create_tables(classes: dict[str, type[models.Model]]) -> None:
    with connection.schema_editor() as editor:
        for model in dependency_order(list(classes.values())):
            editor.create_model(model)


def seed(classes: dict[str, type[models.Model]], first_id: int = 1) -> None:
    """Rows and links in every table; keys from ``first_id`` on (auto keys
    from their sequences, which then stand after them)."""
    tag, author, book, shelf = (classes[n] for n in ("Tag", "Author", "Book", "Shelf"))

    def create(model: type[models.Model], position: int, **values) -> models.Model:
        root = model._meta.get_parent_list()[-1] if model._meta.parents else model
        if not isinstance(root._meta.pk, models.AutoField):
            values["id"] = first_id + position
        return model.objects.create(**values)

    red = create(tag, 0, label="red")
    blue = create(tag, 1, label="blue")
    ann = create(author, 0, name="ann")
    bob = create(author, 1, name="bob", mentor=ann)
    ann.tags.add(red, blue)
    bob.tags.add(blue)
    one = create(book, 0, title="one", author=ann, editor=bob)
    create(book, 1, title="two", author=bob)
    one.coauthors.add(ann, bob)
    create(shelf, 0, owner=bob)
    create(classes["Poet"], 2, name="cy", verses=7)


def contents(classes: dict[str, type[models.Model]]) -> dict[str, list]:
    """Every row and every link, by their key values."""
    tag, author, book, shelf = (classes[n] for n in ("Tag", "Author", "Book", "Shelf"))
    through = author.tags.through
    coauthors = book.coauthors.through
    return {
        "tags": list(tag.objects.order_by("pk").values_list("pk", "label")),
        "authors": list(author.objects.order_by("pk").values_list("pk", "name", "mentor_id")),
        "books": list(
            book.objects.order_by("pk").values_list("pk", "title", "author_id", "editor_id")
        ),
        "shelves": list(shelf.objects.order_by("pk").values_list("pk", "owner_id")),
        "poets": list(classes["Poet"].objects.order_by("pk").values_list("pk", "name", "verses")),
        "author_tags": sorted(through.objects.values_list("author_id", "tag_id")),
        "coauthors": sorted(coauthors.objects.values_list("book_id", "author_id")),
    }


def schema() -> dict:
    return inspect_schema(connection, pktest_tables())


def what_automigrate_builds(classes: dict[str, type[models.Model]]) -> dict:
    drop_pktest_tables()
    automigrate(list(classes.values()))
    return schema()


def assert_reaches_automigrate_schema(later: dict[str, type[models.Model]], earlier) -> None:
    """After autoupdate: a second plan is empty, the rows and links are the
    ones there before, and the schema is what automigrate builds."""
    assert [step.describe() for step in check(list(later.values())).steps] == []
    assert contents(later) == earlier
    updated = schema()
    fresh = what_automigrate_builds(later)
    labels = ("automigrate", "autoupdate")
    assert diff_schemas(fresh, updated, ignore_names=True, labels=labels) == []


def start_from(classes: dict[str, type[models.Model]], first_id: int = 1) -> dict[str, list]:
    create_tables(classes)
    seed(classes, first_id)
    return contents(classes)


# --- integer primary keys change type --------------------------------------------


def test_default_auto_field_switch_to_big_auto_field_keeps_rows_and_links():
    """A project switches DEFAULT_AUTO_FIELD from AutoField to BigAutoField:
    every id, every foreign key and many-to-many column becomes a bigint."""
    earlier = build_models(None, None, AUTO_FIELDS["auto"])
    later = build_models(None, None, AUTO_FIELDS["big"])
    kept = start_from(earlier)
    before = schema()

    result = autoupdate(list(later.values()))

    assert result.applied
    assert diff_schemas(before, schema()) != []
    assert contents(later) == kept
    # New rows get keys after the old ones (the sequences were kept), and
    # keys and links beyond what an integer holds fit.
    assert later["Author"].objects.create(name="dee").pk == 4
    later["Author"].objects.filter(pk=4).update(id=2**40)
    book = later["Book"].objects.create(id=2**41, title="big", author_id=2**40)
    book.coauthors.add(2**40)
    later["Author"].objects.get(pk=2**40).tags.add(1)
    now = contents(later)
    assert (2**41, 2**40) in now["coauthors"] and (2**40, 1) in now["author_tags"]
    assert_reaches_automigrate_schema(later, now)


WIDTHS = [("small", "auto"), ("auto", "big"), ("small", "big"), ("big", "auto"), ("auto", "small")]


@pytest.mark.parametrize(("old", "new"), WIDTHS, ids=lambda kind: kind)
def test_auto_field_width_changes_with_every_reference(old, new):
    """Author's key changes width; every column that points at it follows.
    A narrower key whose values all fit loses nothing: nothing to accept."""
    earlier = build_models(auto(old), auto("auto"))
    later = build_models(auto(new), auto("auto"))
    kept = start_from(earlier)

    result = autoupdate(list(later.values()))

    assert result.applied
    assert_reaches_automigrate_schema(later, kept)


def test_explicit_integer_primary_key_widens_to_bigint():
    earlier = build_models(lambda: models.IntegerField(primary_key=True))
    later = build_models(lambda: models.BigIntegerField(primary_key=True))
    kept = start_from(earlier, first_id=2_000_000_000)

    autoupdate(list(later.values()))

    assert_reaches_automigrate_schema(later, kept)
    later["Author"].objects.create(id=2**40, name="big")
    assert later["Author"].objects.filter(pk=2**40).exists()


def test_foreign_keys_of_models_outside_the_plan_follow_the_key():
    """Only Author is autoupdated; Shelf and Book point at it and are not in
    the plan. Their columns must still follow (as migrate's AlterField
    alters them), or the foreign keys would join mismatched types (MySQL
    refuses them outright)."""
    earlier = build_models(auto("auto"), auto("auto"))
    later = build_models(auto("big"), auto("auto"))
    kept = start_from(earlier)

    result = autoupdate([later["Author"]])

    outside = {step.table for step in result.plan.steps} - {"pktest_author", "pktest_author_tags"}
    assert outside == {"pktest_book", "pktest_book_coauthors", "pktest_shelf", "pktest_poet"}
    assert_reaches_automigrate_schema(later, kept)


def test_dry_run_shows_the_columns_that_follow_and_changes_nothing():
    earlier = build_models(auto("auto"), auto("auto"))
    later = build_models(auto("big"), auto("auto"))
    kept = start_from(earlier)
    before = schema()

    result = autoupdate([later["Author"]], dry_run=True)

    shelf = [step.describe() for step in result.plan.steps if step.table == "pktest_shelf"]
    assert any(
        "owner_id" in line and "to follow the primary key it points at" in line for line in shelf
    )
    assert any("pktest_shelf" in sql for sql in result.sql)
    assert not result.applied
    assert diff_schemas(before, schema()) == []
    assert contents(earlier) == kept


# --- primary-key changes that autoupdate refuses ---------------------------------


REFUSED = {
    "integer to varchar": (
        lambda: models.IntegerField(primary_key=True),
        lambda: models.CharField(max_length=20, primary_key=True),
    ),
    "identity to uuid": (auto("auto"), lambda: models.UUIDField(primary_key=True)),
    "identity to varchar": (auto("big"), lambda: models.CharField(max_length=20, primary_key=True)),
}


@pytest.mark.parametrize("change", sorted(REFUSED))
def test_a_primary_key_type_that_cannot_change_is_refused_up_front(change):
    old, new = REFUSED[change]
    earlier = build_models(old)
    later = build_models(new)
    kept = start_from(earlier)
    before = schema()

    with pytest.raises(Refused) as refused:
        autoupdate(list(later.values()), accept_data_loss=True)

    message = str(refused.value)
    assert "\n" not in message
    assert "pktest_author.id" in message
    assert "use automigrate for this model" in message
    assert message.endswith("Nothing was changed.")
    assert diff_schemas(before, schema()) == []
    assert contents(earlier) == kept


@pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite rebuilds the table, AUTOINCREMENT and all"
)
def test_making_a_primary_key_auto_increment_is_refused_up_front():
    earlier = build_models(lambda: models.IntegerField(primary_key=True))
    later = build_models(auto("auto"))
    kept = start_from(earlier)
    before = schema()

    with pytest.raises(Refused) as refused:
        autoupdate(list(later.values()), accept_data_loss=True)

    assert str(refused.value) == (
        "Cannot apply: pktest_author.id: adding or removing auto-increment/identity is not "
        "supported by autoupdate yet; use automigrate for this model. Nothing was changed."
    )
    assert diff_schemas(before, schema()) == []
    assert contents(earlier) == kept


@pytest.mark.skipif(connection.vendor != "sqlite", reason="refused elsewhere (the test above)")
def test_sqlite_makes_a_primary_key_auto_increment_by_rebuilding_the_table():
    earlier = build_models(lambda: models.IntegerField(primary_key=True))
    later = build_models(auto("auto"))
    kept = start_from(earlier)

    autoupdate(list(later.values()))

    assert_reaches_automigrate_schema(later, kept)


def test_moving_the_primary_key_to_another_column_is_refused_up_front():
    earlier = build_models(lambda: models.IntegerField(primary_key=True))
    kept = start_from(earlier)
    before = schema()

    later = _author_keyed_by_name()
    with pytest.raises(Refused) as refused:
        autoupdate([later], accept_data_loss=True)

    message = str(refused.value)
    assert "pktest_author.name: the primary key moves from (id) to (name)" in message
    assert "use automigrate for this model" in message
    assert diff_schemas(before, schema()) == []
    assert contents(earlier) == kept


def _author_keyed_by_name() -> type[models.Model]:
    """An Author whose primary key is ``name`` (its ``id`` kept as a plain integer)."""
    registry = Apps([])
    meta = type("Meta", (), {"apps": registry, "app_label": APP_LABEL, "db_table": "pktest_author"})
    return type(
        "Author",
        (models.Model,),
        {
            "__module__": __name__,
            "Meta": meta,
            "id": models.IntegerField(),
            "name": models.CharField(max_length=50, primary_key=True),
        },
    )
