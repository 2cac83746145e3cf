"""Timing whole processes: cases, warm-up with query counts, round-robin runs.

A :class:`Case` is one command line to time (a ``manage.py`` command, pytest, or
the DDL floor script) with what must be done, untimed, before each run (a fresh
empty database, a base schema). :func:`measure` runs every case once to warm
up (counting its queries when it is a ``manage.py`` command), then ``runs``
times round-robin, so that a drift of the machine's load spreads over all cases
alike, and keeps the wall time of each run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent  # the checkout whose automigrate_cmd is measured
QUERYCOUNT = HERE / "querycount.py"
INPROCESS = HERE / "inprocess.py"
IN_PROCESS = ", in-process"  # the suffix of the names of in-process cases


class CommandFailed(Exception):
    pass


@dataclass
class Case:
    group: str  # "build", "no-op", "changes", "pytest"
    name: str
    argv: list[str]  # manage.py arguments when ``manage``, else the whole command
    cwd: Path
    env: dict[str, str]
    manage: bool = True
    prepare: Callable[[], None] | None = None  # untimed, before every run
    ok_codes: tuple[int, ...] = (0,)
    # The process prints {"inner_seconds": ...} as its last line: the DDL
    # floor's time connected, an in-process command's own part.
    inner: bool = False
    verify: list[str] | None = None  # manage.py arguments that must exit 0 after the warm-up
    unavailable: str = ""  # why the case cannot run here: printed as n/a

    def command(self, count_queries: bool = False) -> list[str]:
        if not self.manage:
            return self.argv
        script = str(QUERYCOUNT) if count_queries else "manage.py"
        return [sys.executable, script, *self.argv]


@dataclass
class Section:
    """Cases measured together, round-robin; ``setup`` runs once before them."""

    cases: list[Case]
    setup: Callable[[], None] | None = None


@dataclass
class Result:
    group: str
    name: str
    seconds: list[float] = field(default_factory=list)
    inner_seconds: list[float] = field(default_factory=list)
    queries: dict[str, int] | None = None
    note: str = ""  # what went wrong in the warm-up
    warm_up_seconds: float = 0.0
    applied: str = ""  # what autoupdate says it applied in the warm-up


def run(
    command: list[str], cwd: Path, env: dict[str, str], ok_codes: tuple[int, ...] = (0,)
) -> tuple[float, subprocess.CompletedProcess]:
    """Run ``command``; its wall time and the completed process."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in ok_codes:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise CommandFailed(f"{' '.join(command)} (in {cwd}) exited {done.returncode}:\n{tail}")
    return elapsed, done


def warm_up(case: Case, log: Callable[[str], None]) -> Result:
    """One untimed run: fills caches, checks the case works, counts its queries."""
    result = Result(case.group, case.name)
    if case.unavailable:
        result.note = case.unavailable
        return result
    with tempfile.NamedTemporaryFile(suffix=".json") as counts:
        env = {**case.env, "BENCH_QUERY_LOG": counts.name}
        try:
            if case.prepare:
                case.prepare()
            command = case.command(count_queries=case.manage)
            result.warm_up_seconds, done = run(command, case.cwd, env, case.ok_codes)
            applied = re.search(r"(\d+) change\(s\) applied", done.stdout)
            result.applied = f"{applied.group(1)} applied" if applied else ""
            if done.returncode != 0:
                result.note = f"exit status {done.returncode}: {_last_line(done.stdout)}"
            if case.manage:
                result.queries = json.loads(Path(counts.name).read_text() or "null")
            if case.verify:
                _, check = run(
                    [sys.executable, "manage.py", *case.verify], case.cwd, case.env, (0, 1)
                )
                if check.returncode:
                    result.note = "not in sync afterwards: " + _last_line(check.stdout)
        except CommandFailed as failure:
            log(f"    FAILED {case.name}: {failure}")
            result.note = "failed: " + _last_line(str(failure))
    return result


@dataclass(frozen=True)
class Runs:
    """How many timed runs: ``count``, or ``slow_count`` for a case whose warm-up
    took over ``slow_seconds`` (its warm-up then counts as one: caches and the
    query counter hardly matter to a process that long)."""

    count: int = 5
    slow_seconds: float = 120.0
    slow_count: int = 1

    def planned(self, result: Result) -> int:
        return self.slow_count if self.is_slow(result) else self.count

    def is_slow(self, result: Result) -> bool:
        return result.warm_up_seconds > self.slow_seconds and not result.inner_seconds


def measure(section: Section, runs: Runs, log: Callable[[str], None]) -> list[Result]:
    """Set-up, warm-up, then the timed runs of every case, round-robin."""
    cases = section.cases
    if section.setup:
        try:
            section.setup()
        except CommandFailed as failure:
            # The other sections (and sizes, backends) still get measured.
            log(f"    FAILED set-up: {failure}")
            note = "failed: set-up: " + _last_line(str(failure))
            return [Result(case.group, case.name, note=note) for case in cases]
    results = []
    for case in cases:
        log(f"  warm-up: {case.name}")
        result = warm_up(case, log)
        if runs.is_slow(result) and not result.note:
            result.seconds.append(result.warm_up_seconds)
        results.append(result)
    for index in range(runs.count):
        for case, result in zip(cases, results, strict=True):
            skip = case.unavailable or result.note.startswith("failed")
            if skip or len(result.seconds) >= runs.planned(result):
                continue
            if case.prepare:
                case.prepare()
            elapsed, done = run(case.command(), case.cwd, case.env, case.ok_codes)
            result.seconds.append(elapsed)
            if case.inner:
                result.inner_seconds.append(inner_seconds(done.stdout))
        log(f"  run {index + 1}/{runs.count} done")
    return results


def inner_seconds(stdout: str) -> float:
    """What the process printed as its last line: {"inner_seconds": ...}."""
    return json.loads(_last_line(stdout))["inner_seconds"]


def in_process(case: Case) -> Case:
    """The same ``manage.py`` command timed in-process (``inprocess.py``):
    after ``django.setup()``, without the system checks; the whole process
    is timed too."""
    assert case.manage, case.name
    argv = [sys.executable, str(INPROCESS), *case.argv]
    return replace(case, name=case.name + IN_PROCESS, argv=argv, manage=False, inner=True)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def base_env(database_url: str) -> dict[str, str]:
    """The environment of every measured command: the database, and this
    checkout first on the path, so that the automigrate_cmd measured is the
    one next to these scripts (the one git_revision() names), whatever the
    virtualenv has installed."""
    env = {**os.environ, "DATABASE_URL": database_url}
    # A project's processes write and reuse .pyc files: without them (this
    # machine's shell sets PYTHONDONTWRITEBYTECODE) every run compiles every
    # module it imports, a second of start-up with the real apps.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("BENCH_NOMIGRATIONS", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return env
