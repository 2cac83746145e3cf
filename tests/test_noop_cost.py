"""An in-sync autoupdate is cheap: it reads the catalog a fixed number of
times, however many models there are, and does not build the scratch schema
again while the models are unchanged."""

import pytest
from django.contrib.postgres.indexes import BTreeIndex
from django.db import connection, models
from django.test.utils import CaptureQueriesContext, isolate_apps, override_settings

from automigrate_cmd import automigrate, autoupdate, desired_cache, scratch

pytestmark = pytest.mark.django_db(transaction=True)


def queries(action) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        action()
    return [query["sql"] for query in captured.captured_queries]


def test_noop_queries_do_not_grow_with_the_number_of_models():
    autoupdate()  # remembers what every selection wants
    autoupdate("todolist")
    few = queries(lambda: autoupdate("todolist"))  # 3 models
    many = queries(lambda: autoupdate())  # every model of every app
    assert len(few) == len(many), (few, many)
    assert len(many) <= 20


def count_builds(monkeypatch) -> list[list[str]]:
    """The models each scratch build is asked for, by label."""
    builds: list[list[str]] = []
    real = scratch.desired_schema

    def recording(connection, models_to_create):
        builds.append(sorted(model._meta.label for model in models_to_create))
        return real(connection, models_to_create)

    monkeypatch.setattr(scratch, "desired_schema", recording)
    return builds


def test_unchanged_models_do_not_rebuild_the_scratch_schema(monkeypatch):
    autoupdate("todolist")
    builds = count_builds(monkeypatch)
    assert autoupdate("todolist").plan.steps == []
    assert builds == []


def test_a_changed_model_rebuilds_only_itself(monkeypatch):
    autoupdate("todolist")
    real = desired_cache.fingerprints

    def todo_changed(chosen, connection):
        keys = real(chosen, connection)
        keys["todolist.todo"] = "0" * 64  # as if Todo's definition had changed
        return keys

    monkeypatch.setattr(desired_cache, "fingerprints", todo_changed)
    builds = count_builds(monkeypatch)
    assert autoupdate("todolist").plan.steps == []
    assert builds == [["todolist.Todo"]]
    assert autoupdate("todolist").plan.steps == []  # now stored under the new fingerprint
    assert builds == [["todolist.Todo"]]


def _fingerprint_of(**changes) -> str:
    """The fingerprint of a two-model selection whose pieces ``changes`` swap."""
    with isolate_apps("tests"):
        target_pk = changes.get("target_pk", models.AutoField(primary_key=True))

        class Target(models.Model):
            id = target_pk

            class Meta:
                app_label = "tests"

        class Source(models.Model):
            name = changes.get("name", models.CharField(max_length=20))
            target = models.ForeignKey(Target, models.CASCADE)

            class Meta:
                app_label = "tests"
                indexes = changes.get("indexes", [])

        return desired_cache.fingerprints([Source], connection)["tests.source"]


def test_the_fingerprint_follows_what_reaches_the_database():
    plain = _fingerprint_of()
    assert plain == _fingerprint_of()
    # Python-only options leave the stored schema valid...
    assert plain == _fingerprint_of(
        name=models.CharField(max_length=20, default=lambda: "x", help_text="h", blank=True)
    )
    # ...anything in the DDL does not, also a change of the model a foreign
    # key points at when that model is outside the selection.
    for ddl_change in [
        {"name": models.CharField(max_length=21)},
        {"name": models.CharField(max_length=20, null=True)},
        {"name": models.CharField(max_length=20, db_index=True)},
        {"name": models.CharField(max_length=20, db_column="other")},
        {"name": models.TextField()},
        {"indexes": [models.Index(fields=["name"], name="source_name_idx")]},
        {"target_pk": models.BigAutoField(primary_key=True)},
    ]:
        assert _fingerprint_of(**ddl_change) != plain, ddl_change
    # An index option that the index's repr() does not show.
    assert _fingerprint_of(
        indexes=[BTreeIndex(fields=["name"], name="source_name_idx", fillfactor=70)]
    ) != _fingerprint_of(
        indexes=[BTreeIndex(fields=["name"], name="source_name_idx", fillfactor=80)]
    )


def test_a_changed_model_whose_reference_is_missing_everywhere_is_built_alone(monkeypatch):
    """Building Todo alone needs a table for its foreign key to point at:
    neither the live database nor the build has it, and PostgreSQL checks.
    The build makes a stand-in for it, so Todo is still built alone."""
    autoupdate("todolist")
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
        cascade = " CASCADE" if connection.vendor == "postgresql" else ""
        cursor.execute(f"DROP TABLE todolist_todolist{cascade}")
        if connection.vendor == "mysql":
            cursor.execute("SET FOREIGN_KEY_CHECKS = 1")
    real = desired_cache.fingerprints
    monkeypatch.setattr(
        desired_cache,
        "fingerprints",
        lambda chosen, conn: {**real(chosen, conn), "todolist.todo": "0" * 64},
    )
    builds = count_builds(monkeypatch)

    steps = autoupdate("todolist").plan.steps

    assert builds == [["todolist.Todo"]]
    assert "create_table" in [step.kind for step in steps]
    assert autoupdate("todolist").plan.steps == []
    automigrate("todolist")


def test_the_fingerprint_changes_when_an_app_gains_or_loses_migrations():
    """auth's auto-created M2M tables take their id type from DEFAULT_AUTO_FIELD
    when auth has migrations (as migrate builds them), from auth's own
    default_auto_field when it has none (as --run-syncdb builds them)."""
    from django.contrib.auth.models import User

    with_migrations = desired_cache.fingerprints([User], connection)
    with override_settings(MIGRATION_MODULES={"auth": None}):
        without = desired_cache.fingerprints([User], connection)
    assert with_migrations != without


@pytest.mark.skipif(connection.vendor != "mysql", reason="Django asks MySQL/MariaDB for engines")
def test_a_build_asks_each_tables_storage_engine_once():
    """Django's MySQL schema editor asks for a table's engine for each
    foreign key it considers indexing; a build asks once per table."""
    asked = [
        sql
        for sql in queries(lambda: automigrate())
        if "information_schema.tables" in sql.lower() and "engine" in sql.lower()
    ]
    assert asked
    assert len(asked) == len(set(asked)), asked
