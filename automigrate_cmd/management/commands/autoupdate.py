"""``manage.py autoupdate``: alter the database until it matches the models."""

import json
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from automigrate_cmd.management.arguments import add_common_arguments
from automigrate_cmd.management.base import SchemaCommand
from automigrate_cmd.schemas import where
from automigrate_cmd.sync.hints import evaluate_default
from automigrate_cmd.sync.plan_output import plan_as_json, step_warnings
from automigrate_cmd.sync.unrecorded import would_record_lines
from automigrate_cmd.sync.update import SyncPlan, autoupdate, check


class Command(SchemaCommand):
    help = (
        "Alters the tables of all models (or of the named apps and models) until they match "
        "the current model definitions, keeping the data. Steps that would lose data are "
        "refused unless confirmed."
    )

    def add_arguments(self, parser):
        add_common_arguments(
            parser,
            "update",
            "Do not ask: steps that would lose data are refused (see --accept-data-loss).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print the planned changes; change nothing. With -v 2 or --sql, also the SQL.",
        )
        parser.add_argument(
            "--sql",
            action="store_true",
            help="With --dry-run: print the exact SQL the changes would run.",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing; exit with status 1 (printing the plan) when the database "
            "differs from the models, 0 when it matches.",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print the plan as JSON (and nothing else) for tools.",
        )
        parser.add_argument(
            "--rename",
            action="append",
            default=[],
            metavar="OLD=NEW",
            help="Rename instead of drop and add, keeping the data: "
            "app_label.Model.old_field=new_field, or app_label.OldModel=NewModel "
            "(or old_table_name=NewModel). Repeatable.",
        )
        parser.add_argument(
            "--default",
            action="append",
            default=[],
            metavar="FIELD=VALUE",
            help="app_label.Model.field=VALUE: the value existing rows get where a column "
            "becomes required (a new NOT NULL column, or NULLs under a new NOT NULL). Repeatable.",
        )
        parser.add_argument(
            "--drop-undeclared",
            action="store_true",
            help="Also drop indexes and constraints, and reset collations, that no version of "
            "the models declared (made by RunSQL or by hand; kept and listed by default).",
        )
        parser.add_argument(
            "--accept-data-loss",
            action="store_true",
            help="Apply steps that lose data (the plan lists them with their row counts).",
        )

    def check_options(self, options: dict) -> None:
        if options["sql"] and not options["dry_run"]:
            self.usage_error("--sql only goes with --dry-run (a real run prints no SQL).")

    def run(self, using: str, options: dict) -> None:
        # --json prints the plan and nothing else.
        self.verbosity = 0 if options["json"] else options["verbosity"]
        if options["check"]:
            return self.handle_check(options["labels"] or None, using, options)
        result = autoupdate(
            options["labels"] or None,
            using,
            dry_run=options["dry_run"],
            accept_data_loss=options["accept_data_loss"],
            confirm_loss=self.confirm_loss if options["interactive"] else None,
            renames=options["rename"],
            defaults=options["default"],
            questioner=self if options["interactive"] and sys.stdin.isatty() else None,
            lock_timeout=options["lock_timeout"],
            verbosity=self.verbosity,
            stdout=self.stdout,
            style=self.style,
            interactive=options["interactive"],
            drop_undeclared=options["drop_undeclared"],
        )
        self.summary = _summary(result.plan, options["dry_run"])
        if options["json"]:
            self.stdout.write(json.dumps(plan_as_json(result.plan), indent=2))
        elif options["dry_run"] and (options["sql"] or self.verbosity >= 2):
            self.print_sql(result.sql)
        elif options["dry_run"] and result.plan.steps:
            self.stdout.write("Dry run: nothing was changed (--sql shows the SQL).")

    def handle_check(self, labels, using: str, options: dict) -> None:
        plan = check(
            labels,
            using,
            renames=options["rename"],
            defaults=options["default"],
            drop_undeclared=options["drop_undeclared"],
        )
        self.summary = (
            f"differs from the models ({len(plan.steps)} change(s))."
            if plan.steps
            else "matches the models."
        )
        if options["json"]:
            self.stdout.write(json.dumps(plan_as_json(plan), indent=2))
        elif not plan.steps:
            self.stdout.write(f"{where(using).capitalize()} matches the models.")
        else:
            self.stdout.write(
                self.style.WARNING(f"{where(using).capitalize()} differs from the models:"),
                self.style.WARNING,
            )
            for step in plan.steps:
                warnings = step_warnings(step)
                self.stdout.write(
                    f"  - {step.describe()}" + (f"  [{warnings}]" if warnings else "")
                )
        if plan.kept and not options["json"] and options["verbosity"] >= 1:
            self.stdout.write("  Kept, not declared by the models: " + ", ".join(plan.kept))
        if not plan.steps and not options["json"] and options["verbosity"] >= 1:
            # Bookkeeping only: the schema matches, so the exit code stays 0.
            for line in would_record_lines(plan.unrecorded, using):
                self.stdout.write(line, self.style.WARNING)
        if plan.steps:
            sys.exit(1)

    def confirm_loss(self, plan: SyncPlan) -> bool | None:
        if not sys.stdin.isatty():
            return None  # cannot ask: refused, naming the losses and --accept-data-loss
        self.stdout.write("These changes lose data:")
        for loss in plan.losses:
            self.stdout.write(f"  {loss}")
        answer = self.ask("    Type 'yes' to apply them anyway, or 'no' to cancel: ")
        return answer.strip().lower() == "yes"

    # The questioner autoupdate asks in interactive runs (see sync/questions.py).

    def ask_rename(self, table: str, old: str, new: str) -> bool:
        answer = self.ask(f"Did you rename {table}.{old} to {new}? [y/N] ")
        return answer.strip().lower() in ("y", "yes")

    def ask_default(self, field: models.Field, table: str, column: str) -> tuple[Any, str] | None:
        """A one-off value read as makemigrations reads one (a Python
        expression); asked again until it suits the field."""
        label = f"{field.model._meta.label}.{field.name}"
        self.stdout.write(
            f"{table}.{column} becomes required, and rows there have no value for it.\n"
            f"Please enter a one-off value for the existing rows ({label}) as valid Python.\n"
            "The datetime and django.utils.timezone modules are available, so it is possible "
            "to provide e.g. timezone.now as a value.\n"
            "Press Enter to leave it (the change is then refused), or type 'exit' to exit."
        )
        while True:
            code = self.ask(">>> ").strip()
            if not code:
                return None
            if code == "exit":
                sys.exit(1)
            try:
                return evaluate_default(code, field), code
            except ValidationError as error:
                self.stdout.write(f"{label}: {'; '.join(error.messages)}")
            except Exception as error:  # what the typed expression raised, as makemigrations
                self.stdout.write(f"{error.__class__.__name__}: {error}")

    def print_sql(self, sql: list[str]) -> None:
        if not sql:
            self.stdout.write("No changes: the database matches the models.")
            return
        self.stdout.write(
            self.style.MIGRATE_HEADING("SQL it would run (dry run, nothing was changed):")
        )
        for statement in sql:
            self.stdout.write(statement)


def _summary(plan: SyncPlan, dry_run: bool) -> str:
    if not plan.steps:
        return "matches the models, nothing to do."
    if dry_run:
        return f"{len(plan.steps)} change(s) planned (dry run, nothing was changed)."
    return f"{len(plan.steps)} change(s) applied."
