"""The results as one markdown table of medians and ratios, with the machine described."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from measure import IN_PROCESS, Result

# The row each group's "net" figures subtract (Django start-up and system checks,
# or pytest with Django and no database), and its "x migrate" baseline.
START_UP = {"build": "check", "no-op": "check", "changes": "check", "pytest": "pytest, no database"}
BASELINE = {
    "build": "migrate",
    "no-op": "migrate, nothing to do",
    "pytest": "pytest with migrations",
}
FLOOR = "DDL floor (driver only)"
REFERENCE_ROWS = {"start-up (manage.py version)", "check", "pytest, no database"}


@dataclass
class Block:
    """The results of one project on one backend."""

    corpus: str  # N of a generated project, or "realapps"
    backend: str
    results: list[Result]
    project: str  # a description: apps, migration files, tables

    def median_of(self, name: str) -> float | None:
        found = next((r for r in self.results if r.name == name), None)
        return median(found.seconds) if found else None

    def net_of(self, name: str) -> float | None:
        found = next((r for r in self.results if r.name == name), None)
        return net(found, self) if found else None


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def net(result: Result, block: Block) -> float | None:
    """Wall time minus start-up: the work itself (the floor: its time connected)."""
    if result.inner_seconds:
        return median(result.inner_seconds)
    whole = median(result.seconds)
    start_up = block.median_of(START_UP[result.group])
    if whole is None or start_up is None or result.name in REFERENCE_ROWS:
        return None
    return whole - start_up


def baseline(result: Result) -> str | None:
    if result.name in REFERENCE_ROWS:
        return None
    if result.group == "changes":
        return result.name.replace("autoupdate", "migrate")
    if result.name.endswith(IN_PROCESS):  # against migrate in-process too
        base = BASELINE.get(result.group)
        return base + IN_PROCESS if base else None
    return BASELINE.get(result.group)


def ratio(value: float | None, reference: float | None) -> str:
    if value is None or not reference or reference <= 0:
        return "–"
    return f"{value / reference:.2f}"


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def spread(result: Result) -> str:
    if not result.seconds:
        return "–"
    return f"{min(result.seconds):.2f}–{max(result.seconds):.2f}"


def queries(result: Result) -> str:
    q = result.queries
    if not q:
        return "–"
    other = f"{q['other']} ({q['other_connections']} conn.)" if q["other_connections"] else "0"
    return f"{q['live']} / {other}"


HEADER = (
    "| N | DB | measurement | runs | median s | min–max s | net s | × migrate | net × migrate "
    "| × floor | net × floor | queries live / other |"
)


def row(block: Block, result: Result) -> str:
    whole, net_s = median(result.seconds), net(result, block)
    name = result.name + (f" [{result.applied}]" if result.applied else "")
    name += f" ({result.note})" if result.note else ""
    base = baseline(result)
    base_whole = block.median_of(base) if base and base != result.name else None
    base_net = block.net_of(base) if base and base != result.name else None
    in_build = result.group == "build" and result.name not in REFERENCE_ROWS
    floor_whole = block.median_of(FLOOR) if in_build and result.name != FLOOR else None
    floor_net = block.net_of(FLOOR) if floor_whole else None
    if whole is None:
        cells = ["–", "n/a"] + ["–"] * 6
    else:
        cells = [
            str(len(result.seconds)),
            seconds(whole),
            spread(result),
            seconds(net_s),
            ratio(whole, base_whole),
            ratio(net_s, base_net),
            ratio(whole, floor_whole),
            ratio(net_s, floor_net),
        ]
    return "| " + " | ".join([block.corpus, block.backend, name, *cells, queries(result)]) + " |"


def table(blocks: list[Block]) -> str:
    separator = "|" + "---|" * HEADER.count(" | ") + "---|"
    lines = [HEADER, separator]
    for block in blocks:
        lines += [row(block, result) for result in block.results]
    return "\n".join(lines)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine(server_versions: list[str]) -> str:
    import django

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        f"- CPU: {cpu_model()}, {os.cpu_count()} cores; load average at the end: {load}",
        f"- OS: {platform.platform()}",
        f"- Python {platform.python_version()} ({sys.executable}), Django {django.__version__}",
        f"- Databases: {'; '.join(server_versions)}",
        f"- automigrate_cmd: {git_revision()}",
    ]
    return "\n".join(lines)


def git_revision() -> str:
    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=here, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "../automigrate_cmd"],
            cwd=here,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown revision"
    return f"git {head}" + (" with uncommitted changes" if dirty else "")


NOTES = """\
- Every figure is the wall time of a whole process (`subprocess`), the median of the timed runs
  (*runs*) after one untimed warm-up run; a case whose warm-up took longer than `--slow-seconds`
  is timed `--slow-runs` times, its warm-up counting as one. *build* and *changes* runs start
  from a fresh empty database; *no-op* runs use one built by `automigrate` (migrations recorded).
- *net s*: the median minus the start-up that the command shares with all the others: `manage.py
  check --database default` (Django start-up and the system checks, which `migrate`, `automigrate`
  and `autoupdate` all run) for `manage.py` commands; a pytest run of one test without database for
  the pytest rows; for the DDL floor, the time it spent connected (connect, execute, commit); for
  a row ending in *in-process*, the command's own part: `call_command` timed inside the process,
  after `django.setup()`, without the system checks (its *median s* is that whole process, and its
  *× migrate* ratios are against `migrate` in-process).
- *× migrate*: against `migrate` doing the same job (building the schema; nothing to do; the same
  K changes as one migration; pytest with migrations). *× floor*: against the DDL that automigrate
  runs (`automigrate --dry-run`) executed by the driver alone in one go, without Django (no content
  types, permissions or migration records: only the schema).
- *queries*: statements sent through Django cursors in the warm-up run, on the live connection /
  on other connections (autoupdate builds the models in a scratch place on its own connection).
- A note in brackets after a name: the run did not go as expected (a failure, a difference found).
"""


def report(blocks: list[Block], server_versions: list[str], runs: str, command: str) -> str:
    projects = "\n".join(
        f"- {title(b.corpus)}: {b.project}" for b in blocks if b is _first_of_size(blocks, b)
    )
    return "\n\n".join(
        [
            "# automigrate_cmd benchmark",
            f"`{command}`: timed runs per measurement: {runs}.",
            "## Machine\n\n" + machine(server_versions),
            "## Projects\n\n" + projects,
            "## Results\n\n" + table(blocks),
            "## How to read it\n\n" + NOTES,
        ]
    )


def title(corpus: str) -> str:
    return f"N={corpus}" if corpus.isdigit() else corpus


def _first_of_size(blocks: list[Block], block: Block) -> Block:
    return next(b for b in blocks if b.corpus == block.corpus)
