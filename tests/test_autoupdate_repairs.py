"""Runs that used to fail or stop short of the schema ``migrate`` builds:

- a model with a ``db_default`` and a constraint the backend cannot build
  (MariaDB: a UniqueConstraint with a condition) is built without that
  constraint, as ``migrate`` builds it, instead of failing on the SQL ``None``;
- renaming a unique column converges in one run (MariaDB names a column's
  UNIQUE key and its CHECK after the column);
- a run stopped after its DDL but before its bookkeeping (migration history,
  ``post_migrate``) is finished by the next run, even when that one finds the
  schema in sync.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.migrations import operations
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.state import ModelState, ProjectState

from automigrate_cmd import automigrate, autoupdate, check, desired_cache, history
from automigrate_cmd.snapshot import LIST_KINDS, Snapshot, diff_schemas, inspect_schema
from automigrate_cmd.testing import automigrated
from tests.conftest import table_names

pytestmark = pytest.mark.django_db(transaction=True)


def drop_tables(*tables: str) -> None:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DROP TABLE IF EXISTS {qn(table)}")


def run_operations(app_label: str, state: ProjectState, ops: list) -> ProjectState:
    """Apply migration operations as ``migrate`` applies them."""
    with connection.schema_editor() as editor:
        for operation in ops:
            new_state = state.clone()
            operation.state_forwards(app_label, new_state)
            operation.database_forwards(app_label, editor, state, new_state)
            state = new_state
    return state


def migrate_builds(model: type[models.Model]) -> Snapshot:
    """The table ``migrate`` builds for ``model``, from the operations
    makemigrations writes: CreateModel without the constraints, then one
    AddConstraint each (which skips a constraint the backend cannot build)."""
    model_state = ModelState.from_model(model)
    constraints = model_state.options.pop("constraints", [])
    create = operations.CreateModel(
        model_state.name, list(model_state.fields.items()), options=model_state.options
    )
    add = [operations.AddConstraint(model_state.name_lower, c) for c in constraints]
    run_operations(model._meta.app_label, ProjectState(), [create, *add])
    built = inspect_schema(connection, [model._meta.db_table])
    drop_tables(model._meta.db_table)
    return built


def item_names(snapshot: Snapshot) -> set[str]:
    return {
        item["name"]
        for record in snapshot.values()
        for kind in LIST_KINDS
        for item in record.get(kind, [])
    }


# --- item 9: constraints the backend cannot build, next to a db_default ---------------

BADGE_TABLE = "repairs_badge"


def badge_model() -> type[models.Model]:
    """``db_default`` makes the CREATE TABLE parametrized on MariaDB and
    PostgreSQL, so Django defers every constraint as its ``create_sql()``
    (None for one the backend cannot build): a partial unique constraint
    (not on MariaDB), a deferrable one (not on MariaDB nor SQLite), and a
    plain one (everywhere)."""
    meta = {
        "apps": Apps([]),
        "app_label": "repairs",
        "db_table": BADGE_TABLE,
        "constraints": [
            models.UniqueConstraint(
                fields=["name"], condition=models.Q(active=True), name="repairs_badge_active_name"
            ),
            models.UniqueConstraint(
                fields=["code"],
                deferrable=models.Deferrable.DEFERRED,
                name="repairs_badge_code_deferred",
            ),
            models.UniqueConstraint(fields=["name", "code"], name="repairs_badge_name_code"),
        ],
    }
    attrs = {
        "__module__": __name__,
        "Meta": type("Meta", (), meta),
        "name": models.CharField(max_length=20),
        "code": models.CharField(max_length=20),
        "active": models.BooleanField(db_default=True),
        "rank": models.IntegerField(db_default=0),
    }
    return type("Badge", (models.Model,), attrs)


@pytest.fixture
def badge():
    drop_tables(BADGE_TABLE)
    model = badge_model()
    by_migrate = migrate_builds(model)
    skipped = {c.name for c in model._meta.constraints} - item_names(by_migrate)
    if connection.vendor == "mysql":
        # The case that failed with (1064, "... near 'None'").
        assert "repairs_badge_active_name" in skipped
    yield model, by_migrate, skipped
    drop_tables(BADGE_TABLE)


def assert_built_as_migrate_builds(model, by_migrate: Snapshot, skipped: set, output: str):
    assert diff_schemas(by_migrate, inspect_schema(connection, [BADGE_TABLE])) == []
    for name in skipped:
        assert f"Skipped constraint {BADGE_TABLE}.{name}: " in output
    assert output.count("Skipped constraint") == len(skipped), output
    assert check([model]).steps == []
    model.objects.create(name="a", code="x")
    assert list(model.objects.values_list("active", "rank")) == [(True, 0)]


def test_automigrate_skips_constraints_the_backend_cannot_build(badge):
    model, by_migrate, skipped = badge
    out = io.StringIO()
    automigrate([model], verbosity=2, stdout=out)
    assert_built_as_migrate_builds(model, by_migrate, skipped, out.getvalue())


def test_autoupdate_creates_the_table_without_them(badge):
    model, by_migrate, skipped = badge
    dry = autoupdate([model], dry_run=True)
    assert not any(sql.strip().rstrip(";") == "None" for sql in dry.sql), dry.sql
    out = io.StringIO()
    result = autoupdate([model], verbosity=2, stdout=out)
    assert [step.kind for step in result.plan.steps] == ["create_table"]
    assert_built_as_migrate_builds(model, by_migrate, skipped, out.getvalue())


def test_skipped_constraints_are_quiet_below_verbosity_2(badge):
    model, _by_migrate, _skipped = badge
    out = io.StringIO()
    automigrate([model], verbosity=1, stdout=out)
    assert "Skipped constraint" not in out.getvalue()


def test_tables_for_test_only_models_skip_them_too(badge):
    model, by_migrate, _skipped = badge
    with automigrated(model):
        assert diff_schemas(by_migrate, inspect_schema(connection, [BADGE_TABLE])) == []
        model.objects.create(name="a", code="x")
    assert BADGE_TABLE not in table_names()


# --- item 10: renaming a unique column ------------------------------------------------

RENAMED_TABLE = "repairs_ticket"


@contextmanager
def installed_model(name: str, field: models.Field) -> Iterator[type[models.Model]]:
    """A model of the installed app twinapp for the length of a block:
    ``--rename`` names models by label. Taken out of the registry afterwards,
    so no other test sees it."""
    meta = type("Meta", (), {"app_label": "twinapp", "db_table": RENAMED_TABLE})
    model = type(name, (models.Model,), {"__module__": __name__, "Meta": meta, "number": field})
    try:
        yield model
    finally:
        del global_apps.all_models["twinapp"][name.lower()]
        global_apps.clear_cache()


def earlier_ticket(field: models.Field) -> type[models.Model]:
    """The ticket model before the rename: the column was ``old_number``."""
    meta = type("Meta", (), {"apps": Apps([]), "app_label": "twinapp", "db_table": RENAMED_TABLE})
    return type(
        "Ticket", (models.Model,), {"__module__": __name__, "Meta": meta, "old_number": field}
    )


def build_earlier(field: models.Field) -> type[models.Model]:
    earlier = earlier_ticket(field)
    drop_tables(RENAMED_TABLE)
    with connection.schema_editor() as editor:
        editor.create_model(earlier)
    earlier.objects.bulk_create([earlier(old_number=1), earlier(old_number=7)])
    return earlier


def migrate_renames(field: models.Field) -> Snapshot:
    """The table after ``migrate`` runs RenameField on the earlier one."""
    earlier = build_earlier(field)
    state = ProjectState()
    state.add_model(ModelState.from_model(earlier))
    run_operations("twinapp", state, [operations.RenameField("ticket", "old_number", "number")])
    return inspect_schema(connection, [RENAMED_TABLE])


@pytest.mark.parametrize(
    "make_field",
    [
        # MariaDB: a UNIQUE key and a column-level CHECK, both named after the column.
        lambda: models.PositiveIntegerField(unique=True),
        lambda: models.CharField(max_length=10, unique=True),
    ],
    ids=["positive-integer", "char"],
)
def test_renaming_a_unique_column_converges_in_one_run(make_field, run_manage):
    by_migrate = migrate_renames(make_field())
    build_earlier(make_field())
    try:
        with installed_model("Ticket", make_field()) as ticket:
            result = autoupdate([ticket], renames=["twinapp.Ticket.old_number=number"])
            assert result.plan.steps[0].describe() == (
                f"Rename column {RENAMED_TABLE}.number: from old_number"
            )
            assert [step.describe() for step in check([ticket]).steps] == []
            numbers = ticket.objects.order_by("pk").values_list("number", flat=True)
            assert [str(number) for number in numbers] == ["1", "7"]
            after = inspect_schema(connection, [RENAMED_TABLE])
        # Index and constraint names are those the live database had, as
        # after migrate's RenameField: compared by content.
        assert diff_schemas(by_migrate, after, ignore_names=True) == []
    finally:
        drop_tables(RENAMED_TABLE)


# --- item 13: a run stopped between its DDL and its bookkeeping -----------------------

HISTORY_APP = "historyapp"  # has migrations: 0001..0003


class Stopped(BaseException):
    """The process ended there (killed, Ctrl-C): no ``except Exception`` catches it."""


def forget_history_app() -> None:
    """As if historyapp had just been added: no tables, no migration rows,
    no content types (nor permissions)."""
    drop_tables("historyapp_book", "historyapp_author")
    MigrationRecorder(connection).migration_qs.filter(app=HISTORY_APP).delete()
    ContentType.objects.filter(app_label=HISTORY_APP).delete()
    ContentType.objects.clear_cache()


@pytest.fixture
def history_app():
    forget_history_app()
    yield
    autoupdate(HISTORY_APP)  # whatever happened, leave the app as the other tests expect it


def stop_before_bookkeeping(monkeypatch) -> None:
    """The next run stops right after its DDL, as it starts recording the
    migration history; the run after it is not stopped."""
    real = history.record_applied

    def stopped(loader, keys):
        monkeypatch.setattr(history, "record_applied", real)
        raise Stopped

    monkeypatch.setattr(history, "record_applied", stopped)


def history_migrations() -> set[tuple[str, str]]:
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    return {key for key in graph.nodes if key[0] == HISTORY_APP}


def recorded_migrations() -> set[tuple[str, str]]:
    applied = MigrationRecorder(connection).applied_migrations()
    return {key for key in applied if key[0] == HISTORY_APP}


def content_types() -> set[str]:
    ContentType.objects.clear_cache()
    return set(ContentType.objects.filter(app_label=HISTORY_APP).values_list("model", flat=True))


def tables() -> set[str]:
    """The tables, less autoupdate's store of desired tables (which stays)."""
    return table_names() - {desired_cache.TABLE}


