"""The oracle: for the same models, automigrate builds exactly the schema that
``migrate`` builds from the migration files (Django's own result), compared
table by table by introspecting the database.

Constraint and index names are left out of the comparison: an app whose
history adds a unique later (tests.historyapp) gets Django's ``_uniq`` name
from ``migrate`` and the database's own name from a fresh CREATE TABLE. What
they are (kind, columns, definition) must match exactly."""

import pytest
from django.core.management import call_command
from django.db import connection

from automigrate_cmd import automigrate
from automigrate_cmd.snapshot import diff_schemas, inspect_schema
from tests.conftest import drop_all_tables, model_schema

pytestmark = pytest.mark.django_db(transaction=True)


def schema_built_by_migrate() -> dict:
    drop_all_tables()
    call_command("migrate", run_syncdb=True, verbosity=0)
    return inspect_schema(connection)


def test_full_automigrate_equals_migrate():
    by_migrate = schema_built_by_migrate()
    assert {"todolist_todo", "auth_user", "django_content_type"} <= set(by_migrate)
    assert any(table.startswith("featureapp_") for table in by_migrate)

    drop_all_tables()
    automigrate()

    after = model_schema(inspect_schema(connection))
    assert diff_schemas(by_migrate, after, ignore_names=True) == []
    # Apps built by a single initial migration get the very same names too.
    assert diff_schemas(without_history_app(by_migrate), without_history_app(after)) == []


def without_history_app(snapshot: dict) -> dict:
    return {table: record for table, record in snapshot.items() if "historyapp" not in table}


@pytest.mark.parametrize("labels", [["todolist"], ["TodoList", "Todo"], ["featureapp"], ["auth"]])
def test_named_automigrate_on_a_migrated_database_changes_no_schema(labels):
    """Recreating some models in place (other tables referencing them) must
    leave the whole database exactly as migrate built it."""
    by_migrate = schema_built_by_migrate()

    automigrate(labels)

    after = model_schema(inspect_schema(connection))
    assert diff_schemas(by_migrate, after, ignore_names=True) == []


def test_automigrate_twice_is_stable():
    drop_all_tables()
    automigrate()
    first = inspect_schema(connection)
    automigrate()
    assert diff_schemas(first, inspect_schema(connection)) == []
