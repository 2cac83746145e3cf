"""MySQL/MariaDB: the autoupdate steps it applies its own way.

A column is redefined whole (``MODIFY`` with the line ``SHOW CREATE TABLE``
gave the scratch build), with strict mode off where it cuts longer strings;
keys and constraints are added from those lines too, and dropped with the
server's own words (``DROP INDEX``, ``DROP FOREIGN KEY``). DDL is not
transactional here: each statement checks its foreign keys at once.
"""

from __future__ import annotations

from ...diff import Step
from ...sync import StepApplier, SyncContext, drop_constraint, fill_nulls_before_not_null


def drop_table(context: SyncContext, step: Step) -> None:
    """A removed model's table (the removed tables referencing it go first;
    MariaDB checks each statement's foreign keys anyway: none that stays
    behind references it, the plan refused that)."""
    context.execute("SET FOREIGN_KEY_CHECKS = 0")
    context.execute(f"DROP TABLE {context.qn(step.table)}")
    context.execute("SET FOREIGN_KEY_CHECKS = 1")


def alter_column(context: SyncContext, step: Step) -> None:
    fill_nulls_before_not_null(context, step)
    _modify_column(context, step.table, step.name)


def alter_table_comment(context: SyncContext, step: Step) -> None:
    comment = step.desired.get("comment")
    context.execute(f"ALTER TABLE {context.qn(step.table)} COMMENT = %s", [comment or ""])


def drop_foreign_key(context: SyncContext, step: Step) -> None:
    context.execute(
        f"ALTER TABLE {context.qn(step.table)} DROP FOREIGN KEY {context.qn(step.name)}"
    )


def drop_constraint_or_unique(context: SyncContext, step: Step) -> None:
    if _is_column_check(step.live):
        # Part of the column's definition: redefine the column as wanted
        # (a column being dropped takes its check with it).
        if step.name in context.desired.mysql_lines[step.table]["columns"]:
            _modify_column(context, step.table, step.name)
        return
    if step.item_kind == "uniques":
        drop_index(context, step)
    else:
        drop_constraint(context, step)


def drop_index(context: SyncContext, step: Step) -> None:
    context.execute(f"ALTER TABLE {context.qn(step.table)} DROP INDEX {context.qn(step.name)}")


def add_index(context: SyncContext, step: Step) -> None:
    _add_line(context, step, "keys")


def add_constraint(context: SyncContext, step: Step) -> None:
    if _is_column_check(step.desired):
        _modify_column(context, step.table, step.desired["name"])
        return
    _add_line(context, step, "keys" if step.item_kind == "uniques" else "constraints")


def _is_column_check(item: dict | None) -> bool:
    """MariaDB prints a column-level CHECK (JSONField's json_valid(), a
    positive integer's >= 0) inside the column's line, named after it."""
    return bool(item) and item.get("level") == "column"


def _modify_column(context: SyncContext, table: str, column: str) -> None:
    line = context.desired.mysql_lines[table]["columns"][column]
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


STEPS: dict[str, StepApplier] = {
    "drop_table": drop_table,
    "alter_column": alter_column,
    "alter_table_comment": alter_table_comment,
    "drop_foreign_key": drop_foreign_key,
    "drop_constraint": drop_constraint_or_unique,
    "drop_index": drop_index,
    "add_index": add_index,
    "add_constraint": add_constraint,
    "add_foreign_key": add_constraint,
}
