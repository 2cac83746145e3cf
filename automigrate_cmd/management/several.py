"""A command run on several databases (``--database`` more than once,
``--all-databases``) or in schemas of one (``--schema``, ``--all-schemas``).

Each target gets the run it would get alone, on its own connection
(``databases.run_in_parallel``); its output is kept and printed as one group
under the database's (the schema's) name, in the order the targets were
given, then one summary line per target. The exit status is the worst one:
1 if a target failed (a CommandError naming them) or, with ``--check``,
differs. Where the run may ask questions (a terminal, no ``--noinput``) the
targets run one after the other, their output as it comes. The schemas of a
run share the desired tables (``schemas.py``) and its system checks, run
once before them.
"""

from __future__ import annotations

import io
import json
import os
import sys
from contextlib import nullcontext
from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError

from automigrate_cmd.databases import run_in_parallel
from automigrate_cmd.schemas import shared_run


@dataclass(frozen=True)
class Target:
    """Where one run goes: a database, or one schema of it."""

    alias: str
    schema: str | None = None

    @property
    def name(self) -> str:
        return self.schema if self.schema is not None else self.alias

    @property
    def heading(self) -> str:
        if self.schema is not None:
            return f"Schema '{self.schema}':"
        return f"Database '{self.alias}':"


@dataclass
class Outcome:
    """How the run on one target went."""

    target: Target
    status: int  # the exit status it would have had alone
    output: str  # what it printed (empty when printed as it came)
    errors: str
    summary: str
    failed: bool = False


def handle(command: BaseCommand, targets: list[Target], options: dict) -> None:
    asks = bool(options.get("interactive")) and sys.stdin.isatty()
    in_schemas = targets[0].schema is not None
    if in_schemas and not options["skip_checks"]:
        command.check(databases=[targets[0].alias])  # once for all the schemas
        options = {**options, "skip_checks": True}
    try:
        with shared_run() if in_schemas else nullcontext():
            outcomes = _run_all(command, targets, options, asks)
    except KeyboardInterrupt:
        command.stderr.write("\n" + command.interrupted_text(options))
        command.stdout.flush()
        os._exit(1)  # the runs under way on other threads stop with the process
    _finish(command, outcomes, options)


def _run_all(
    command: BaseCommand, targets: list[Target], options: dict, asks: bool
) -> list[Outcome]:
    if asks:
        return [_run_one(command, target, options, live=True) for target in targets]
    outcomes = []
    for _target, outcome, _ in run_in_parallel(
        targets, lambda target: _run_one(command, target, options, live=False)
    ):
        _print_group(command, outcome, options)
        outcomes.append(outcome)
    return outcomes


def _run_one(command: BaseCommand, target: Target, options: dict, live: bool) -> Outcome:
    """The command's run on ``target`` by a command object of its own (its
    own output, verbosity and summary), as if it ran alone."""
    out = command.stdout if live else io.StringIO()
    err = command.stderr if live else io.StringIO()
    runner = type(command)(
        stdout=out,
        stderr=err,
        no_color=options.get("no_color", False),
        force_color=options.get("force_color", False),
    )
    if live and options.get("verbosity", 1) >= 1:
        command.stdout.write(command.style.MIGRATE_HEADING(target.heading))
    status, failure = 0, ""
    try:
        runner.run_on(target.alias, options, target.schema)
    except CommandError as error:
        runner.stderr.write(f"CommandError: {error}")
        status, failure = error.returncode, str(error).splitlines()[0]
    except SystemExit as exit_:  # --check: the database differs
        status = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        runner.stdout.flush()
    summary = f"failed: {failure}" if failure else runner.summary or "done."
    if live:  # printed as it came
        return Outcome(target, status, "", "", summary, failed=bool(failure))
    return Outcome(target, status, out.getvalue(), err.getvalue(), summary, failed=bool(failure))


def _print_group(command: BaseCommand, outcome: Outcome, options: dict) -> None:
    if options.get("json"):
        return  # one JSON document for all of them, at the end
    if options.get("verbosity", 1) >= 1:
        command.stdout.write(command.style.MIGRATE_HEADING(outcome.target.heading))
    if outcome.output:
        command.stdout.write(outcome.output, ending="")
    if outcome.errors:
        command.stdout.flush()
        command.stderr.write(outcome.errors, ending="")


def _finish(command: BaseCommand, outcomes: list[Outcome], options: dict) -> None:
    if options.get("json"):
        command.stdout.write(json.dumps(_as_json(outcomes), indent=2))
    elif options.get("verbosity", 1) >= 1:
        command.stdout.write(command.style.MIGRATE_HEADING("Summary:"))
        for outcome in outcomes:
            command.stdout.write(f"  {outcome.target.name}: {outcome.summary}")
    command.stdout.flush()
    failed = [o.target.name for o in outcomes if o.failed]
    if failed:
        what = "schemas" if outcomes[0].target.schema is not None else "databases"
        raise CommandError(f"{len(failed)} of {len(outcomes)} {what} failed: {', '.join(failed)}.")
    if any(o.status for o in outcomes):
        sys.exit(max(o.status for o in outcomes))


def _as_json(outcomes: list[Outcome]) -> dict:
    reports = {}
    for outcome in outcomes:
        if outcome.failed:
            reports[outcome.target.name] = {"error": outcome.summary.removeprefix("failed: ")}
        else:
            reports[outcome.target.name] = json.loads(outcome.output)
    if outcomes and outcomes[0].target.schema is not None:
        return {"database": outcomes[0].target.alias, "schemas": reports}
    return {"databases": reports}
