"""What the live tables have that no version of the models declared: kept.

A migration's ``RunSQL`` (wagtail's ``COLLATE "C"`` tree paths, its MariaDB
FULLTEXT search indexes) or a DBA (a trigram index, a partial index for one
hot query) adds indexes, constraints and collations the models know nothing
about. Comparing the live schema with the models alone cannot tell those
from what the models stopped declaring, so the comparison is three-way:

- **live**: the tables as they are;
- **desired**: what the models want now;
- **previous**: what the models produced before, the desired tables stored
  by the last automigrate/autoupdate (``desired_cache``), whatever model
  version they were stored for.

An index or constraint that live has and desired lacks is dropped when its
name is one Django generates (``..._62dd1327_fk_...``, ``..._5d2a4b_idx``,
``_pkey``, PostgreSQL's ``_key``/``_check`` for unnamed constraints,
``sqlite_autoindex_...``: nobody else names things that way) or
when the previous tables had it (a ``Meta`` index or constraint with a name
of its own that the models no longer declare); any other is kept. Without
previous tables (a database built by ``migrate``, say) an index with a name
of its own that the models dropped is dropped when the app's migration
files name it (``declared_names``: migrate's history is a record of the
models' versions), and kept otherwise: the safe way round, listed. A column collation that
differs from what the models want is kept when the models did not change it
(previous equals desired) or, without previous tables, when the models
declare none. What is kept is added to the schema the run aims at, so the
diff leaves it alone, and listed for the user. ``drop_undeclared`` (the
``--drop-undeclared`` option) turns all of this off: the models alone decide.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..snapshot import LIST_KINDS, Record, Snapshot

# Names Django's schema editor and Index.set_name_with_model() generate, and
# the servers' own names for what Django declares without a name.
_GENERATED_NAME = re.compile(
    r"_[0-9a-f]{8}(_|$)|_[0-9a-f]{6}_[a-z]+$|_(pkey|key|fkey|check|excl)$|^sqlite_autoindex_|^PRIMARY$"
)


@dataclass
class Target:
    """The schema the run aims at, and what in it the models did not declare."""

    snapshot: Snapshot
    kept: list[str] = field(default_factory=list)


def keep_undeclared(
    live: Snapshot,
    desired: Snapshot,
    previous: Snapshot,
    foreign_keys_need_indexes: bool = False,
    history_names: Callable[[], set[str]] = set,
) -> Target:
    """``desired`` plus what ``live`` has that no version of the models
    declared. ``history_names``: the names the apps' migration files
    declared (``declared_names``), asked only for an item that would
    otherwise be kept."""
    target: Snapshot = dict(desired)
    kept: list[str] = []
    for table, wanted in desired.items():
        have = live.get(table)
        if have is None or have == wanted:
            continue  # nothing there, or nothing more: in sync, the usual case
        wanted = target[table] = json.loads(json.dumps(wanted))  # added to: a copy
        before = previous.get(table)
        kept += _keep_items(table, have, wanted, before, foreign_keys_need_indexes, history_names)
        kept += _keep_collations(table, have, wanted, before)
    return Target(target, kept)


def _content(item: dict) -> str:
    return json.dumps({k: v for k, v in item.items() if k != "name"}, sort_keys=True)


def _keep_items(
    table: str,
    have: Record,
    wanted: Record,
    before: Record | None,
    fk_indexes: bool,
    history_names: Callable[[], set[str]],
) -> list[str]:
    kept = []
    # A name the models give something now is theirs, whatever it was before.
    wanted_names = {i.get("name") for kind in LIST_KINDS for i in wanted.get(kind, [])}
    for kind, noun in LIST_KINDS.items():
        wanted_contents = {_content(item) for item in wanted.get(kind, [])}
        declared_before = None if before is None else {_content(i) for i in before.get(kind, [])}
        for item in have.get(kind, []):
            if _content(item) in wanted_contents or not _on_kept_columns(item, wanted):
                continue
            if item.get("name") in wanted_names:
                continue
            if fk_indexes and kind == "indexes" and _backs_a_foreign_key(item, wanted):
                # An index on a foreign key's columns, which InnoDB needs: a
                # fresh build has none when another index begins with them
                # (Django leaves it to the server), a table built by
                # migrate's history may have one; either is right.
                wanted.setdefault(kind, []).append(item)
                wanted[kind].sort(key=lambda item: json.dumps(item, sort_keys=True))
                continue
            if _declared_by_models(item, declared_before):
                continue  # the models declared it once and no longer do: dropped
            if item.get("name") in history_names():
                continue  # a migration declared it: a version of the models did
            wanted.setdefault(kind, []).append(item)
            wanted[kind].sort(key=lambda item: json.dumps(item, sort_keys=True))
            kept.append(f"{noun} {item.get('name')} on {table}")
    return kept


def _declared_by_models(item: dict, declared_before: set[str] | None) -> bool:
    if item.get("level") == "column":  # MariaDB's checks in a column's definition
        return True
    name = item.get("name")
    if not name or _GENERATED_NAME.search(name):
        return True  # nobody else names things that way
    return declared_before is not None and _content(item) in declared_before


def _backs_a_foreign_key(index: dict, wanted: Record) -> bool:
    """A plain index on exactly the columns of a foreign key the models
    declare, which nothing the models want has exactly (a unique one-to-one
    column needs no second index)."""
    columns = [key.get("column") for key in index.get("columns") or []]
    wanted_columns = [fk.get("columns") for fk in wanted.get("foreign_keys", [])]
    plain = not index.get("unique") and all(not key.get("prefix") for key in index["columns"])
    items = [*wanted.get("indexes", []), *wanted.get("uniques", [])]
    exact = [_plain_columns(item) for item in items]
    exact.append((wanted.get("primary_key") or {}).get("columns"))
    return plain and columns in wanted_columns and columns not in exact


def _plain_columns(item: dict) -> list[str]:
    return [key if isinstance(key, str) else key.get("column") for key in item.get("columns") or []]


def _on_kept_columns(item: dict, wanted: Record) -> bool:
    """An item on a column the models drop goes with the column."""
    columns = []
    for key in ("columns", "keys"):
        for column in item.get(key) or []:
            columns.append(column if isinstance(column, str) else column.get("column"))
    return all(column in wanted["columns"] for column in columns if column)


def _keep_collations(table: str, have: Record, wanted: Record, before: Record | None) -> list[str]:
    kept = []
    for name, column in wanted["columns"].items():
        live_column = have["columns"].get(name)
        if live_column is None or live_column.get("collation") == column.get("collation"):
            continue
        if before is not None and name in before["columns"]:
            models_changed_it = before["columns"][name].get("collation") != column.get("collation")
        else:
            models_changed_it = column.get("collation") is not None
        if not models_changed_it and live_column.get("collation") is not None:
            column["collation"] = live_column["collation"]
            kept.append(f"collation {live_column['collation']} of {table}.{name}")
    return kept
