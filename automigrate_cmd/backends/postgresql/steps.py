"""PostgreSQL: how a sync plan alters a column and drops a removed table
(the other steps take the standard's SQL, ``sync.apply``)."""

from __future__ import annotations

from ...sync.apply import SyncContext, add_column, drop_column, fill_nulls, fills_nulls
from ...sync.diff import Step


def alter_column(context: SyncContext, step: Step) -> None:
    """ALTER COLUMN, one clause at a time; a new type by ``USING`` the cast
    the risks were counted with (row_counts)."""
    have, want = step.live, step.desired
    table, column = context.qn(step.table), context.qn(step.name)
    alter = f"ALTER TABLE {table} ALTER COLUMN {column}"
    if have.get("generated") or want.get("generated"):
        # Generated columns cannot be altered: drop and add again.
        drop_column(context, step)
        add_column(context, Step("add_column", step.table, step.name, desired=want))
        return
    if have["type"] != want["type"] and have.get("default") is not None:
        # ALTER ... TYPE casts the old default too, and fails where there is
        # no automatic cast ('0'::varchar to integer): drop it first, as the
        # PostgreSQL manual advises; the wanted one is set after the type.
        context.execute(f"{alter} DROP DEFAULT")
        have = {**have, "default": None}
    if have["type"] != want["type"] or have.get("collation") != want.get("collation"):
        collate = f" COLLATE {context.qn(want['collation'])}" if want.get("collation") else ""
        context.execute(f"{alter} TYPE {want['type']}{collate} USING {column}::{want['type']}")
    wanted_sequence = want.get("sequence") or {}
    if have.get("sequence") != want.get("sequence") and wanted_sequence.get("type"):
        # An identity column's sequence keeps its own type: widen it with the column.
        sequence = _serial_sequence(context, step)
        if sequence:
            context.execute(f"ALTER SEQUENCE {sequence} AS {wanted_sequence['type']}")
    if have.get("null") != want.get("null"):
        if fills_nulls(step):
            fill_nulls(context, step, step.name)
        context.execute(f"{alter} {'DROP' if want['null'] else 'SET'} NOT NULL")
    if have.get("default") != want.get("default"):
        if want.get("default") is None:
            context.execute(f"{alter} DROP DEFAULT")
        else:
            context.execute(f"{alter} SET DEFAULT {want['default']}")
    if have.get("comment") != want.get("comment"):
        context.execute(f"COMMENT ON COLUMN {table}.{column} IS %s", [want.get("comment")])


def _serial_sequence(context: SyncContext, step: Step) -> str | None:
    with context.connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [context.qn(step.table), step.name])
        return cursor.fetchone()[0]


def drop_table(context: SyncContext, step: Step) -> None:
    """A removed model's table. Removed tables that reference each other
    cannot go one after the other: the first one's foreign keys into it
    from the others are dropped first (``removed._order_drops``); CASCADE
    would take whatever else depends on it, unannounced."""
    for table, name in step.extra.get("references_first", ()):
        context.execute(f"ALTER TABLE {context.qn(table)} DROP CONSTRAINT {context.qn(name)}")
    context.execute(f"DROP TABLE {context.qn(step.table)}")


APPLIERS = {"drop_table": drop_table}
