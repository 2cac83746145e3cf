"""Names a new table or index cannot take because another table holds them.

PostgreSQL and SQLite name indexes (and so unique constraints and primary
keys) once per schema, MySQL/MariaDB foreign keys once per database. A model
renamed without ``--rename`` leaves its old table behind with the names of
its ``Meta`` indexes: building the new table would fail half-way on the
first of them. The plan refuses such a step up front instead, naming the
table that holds the name.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from ..backends import backend_or_generic
from ..catalog import names_shared_across_tables
from ..snapshot import Record, Snapshot
from .diff import Step

_ADDING = {"add_index", "add_constraint", "add_foreign_key"}


def mark_name_clashes(
    steps: list[Step], connection: BaseDatabaseWrapper, desired: Snapshot, renamed: set[str]
) -> None:
    """Make each step that would take a name another table holds impossible.
    ``renamed``: old names of tables the plan renames (their names move along)."""
    # The record keys whose names the server keeps per schema.
    backend = backend_or_generic(connection)
    kinds = backend.shared_name_kinds
    building = [s for s in steps if s.kind == "create_table" or s.kind in _ADDING]
    if not kinds or not building:
        return
    taken = names_shared_across_tables(connection)
    for step in building:
        if step.kind == "create_table":
            record = desired[step.table]
            picked = backend.names_the_server_picks(step.table, record)
            names = [name for name in _names(record, kinds) if name not in picked]
        elif step.item_kind in kinds and step.desired:
            names = [step.desired.get("name")]
        else:
            continue
        clashes = [
            (name, taken[name])
            for name in names
            if name in taken and taken[name] != step.table and taken[name] not in renamed
        ]
        if clashes:
            step.impossible = "; ".join(
                f"{step.table}: the name {name} is taken by an index or constraint of table "
                f"{holder} (a renamed model? pass --rename OLD=NEW, or drop {holder})"
                for name, holder in clashes
            )


def _names(record: Record, kinds: tuple[str, ...]) -> list[str]:
    names = []
    for kind in kinds:
        items = record.get(kind) or []
        for item in items if isinstance(items, list) else [items]:
            if item.get("name"):
                names.append(item["name"])
    return names
