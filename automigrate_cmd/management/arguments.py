"""Command-line options automigrate and autoupdate share."""

import argparse

from django.db import DEFAULT_DB_ALIAS, connections

from automigrate_cmd.exceptions import InvalidOption
from automigrate_cmd.locking import DEFAULT_TIMEOUT, valid_timeout


def add_common_arguments(parser, verb: str, noinput_help: str) -> None:
    """LABEL..., --database/--all-databases, --schema/--all-schemas, --noinput,
    --lock-timeout and --skip-checks."""
    parser.add_argument(
        "labels",
        nargs="*",
        metavar="LABEL",
        help="app_label, app_label.ModelName or ModelName (case-insensitive). "
        "None: every model the database may hold.",
    )
    databases = parser.add_mutually_exclusive_group()
    databases.add_argument(
        "--database",
        action="append",
        choices=tuple(connections),
        metavar="DATABASE",
        help=f"Nominates a database to {verb}; repeat it for several (run in parallel). "
        f'Defaults to the "{DEFAULT_DB_ALIAS}" database.',
    )
    databases.add_argument(
        "--all-databases",
        action="store_true",
        help=f"{verb.capitalize()} every database of settings.DATABASES that the routers "
        "allow the selected models on.",
    )
    schemas = parser.add_mutually_exclusive_group()
    schemas.add_argument(
        "--schema",
        action="append",
        metavar="NAME",
        help=f"PostgreSQL: {verb} the models in this schema of the database (through its "
        "search_path); repeat it for several (run in parallel).",
    )
    schemas.add_argument(
        "--all-schemas",
        metavar="PATTERN",
        help=f"PostgreSQL: {verb} the models in every schema of the database whose name "
        "matches PATTERN, a shell-style pattern ('tenant_*', '*').",
    )
    parser.add_argument(
        "--noinput", "--no-input", action="store_false", dest="interactive", help=noinput_help
    )
    parser.add_argument(
        "--lock-timeout",
        type=seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="How long to wait for another automigrate/autoupdate run on the same database "
        f"to finish (default {DEFAULT_TIMEOUT:g}).",
    )
    parser.add_argument("--skip-checks", action="store_true", help="Skip system checks.")


def seconds(text: str) -> float:
    """A --lock-timeout value: a finite number of seconds, 0 or more."""
    try:
        return valid_timeout(float(text))
    except (ValueError, InvalidOption):
        raise argparse.ArgumentTypeError(
            f"expected a number of seconds, 0 or more (got {text!r})"
        ) from None
