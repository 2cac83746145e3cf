"""MySQL/MariaDB: the steps of a sync plan its server applies its own way.

A column is redefined whole (``MODIFY``) from the line the scratch build's
``SHOW CREATE TABLE`` gave it, and so is a column-level CHECK; indexes,
unique keys and foreign keys are added from their lines and dropped as
indexes or foreign keys. DDL is not transactional: each statement commits.
"""

from __future__ import annotations

import re

from ...sync.apply import Applier, SyncContext, fill_nulls
from ...sync.diff import Step


def drop_table(context: SyncContext, step: Step) -> None:
    """A removed model's table (the removed tables referencing it go first;
    MariaDB checks each statement's foreign keys anyway: none that stays
    behind references it, the plan refused that)."""
    context.execute("SET FOREIGN_KEY_CHECKS = 0")
    context.execute(f"DROP TABLE {context.qn(step.table)}")
    context.execute("SET FOREIGN_KEY_CHECKS = 1")


def alter_column(context: SyncContext, step: Step) -> None:
    modify_column(context, step.table, step.name)


def _alter_table_comment(context: SyncContext, step: Step) -> None:
    comment = step.desired.get("comment")
    context.execute(f"ALTER TABLE {context.qn(step.table)} COMMENT = %s", [comment or ""])


def _drop_foreign_key(context: SyncContext, step: Step) -> None:
    context.execute(
        f"ALTER TABLE {context.qn(step.table)} DROP FOREIGN KEY {context.qn(step.name)}"
    )


def _drop_constraint(context: SyncContext, step: Step) -> None:
    if _is_column_check(step.live):
        # Part of the column's definition: redefine the column as wanted
        # (a column being dropped takes its check with it).
        if step.name in context.desired.mysql_lines[step.table]["columns"]:
            modify_column(context, step.table, step.name)
        return
    table, name = context.qn(step.table), context.qn(step.name)
    if step.item_kind == "uniques":
        context.execute(f"ALTER TABLE {table} DROP INDEX {name}")
    else:
        context.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")


def _drop_index(context: SyncContext, step: Step) -> None:
    context.execute(f"ALTER TABLE {context.qn(step.table)} DROP INDEX {context.qn(step.name)}")


def _add_index(context: SyncContext, step: Step) -> None:
    _add_line(context, step, "keys")


def _add_constraint(context: SyncContext, step: Step) -> None:
    if _is_column_check(step.desired):
        modify_column(context, step.table, step.desired["name"])
        return
    _add_line(context, step, "keys" if step.item_kind == "uniques" else "constraints")


def _is_column_check(item: dict | None) -> bool:
    """MariaDB prints a column-level CHECK (JSONField's json_valid(), a
    positive integer's >= 0) inside the column's line, named after it."""
    return bool(item) and item.get("level") == "column"


def modify_column(context: SyncContext, table: str, column: str) -> None:
    """MODIFY the column as the models want it (whichever step comes first:
    a column-level CHECK dropped or added, or the column's own change). A
    column made NOT NULL gets its NULLs filled first, after a MODIFY to the
    new type that still allows them where the type changes too."""
    line = context.desired.mysql_lines[table]["columns"][column]
    step = context.nulls_to_fill.get((table, column))
    if step is not None:
        if step.live["type"] != step.desired["type"]:
            _execute_modify(context, table, column, re.sub(r" NOT NULL\b", " NULL", line, count=1))
        fill_nulls(context, step, column)
    _execute_modify(context, table, column, line)


def _execute_modify(context: SyncContext, table: str, column: str, line: str) -> None:
    statement = f"ALTER TABLE {context.qn(table)} MODIFY {line}"
    if (table, column) in context.cutting:
        _modify_cutting_longer_strings(context, statement)
    else:
        context.execute(statement)


def _modify_cutting_longer_strings(context: SyncContext, statement: str) -> None:
    """The MODIFY of a string column made shorter, with strict mode off for
    it: the server then cuts the longer values to the new length, where
    strict mode stops the run (risks.py has announced the cut, and refused
    anything else that would not convert)."""
    context.execute("SET @automigrate_sql_mode = @@SESSION.sql_mode")
    context.execute(
        "SET SESSION sql_mode = REPLACE(REPLACE(@@SESSION.sql_mode, 'STRICT_TRANS_TABLES', ''), "
        "'STRICT_ALL_TABLES', '')"
    )
    try:
        context.execute(statement)
    finally:
        context.execute("SET SESSION sql_mode = @automigrate_sql_mode")


def _add_line(context: SyncContext, step: Step, group: str) -> None:
    line = context.desired.mysql_lines[step.table][group][step.desired["name"]]
    context.execute(f"ALTER TABLE {context.qn(step.table)} ADD {line}")


APPLIERS: dict[str, Applier] = {
    "drop_table": drop_table,
    "alter_table_comment": _alter_table_comment,
    "drop_foreign_key": _drop_foreign_key,
    "drop_constraint": _drop_constraint,
    "drop_index": _drop_index,
    "add_index": _add_index,
    "add_constraint": _add_constraint,
    "add_foreign_key": _add_constraint,
}
