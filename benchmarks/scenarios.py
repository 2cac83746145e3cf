"""What is measured: the cases of each section, for one project on one backend.

1. build: an empty database built by ``automigrate``, ``migrate`` (the whole
   history), ``migrate --run-syncdb`` without migrations (pytest-django's
   ``--nomigrations``), and the DDL floor (the SQL of ``automigrate --dry-run``
   run by the driver alone); ``manage.py version`` (Django start-up) and
   ``manage.py check`` (start-up and system checks, which every one of those
   commands runs) for reference; ``automigrate`` and the syncdb path also
   in-process (``inprocess.py``: their own part, after ``django.setup()``).
2. no-op: ``migrate``, ``autoupdate`` and ``autoupdate --check`` on a database
   that is up to date (built by ``automigrate``, which records the migrations as
   applied), with and without the desired schema that autoupdate stores;
   ``migrate`` and ``autoupdate`` also in-process.
3. changes: ``autoupdate`` applying K model changes to a database built from
   the base models, and ``migrate`` applying the one migration of the same
   changes.
4. pytest: one trivial database test with pytest-django: test database built
   with migrations, with ``--nomigrations``, with ``--automigrate``; and a test
   without database (pytest and Django start-up).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

from backends import Backend
from measure import HERE, Case, Section, base_env, in_process, run
from synthetic import Project

SECTIONS = ["build", "no-op", "changes", "pytest"]


def build_section(project: Project, backend: Backend, workdir: Path) -> Section:
    env = base_env(backend.url)
    fresh = backend.reset
    ddl = capture_ddl(project, backend, workdir)
    floor = [sys.executable, str(HERE / "floor.py"), str(ddl)]
    nomigrations = {**env, "BENCH_NOMIGRATIONS": "1"}
    base = project.base
    automigrate = Case(
        "build", "automigrate", ["automigrate", "--noinput"], base, env, prepare=fresh
    )
    syncdb = Case(
        "build",
        "migrate --run-syncdb, no migrations",
        # At verbosity 0, as pytest-django (Django's create_test_db) runs it: at 1,
        # migrate with no migrations to run also diffs every model against the
        # migrations' state to tell of changes not yet in a migration (which
        # with migrations disabled means every app, and fails on apps whose
        # models name swappable settings of their own, as oauth2_provider's).
        ["migrate", "--run-syncdb", "--noinput", "-v", "0"],
        base,
        nomigrations,
        prepare=fresh,
    )
    cases = [
        Case("build", "start-up (manage.py version)", ["version"], base, env),
        check_case(project, backend),
        automigrate,
        Case("build", "migrate", ["migrate", "--noinput"], base, env, prepare=fresh),
        syncdb,
        Case(
            "build",
            "DDL floor (driver only)",
            floor,
            base,
            env,
            manage=False,
            prepare=fresh,
            inner=True,
        ),
        in_process(automigrate),
        in_process(syncdb),
    ]
    return Section(cases)


def check_section(project: Project, backend: Backend) -> Section:
    return Section([check_case(project, backend)])


def check_case(project: Project, backend: Backend) -> Case:
    """Django start-up and system checks, which every manage.py command here runs."""
    argv = ["check", "--database", "default"]
    env = base_env(backend.url)
    return Case("build", "check", argv, project.base, env, prepare=backend.reset)


def capture_ddl(project: Project, backend: Backend, workdir: Path) -> Path:
    """The SQL ``automigrate --dry-run`` prints for an empty database, in a file."""
    backend.reset()
    command = [sys.executable, "manage.py", "automigrate", "--dry-run", "--noinput"]
    _, done = run(command, project.base, base_env(backend.url))
    sql = done.stdout.split("SQL it would run:\n", 1)[1]
    path = ddl_path(project, backend.name, workdir)
    path.write_text(sql)
    return path


def ddl_path(project: Project, backend: str, workdir: Path) -> Path:
    return workdir / f"ddl-{backend}-{project.root.name}.sql"


# Where autoupdate keeps the desired schema it built, per model fingerprint
# (automigrate_cmd/desired_cache.py): dropped for the "nothing stored" rows.
DESIRED_CACHE_TABLE = "automigrate_cmd_desired_tables"


def noop_section(project: Project, backend: Backend) -> Section:
    env = base_env(backend.url)
    base = project.base

    def up_to_date() -> None:
        # automigrate records every migration as applied: migrate has nothing
        # to do either, and this takes seconds where migrate takes minutes.
        backend.reset()
        run([sys.executable, "manage.py", "automigrate", "--noinput"], base, env)

    def forget() -> None:
        backend.execute(f"DROP TABLE IF EXISTS {DESIRED_CACHE_TABLE}")

    autoupdate, check = ["autoupdate", "--noinput"], ["autoupdate", "--check"]
    migrate = Case("no-op", "migrate, nothing to do", ["migrate", "--noinput"], base, env)
    in_sync = Case("no-op", "autoupdate, nothing to do", autoupdate, base, env)
    # In this order: the "nothing stored" rows drop what autoupdate stored; the
    # real run stores it again for the rows after it (--check never stores).
    cases = [
        migrate,
        Case(
            "no-op",
            "autoupdate --check, nothing stored",
            check,
            base,
            env,
            prepare=forget,
            ok_codes=(0, 1),
        ),
        Case(
            "no-op",
            "autoupdate, nothing to do, nothing stored",
            autoupdate,
            base,
            env,
            prepare=forget,
        ),
        in_sync,
        Case("no-op", "autoupdate --check", check, base, env, ok_codes=(0, 1)),
        in_process(migrate),
        in_process(in_sync),
    ]
    return Section(cases, setup=up_to_date)


def changes_section(project: Project, backend: Backend, ks: list[int]) -> Section:
    env = base_env(backend.url)
    prepare = _base_schema(project, backend, env)
    cases = []
    for k in ks:
        changed = project.with_changes(k)
        verify = ["autoupdate", "--check"]
        cases += [
            Case(
                "changes",
                f"autoupdate, {k} change(s)",
                ["autoupdate", "--noinput", "--accept-data-loss"],
                changed,
                env,
                prepare=prepare,
                verify=verify,
            ),
            Case(
                "changes",
                f"migrate, {k} change(s)",
                ["migrate", "--noinput"],
                changed,
                env,
                prepare=prepare,
                verify=verify,
            ),
        ]
    return Section(cases)


def _base_schema(project: Project, backend: Backend, env: dict[str, str]) -> Callable[[], None]:
    """A fresh database with the base models' tables (and their migrations
    recorded): built by automigrate, or copied from the first one so built."""
    snapshot_taken = False

    def prepare() -> None:
        nonlocal snapshot_taken
        if snapshot_taken:
            backend.restore()
            return
        backend.reset()
        run([sys.executable, "manage.py", "automigrate", "--noinput"], project.base, env)
        if backend.clones:
            backend.snapshot()
            snapshot_taken = True

    return prepare


def pytest_section(project: Project, backend: Backend) -> Section:
    env = base_env(backend.url)
    base = project.base
    pytest = [sys.executable, "-m", "pytest", "-q"]
    db_test = [*pytest, "tests/test_db.py", "--create-db"]
    automigrate_flags, unavailable = automigrate_plugin()

    def case(name: str, argv: list[str], why: str = "") -> Case:
        return Case("pytest", name, argv, base, env, manage=False, unavailable=why)

    cases = [
        case("pytest, no database", [*pytest, "tests/test_nodb.py"]),
        case("pytest with migrations", db_test),
        case("pytest --nomigrations", [*db_test, "--nomigrations"]),
        case("pytest --automigrate", [*db_test, *automigrate_flags, "--automigrate"], unavailable),
    ]
    return Section(cases)


def automigrate_plugin() -> tuple[list[str], str]:
    """The pytest arguments that load the ``--automigrate`` plugin, or why it cannot be."""
    plugins = importlib.metadata.entry_points(group="pytest11")
    if any(p.value == "automigrate_cmd.pytest_plugin" for p in plugins):
        return [], ""
    if importlib.util.find_spec("automigrate_cmd.pytest_plugin") is not None:
        return ["-p", "automigrate_cmd.pytest_plugin"], ""
    return [], "n/a: automigrate_cmd.pytest_plugin is not there yet"
