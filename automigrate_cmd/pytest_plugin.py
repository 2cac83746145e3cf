"""pytest plugin (entry point ``automigrate``), built on pytest-django.

- ``--automigrate`` (or ``automigrate = true`` in the ini file): the test
  databases are built with automigrate instead of migrations; with
  ``--reuse-db`` a kept database is brought up to date with autoupdate.
- ``@pytest.mark.automigrated("app_label.Model", ..., databases=...)``:
  tables for test-only models during one test. Labels, because pytest takes
  a marker's single class argument for the thing to mark; classes work
  with ``.with_args(Model)`` or with more than one argument.
- ``automigrated_fixture(Model, ..., scope=...)``: the same for a class,
  module, package or session.

Nothing changes unless one of them is used.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from django.db import models

MARKER = "automigrated"
_MARKER_FIXTURE = "_automigrated_marker"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("django")
    group.addoption(
        "--automigrate",
        action="store_true",
        dest="automigrate",
        default=None,
        help="Build the test databases with automigrate instead of migrations "
        "(with --reuse-db: bring them up to date with autoupdate).",
    )
    group.addoption(
        "--no-automigrate",
        action="store_false",
        dest="automigrate",
        help="Build the test databases with migrations (overrides the ini option).",
    )
    parser.addini(
        "automigrate",
        "Build the test databases with automigrate instead of migrations.",
        type="bool",
        default=False,
    )


def _enabled(config: pytest.Config) -> bool:
    flag = config.getoption("automigrate")
    return bool(config.getini("automigrate") if flag is None else flag)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*labels, databases='default'): tables for test-only models during the test.",
    )
    if _enabled(config) and not config.pluginmanager.hasplugin("django"):
        raise pytest.UsageError("--automigrate needs pytest-django.")


def pytest_report_header(config: pytest.Config) -> str | None:
    return "automigrate: test databases built by automigrate" if _enabled(config) else None


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef, request: pytest.FixtureRequest):
    # pytest-django's django_db_setup calls Django's setup_databases(); around
    # its setup, each connection's create_test_db() uses automigrate.
    if fixturedef.argname != "django_db_setup" or not _enabled(request.config):
        return (yield)
    from .testing import automigrated_test_databases, find_test_only_models

    session = request.session
    test_only = find_test_only_models(_test_modules(session)) | _marked_models(session)
    with automigrated_test_databases(test_only):
        return (yield)


def _test_modules(session: pytest.Session) -> set[str]:
    return {item.module.__name__ for item in session.items if getattr(item, "module", None)}


def _marked_models(session: pytest.Session) -> set[type[models.Model]]:
    from .testing import as_model

    marks = [mark for item in session.items for mark in item.iter_markers(MARKER)]
    return {as_model(model) for mark in marks for model in mark.args}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Build the marked tables before pytest-django opens the test's transaction
    # (and drop them after it rolled back): DDL outside a transaction works on
    # every backend, and MariaDB's would otherwise commit the test's transaction.
    for item in items:
        names = getattr(item, "fixturenames", None)
        if names and _MARKER_FIXTURE in names and item.get_closest_marker(MARKER):
            names.remove(_MARKER_FIXTURE)
            names.insert(0, _MARKER_FIXTURE)


@pytest.fixture(autouse=True)
def _automigrated_marker(request: pytest.FixtureRequest) -> Generator[None]:
    """Implement ``@pytest.mark.automigrated``."""
    marks = list(request.node.iter_markers(MARKER))
    if not marks:
        yield
        return
    from .testing import automigrated

    # Outermost marks (module, class) first: their models may be referenced.
    contexts = [automigrated(*mark.args, **mark.kwargs) for mark in reversed(marks)]
    with _tables(request, contexts):
        yield


def automigrated_fixture(
    *models_: type[models.Model] | str,
    scope: str = "module",
    databases: str | Iterable[str] = "default",
) -> Callable[..., Any]:
    """A fixture that gives ``models_`` tables for its ``scope``::

        widget_tables = automigrated_fixture(Widget, "app.Gadget", scope="module")

        @pytest.mark.usefixtures("widget_tables")
        def test_widgets(db): ...

    For a single test use ``@pytest.mark.automigrated("app.Widget")``: a
    function-scoped fixture could be set up inside the test's transaction.
    """
    if scope == "function":
        raise ValueError("For one test, use @pytest.mark.automigrated(...) instead.")
    from .testing import automigrated

    context = automigrated(*models_, databases=databases)  # declares them test-only now

    @pytest.fixture(scope=scope)  # type: ignore[call-overload]
    def fixture(request: pytest.FixtureRequest) -> Generator[None]:
        with _tables(request, [context]):
            yield

    return fixture


@contextmanager
def _tables(request: pytest.FixtureRequest, contexts: list) -> Iterator[None]:
    """Enter ``automigrated`` contexts with database access, and leave them the same way."""
    request.getfixturevalue("django_db_setup")
    blocker = request.getfixturevalue("django_db_blocker")
    entered = []
    try:
        with blocker.unblock():
            for context in contexts:
                context.enable()
                entered.append(context)
        yield
    finally:
        with blocker.unblock():
            for context in reversed(entered):
                context.disable()
