"""Benchmark of automigrate and autoupdate against migrate, on SQLite, PostgreSQL and MariaDB.

    python benchmarks/run.py --backends sqlite,postgresql,mysql --models 100,500,1000 --runs 5
    python benchmarks/run.py --models 20 --runs 1          # smoke run, a few minutes
    python benchmarks/run.py --corpus realapps --runs 5    # the real-app corpus

For each N, a synthetic project of N models over apps of 25 (``synthetic.py``:
a realistic mix of fields, foreign keys with cycles, many-to-many, indexes,
constraints) with a history of 11 rounds of ``makemigrations`` is generated
once and cached. On each backend it measures (``scenarios.py``), as the
median wall time of whole processes (``measure.py``):

1. building an empty database: ``automigrate`` vs ``migrate`` vs
   ``migrate --run-syncdb`` without migrations vs the DDL floor (the SQL of
   ``automigrate --dry-run`` run by the driver alone);
2. ``autoupdate`` and ``autoupdate --check`` vs ``migrate`` with nothing to do,
   with the number of queries each sends on the live connection and on others;
3. ``autoupdate`` applying K model changes, vs ``migrate`` applying them as one
   migration;
4. a pytest-django test run with migrations vs ``--nomigrations`` vs
   ``--automigrate``.

It prints one markdown table of medians and ratios (vs migrate, vs the DDL floor,
and with Django's start-up subtracted) with the machine described, and writes it
to ``benchmarks/results.md``. ``--corpus realapps`` measures the same on a
project of real third-party apps from PyPI instead (``realapps.py``: the test
suite's ``tests/realapps/settings.py``, their own migration histories), or
next to the generated ones (``--corpus generated,realapps``). Run it with the
interpreter of the virtualenv to measure (Django, the drivers and automigrate_cmd
installed there; for the real-app corpus, its packages too).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from pathlib import Path

import realapps
from backends import Backend, make_backend
from measure import Result, Runs, measure
from scenarios import (
    SECTIONS,
    build_section,
    changes_section,
    check_section,
    ddl_path,
    noop_section,
    pytest_section,
)
from summary import Block, report
from synthetic import Project, ensure_project

CORPORA = ["generated", realapps.LABEL]

HERE = Path(__file__).resolve().parent
STARTED = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


def numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


def names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", type=names, default=["sqlite", "postgresql", "mysql"])
    parser.add_argument(
        "--corpus",
        type=names,
        default=["generated"],
        help="generated (the projects of --models N), realapps (real third-party apps: "
        "tests/realapps/settings.py), or both: generated,realapps (default: %(default)s)",
    )
    parser.add_argument(
        "--models",
        type=numbers,
        default=[100, 500, 1000],
        help="N of the generated projects, e.g. 100,500",
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs per measurement")
    parser.add_argument(
        "--slow-seconds",
        type=float,
        default=120.0,
        help="a case whose warm-up takes longer is timed --slow-runs times (default %(default)s)",
    )
    parser.add_argument("--slow-runs", type=int, default=1, help="(default %(default)s)")
    parser.add_argument(
        "--changes",
        type=numbers,
        default=[1, 10, 100],
        help="K for autoupdate on the generated projects (the real-app corpus: K=1)",
    )
    parser.add_argument("--sections", type=names, default=SECTIONS, help=",".join(SECTIONS))
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="NAME",
        help="a case to leave out, by its name in the table (repeatable): "
        'e.g. --skip "pytest with migrations"',
    )
    parser.add_argument("--rounds", type=int, default=10, help="rounds of model changes")
    parser.add_argument("--per-app", type=int, default=25, help="models per app")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "automigrate-bench",
        help="where generated projects are kept (default: %(default)s)",
    )
    parser.add_argument(
        "--postgresql-url",
        default="postgres://postgres@127.0.0.1:5432/automigrate_bench",
        help="the real-app corpus adds _realapps to the database's name (default: %(default)s)",
    )
    parser.add_argument(
        "--mysql-url",
        default="mysql://root@127.0.0.1:3306/automigrate_bench",
        help="the same (default: %(default)s)",
    )
    parser.add_argument("--output", type=Path, default=HERE / "results.md")
    args = parser.parse_args(argv)
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    unknown = set(args.corpus) - set(CORPORA)
    if unknown:
        parser.error(f"unknown corpus {sorted(unknown)}; choose from {CORPORA}")
    return args


def measure_block(
    project: Project, backend: Backend, args: argparse.Namespace, workdir: Path, ks: list[int]
) -> list[Result]:
    """Every section's results for one project on one backend (K changes: ``ks``)."""
    sections = []
    if "build" in args.sections:
        sections.append(build_section(project, backend, workdir))
    elif {"no-op", "changes"} & set(args.sections):
        sections.append(check_section(project, backend))  # what their net figures subtract
    if "no-op" in args.sections:
        sections.append(noop_section(project, backend))
    if "changes" in args.sections:
        sections.append(changes_section(project, backend, ks))
    if "pytest" in args.sections:
        sections.append(pytest_section(project, backend))
    for case in (case for section in sections for case in section.cases):
        if case.name in args.skip:
            case.unavailable = "skipped with --skip"
    runs = Runs(args.runs, args.slow_seconds, args.slow_runs)
    return [result for section in sections for result in measure(section, runs, log)]


