"""Which live values a column type change cannot keep, asked of the database.

A type change has one outcome on every backend (README, "Safety"):

- a string made shorter keeps its first characters: the longer values are
  cut, explicitly, before the type changes (PostgreSQL's cast does the
  same; MariaDB would stop with "Data too long", SQLite would keep them);
- any other value the new type cannot hold refuses the run before anything
  runs, on every backend (MariaDB would stop part-way; SQLite would keep
  ``'abc'`` in an INTEGER column, which the ORM then reads as a string).

So before a run each backend counts exactly the values that will not
convert, converting them the way the change itself will, in a throwaway
place: a rolled-back transaction (PostgreSQL), a temporary table (MariaDB,
SQLite). A value that converts (``'123'`` to an integer) is not counted; one
that converts into another value (290.75 into 291) is a loss, announced.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from ..backends import backend_for

# The name of the throwaway table the values are converted in.
PROBE = "automigrate_cmd_probe"


@dataclass
class Conversion:
    """What a type change does to the non-null values of one column."""

    failing: int = 0  # values the new type cannot hold: the run is refused
    failing_examples: list[str] = dataclasses.field(default_factory=list)
    # Values that convert to something else (290.75 -> 291); None: not known
    # (PostgreSQL has no cast back to compare with).
    changed: int | None = 0
    no_cast: bool = False  # PostgreSQL has no conversion between the types at all


def conversion(
    connection: BaseDatabaseWrapper,
    table: str,
    column: str,
    old_type: str,
    new_type: str,
    field: models.Field | None,
) -> Conversion:
    """What changing ``table.column`` (quoted live names) from ``old_type``
    to ``new_type`` does to its values. ``field``: the model field (SQLite
    needs its kind)."""
    backend = backend_for(connection)
    return backend.conversion(connection, table, column, old_type, new_type, field)
