"""SQLite: the triggers and views a table rebuild would lose or break.

A rebuild (Django's ``_remake_table``) creates ``new__<table>``, copies the
rows, drops the table and renames the new one. Dropping the table drops its
triggers with it, silently; and the rename fails ("error in view v: no such
table: main.t") while a view, or a trigger on another table, mentions the
table: SQLite checks the whole schema after ``ALTER TABLE ... RENAME`` (unless
``PRAGMA legacy_alter_table`` is on, which Django turns off). So the objects
that depend on the table are read from ``sqlite_master`` first, the views and
foreign triggers dropped, and all of them re-created from their own SQL after.

SQLite keeps no dependency catalog: an object depends on a table when its SQL
mentions the table's name (a token, whatever its quoting). That may take an
object that merely uses the same word along, which costs only a drop and a
re-create of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.backends.base.base import BaseDatabaseWrapper

from .tokens import tokenize, unquote


@dataclass(frozen=True)
class SchemaObject:
    """A row of sqlite_master: a trigger or a view."""

    type: str  # "trigger" or "view"
    name: str
    table: str  # the table (or view) a trigger is on; the view itself for a view
    sql: str


def mentions(sql: str, name: str) -> bool:
    """Whether ``name`` (a table or column) appears in ``sql`` as an identifier."""
    wanted = name.lower()
    for token in tokenize(sql):
        parts = token.split(".") if token[:1] not in '"`[' else [token]
        if any(unquote(part).lower() == wanted for part in parts):
            return True
    return False


def dependents(connection: BaseDatabaseWrapper, table: str) -> list[SchemaObject]:
    """The triggers and views a rebuild of ``table`` must re-create, in the
    order they were made (a view before the views and triggers built on it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE type IN ('trigger', 'view') AND sql IS NOT NULL ORDER BY rowid"
        )
        objects = [SchemaObject(*row) for row in cursor.fetchall()]
    # A view that goes takes its INSTEAD OF triggers and the views on it along.
    gone = {table.lower()}
    found: list[SchemaObject] = []
    changed = True
    while changed:
        changed = False
        for item in objects:
            if item in found:
                continue
            if item.table.lower() in gone or any(mentions(item.sql, name) for name in gone):
                found.append(item)
                if item.type == "view":
                    gone.add(item.name.lower())
                changed = True
    return [item for item in objects if item in found]


def index_sql(connection: BaseDatabaseWrapper, table: str) -> dict[str, str]:
    """The table's indexes made by CREATE INDEX, by name: their own SQL."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master "
            "WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
            [table],
        )
        return dict(cursor.fetchall())


def mentioning(objects: list[SchemaObject], column: str) -> list[SchemaObject]:
    return [item for item in objects if mentions(item.sql, column)]


def describe(objects: list[SchemaObject]) -> str:
    return ", ".join(f"{item.type} {item.name}" for item in objects)


def drop_statements(objects: list[SchemaObject], table: str) -> list[str]:
    """What to drop before the rebuild: views (last made first) and the
    triggers on other tables. The table's own triggers go with the table."""
    statements = []
    for item in reversed(objects):
        if item.type == "view":
            statements.append(f"DROP VIEW IF EXISTS {_quote(item.name)}")
        elif item.table.lower() != table.lower():
            statements.append(f"DROP TRIGGER IF EXISTS {_quote(item.name)}")
    return statements


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
