"""Two snapshots -> the steps that turn the live schema into the desired one.

A pure function of its inputs (``diff``): it reads no database, so a plan can
be printed, tested and applied. Columns are matched by name; indexes and
constraints by what they are (kind, columns, definition), never by name, so
a name chosen differently by ``migrate``'s history is not a difference.

How a table's differences become steps is the backend's
(``Backend.diff_table``): ``diff_table`` here for a server that alters a
table in place, SQLite's own (``backends/sqlite/diff.py``) where it rebuilds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..snapshot import LIST_KINDS, Record, Snapshot

if TYPE_CHECKING:
    from ..backends.base import Backend

# The order steps run in on PostgreSQL and MySQL: drops of keys first (MySQL
# refuses to drop an index a foreign key uses), adds of keys last.
STEP_ORDER = [
    "rename_table",
    "rename_column",
    "drop_foreign_key",
    "drop_constraint",
    "drop_index",
    "drop_table",
    "create_table",
    "rebuild_table",
    "add_column",
    "alter_column",
    "drop_column",
    "alter_table_comment",
    "add_index",
    "add_constraint",
    "add_foreign_key",
    "run_migration_sql",  # what the apps' migrations make with SQL (migration_sql.py)
]


@dataclass
class Step:
    kind: str
    table: str
    # The column, index or constraint the step is about ("" for a table).
    name: str = ""
    # What differs, for people: "type varchar(200) -> varchar(50)".
    detail: str = ""
    # What applying the step needs: the live and desired records.
    live: Any = None
    desired: Any = None
    # For constraint and index steps: the snapshot list they belong to.
    item_kind: str = ""
    # Filled by risks.measure(): what the step would do to existing rows.
    loss: str = ""
    impossible: str = ""
    extra: dict = field(default_factory=dict)

    def describe(self) -> str:
        subject = f"{self.table}.{self.name}" if self.name else self.table
        words = self.kind.replace("_", " ").capitalize()
        return f"{words} {subject}" + (f": {self.detail}" if self.detail else "")


def diff(
    live: Snapshot, desired: Snapshot, backend: Backend, *, drops_columns: bool = True
) -> list[Step]:
    """Each table's steps as ``backend`` makes them (``Backend.diff_table``).
    ``drops_columns``: the server has ALTER TABLE DROP COLUMN (SQLite 3.35.5
    and later; Django's ``can_alter_table_drop_column``)."""
    steps: list[Step] = []
    for table in sorted(desired):
        if table not in live:
            steps.append(Step("create_table", table))
        else:
            steps.extend(
                backend.diff_table(table, live[table], desired[table], drops_columns=drops_columns)
            )
    steps.sort(key=lambda step: STEP_ORDER.index(step.kind))
    return steps


def apply_renames(
    live: Snapshot,
    table_renames: dict[str, str],
    column_renames: dict[tuple[str, str], str],
) -> tuple[Snapshot, list[Step]]:
    """The live snapshot as it will be after the renames the user asked for,
    and the steps that do them. A rename whose old name is not there (or whose
    new name already is) is left out: the plan then shows a drop and an add."""
    if not table_renames and not column_renames:
        return live, []
    renamed = json.loads(json.dumps(live))
    steps = []
    for new, old in sorted(table_renames.items()):
        if old in renamed and new not in renamed:
            renamed[new] = renamed.pop(old)
            _rename_references(renamed, old, new)
            steps.append(Step("rename_table", new, detail=f"from {old}", extra={"old": old}))
    pending = sorted(column_renames.items())
    while pending:  # a rename into a name another one frees comes after it
        waiting = []
        for (table, new), old in pending:
            columns = renamed.get(table, {}).get("columns", {})
            if old in columns and new in columns and any(o == new for _k, o in pending):
                waiting.append(((table, new), old))
            elif old in columns and new not in columns:
                columns[new] = columns.pop(old)
                _rename_in_items(renamed[table], old, new)
                _rename_references(renamed, table, table, old, new)
                steps.append(Step("rename_column", table, new, f"from {old}", extra={"old": old}))
        if len(waiting) == len(pending):
            break  # no rename frees their names: left out
        pending = waiting
    return renamed, steps


def _rename_references(
    snapshot: Snapshot, old_table: str, new_table: str, old: str = "", new: str = ""
) -> None:
    """Foreign keys follow a renamed table (or column) they point at: every
    server rewrites them (SQLite since 3.26, the version Django requires)."""
    for record in snapshot.values():
        for fk in record.get("foreign_keys", []):
            if fk.get("ref_table") != old_table:
                continue
            fk["ref_table"] = new_table
            if old:
                fk["ref_columns"] = [new if c == old else c for c in fk.get("ref_columns", [])]
            if "definition" in fk:  # PostgreSQL's text names the table and columns too
                fk["definition"] = _renamed_reference(
                    fk["definition"], old_table, new_table, old, new
                )


def _pg_identifier(name: str) -> str:
    """``name`` as pg_get_constraintdef prints it."""
    return name if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) else '"' + name.replace('"', '""') + '"'


