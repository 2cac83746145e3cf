"""An in-sync autoupdate is cheap: it reads the catalog a fixed number of
times, however many models there are, and does not build the scratch schema
again while the models are unchanged."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from automigrate_cmd import autoupdate, update

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


def test_unchanged_models_do_not_rebuild_the_scratch_schema(monkeypatch):
    autoupdate("todolist")
    builds = []
    real = update.desired_schema
    monkeypatch.setattr(update, "desired_schema", lambda *a: builds.append(a) or real(*a))
    assert autoupdate("todolist").plan.steps == []
    assert builds == []
