"""One run on several databases (issue 16, first part): ``--database`` more
than once and ``--all-databases``, from the command line and from Python.

Each database gets the run it would get alone; the output is grouped by
database with one summary line each; the exit status is the worst one; one
database that fails does not stop the others. The two databases are the
suite's ``default`` and ``other`` (a sibling on the same server).
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from automigrate_cmd import DatabasesFailed, Refused, automigrate, autoupdate, check
from automigrate_cmd.databases import databases_for
from tests.conftest import row_count, table_names

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])

BOTH = ["default", "other"]


@pytest.fixture(autouse=True)
def both_built():
    """Both databases as the models say, before and after each test."""
    automigrate("todolist", using=BOTH)
    yield
    automigrate("todolist", using=BOTH)


def run(command: str, *args: str) -> tuple[int, str, str]:
    """The exit status, output and error output of ``manage.py command``."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=err, no_color=True)
        status = 0
    except SystemExit as exit_:
        status = exit_.code
    except CommandError as error:
        err.write(f"CommandError: {error}\n")
        status = error.returncode
    return status, out.getvalue(), err.getvalue()


def execute(alias: str, sql: str) -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)


def columns(alias: str, table: str) -> set[str]:
    connection = connections[alias]
    with connection.cursor() as cursor:
        return {c.name for c in connection.introspection.get_table_description(cursor, table)}


def add_a_column_the_models_lack(alias: str, values: bool = False) -> None:
    """todolist_todolist on ``alias`` gets a column the models do not have
    (holding a value in every row when ``values``)."""
    execute(alias, "ALTER TABLE todolist_todolist ADD COLUMN extra integer NULL")
    if values:
        execute(alias, "INSERT INTO todolist_todolist (title, extra) VALUES ('kept', 7)")


def test_automigrate_on_two_databases_builds_both_and_sums_up_each():
    execute("other", "DROP TABLE todolist_todolistimage")

    status, output, _ = run(
        "automigrate", "todolist", "--database", "default", "--database", "other", "--noinput"
    )

    assert status == 0
    assert "todolist_todolistimage" in table_names("default")
    assert "todolist_todolistimage" in table_names("other")
    # Grouped: the whole of default's output, then the whole of other's.
    default_at, other_at = output.index("Database 'default':"), output.index("Database 'other':")
    assert default_at < output.index("Automigrate done on database 'default'") < other_at
    assert output.index("Summary:") > output.index("Automigrate done on database 'other'")
    assert "  default: tables dropped 3, created 3." in output
    assert "  other: tables dropped 2, created 3." in output


def test_check_on_all_databases_exits_1_naming_the_one_that_differs():
    add_a_column_the_models_lack("other")

    status, output, _ = run("autoupdate", "todolist", "--all-databases", "--check")

    assert status == 1
    assert "  default: matches the models." in output
    assert "  other: differs from the models (1 change(s))." in output
    assert "extra" in output.split("Database 'other':")[1]


def test_one_database_refused_does_not_stop_the_other():
    """other's extra column holds a value: dropping it is refused; default's
    extra column is empty and goes. The failure is one line per database and
    the exit status 1."""
    add_a_column_the_models_lack("default")
    add_a_column_the_models_lack("other", values=True)

    status, output, errors = run("autoupdate", "todolist", "--all-databases", "--noinput")

    assert status == 1
    assert "extra" not in columns("default", "todolist_todolist")
    assert "extra" in columns("other", "todolist_todolist")
    assert row_count("todolist_todolist", "other") == 1
    assert "  default: 1 change(s) applied." in output
    assert "  other: failed: Refusing to lose data" in output
    assert "CommandError: 1 of 2 databases failed: other." in errors
    assert "Traceback" not in errors


def test_json_reports_each_database():
    add_a_column_the_models_lack("other")

    status, output, _ = run(
        "autoupdate",
        "todolist",
        "--database",
        "default",
        "--database",
        "other",
        "--check",
        "--json",
    )

    report = json.loads(output)  # one document, nothing else printed
    assert status == 1
    assert report["databases"]["default"]["in_sync"] is True
    assert report["databases"]["other"]["in_sync"] is False


def test_all_databases_takes_only_those_the_routers_allow():
    """otherapp.OtherOnly may live on 'other' only (tests/routers.py)."""
    assert databases_for("otherapp.OtherOnly") == ["other"]
    assert databases_for("todolist") == BOTH

    status, output, _ = run("autoupdate", "otherapp.OtherOnly", "--all-databases", "--check")

    assert status == 0
    assert "Database 'other' matches the models." in output
    assert "'default'" not in output


def test_database_and_all_databases_together_is_a_usage_error():
    status, _, errors = run("autoupdate", "--database", "other", "--all-databases")
    assert status == 1  # call_command's CommandError for argparse's exit 2
    assert "not allowed with argument --database" in errors


def test_python_api_takes_several_aliases_and_gives_results_by_alias():
    add_a_column_the_models_lack("other")

    plans = check("todolist", using=BOTH)
    assert list(plans) == BOTH
    assert plans["default"].steps == [] and len(plans["other"].steps) == 1

    results = autoupdate("todolist", using=BOTH)
    assert results["other"].applied
    assert "extra" not in columns("other", "todolist_todolist")


def test_python_api_runs_every_database_and_then_raises_what_failed():
    add_a_column_the_models_lack("default", values=True)
    add_a_column_the_models_lack("other")

    with pytest.raises(DatabasesFailed) as failed:
        autoupdate("todolist", using=BOTH)

    assert list(failed.value.results) == ["other"]
    assert isinstance(failed.value.errors["default"], Refused)
    assert "Database 'default': Refusing to lose data" in str(failed.value)
    assert "extra" not in columns("other", "todolist_todolist")  # other ran to the end
    assert "extra" in columns("default", "todolist_todolist")