def _renamed_reference(definition: str, old_table: str, new_table: str, old: str, new: str) -> str:
    match = re.search(r"REFERENCES (.+)\((.*)\)", definition)
    if match is None or match.group(1) != _pg_identifier(old_table):
        return definition
    columns = [c.strip() for c in match.group(2).split(",")]
    if old:
        columns = [_pg_identifier(new) if c == _pg_identifier(old) else c for c in columns]
    replaced = f"REFERENCES {_pg_identifier(new_table)}({', '.join(columns)})"
    return definition[: match.start()] + replaced + definition[match.end() :]


def _rename_in_items(record: Record, old: str, new: str) -> None:
    """Indexes and constraints follow a renamed column."""
    for kind in [*LIST_KINDS, "primary_key"]:
        items = record.get(kind) or []
        for item in items if isinstance(items, list) else [items]:
            for key in ("columns", "keys"):
                if key in item:
                    item[key] = [new if c == old else _renamed_key(c, old, new) for c in item[key]]
            for key in ("definition", "check"):  # PostgreSQL's text of the item
                if isinstance(item.get(key), str):
                    item[key] = _renamed_identifier(item[key], old, new)


def _renamed_identifier(text: str, old: str, new: str) -> str:
    """``text`` (pg_get_constraintdef/indexdef) with the column ``old`` named ``new``,
    as the server prints it after RENAME COLUMN."""
    quoted = re.escape(_pg_identifier(old))
    pattern = rf'(?<![\w"$]){quoted}(?![\w"$])'
    return re.sub(pattern, lambda _match: _pg_identifier(new), text)


def _renamed_key(column: Any, old: str, new: str) -> Any:
    if isinstance(column, dict) and column.get("column") == old:
        return {**column, "column": new}
    return column


def content(item: dict) -> str:
    """An index or constraint without its name, as a comparable key."""
    return json.dumps({k: v for k, v in item.items() if k != "name"}, sort_keys=True)


def what_differs(have: dict, wanted: dict) -> str:
    return ", ".join(
        f"{key} {have.get(key)!r} -> {wanted.get(key)!r}"
        for key in sorted(have.keys() | wanted.keys())
        if have.get(key) != wanted.get(key)
    )


def diff_table(table: str, live: Record, desired: Record, backend: Backend) -> list[Step]:
    """A table's steps where the server alters it in place (ALTER TABLE)."""
    steps: list[Step] = []
    retyped: set[str] = set()
    for column, wanted in desired["columns"].items():
        have = live["columns"].get(column)
        if have is None:
            steps.append(Step("add_column", table, column, desired=wanted))
        elif have != wanted:
            if have.get("type") != wanted.get("type"):
                retyped.add(column)
            detail = what_differs(have, wanted)
            step = Step("alter_column", table, column, detail, live=have, desired=wanted)
            step.impossible = key_type_refusal(table, column, have, wanted, key_columns(desired))
            if not step.impossible and have.get("identity") != wanted.get("identity"):
                step.impossible = (
                    f"{table}.{column}: adding or removing auto-increment/identity is not "
                    "supported by autoupdate yet; use automigrate for this model"
                )
            steps.append(step)
    for column, have in live["columns"].items():
        if column not in desired["columns"]:
            steps.append(Step("drop_column", table, column, live=have))
    dropped = {s.name for s in steps if s.kind == "drop_column"}
    steps.extend(diff_primary_key(table, live, desired))
    item_steps = diff_items(table, live, desired, retyped | dropped)
    item_steps += backend.more_item_steps(table, live, desired, item_steps)
    steps.extend(item_steps)
    if live.get("comment") != desired.get("comment"):
        detail = f"{live.get('comment')!r} -> {desired.get('comment')!r}"
        steps.append(Step("alter_table_comment", table, detail=detail, desired=desired))
    return steps


def diff_primary_key(table: str, live: Record, desired: Record) -> list[Step]:
    have, want = live.get("primary_key") or {}, desired.get("primary_key") or {}
    if have.get("columns") == want.get("columns"):
        return []  # the same key (a different name is not a change)
    old, new = ", ".join(have.get("columns") or []), ", ".join(want.get("columns") or [])
    step = Step("alter_column", table, new.replace(" ", ""), f"primary key ({old}) -> ({new})")
    step.impossible = (
        f"{table}.{step.name}: the primary key moves from ({old}) to ({new}); autoupdate cannot "
        "change which columns make the primary key (every column pointing at it would have to "
        "follow); use automigrate for this model"
    )
    return [step]


