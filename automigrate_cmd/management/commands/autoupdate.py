"""``manage.py autoupdate``: alter the database until it matches the models."""

import json
import sys

from automigrate_cmd.management.arguments import add_common_arguments
from automigrate_cmd.management.base import SchemaCommand
from automigrate_cmd.update import SyncPlan, autoupdate, check, plan_as_json, step_warnings


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
            "--accept-data-loss",
            action="store_true",
            help="Apply steps that lose data (the plan lists them with their row counts).",
        )

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
        )
        if options["json"]:
            self.stdout.write(json.dumps(plan_as_json(result.plan), indent=2))
        elif options["dry_run"] and (options["sql"] or self.verbosity >= 2):
            self.print_sql(result.sql)
        elif options["dry_run"] and result.plan.steps:
            self.stdout.write("Dry run: nothing was changed (--sql shows the SQL).")

    def handle_check(self, labels, using: str, options: dict) -> None:
        plan = check(labels, using, renames=options["rename"], defaults=options["default"])
        if options["json"]:
            self.stdout.write(json.dumps(plan_as_json(plan), indent=2))
        elif not plan.steps:
            self.stdout.write(f"Database '{using}' matches the models.")
        else:
            self.stdout.write(
                self.style.WARNING(f"Database '{using}' differs from the models:"),
                self.style.WARNING,
            )
            for step in plan.steps:
                warnings = step_warnings(step)
                self.stdout.write(
                    f"  - {step.describe()}" + (f"  [{warnings}]" if warnings else "")
                )
        if plan.steps:
            sys.exit(1)

    def confirm_loss(self, plan: SyncPlan) -> bool | None:
        if not sys.stdin.isatty():
            return None  # cannot ask: refused, naming the losses and --accept-data-loss
        self.stdout.write("These changes lose data:")
        for loss in plan.losses:
            self.stdout.write(f"  {loss}")
        answer = input("    Type 'yes' to apply them anyway, or 'no' to cancel: ")
        return answer.strip().lower() == "yes"

    # The questioner autoupdate asks in interactive runs (see update.Questioner).

    def ask_rename(self, table: str, old: str, new: str) -> bool:
        answer = input(f"Did you rename {table}.{old} to {new}? [y/N] ")
        return answer.strip().lower() in ("y", "yes")

    def ask_default(self, label: str, table: str, column: str) -> str | None:
        self.stdout.write(
            f"{table}.{column} becomes required, and rows there have no value for it.\n"
            f"Please enter a one-off value for the existing rows ({label}), "
            "or press Enter to leave it (the change is then refused):"
        )
        answer = input(">>> ").strip()
        return answer or None

    def print_sql(self, sql: list[str]) -> None:
        if not sql:
            self.stdout.write("No changes: the database matches the models.")
            return
        self.stdout.write(
            self.style.MIGRATE_HEADING("SQL it would run (dry run, nothing was changed):")
        )
        for statement in sql:
            self.stdout.write(statement)