def assert_bookkeeping_done() -> None:
    assert recorded_migrations() == history_migrations()
    assert content_types() == {"author", "book"}
    permissions = Permission.objects.filter(content_type__app_label=HISTORY_APP)
    assert permissions.count() == 8  # add, change, delete, view of each


@pytest.mark.parametrize("first_run", [autoupdate, automigrate], ids=["autoupdate", "automigrate"])
def test_a_run_stopped_after_its_ddl_is_finished_by_the_next_in_sync_run(
    first_run, history_app, monkeypatch, run_manage
):
    tables_before = tables()
    stop_before_bookkeeping(monkeypatch)
    with pytest.raises(Stopped):
        first_run(HISTORY_APP)
    # What the stop left: the tables, but neither history nor content types.
    assert {"historyapp_author", "historyapp_book"} <= table_names()
    assert recorded_migrations() == set()
    assert content_types() == set()

    out = io.StringIO()
    result = autoupdate(HISTORY_APP, verbosity=1, stdout=out)
    assert result.plan.steps == []
    assert_bookkeeping_done()
    migrate = run_manage("migrate", "--noinput")
    assert migrate.returncode == 0, migrate.stderr
    assert "No migrations to apply." in migrate.stdout
    assert "No changes: the database matches the models." in out.getvalue()
    assert "Finishing what an interrupted run left undone for historyapp" in out.getvalue()
    # Nothing of the run's own is left behind, and the next run has nothing to finish.
    assert tables() == tables_before | {"historyapp_author", "historyapp_book"}
    out = io.StringIO()
    autoupdate(HISTORY_APP, verbosity=1, stdout=out)
    assert "Finishing" not in out.getvalue()


def test_a_stopped_run_of_another_app_is_finished_too(history_app, monkeypatch):
    """The next run names other models: it still finishes historyapp's bookkeeping."""
    stop_before_bookkeeping(monkeypatch)
    with pytest.raises(Stopped):
        autoupdate(HISTORY_APP)
    assert autoupdate("todolist").plan.steps == []
    assert_bookkeeping_done()


def test_automigrate_finishes_what_a_stopped_run_left_undone(history_app, monkeypatch):
    stop_before_bookkeeping(monkeypatch)
    with pytest.raises(Stopped):
        autoupdate(HISTORY_APP)
    automigrate("todolist")
    assert_bookkeeping_done()


def test_a_completed_run_records_and_leaves_nothing_to_finish(history_app):
    tables_before = tables()
    autoupdate(HISTORY_APP)
    assert_bookkeeping_done()
    assert tables() == tables_before | {"historyapp_author", "historyapp_book"}
