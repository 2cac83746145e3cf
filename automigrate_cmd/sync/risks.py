"""What a sync plan would do to the rows that are there, measured first.

Each step that can lose data or cannot succeed on the live rows gets a
sentence with the count: ``loss`` (refused unless the user accepts data
loss) or ``impossible`` (refused always, naming the fix).
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.db import DatabaseError, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from ..backends import backend_or_generic
from ..catalog import existing_tables, stored_name
from ..exceptions import UserCodeFailed, first_line
from ..report import rows_text
from .conversions import conversion
from .diff import Step
from .hints import Hints
from .type_changes import cuts_strings, string_length, widens


def measure(
    steps: list[Step],
    connection: BaseDatabaseWrapper,
    fields_by_column: dict[tuple[str, str], models.Field],
    hints: Hints | None = None,
    live: dict | None = None,
    desired: dict | None = None,
) -> None:
    """Fill ``loss`` and ``impossible`` of each step from the live rows.
    ``live`` is the live snapshot as the plan sees it (after renames),
    ``desired`` what the models want."""
    measurer = _Measurer(connection, fields_by_column, hints or Hints(), live or {}, desired or {})
    # Tables whose rows or columns other steps change first: a new check is
    # then not counted against the rows as they are now (the database checks it).
    measurer.reshaped = {step.table for step in steps if step.kind in _RESHAPING}
    for step in steps:
        measurer.measure(step)


def backfill(
    connection: BaseDatabaseWrapper, hints: Hints, table: str, column: str, field
) -> tuple[Any, str] | None:
    """The value (ready for the database) that NULLs get where a column
    becomes required, and how to show it: the user's ``--default``, else
    what Django's own AlterField uses (the field's db_default, else its
    default; a db_default expression has no value here: ``(None, text)``);
    None when there is none."""
    if (table, column) in hints.defaults and field is not None:
        value, shown = hints.defaults[(table, column)]
        return field.get_db_prep_save(value, connection), shown
    if field is None:
        return None
    if field.db_default is not models.NOT_PROVIDED:
        # Django's AlterField fills the NULLs from db_default before default.
        default = field.db_default
        if not isinstance(default, models.Value):
            return None, str(default)  # an expression: the database computes it
        return field.get_db_prep_save(default.value, connection), repr(default.value)
    value = effective_default(connection, field)
    return None if value is None else (value, repr(value))


def effective_default(connection: BaseDatabaseWrapper, field: models.Field) -> Any:
    """The value Django's schema editor gives existing rows (the field's
    default, called if callable): a default that fails (one that queries a
    table not there yet, say) is one line naming the field."""
    try:
        return connection.schema_editor().effective_default(field)
    except Exception as error:
        label = f"{field.model._meta.label}.{field.name}"
        raise UserCodeFailed(
            f"The default of {label} failed: {type(error).__name__}: {first_line(error)}. It "
            f"fills the rows already there: fix it, or pass --default {label}=VALUE. "
            "Nothing was changed."
        ) from error


class _Measurer:
    def __init__(self, connection, fields_by_column, hints: Hints, live: dict, desired: dict):
        self.connection = connection
        self.backend = backend_or_generic(connection)
        self.fields = fields_by_column
        self.hints = hints
        self.live = live
        self.desired = desired
        self.qn = connection.ops.quote_name
        self._present: set[str] | None = None  # the tables there, read when needed

    def measure(self, step: Step) -> None:
        # Columns a --default value would unblock, collected while measuring.
        self.needs_default: list[tuple[str, str]] = []
        if step.kind == "drop_column":
            step.loss = self.dropped(step.table, step.name)
            step.impossible = self.breaks_dependents(step.table, [step.name])
        elif step.kind == "add_column":
            step.impossible = self.added(step.table, step.name, step.desired)
        elif step.kind == "alter_column" and step.live:
            step.loss, blocked = self.altered(step.table, step.name, step.live, step.desired)
            # The diff may already know the change cannot be made (a primary
            # key's type, an identity): that reason stays.
            step.impossible = step.impossible or blocked
        elif step.kind in ("add_constraint", "add_index") and step.desired:
            step.impossible = self.duplicates(step.table, step.desired)
            if step.item_kind == "checks" and step.table not in self.reshaped:
                step.impossible = self.violated(step.table, step.desired)
        elif step.kind == "add_foreign_key" and step.desired:
            step.impossible = self.orphans(step.table, step.desired)
        elif step.kind == "rebuild_table":
            self.rebuilt(step)
        elif step.kind == "drop_table":
            step.loss = self.table_dropped(step)
        step.extra["needs_default"] = self.needs_default

    # -- the live names of what the plan calls table.column ---------------------

    def sql_names(self, table: str, column: str | None = None) -> tuple[str, str | None]:
        old_table, old_column = self.hints.old_name(table, column)
        return self.qn(old_table), self.qn(old_column) if old_column else None

    def count(self, table: str, column: str | None = None, where: str = "", params=()) -> int:
        sql_table, sql_column = self.sql_names(table, column)
        condition = where.format(column=sql_column) if where else ""
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {sql_table}{condition}", list(params))
            return cursor.fetchone()[0]

    # -- each kind of change ------------------------------------------------------

    def dropped(self, table: str, column: str) -> str:
        values = self.count(table, column, " WHERE {column} IS NOT NULL")
        if not values:
            return ""
        return (
            f"{table}.{column}: column dropped, {values:,} non-null "
            f"value{'s' if values != 1 else ''} would be lost"
        )

    def table_dropped(self, step: Step) -> str:
        rows = self.count(step.table)
        if step.extra.get("recreated_by"):
            return self.table_recreated(step, rows)
        step.detail = f"{step.extra['what']} removed, {rows_text(rows)}"
        if not rows:
            return ""
        return f"{step.table}: table of the removed {step.extra['what']} dropped, " + (
            f"{rows_text(rows)} would be lost"
        )

    def table_recreated(self, step: Step, rows: int) -> str:
        migration = step.extra["recreated_by"]
        step.detail = f"{rows_text(rows)}; created again, as {migration} does"
        if not rows:
            return ""
        return (
            f"{step.table}: {migration} deletes the model and creates it again, and its rows "
            f"cannot be kept: {rows_text(rows)} would be lost"
        )

    def added(self, table: str, column: str, wanted: dict) -> str:
        field = self.fields.get((table, column))
        if self.unique(table, column) and self.fills_one_value(table, column, wanted, field):
            rows = self.count(table)
            if rows > 1:
                return (
                    f"{table}.{column}: new unique column, and all {rows_text(rows)} there would "
                    "get the same value; add it nullable without a default, fill it, then make "
                    "it unique"
                )
        if wanted.get("null") or wanted.get("default") is not None or wanted.get("generated"):
            return ""
        if (table, column) in self.hints.defaults or (field is not None and _has_default(field)):
            filled = backfill(self.connection, self.hints, table, column, field)
            return self.missing_target(table, column, field, filled) if self.count(table) else ""
        rows = self.count(table)
        if not rows:
            return ""
        self.needs_default.append((table, column))
        return (
            f"{table}.{column}: new NOT NULL column without a default, and the table holds "
            f"{rows_text(rows)}; pass --default {self.label(table, column)}=VALUE, "
            "give the field a default (or db_default), or null=True"
        )

    def altered(self, table: str, column: str, have: dict, want: dict) -> tuple[str, str]:
        impossible = ""
        if have.get("null") and not want.get("null"):
            field = self.fields.get((table, column))
            filled = backfill(self.connection, self.hints, table, column, field)
            nulls = self.count(table, column, " WHERE {column} IS NULL")
            if nulls and filled is not None and self.unique(table, column):
                taken = self.count(table, column, " WHERE {column} = %s", [filled[0]])
                if nulls + taken > 1:
                    impossible = (
                        f"{table}.{column}: becomes NOT NULL, and filling its "
                        f"{rows_text(nulls)} of NULL with {filled[1]} would repeat a value "
                        "of a unique column; fill them first"
                    )
            if nulls and filled is not None and not impossible:
                impossible = self.missing_target(table, column, field, filled)
            if nulls and filled is None:
                self.needs_default.append((table, column))
                impossible = (
                    f"{table}.{column}: becomes NOT NULL, {rows_text(nulls)} "
                    f"{'is' if nulls == 1 else 'are'} NULL; pass --default "
                    f"{self.label(table, column)}=VALUE, fill them first, or keep null=True"
                )
        loss = ""
        field = self.fields.get((table, column))
        # Text into a JSON field widens the type, but the JSON must be valid.
        into_json = field is not None and field.get_internal_type() == "JSONField"
        if have.get("type") != want.get("type") and (
            into_json or not widens(have["type"], want["type"])
        ):
            loss, failing = self.retyped(table, column, have["type"], want["type"])
            impossible = "; ".join(filter(None, [impossible, failing]))
        return loss, impossible

    def missing_target(self, table: str, column: str, field, filled: tuple | None) -> str:
        """A foreign key column filled with a key that no row of the target
        has: its constraint would stop the run half-way (refused instead)."""
        if filled is None or filled[0] is None or field is None or not field.remote_field:
            return ""
        if not getattr(field, "db_constraint", False):
            return ""
        target = field.target_field
        target_table = target.model._meta.db_table
        live_table, _column = self.hints.old_name(target_table)
        if stored_name(self.connection, live_table) not in self.present_tables():
            return ""  # a table the plan creates: empty, the database says so
        if self.count(target_table, target.column, " WHERE {column} = %s", [filled[0]]):
            return ""
        return (
            f"{table}.{column}: its rows would get {filled[1]}, which is not a key of "
            f"{target_table}.{target.column} (no such row); give the key of a row that exists"
        )

    def present_tables(self) -> set[str]:
        if self._present is None:
            self._present = existing_tables(self.connection)
        return self._present

    def retyped(self, table: str, column: str, old: str, new: str) -> tuple[str, str]:
        """(loss, impossible) of a type change, from the values the database
        says it keeps (conversions.py): a shorter string cuts the longer
        values (a loss); a value the new type cannot hold refuses the run."""
        if cuts_strings(old, new):
            length = self.backend.char_length_function
            longer = self.count(
                table, column, f" WHERE {length}({{column}}) > %s", [string_length(new)]
            )
            if not longer:
                return "", ""
            return (
                f"{table}.{column}: {old} -> {new}, {rows_text(longer)} "
                f"{'holds' if longer == 1 else 'hold'} longer values, which would be cut to "
                f"{string_length(new)} characters"
            ), ""
        sql_table, sql_column = self.sql_names(table, column)
        found = conversion(
            self.connection, sql_table, sql_column, old, new, self.fields.get((table, column))
        )
        if found.no_cast:
            return "", (
                f"{table}.{column}: type {old} -> {new}, which the database cannot convert; "
                "empty the column first, or add a new field and copy the values yourself"
            )
        if found.failing:
            examples = ", ".join(found.failing_examples)
            return "", (
                f"{table}.{column}: type {old} -> {new}, {found.failing:,} "
                f"value{'s do' if found.failing != 1 else ' does'} not convert ({examples}); "
                "change or clear them first, or keep the type"
            )
        if found.changed is None:
            values = self.count(table, column, " WHERE {column} IS NOT NULL")
            changed = f"{values:,} value{'s' if values != 1 else ''} may change"
        else:
            values = found.changed
            changed = f"{values:,} value{'s' if values != 1 else ''} would change"
        if not values:
            return "", ""
        return f"{table}.{column}: type {old} -> {new}, {changed} in the conversion", ""

    def duplicates(self, table: str, item: dict) -> str:
        """A unique constraint or index over plain columns: duplicate values
        make it fail, whatever the user accepts."""
        if not (item.get("unique", "definition" in item and "UNIQUE" in item["definition"])):
            return ""
        columns = _plain_columns(item)
        if not columns or item.get("predicate") or item.get("condition"):
            return ""
        existing = self.live.get(table, {}).get("columns", {})
        if not set(columns) <= set(existing):
            return ""  # a column the plan adds: the database checks it on apply
        sql_table = self.sql_names(table)[0]
        sql_columns = [self.sql_names(table, c)[1] for c in columns]
        not_null = " AND ".join(f"{c} IS NOT NULL" for c in sql_columns)
        group = ", ".join(sql_columns)
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*), COALESCE(SUM(n), 0) FROM (SELECT COUNT(*) AS n FROM "
                f"{sql_table} WHERE {not_null} GROUP BY {group} HAVING COUNT(*) > 1) dup"
            )
            values, rows = cursor.fetchone()
        if not values:
            return ""
        return (
            f"{table}.{'/'.join(columns)}: becomes unique, {values:,} duplicate "
            f"value{'s' if values != 1 else ''} ({rows_text(int(rows))}); "
            "remove the duplicates first"
        )

    def violated(self, table: str, item: dict) -> str:
        """A new CHECK constraint over rows that break it: the run would fail
        on it (MariaDB part-way), whatever the user accepts."""
        renamed = {t for t, _column in self.hints.column_renames} | set(self.hints.table_renames)
        if table in renamed:
            return ""  # the expression names the columns as they will be called
        expression = _check_expression(item["check"])
        sql_table = self.sql_names(table)[0]
        rows = self.count_if_it_runs(f"SELECT COUNT(*) FROM {sql_table} WHERE NOT ({expression})")
        if not rows:
            return ""
        return (
            f"{table}: new check {item['name']} ({expression}), {rows_text(rows)} "
            f"{'breaks' if rows == 1 else 'break'} it; change {'it' if rows == 1 else 'them'} first"
        )

    def count_if_it_runs(self, sql: str) -> int:
        """``sql``'s count, in a savepoint; 0 when it fails: then it names
        what the plan adds, and the database checks it on apply."""
        try:
            alias = self.connection.alias
            with transaction.atomic(using=alias), self.connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchone()[0]
        except DatabaseError:
            return 0

    def orphans(self, table: str, fk: dict) -> str:
        """A new foreign key over rows that point at no row of its target:
        the run would fail on it (MariaDB part-way; SQLite's check after a
        rebuild), whatever the user accepts."""
        columns, targets = fk.get("columns") or [], fk.get("ref_columns") or []
        if not columns or len(columns) != len(targets):
            return ""
        sql_table = self.sql_names(table)[0]
        own = [self.sql_names(table, column)[1] for column in columns]
        ref_table, _ = self.hints.old_name(fk["ref_table"])
        not_null = " AND ".join(f"t.{column} IS NOT NULL" for column in own)
        if stored_name(self.connection, ref_table) not in self.present_tables():
            where = not_null  # a table the plan creates: empty
        else:
            ref = self.qn(ref_table)
            match = " AND ".join(
                f"r.{self.qn(self.hints.old_name(fk['ref_table'], target)[1])} = t.{column}"
                for column, target in zip(own, targets, strict=True)
            )
            where = f"{not_null} AND NOT EXISTS (SELECT 1 FROM {ref} r WHERE {match})"
        rows = self.count_if_it_runs(f"SELECT COUNT(*) FROM {sql_table} t WHERE {where}")
        if not rows:
            return ""
        return (
            f"{table}.{'/'.join(columns)}: new foreign key to {fk['ref_table']}, "
            f"{rows_text(rows)} {'points' if rows == 1 else 'point'} at no row there; "
            "fix or clear them first"
        )

    def rebuilt(self, step: Step) -> None:
        losses, impossible = [], []
        live, desired = step.live, step.desired
        for column, have in live["columns"].items():
            want = desired["columns"].get(column)
            if want is None:
                losses.append(self.dropped(step.table, column))
            else:
                loss, blocked = self.altered(step.table, column, have, want)
                losses.append(loss)
                impossible.append(blocked)
        for column, want in desired["columns"].items():
            if column not in live["columns"]:
                impossible.append(self.added(step.table, column, want))
        have_uniques = {json.dumps(i.get("columns")) for i in live.get("uniques", [])}
        for item in desired.get("uniques", []):
            if json.dumps(item.get("columns")) not in have_uniques:
                impossible.append(self.duplicates(step.table, {**item, "unique": True}))
        dropped = [column for column in live["columns"] if column not in desired["columns"]]
        impossible.append(self.breaks_dependents(step.table, dropped))
        have_fks = {_content(fk) for fk in live.get("foreign_keys", [])}
        for fk in desired.get("foreign_keys", []):
            if _content(fk) not in have_fks:
                impossible.append(self.orphans(step.table, fk))
        if live["columns"] == desired["columns"]:  # only then are the rows as they will be
            have_checks = {item["check"] for item in live.get("checks", [])}
            for item in desired.get("checks", []):
                if item["check"] not in have_checks:
                    impossible.append(self.violated(step.table, item))
        step.loss = "; ".join(filter(None, losses))
        step.impossible = "; ".join(filter(None, impossible))

    def breaks_dependents(self, table: str, dropped: list[str]) -> str:
        """What a dropped column's triggers and views would make fail, where
        the server keeps them (``Backend.broken_by_dropping``)."""
        if not dropped:
            return ""
        live_table = self.hints.old_name(table, None)[0]
        return self.backend.broken_by_dropping(self.connection, live_table, table, dropped)

    def unique(self, table: str, column: str) -> bool:
        """Whether the models want ``column`` unique on its own."""
        record = self.desired.get(table, {})
        unique_indexes = [i for i in record.get("indexes", []) if i.get("unique")]
        return any(
            _plain_columns(item) == [column] and not item.get("predicate")
            for item in [*record.get("uniques", []), *unique_indexes]
        )

    def fills_one_value(self, table: str, column: str, wanted: dict, field) -> bool:
        """Whether adding ``column`` gives every existing row the same value."""
        if (table, column) in self.hints.defaults or wanted.get("default") is not None:
            return True
        if field is None:
            return False
        return effective_default(self.connection, field) is not None

    def label(self, table: str, column: str) -> str:
        field = self.fields.get((table, column))
        return f"{field.model._meta.label}.{field.name}" if field else f"{table}.{column}"


def _has_default(field: models.Field) -> bool:
    # Django's effective_default: an explicit default, or "" for blank strings.
    if field.has_default():
        return True
    return not field.null and field.blank and field.empty_strings_allowed


def _plain_columns(item: dict) -> list[str]:
    columns = item.get("keys") or item.get("columns") or []
    names = [c if isinstance(c, str) else c.get("column") for c in columns]
    return names if all(names) else []


def _content(item: dict) -> str:
    return json.dumps({key: value for key, value in item.items() if key != "name"}, sort_keys=True)


# Steps after which a table's rows may differ from what they are now.
_RESHAPING = {"add_column", "alter_column", "drop_column", "rename_column", "rename_table"}


def _check_expression(check: str) -> str:
    """A check's condition: PostgreSQL gives ``CHECK ((x > 0))`` (maybe with
    NOT VALID), MariaDB and SQLite the condition itself."""
    text = check.strip()
    if text.upper().startswith("CHECK"):
        text = text[len("CHECK") :].strip()
        text = re.sub(r"\s+NOT VALID$", "", text, flags=re.IGNORECASE)
    return text
