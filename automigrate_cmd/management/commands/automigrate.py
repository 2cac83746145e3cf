"""``manage.py automigrate``: drop and recreate model tables from the models."""

import sys

from django.db import connections

from automigrate_cmd.api import automigrate
from automigrate_cmd.exceptions import Refused
from automigrate_cmd.management.arguments import add_common_arguments
from automigrate_cmd.management.base import SchemaCommand
from automigrate_cmd.recreate.plan import RecreatePlan, describe_plan
from automigrate_cmd.report import rows_text


class Command(SchemaCommand):
    help = (
        "Drops and recreates the tables of all models (or of the named apps and models) "
        "from the current model definitions, without migration files. "
        "Every row in those tables is lost."
    )

    def add_arguments(self, parser):
        add_common_arguments(
            parser, "automigrate", "Do not ask for confirmation before dropping tables."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print the plan and the SQL it would run; change nothing.",
        )
        parser.add_argument(
            "--cascade",
            action="store_true",
            help="Also empty tables whose rows reference the recreated tables.",
        )

    def run(self, using: str, options: dict) -> None:
        self.verbosity = options["verbosity"]
        result = automigrate(
            options["labels"] or None,
            using,
            cascade=options["cascade"],
            dry_run=options["dry_run"],
            confirm=self.confirm if options["interactive"] else None,
            lock_timeout=options["lock_timeout"],
            verbosity=options["verbosity"],
            stdout=self.stdout,
            style=self.style,
            interactive=options["interactive"],
        )
        plan = result.plan
        self.summary = f"tables dropped {len(plan.drop)}, created {len(plan.create)}" + (
            " (dry run, nothing was changed)." if result.dry_run else "."
        )
        if result.dry_run:
            self.print_dry_run(result.plan, result.sql)

    def confirm(self, plan: RecreatePlan) -> bool:
        if not sys.stdin.isatty():
            raise Refused(
                f"automigrate would drop {len(plan.drop) + len(plan.empty)} table(s) holding "
                f"{rows_text(plan.rows_lost)} and cannot ask for confirmation (no terminal). "
                "Re-run with --noinput to confirm, or --dry-run to see the plan."
            )
        self.stdout.write(self.confirmation_text(plan))
        return self.ask("    Type 'yes' to continue, or 'no' to cancel: ").strip().lower() == "yes"

    def confirmation_text(self, plan: RecreatePlan) -> str:
        name = connections[plan.using].settings_dict["NAME"]
        lines = [
            f"You have requested to recreate tables in the '{plan.using}' database ({name}).",
            "These tables will be DROPPED and recreated empty; every row in them is lost:",
            *(f"  {t.table}: {rows_text(t.rows)}" for t in plan.drop),
        ]
        if plan.empty:
            lines.append("With --cascade, these tables will be EMPTIED as well:")
            lines += [f"  {t.table}: {rows_text(t.rows)}" for t in plan.empty]
        lines += ["This can't be undone. Are you sure you want to do this?", ""]
        return "\n".join(lines)

    def print_dry_run(self, plan: RecreatePlan, sql: list[str]) -> None:
        if self.verbosity >= 1:
            self.stdout.write(self.style.MIGRATE_HEADING("Plan (dry run, nothing was changed):"))
            for line in describe_plan(plan):
                self.stdout.write(f"  {line}")
        self.stdout.write(self.style.MIGRATE_HEADING("SQL it would run:"))
        for statement in sql:
            self.stdout.write(statement)
