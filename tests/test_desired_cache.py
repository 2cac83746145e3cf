"""automigrate remembers the tables it built as what the models want, so the
autoupdate after it builds nothing in the scratch place. That is only right
if the built tables read back exactly as a scratch build of the same models
reads back: checked here for every model of every test app (featureapp holds
most field types, indexes and constraints), on each backend."""

import pytest
from django.db import connection

from automigrate_cmd import automigrate, autoupdate, desired_cache
from automigrate_cmd.catalog import existing_tables
from automigrate_cmd.rendering import as_migrate_builds_them
from automigrate_cmd.scratch import desired_by_model
from automigrate_cmd.selection import select_models
from tests.test_noop_cost import count_builds

pytestmark = pytest.mark.django_db(transaction=True)


def stored_parts(chosen) -> dict:
    keys = desired_cache.fingerprints(chosen, connection)
    return desired_cache.load(connection, keys, existing_tables(connection))


def scratch_parts(chosen) -> dict:
    labels = {model._meta.label_lower for model in chosen}
    return desired_by_model(connection, as_migrate_builds_them(chosen), labels)


def snapshots(parts: dict) -> dict:
    return {label: part.snapshot for label, part in parts.items()}


def drop_stored_tables() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(desired_cache.TABLE)}")


@pytest.mark.parametrize("labels", [None, ["featureapp"], ["todolist.Todo", "otherapp"]])
def test_automigrate_stores_what_a_scratch_build_gives(labels):
    drop_stored_tables()
    automigrate(labels)
    chosen = select_models(labels, "default")
    stored, scratch = stored_parts(chosen), scratch_parts(chosen)
    assert sorted(stored) == sorted(model._meta.label_lower for model in chosen)
    # Whole mappings, so that a part missing on either side fails too.
    assert snapshots(stored) == snapshots(scratch)
    assert {label: part.mysql_lines for label, part in stored.items()} == {
        label: part.mysql_lines for label, part in scratch.items()
    }


def test_autoupdate_after_automigrate_builds_nothing(monkeypatch):
    automigrate()
    builds = count_builds(monkeypatch)
    assert autoupdate().plan.steps == []
    assert builds == []


def test_automigrate_without_remember_stores_nothing():
    drop_stored_tables()
    automigrate("todolist", remember=False)
    assert stored_parts(select_models("todolist", "default")) == {}


@pytest.mark.skipif(connection.vendor != "mysql", reason="MySQL/MariaDB database defaults")
def test_scratch_database_takes_the_live_databases_collation():
    # A test database made with TEST["COLLATION"], say: new tables take it.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
            "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()"
        )
        charset, collation = cursor.fetchone()
        other = "utf8mb4_unicode_ci" if collation != "utf8mb4_unicode_ci" else "utf8mb4_bin"
        cursor.execute(f"ALTER DATABASE CHARACTER SET utf8mb4 COLLATE {other}")
    try:
        drop_stored_tables()
        automigrate("todolist")
        chosen = select_models("todolist", "default")
        stored, scratch = stored_parts(chosen), scratch_parts(chosen)
        assert stored["todolist.todo"].snapshot["todolist_todo"]["options"]["collation"] == other
        assert snapshots(stored) == snapshots(scratch)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER DATABASE CHARACTER SET {charset} COLLATE {collation}")
        automigrate("todolist")