def describe(project: Project, workdir: Path, backend: str) -> str:
    ddl = ddl_path(project, backend, workdir)
    text = ddl.read_text() if ddl.exists() else ""
    tables = text.count("CREATE TABLE")
    statements = sum(1 for line in text.splitlines() if line.strip())
    description = (
        f"{project.n_apps} apps, {project.n_migrations} migration files, "
        f"{tables} tables and {statements} DDL statements ({backend}); {project.root}"
    )
    if isinstance(project, realapps.RealAppsProject):
        description = (
            f"the real-app corpus (tests/realapps/settings.py): {project.n_models} models, "
            f"{description}; {project.packages}"
        )
    return description


# The databases of each corpus: the real-app one has its own
# (automigrate_bench_realapps, and pytest-django's automigrate_bench_realapps_test).
DATABASES = {"generated": ("", "test_{}"), realapps.LABEL: ("_realapps", "{}_test")}


def corpus_backends(args: argparse.Namespace, workdir: Path, corpus: str) -> list[Backend]:
    suffix, test_template = DATABASES[corpus]
    return [
        make_backend(b, workdir, args.postgresql_url, args.mysql_url, suffix, test_template)
        for b in args.backends
    ]


def projects(args: argparse.Namespace, workdir: Path, corpus: str):
    """(label, project, K values) of each project of ``corpus``, made when it comes."""
    if corpus == realapps.LABEL:
        yield realapps.LABEL, realapps.ensure_project(workdir, log=log), realapps.CHANGES
        return
    for n_models in args.models:
        project = ensure_project(
            args.cache, n_models, args.per_app, args.rounds, args.changes, log=log
        )
        yield str(n_models), project, args.changes


def measure_all(
    args: argparse.Namespace, backends: dict[str, list[Backend]], workdir: Path
) -> list[Block]:
    blocks = []
    for corpus in args.corpus:
        for label, project, ks in projects(args, workdir, corpus):
            for backend in backends[corpus]:
                log(f"{'N=' if label.isdigit() else ''}{label} on {backend.name}")
                results = measure_block(project, backend, args, workdir, ks)
                description = describe(project, workdir, backend.name)
                blocks.append(Block(label, backend.name, results, description))
    return blocks


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="automigrate-bench-run-") as tmp:
        workdir = Path(tmp)
        backends = {corpus: corpus_backends(args, workdir, corpus) for corpus in args.corpus}
        try:
            blocks = measure_all(args, backends, workdir)
            versions = [backend.version() for backend in backends[args.corpus[0]]]
        finally:
            for backend in (b for corpus in backends.values() for b in corpus):
                backend.drop()
    command = "python benchmarks/run.py " + shlex.join(argv)
    runs = f"{args.runs} (cases slower than {args.slow_seconds:g} s: {args.slow_runs})"
    text = report(blocks, versions, runs, command.strip())
    args.output.write_text(text + "\n")
    print(text)
    log(f"done; written to {args.output}")


if __name__ == "__main__":
    main(sys.argv[1:])