def key_columns(record: Record) -> set[str]:
    return set((record.get("primary_key") or {}).get("columns") or [])


# An integer type of any width and spelling: "integer", "bigint", "int(11)",
# "smallint(6) unsigned", SQLite's "INTEGER".
_INTEGER_TYPE = re.compile(r"(tiny|small|medium|big)?int(eger)?(\(\d+\))?( unsigned)?", re.I)


def is_integer_type(sql_type: str | None) -> bool:
    return bool(sql_type) and _INTEGER_TYPE.fullmatch(sql_type.strip()) is not None


def key_type_refusal(
    table: str, column: str, have: Record, wanted: Record, key_columns: set[str]
) -> str:
    """Why a primary-key column cannot change type in place ("" if it can).

    Between integer types (AutoField -> BigAutoField, IntegerField ->
    BigIntegerField) the key changes with every column pointing at it, as
    ``migrate``'s AlterField does. Any other type change of a key would have
    to convert the key and every reference to it (and an identity column
    only takes an integer type)."""
    if column not in key_columns or have.get("type") == wanted.get("type"):
        return ""
    if is_integer_type(have.get("type")) and is_integer_type(wanted.get("type")):
        return ""
    return (
        f"{table}.{column}: the primary key's type cannot change from {have.get('type')} to "
        f"{wanted.get('type')} in place; use automigrate for this model"
    )


_ADD_KIND = {"foreign_keys": "add_foreign_key", "indexes": "add_index"}
_DROP_KIND = {"foreign_keys": "drop_foreign_key", "indexes": "drop_index"}


def diff_items(table: str, live: Record, desired: Record, changed_columns: set[str]) -> list[Step]:
    """Indexes and constraints to drop and add, matched by content.

    An item whose name and content both match is paired first, so that two
    items with the same content (``db_index=True`` and an ``Index`` on the
    same column) pair with their own names. Foreign keys on a column whose
    type changes (or that reference one) are dropped and re-added around the
    change: MySQL refuses the change otherwise.
    """
    steps = []
    for kind in LIST_KINDS:
        unmatched = list(desired.get(kind, []))
        candidates = [
            item
            for item in live.get(kind, [])
            if not (kind == "foreign_keys" and _touches(item, changed_columns))
        ]
        for same_name in (True, False):
            for item in list(candidates):
                match = _find(unmatched, item, same_name)
                if match is not None:
                    unmatched.remove(match)
                    candidates.remove(item)
        kept = {id(item) for item in candidates}
        for item in live.get(kind, []):
            touched = kind == "foreign_keys" and _touches(item, changed_columns)
            if touched or id(item) in kept:
                steps.append(
                    Step(
                        _DROP_KIND.get(kind, "drop_constraint"),
                        table,
                        item["name"],
                        item_label(kind, item),
                        live=item,
                        item_kind=kind,
                    )
                )
        for item in unmatched:
            steps.append(
                Step(
                    _ADD_KIND.get(kind, "add_constraint"),
                    table,
                    item["name"],
                    item_label(kind, item),
                    desired=item,
                    item_kind=kind,
                )
            )
    return steps


def _find(items: list[dict], wanted: dict, same_name: bool) -> dict | None:
    key = content(wanted)
    for item in items:
        if content(item) == key and (not same_name or item.get("name") == wanted.get("name")):
            return item
    return None


def _touches(foreign_key: dict, columns: set[str]) -> bool:
    return bool(set(foreign_key.get("columns", [])) & columns)


def item_label(kind: str, item: dict) -> str:
    columns = item.get("columns") or []
    shown = [c if isinstance(c, str) else c.get("column") or c.get("expression") for c in columns]
    text = f"{LIST_KINDS[kind]} on ({', '.join(str(c) for c in shown)})"
    if kind == "foreign_keys":
        text += f" -> {item.get('ref_table')}"
    return text


def rename_candidates(live: Snapshot, desired: Snapshot) -> list[tuple[str, str, str]]:
    """(table, old column, new column): a dropped and an added column of the
    same type on one table, which may be a rename. Only ever asked about."""
    candidates = []
    for table in sorted(live.keys() & desired.keys()):
        have, want = live[table]["columns"], desired[table]["columns"]
        dropped = [c for c in have if c not in want]
        added = [c for c in want if c not in have]
        for old in dropped:
            for new in added:
                if _same_kind(have[old], want[new]):
                    candidates.append((table, old, new))
    return candidates


def _same_kind(have: dict, want: dict) -> bool:
    return have.get("type") == want.get("type") and have.get("collation") == want.get("collation")
