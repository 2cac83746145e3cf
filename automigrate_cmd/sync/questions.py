"""What an interactive autoupdate asks the person at the terminal: whether a
column was renamed, and a one-off value for rows of a column that becomes
required (as ``makemigrations`` asks). Each answer re-plans (``update``)."""

from __future__ import annotations

from typing import Any, Protocol

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from ..scratch import Desired
from .diff import Step, rename_candidates
from .hints import Hints, set_default_value


class Questioner(Protocol):
    """Asks the person at the terminal what the schemas cannot tell."""

    def ask_rename(self, table: str, old: str, new: str) -> bool: ...

    def ask_default(self, field: models.Field, table: str, column: str) -> tuple[Any, str] | None:
        """(the value, as it is to be shown) existing rows get, or None: leave it."""
        ...


def ask_renames(questioner: Questioner, hints: Hints, live, desired: Desired) -> bool:
    """Ask about each possible column rename; True if any was confirmed."""
    taken: set[tuple[str, str]] = set()
    for table, old, new in rename_candidates(live, desired.snapshot):
        unasked = (table, old) not in taken and (table, new) not in taken
        if unasked and questioner.ask_rename(table, old, new):
            hints.column_renames[(table, new)] = old
            taken |= {(table, old), (table, new)}
    return bool(taken)


def ask_defaults(
    questioner: Questioner,
    hints: Hints,
    steps: list[Step],
    fields: dict[tuple[str, str], models.Field],
    connection: BaseDatabaseWrapper,
) -> bool:
    """Ask for a one-off value where a step needs one (``fields``: the
    models' fields by table and column); True if any was given."""
    answered = False
    for step in steps:
        for table, column in step.extra.get("needs_default", []):
            model_field = fields[(table, column)]
            answer = questioner.ask_default(model_field, table, column)
            if answer is not None:
                set_default_value(hints, model_field, *answer, connection)
                answered = True
    return answered
