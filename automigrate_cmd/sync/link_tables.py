"""Many-to-many tables whose field now points at another model.

A ManyToManyField retargeted under the same name keeps its auto-created
table's name, with other columns: ``m0_id, m1_id`` become ``from_m0_id,
to_m0_id`` when M0.m2 points at M0 itself instead of M1. ``migrate``'s
AlterField renames the two columns and repoints their foreign keys, keeping
the links (``_alter_many_to_many``); a plain diff would add the new columns
over the old links and refuse them (NOT NULL without a default). So the
columns are renamed the way migrate renames them, and the diff retargets
the keys (whose rows must then point at rows of the new target, or the plan
refuses, as migrate fails).
"""

from __future__ import annotations

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from ..catalog import stored_name
from .hints import Hints

SOURCE = "migrate's AlterField"


def follow_retargeted_links(
    hints: Hints, live: dict, chosen: list[type[models.Model]], connection: BaseDatabaseWrapper
) -> None:
    """Add to ``hints`` the column renames of each such table of ``chosen``
    (unless the user's or the history's renames already say something)."""
    renamed_tables = set(hints.table_renames.values()) | set(hints.table_renames)
    for through, (from_column, to_column), owner in _link_tables(chosen, connection):
        have = live.get(through)
        told = any(table == through for table, _column in hints.column_renames)
        if have is None or told or through in renamed_tables:
            continue
        for new, old in _renames(have, from_column, to_column, owner).items():
            hints.column_renames[(through, new)] = old
            hints.sources[(through, new)] = SOURCE


def _link_tables(chosen, connection):
    """(table, (its column to the owner, its column to the target), the
    owner's table) of each auto-created many-to-many table of ``chosen``."""
    for model in chosen:
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            if not through._meta.auto_created:
                continue
            columns = [
                stored_name(connection, through._meta.get_field(name).column)
                for name in (field.m2m_field_name(), field.m2m_reverse_field_name())
            ]
            yield through._meta.db_table, tuple(columns), model._meta.db_table


def _renames(have: dict, from_column: str, to_column: str, owner: str) -> dict[str, str]:
    """New column -> live column, where the two differ and the pairing is
    clear: one column each way, or two, told apart by the table their
    foreign key points at (the owner's is the from-side)."""
    wanted = [from_column, to_column]
    primary = set((have.get("primary_key") or {}).get("columns") or [])
    old = [column for column in have["columns"] if column not in wanted and column not in primary]
    new = [column for column in wanted if column not in have["columns"]]
    if len(old) != len(new) or len(new) not in (1, 2):
        return {}
    if len(new) == 1:
        return {new[0]: old[0]}
    to_owner = [column for column in old if _points_at(have, column) == owner]
    if len(to_owner) == 1:
        return {from_column: to_owner[0], to_column: next(c for c in old if c != to_owner[0])}
    by_prefix = {c.split("_", 1)[0]: c for c in old}  # both pointed at the owner: from_/to_
    if set(by_prefix) == {"from", "to"}:
        return {from_column: by_prefix["from"], to_column: by_prefix["to"]}
    return {}


def _points_at(have: dict, column: str) -> str | None:
    for foreign_key in have.get("foreign_keys", []):
        if foreign_key.get("columns") == [column]:
            return foreign_key.get("ref_table")
    return None
