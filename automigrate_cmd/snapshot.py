"""A normalized, detailed picture of what a database schema is.

``inspect_schema(connection)`` reads the database catalogs directly (Django's
``connection.introspection`` drops too much detail: column defaults, generated
expressions, index predicates, opclasses...) and returns one JSON-serializable
record per table. Two databases built in different ways on the same backend
(``migrate`` from migration files, ``automigrate`` from models) must have
equal snapshots when their schemas are the same. What may legitimately
differ between two builds is left out: column order, ``AUTO_INCREMENT``
counters, OIDs, and on SQLite the spelling (whitespace, quoting, keyword case)
of the stored SQL.

A table record looks like this (backends add a few keys of their own, and
leave out what they do not have)::

    {
        "columns": {name: {"type", "null", "default", "collation", "generated",
                           "comment", "identity", ...}},
        "primary_key": {"name", "columns"} or None,
        "uniques": [{"name", "columns", ...}],
        "checks": [{"name", "check", ...}],
        "foreign_keys": [{"name", "columns", "ref_table", "ref_columns",
                          "on_delete", "on_update", ...}],
        "indexes": [{"name", "unique", "columns": [{"column" or "expression",
                     "order", ...}], "predicate", ...}],
        "comment": table comment or None,
        "options": {backend-specific table options},
    }

Lists are sorted, so records compare with ``==``. Constraint and index names
are kept (Django names them deterministically), in a ``name`` key of their
own: ``strip_names()`` removes them for a comparison that ignores names, and
``diff_schemas()`` turns two snapshots into readable differences.

Reads are one constant set of catalog queries for all tables, whatever their
number, on every backend (SQLite through its table-valued PRAGMA functions).
Each backend's reader is its ``backends/<vendor>/inspect.py``; this module
is what they share: the record format, its order, and the comparison.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from .backends import backend_for
from .catalog import stored_name

Record = dict[str, Any]
Snapshot = dict[str, Record]

# Keys of a table record that hold lists of named constraints or indexes, and
# how diff_schemas() calls one of their items.
LIST_KINDS = {
    "uniques": "unique",
    "checks": "check",
    "foreign_keys": "foreign key",
    "indexes": "index",
    "exclusions": "exclusion",
}


def inspect_schema(
    connection: BaseDatabaseWrapper, tables: Iterable[str] | None = None
) -> Snapshot:
    """Snapshot ``tables`` (all tables of the current database/schema if None).

    Tables that do not exist are left out, so that a comparison reports them.
    A table is keyed by the name asked for, also where the server stores a
    shorter one (``stored_name``); column and other names are the stored ones.
    """
    backend = backend_for(connection)
    asked = {} if tables is None else {stored_name(connection, t): t for t in tables}
    wanted = None if tables is None else sorted(asked)
    if wanted == []:
        return {}
    with connection.cursor() as cursor:
        raw = backend.inspect(connection, cursor, wanted)
    records = {asked.get(name, name): _sorted_record(record) for name, record in raw.items()}
    # A JSON round trip proves the snapshot serializable and gives plain types.
    return json.loads(json.dumps({name: records[name] for name in sorted(records)}))


def strip_names(snapshot: Snapshot) -> Snapshot:
    """A copy of ``snapshot`` without constraint and index names, to compare structure only."""
    stripped: Snapshot = json.loads(json.dumps(snapshot))
    for record in stripped.values():
        if record.get("primary_key"):
            record["primary_key"]["name"] = None
        for kind in LIST_KINDS:
            for item in record.get(kind, ()):
                item["name"] = None
        stripped_record = _sorted_record(record)
        record.clear()
        record.update(stripped_record)
    return stripped


def diff_schemas(
    a: Snapshot, b: Snapshot, *, ignore_names: bool = False, labels: tuple[str, str] = ("a", "b")
) -> list[str]:
    """Human-readable differences between two snapshots, e.g.
    ``todolist_todo.title: type varchar(200) != varchar(100)``.

    Empty when the snapshots are equal. Constraints and indexes are matched by
    name, or by content when unnamed or when ``ignore_names`` is set.
    """
    if ignore_names:
        a, b = strip_names(a), strip_names(b)
    differences: list[str] = []
    for table in sorted(a.keys() | b.keys()):
        for label, mine, theirs in ((labels[0], a, b), (labels[1], b, a)):
            if table in mine and table not in theirs:
                differences.append(f"{table}: table only in {label}")
        if table in a and table in b:
            differences.extend(_diff_table(table, a[table], b[table], labels))
    return differences


# --- diff helpers ----------------------------------------------------------


def _diff_table(table: str, a: Record, b: Record, labels: tuple[str, str]) -> list[str]:
    differences: list[str] = []
    for key in sorted(a.keys() | b.keys()):
        va, vb = a.get(key), b.get(key)
        if key == "columns":
            va, vb = va or {}, vb or {}
            for column in sorted(va.keys() | vb.keys()):
                if column not in vb:
                    differences.append(f"{table}.{column}: column only in {labels[0]}")
                elif column not in va:
                    differences.append(f"{table}.{column}: column only in {labels[1]}")
                else:
                    differences.extend(_diff_value(f"{table}.{column}", "", va[column], vb[column]))
        elif key in LIST_KINDS:
            differences.extend(_diff_items(table, LIST_KINDS[key], va or [], vb or [], labels))
        else:
            differences.extend(_diff_value(table, key, va, vb))
    return differences


def _diff_value(prefix: str, path: str, a: Any, b: Any) -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        differences: list[str] = []
        for key in sorted(a.keys() | b.keys()):
            sub = f"{path}.{key}" if path else key
            differences.extend(_diff_value(prefix, sub, a.get(key), b.get(key)))
        return differences
    if a == b:
        return []
    return [f"{prefix}: {path} {_show(a)} != {_show(b)}"]


def _diff_items(
    table: str, kind: str, a: list[Record], b: list[Record], labels: tuple[str, str]
) -> list[str]:
    differences: list[str] = []
    named_a = {item["name"]: item for item in a if item.get("name") is not None}
    named_b = {item["name"]: item for item in b if item.get("name") is not None}
    for name in sorted(named_a.keys() | named_b.keys()):
        if name not in named_b:
            differences.append(
                f"{table}: {kind} {name} only in {labels[0]}: {_show(named_a[name])}"
            )
        elif name not in named_a:
            differences.append(
                f"{table}: {kind} {name} only in {labels[1]}: {_show(named_b[name])}"
            )
        else:
            differences.extend(
                _diff_value(f"{table}: {kind} {name}", "", named_a[name], named_b[name])
            )
    # Unnamed items (or all of them, names stripped) are compared as multisets.
    unnamed_a = [_canonical(item) for item in a if item.get("name") is None]
    unnamed_b = [_canonical(item) for item in b if item.get("name") is None]
    for label, mine, theirs in (
        (labels[0], unnamed_a, unnamed_b),
        (labels[1], unnamed_b, unnamed_a),
    ):
        remaining = list(theirs)
        for item in mine:
            if item in remaining:
                remaining.remove(item)
            else:
                shown = _show({k: v for k, v in json.loads(item).items() if k != "name"})
                differences.append(f"{table}: {kind} only in {label}: {shown}")
    return differences


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _sorted_record(record: Record) -> Record:
    """Sort a record's lists of constraints/indexes by name, then by content."""
    result = dict(record)
    for kind in LIST_KINDS:
        items = result.get(kind)
        if not items:
            continue
        names = [item.get("name") for item in items]
        if all(names) and len(set(names)) == len(names):
            # Distinct names decide the order alone: no need to serialize each item.
            result[kind] = sorted(items, key=lambda item: item["name"])
        else:
            result[kind] = sorted(items, key=_name_then_content)
    return result


def _name_then_content(item: dict) -> tuple[str, str]:
    return (item.get("name") or "", _canonical(item))


def empty_record() -> Record:
    """A table record with nothing in it yet, for a backend's reader to fill."""
    return {
        "columns": {},
        "primary_key": None,
        "uniques": [],
        "checks": [],
        "foreign_keys": [],
        "indexes": [],
        "comment": None,
        "options": {},
    }
