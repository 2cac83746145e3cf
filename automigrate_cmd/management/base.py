"""What the automigrate and autoupdate commands do around their work."""

import os
import sys
from contextlib import suppress

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError

from automigrate_cmd.api import connection_for
from automigrate_cmd.databases import databases_for
from automigrate_cmd.exceptions import AutomigrateError, Cancelled, first_line, is_transient
from automigrate_cmd.management import several
from automigrate_cmd.management.several import Target
from automigrate_cmd.schemas import in_schema, schemas_for


class SchemaCommand(BaseCommand):
    """Connects (a one-line error if the database does not answer), runs the
    system checks, then ``run()``; our errors become one-line CommandErrors,
    and so does a database error from anywhere else in the run (a connection
    lost while content types are written). Ctrl-C ends the run with one line
    and status 1; output piped into ``head`` that stops reading does not stop
    the run."""

    # Checks need the database; they run in handle() once it is known to answer.
    requires_system_checks = []

    def __init__(self, stdout=None, stderr=None, no_color=False, force_color=False):
        super().__init__(ClosedPipeSafe(stdout or sys.stdout), stderr, no_color, force_color)

    def create_parser(self, prog_name, subcommand, **kwargs):
        # Kept to report invalid option combinations as argparse reports a bad
        # option (usage, exit status 2; a CommandError from call_command).
        self.parser = super().create_parser(prog_name, subcommand, **kwargs)
        return self.parser

    # One line on how the run on a database went, for the summary of a run
    # on several (set by run()).
    summary = ""

    def handle(self, *args, **options):
        self.check_options(options)
        targets = self.targets(options)
        if len(targets) > 1 or targets[0].schema is not None:
            return several.handle(self, targets, options)
        try:
            self.run_on(targets[0].alias, options)
        except KeyboardInterrupt:
            self.stderr.write("\n" + self.interrupted_text(options))
            sys.exit(1)
        finally:
            self.stdout.flush()

    def databases(self, options: dict) -> list[str]:
        """The aliases to run on: --database (repeatable; call_command may
        give one as a string), or --all-databases."""
        if options.get("all_databases"):
            try:
                return databases_for(options["labels"] or None)
            except AutomigrateError as error:
                raise CommandError(str(error)) from error
        given = options.get("database") or [DEFAULT_DB_ALIAS]
        return list(dict.fromkeys([given] if isinstance(given, str) else given))

    def targets(self, options: dict) -> list[Target]:
        """Where to run: the databases, or the schemas of one of them
        (--schema, --all-schemas)."""
        names, pattern = options.get("schema"), options.get("all_schemas")
        if not names and pattern is None:
            return [Target(alias) for alias in self.databases(options)]
        given = options.get("database") or []
        if options.get("all_databases") or (not isinstance(given, str) and len(set(given)) > 1):
            self.usage_error("--schema and --all-schemas take one database, not several.")
        aliases = self.databases(options)
        names = [names] if isinstance(names, str) else names or []
        try:
            return [Target(aliases[0], s) for s in schemas_for(aliases[0], names, pattern)]
        except AutomigrateError as error:
            raise CommandError(str(error)) from error

    def run_on(self, using: str, options: dict, schema: str | None = None) -> None:
        """The run on one database (in one of its schemas); what goes wrong
        is one CommandError."""
        try:
            connection_for(using)
            if not options["skip_checks"]:
                self.check(databases=[using])
            with in_schema(using, schema):
                self.run(using, options)
        except Cancelled as cancelled:
            self.stdout.write(str(cancelled))
        except AutomigrateError as error:
            raise CommandError(str(error)) from error
        except DatabaseError as error:
            # Raised outside the steps that say what they left (a lock query, a
            # signal receiver's query): how far the run got is not known here.
            again = " Run the same command again to finish." if is_transient(error) else ""
            message = f"Database error on '{using}': {first_line(error)}.{again}"
            raise CommandError(message) from error

    def check_options(self, options: dict) -> None:
        """Refuse option combinations that make no sense (usage errors)."""

    def usage_error(self, message: str) -> None:
        parser = getattr(self, "parser", None)
        if parser is None:  # handle() called directly, without a parser
            raise CommandError(message, returncode=2)
        parser.error(message)

    def interrupted_text(self, options: dict) -> str:
        if options.get("dry_run") or options.get("check"):
            return "Interrupted; nothing was changed."
        return "Interrupted; run the same command again to finish."

    def ask(self, prompt: str) -> str:
        """One line typed at the terminal. Ctrl-C or Ctrl-D ends the command
        as makemigrations' questions do: "Cancelled." and exit status 1."""
        try:
            # Written by us, not by input(): at a terminal input() writes it to
            # standard error, as makemigrations' questioner avoids too.
            self.stdout.write(prompt, ending="")
            self.stdout.flush()
            return input()
        except (KeyboardInterrupt, EOFError):
            with suppress(OSError):  # the terminal may be gone (hung up)
                self.stdout.write("\nCancelled.")
            sys.exit(1)

    def run(self, using: str, options: dict) -> None:
        raise NotImplementedError


class ClosedPipeSafe:
    """Standard output whose reader may stop reading (``autoupdate | head``).

    Python raises BrokenPipeError on the next write, which would end the run
    half-way with a traceback. Instead what is printed afterwards goes
    nowhere and the run finishes: its exit status still says how it went.
    """

    def __init__(self, stream):
        self._stream = stream
        self._closed_by_reader = False

    def write(self, text: str) -> int:
        if not self._closed_by_reader:
            try:
                self._stream.write(text)
            except BrokenPipeError:
                self._discard_the_rest()
        return len(text)

    def flush(self) -> None:
        if not self._closed_by_reader:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._discard_the_rest()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def __getattr__(self, name: str):
        return getattr(self._stream, name)

    def _discard_the_rest(self) -> None:
        self._closed_by_reader = True
        # Point the file descriptor at /dev/null too, as Python's documentation
        # of SIGPIPE advises: the buffered rest, flushed at exit, fails no more.
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self._stream.fileno())
        except (OSError, ValueError):
            pass  # not a file descriptor of its own: nothing is flushed at exit
        finally:
            os.close(devnull)
