"""SQLite: which differences of a table it makes in place, and when it
rebuilds the table instead.

SQLite alters a table in place only by adding or dropping a plain column and
by creating or dropping an index; as Django does, it does those in place and
rebuilds a table (a new table, rows copied, old one dropped) only for what
else differs.
"""

from __future__ import annotations

from ...snapshot import LIST_KINDS, Record
from ...sync.diff import (
    Step,
    content,
    diff_items,
    diff_primary_key,
    key_columns,
    key_type_refusal,
    what_differs,
)
from .objects import mentions


def diff_table(table: str, live: Record, desired: Record, drops_columns: bool) -> list[Step]:
    """In-place steps when SQLite can make every difference in place (the
    rules of Django's sqlite3 ``add_field``/``remove_field``), else one
    rebuild of the table."""
    added = [c for c in desired["columns"] if c not in live["columns"]]
    dropped = [c for c in live["columns"] if c not in desired["columns"]]
    in_place = (
        all(_sqlite_can_add(desired, column) for column in added)
        and (drops_columns or not dropped)
        and all(_sqlite_can_drop(live, column) for column in dropped)
        and all(
            live["columns"][column] == wanted
            for column, wanted in desired["columns"].items()
            if column in live["columns"]
        )
        and _rebuilt_parts(live, dropped) == _rebuilt_parts(desired, added)
    )
    if not in_place:
        return _rebuild_if_different(table, live, desired)
    steps = [Step("add_column", table, c, desired=desired["columns"][c]) for c in added]
    steps += [Step("drop_column", table, c, live=live["columns"][c]) for c in dropped]
    indexes = {"indexes": live.get("indexes", [])}, {"indexes": desired.get("indexes", [])}
    return steps + diff_items(table, *indexes, set())


# Defaults ALTER TABLE ADD COLUMN refuses (besides an expression in parentheses).
_SQLITE_TIME_DEFAULTS = {"CURRENT_TIME", "CURRENT_DATE", "CURRENT_TIMESTAMP"}


def _sqlite_can_add(desired: Record, column: str) -> bool:
    """ALTER TABLE ADD COLUMN takes no PRIMARY KEY or UNIQUE, no NOT NULL
    without a default, no non-constant default, no STORED generated column,
    and a foreign key only on the column alone (inline REFERENCES)."""
    wanted = desired["columns"][column]
    if column in (desired.get("primary_key") or {}).get("columns", []):
        return False
    if any(column in unique["columns"] for unique in desired.get("uniques", [])):
        return False
    keys = [fk for fk in desired.get("foreign_keys", []) if column in fk["columns"]]
    if any(fk["columns"] != [column] for fk in keys):
        return False
    generated = wanted.get("generated")
    if generated:
        return not generated.get("stored") and wanted.get("null")
    default = wanted.get("default")
    if default is None:
        return bool(wanted.get("null"))
    constant = not default.startswith("(") and default.upper() not in _SQLITE_TIME_DEFAULTS
    # A REFERENCES column must default to NULL; a NOT NULL one to something else.
    return constant and not keys and (wanted.get("null") or default.upper() != "NULL")


def _sqlite_can_drop(live: Record, column: str) -> bool:
    """ALTER TABLE DROP COLUMN refuses a column of the primary key, of a
    UNIQUE or foreign key, or one another column's CHECK or generated
    expression uses. (Its indexes are dropped before it.)"""
    if column in (live.get("primary_key") or {}).get("columns", []):
        return False
    for kind in ("uniques", "foreign_keys"):
        if any(column in item["columns"] for item in live.get(kind, [])):
            return False
    others_checks = [c["check"] for c in live.get("checks", []) if c.get("column") != column]
    generated = [
        spec["generated"]["expression"]
        for name, spec in live["columns"].items()
        if name != column and spec.get("generated")
    ]
    return not any(mentions(text, column) for text in others_checks + generated)


def _rebuilt_parts(record: Record, own_columns: list[str]) -> dict:
    """What of a table only a rebuild changes, less the column CHECKs and
    foreign keys that come and go with ``own_columns`` (added or dropped in
    place, with their column definition)."""
    parts = {key: value for key, value in record.items() if key not in ("columns", "indexes")}
    parts["primary_key"] = content(record.get("primary_key") or {})
    parts["checks"] = sorted(
        content(c) for c in record.get("checks", []) if c.get("column") not in own_columns
    )
    parts["foreign_keys"] = sorted(
        content(fk)
        for fk in record.get("foreign_keys", [])
        if not (len(fk["columns"]) == 1 and fk["columns"][0] in own_columns)
    )
    parts["uniques"] = sorted(content(u) for u in record.get("uniques", []))
    return parts


def _rebuild_if_different(table: str, live: Record, desired: Record) -> list[Step]:
    differences = _column_changes(live, desired) + _item_changes(live, desired)
    if not differences:
        return []
    detail = "; ".join(differences)
    rebuild = Step("rebuild_table", table, detail=detail, live=live, desired=desired)
    # A rebuild would carry out any primary-key change, and leave the columns
    # of other tables pointing at a key that is no longer there or no longer
    # of their type: refused as on the other backends.
    return [rebuild, *_primary_key_refusals(table, live, desired)]


def _primary_key_refusals(table: str, live: Record, desired: Record) -> list[Step]:
    """Steps that only carry the reason a primary-key change is refused."""
    steps = diff_primary_key(table, live, desired)
    for column in key_columns(desired):
        have, wanted = live["columns"].get(column), desired["columns"][column]
        reason = key_type_refusal(table, column, have, wanted, {column}) if have else ""
        if reason:
            detail = what_differs(have, wanted)
            steps.append(Step("alter_column", table, column, detail, impossible=reason))
    return steps


def _column_changes(live: Record, desired: Record) -> list[str]:
    changes = [f"add column {c}" for c in desired["columns"] if c not in live["columns"]]
    changes += [f"drop column {c}" for c in live["columns"] if c not in desired["columns"]]
    for column, wanted in desired["columns"].items():
        have = live["columns"].get(column)
        if have is not None and have != wanted:
            changes.append(f"alter column {column} ({what_differs(have, wanted)})")
    return changes


def _item_changes(live: Record, desired: Record) -> list[str]:
    changes = []
    if content(live.get("primary_key") or {}) != content(desired.get("primary_key") or {}):
        changes.append("primary key")
    for kind in LIST_KINDS:
        have = sorted(content(i) for i in live.get(kind, []))
        want = sorted(content(i) for i in desired.get(kind, []))
        if have != want:
            changes.append(kind.replace("_", " "))
    if live.get("comment") != desired.get("comment"):
        changes.append("table comment")
    return changes
