"""PostgreSQL: the autoupdate steps it applies its own way.

A column is changed clause by clause (``ALTER COLUMN ... TYPE ... USING``,
its identity sequence, NOT NULL, DEFAULT, ``COMMENT ON``); indexes and
constraints are made from the text ``pg_get_indexdef`` and
``pg_get_constraintdef`` gave the scratch build of the models.
"""

from __future__ import annotations

from ...diff import Step
from ...sync import (
    StepApplier,
    SyncContext,
    add_column,
    drop_column,
    fill_nulls_before_not_null,
)


def alter_column(context: SyncContext, step: Step) -> None:
    fill_nulls_before_not_null(context, step)
    have, want = step.live, step.desired
    if have.get("generated") or want.get("generated"):
        # Generated columns cannot be altered: drop and add again.
        drop_column(context, step)
        add_column(context, Step("add_column", step.table, step.name, desired=want))
        return
    alter = f"ALTER TABLE {context.qn(step.table)} ALTER COLUMN {context.qn(step.name)}"
    if have["type"] != want["type"] and have.get("default") is not None:
        # ALTER ... TYPE casts the old default too, and fails where there is
        # no automatic cast ('0'::varchar to integer): drop it first, as the
        # PostgreSQL manual advises; the wanted one is set after the type.
        context.execute(f"{alter} DROP DEFAULT")
        have = {**have, "default": None}
    _alter_type(context, step, alter, have)
    if have.get("null") != want.get("null"):
        context.execute(f"{alter} {'DROP' if want['null'] else 'SET'} NOT NULL")
    if have.get("default") != want.get("default"):
        if want.get("default") is None:
            context.execute(f"{alter} DROP DEFAULT")
        else:
            context.execute(f"{alter} SET DEFAULT {want['default']}")
    if have.get("comment") != want.get("comment"):
        column = f"{context.qn(step.table)}.{context.qn(step.name)}"
        context.execute(f"COMMENT ON COLUMN {column} IS %s", [want.get("comment")])


def _alter_type(context: SyncContext, step: Step, alter: str, have: dict) -> None:
    """The type (cast from the old one) and collation, and an identity
    column's sequence, which keeps its own type: widened with the column."""
    want = step.desired
    if have["type"] != want["type"] or have.get("collation") != want.get("collation"):
        collate = f" COLLATE {context.qn(want['collation'])}" if want.get("collation") else ""
        cast = f"{context.qn(step.name)}::{want['type']}"
        context.execute(f"{alter} TYPE {want['type']}{collate} USING {cast}")
    wanted_sequence = want.get("sequence") or {}
    if have.get("sequence") != want.get("sequence") and wanted_sequence.get("type"):
        sequence = _serial_sequence(context, step)
        if sequence:
            context.execute(f"ALTER SEQUENCE {sequence} AS {wanted_sequence['type']}")


def _serial_sequence(context: SyncContext, step: Step) -> str | None:
    with context.connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [context.qn(step.table), step.name])
        return cursor.fetchone()[0]


def alter_table_comment(context: SyncContext, step: Step) -> None:
    comment = step.desired.get("comment")
    context.execute(f"COMMENT ON TABLE {context.qn(step.table)} IS %s", [comment])


def add_index(context: SyncContext, step: Step) -> None:
    item = step.desired
    unique = "UNIQUE " if item.get("unique") else ""
    context.execute(
        f"CREATE {unique}INDEX {context.qn(item['name'])} ON {context.qn(step.table)} "
        f"{item['definition']}"
    )


def add_constraint(context: SyncContext, step: Step) -> None:
    item = step.desired
    # pg_get_constraintdef's text; check records keep it under "check".
    definition = item.get("definition") or item["check"]
    context.execute(
        f"ALTER TABLE {context.qn(step.table)} ADD CONSTRAINT {context.qn(item['name'])} "
        f"{definition}"
    )


STEPS: dict[str, StepApplier] = {
    "alter_column": alter_column,
    "alter_table_comment": alter_table_comment,
    "add_index": add_index,
    "add_constraint": add_constraint,
    "add_foreign_key": add_constraint,
}
