"""A command run on several databases (``--database`` more than once,
``--all-databases``).

Each database gets the run it would get alone, on its own connection
(``databases.run_in_parallel``); its output is kept and printed as one group
under the database's name, in the order the databases were given, then one
summary line per database. The exit status is the worst one: 1 if a
database failed (a CommandError naming them) or, with ``--check``, differs.
Where the run may ask questions (a terminal, no ``--noinput``) the databases
run one after the other, their output as it comes.
"""

from __future__ import annotations

import io
import json
import os
import sys
from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError

from automigrate_cmd.databases import run_in_parallel


@dataclass
class Outcome:
    """How the run on one database went."""

    alias: str
    status: int  # the exit status it would have had alone
    output: str  # what it printed (empty when printed as it came)
    errors: str
    summary: str
    failed: bool = False


def handle(command: BaseCommand, aliases: list[str], options: dict) -> None:
    asks = bool(options.get("interactive")) and sys.stdin.isatty()
    try:
        if asks:
            outcomes = [_run_one(command, alias, options, live=True) for alias in aliases]
        else:
            outcomes = []
            for _alias, outcome, _ in run_in_parallel(
                aliases, lambda alias: _run_one(command, alias, options, live=False)
            ):
                _print_group(command, outcome, options)
                outcomes.append(outcome)
    except KeyboardInterrupt:
        command.stderr.write("\n" + command.interrupted_text(options))
        command.stdout.flush()
        os._exit(1)  # the runs under way on other threads stop with the process
    _finish(command, outcomes, options)


def _run_one(command: BaseCommand, alias: str, options: dict, live: bool) -> Outcome:
    """The command's run on ``alias`` by a command object of its own (its
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
        command.stdout.write(command.style.MIGRATE_HEADING(f"Database '{alias}':"))
    status, failure = 0, ""
    try:
        runner.run_on(alias, options)
    except CommandError as error:
        runner.stderr.write(f"CommandError: {error}")
        status, failure = error.returncode, str(error).splitlines()[0]
    except SystemExit as exit_:  # --check: the database differs
        status = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        runner.stdout.flush()
    summary = f"failed: {failure}" if failure else runner.summary or "done."
    if live:  # printed as it came
        return Outcome(alias, status, "", "", summary, failed=bool(failure))
    return Outcome(alias, status, out.getvalue(), err.getvalue(), summary, failed=bool(failure))


def _print_group(command: BaseCommand, outcome: Outcome, options: dict) -> None:
    if options.get("json"):
        return  # one JSON document for all of them, at the end
    if options.get("verbosity", 1) >= 1:
        command.stdout.write(command.style.MIGRATE_HEADING(f"Database '{outcome.alias}':"))
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
            command.stdout.write(f"  {outcome.alias}: {outcome.summary}")
    command.stdout.flush()
    failed = [o.alias for o in outcomes if o.failed]
    if failed:
        raise CommandError(
            f"{len(failed)} of {len(outcomes)} databases failed: {', '.join(failed)}."
        )
    if any(o.status for o in outcomes):
        sys.exit(max(o.status for o in outcomes))


def _as_json(outcomes: list[Outcome]) -> dict:
    databases = {}
    for outcome in outcomes:
        if outcome.failed:
            databases[outcome.alias] = {"error": outcome.summary.removeprefix("failed: ")}
        else:
            databases[outcome.alias] = json.loads(outcome.output)
    return {"databases": databases}
