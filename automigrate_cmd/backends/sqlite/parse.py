"""SQLite: what the stored CREATE statements say that no PRAGMA reports.

Collations, generated expressions, CHECK bodies, constraint names and
DEFERRABLE are known only from the text of the CREATE TABLE (and a partial
or expression index's parts only from its CREATE INDEX), so they are parsed
from it, token by token (``tokens``).
"""

from __future__ import annotations

from ...snapshot import Record
from .tokens import group_end, render, split_top_level, tokenize, unquote, upper

# Words that end a column's type and start its constraints.
_COLUMN_CONSTRAINT_WORDS = {
    "CONSTRAINT",
    "PRIMARY",
    "NOT",
    "NULL",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "COLLATE",
    "REFERENCES",
    "GENERATED",
    "AS",
}
_TABLE_CONSTRAINT_WORDS = {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"}


def parse_create_table(sql: str) -> tuple[dict[str, Record], list[Record], list[str]]:
    """The columns (by name) and table constraints a CREATE TABLE defines,
    and the tokens after its body (WITHOUT ROWID, STRICT)."""
    items, tail = _create_table_parts(sql)
    columns: dict[str, Record] = {}
    constraints: list[Record] = []
    for item in items:
        if item[0].upper() in _TABLE_CONSTRAINT_WORDS:
            constraints.append(_parse_table_constraint(item))
        else:
            parsed = parse_column(item)
            columns[parsed["name"]] = parsed
    return columns, constraints, tail


def _create_table_parts(sql: str) -> tuple[list[list[str]], list[str]]:
    """The column/constraint items of a CREATE TABLE, and what follows the body."""
    tokens = tokenize(sql)
    start = tokens.index("(")
    end = group_end(tokens, start)
    return split_top_level(tokens[start + 1 : end - 1]), tokens[end:]


def parse_column(item: list[str]) -> Record:
    """The parts of a column definition that PRAGMA table_xinfo does not give."""
    parsed: Record = {
        "name": unquote(item[0]),
        "collation": None,
        "generated": None,
        "checks": [],
        "references": None,
        "unique": None,
        "primary_key_name": None,
        "autoincrement": False,
    }
    kw = upper(item)  # for keywords; names come from item
    i = 1
    # Skip the type: words and one parenthesized size, up to a constraint word.
    while i < len(item) and kw[i] not in _COLUMN_CONSTRAINT_WORDS:
        i = group_end(item, i) if item[i] == "(" else i + 1
    constraint_name = None
    while i < len(item):
        word = kw[i]
        if word == "CONSTRAINT":
            constraint_name = unquote(item[i + 1])
            i += 2
            continue
        if word == "COLLATE":
            # Collation names ignore case in SQLite.
            parsed["collation"] = unquote(item[i + 1]).upper()
            i += 2
        elif word in ("GENERATED", "AS"):
            parsed["generated"], i = _generated(item, kw, i)
        elif word == "CHECK":
            end = group_end(item, i + 1)
            parsed["checks"].append(
                {"name": constraint_name, "check": render(item[i + 2 : end - 1])}
            )
            i = end
        elif word == "REFERENCES":
            end = _references_end(kw, i)
            parsed["references"] = {"name": constraint_name, "clause": kw[i:end]}
            i = end
        elif word == "UNIQUE":
            parsed["unique"] = {"name": constraint_name}
            i += 1
        elif word == "PRIMARY":
            parsed["primary_key_name"] = constraint_name
            i += 2
        elif word == "AUTOINCREMENT":
            parsed["autoincrement"] = True
            i += 1
        elif word == "DEFAULT":
            # The value comes from PRAGMA table_xinfo; skip it here.
            i = group_end(item, i + 1) if item[i + 1] == "(" else i + 2
            if item[i - 1] in ("-", "+"):  # DEFAULT -1
                i += 1
        else:  # NOT NULL, NULL, ASC/DESC, ON CONFLICT ...
            i += 1
        constraint_name = None
    return parsed


def _generated(item: list[str], kw: list[str], i: int) -> tuple[Record, int]:
    """The generated column clause that starts at ``item[i]``, and the index past it."""
    while item[i] != "(":  # GENERATED ALWAYS AS (
        i += 1
    end = group_end(item, i)
    expression = render(item[i + 1 : end - 1])
    stored = end < len(item) and kw[end] == "STORED"
    if end < len(item) and kw[end] in ("STORED", "VIRTUAL"):
        end += 1
    return {"expression": expression, "stored": stored}, end


def _references_end(item: list[str], start: int) -> int:
    """Index just past the REFERENCES clause that starts at ``item[start]``.

    The clause may contain NULL and DEFAULT (ON DELETE SET NULL) and NOT (NOT
    DEFERRABLE), which elsewhere start a new column constraint.
    """
    end = start + 1
    while end < len(item):
        token, previous = item[end], item[end - 1]
        if token == "(":
            end = group_end(item, end)
            continue
        following = item[end + 1] if end + 1 < len(item) else ""
        if (
            token in _COLUMN_CONSTRAINT_WORDS
            and not (token in ("NULL", "DEFAULT") and previous == "SET")
            and not (token == "NOT" and following == "DEFERRABLE")
        ):
            break
        end += 1
    return end


def _parse_table_constraint(item: list[str]) -> Record:
    name = None
    if item[0].upper() == "CONSTRAINT":
        name = unquote(item[1])
        item = item[2:]
    kind = item[0].upper()
    parsed: Record = {"name": name, "kind": kind, "definition": render(item)}
    if kind in ("UNIQUE", "PRIMARY", "FOREIGN"):
        start = item.index("(")
        end = group_end(item, start)
        parsed["columns"] = [unquote(t) for t in item[start + 1 : end - 1] if t != ","]
        if kind == "FOREIGN":
            parsed["clause"] = upper(item[end:])
    elif kind == "CHECK":
        parsed["check"] = render(item[2 : group_end(item, 1) - 1])
    return parsed


def fk_deferral(clause: list[str]) -> tuple[bool, bool]:
    """(deferrable, initially deferred) from a REFERENCES clause."""
    text = " ".join(clause)
    deferrable = "DEFERRABLE" in clause and "NOT DEFERRABLE" not in text
    return deferrable, deferrable and "INITIALLY DEFERRED" in text


def index_parts(sql: str) -> tuple[list[str], str | None]:
    """The key items (as text) and the WHERE predicate of a CREATE INDEX."""
    tokens = upper(tokenize(sql))
    start = tokens.index("(", tokens.index("ON"))
    end = group_end(tokens, start)
    items = []
    for item in split_top_level(tokens[start + 1 : end - 1]):
        # Drop ASC/DESC and COLLATE x: index_xinfo reports them.
        while item and item[-1] in ("ASC", "DESC"):
            item = item[:-1]
        if len(item) > 2 and item[-2] == "COLLATE":
            item = item[:-2]
        items.append(render(item))
    rest = tokens[end:]
    predicate = render(rest[1:]) if rest and rest[0] == "WHERE" else None
    return items, predicate
