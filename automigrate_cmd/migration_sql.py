"""Objects an app's migration files make with SQL, which the models cannot say.

The tables come from the models; what a third-party app's migrations make
with ``RunSQL`` is not in them: wagtailsearch's FULLTEXT indexes on MariaDB
(``ALTER TABLE ... ADD FULLTEXT INDEX``), its FTS5 virtual table and the
triggers that feed it on SQLite (a ``SeparateDatabaseAndState`` whose state
creates the model and whose database operations are ``RunSQL``). When a run
creates an app's tables, those statements are run on them, in the order of
the app's migration history, as a fresh ``migrate`` runs them.

Only statements that make or remove schema objects on tables the run has
just created are run: ``CREATE VIRTUAL TABLE``, ``CREATE TRIGGER``, ``CREATE
INDEX``, ``ALTER TABLE ... ADD|DROP INDEX``, ``DROP INDEX|TRIGGER`` (of an
object an earlier statement here made) and ``CREATE EXTENSION``. Data
statements (``INSERT``, ``UPDATE``), type changes and SQL a ``RunPython``
runs are not: the models are the truth for the tables, and data migrations
are ``migrate``'s. A statement that no longer fits the models (a later
migration removed its column) is skipped and named.
"""

from __future__ import annotations

import contextlib
import importlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import DatabaseError, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations import operations
from django.db.migrations.loader import MigrationLoader

from .backends import backend_or_generic
from .history import migration_loader
from .migration_renames import HistoryNames

# A name as SQL spells it: bare, "quoted", `quoted` or [quoted], maybe schema-qualified.
_NAME = r"""(?:[\w$]+|"[^"]+"|`[^`]+`|\[[^\]]+\])"""
_QUALIFIED = rf"(?:{_NAME}\s*\.\s*)?(?P<{{group}}>{_NAME})"


def _pattern(text: str) -> re.Pattern:
    text = text.replace("TABLE_NAME", _QUALIFIED.format(group="table"))
    text = text.replace("OBJECT_NAME", _QUALIFIED.format(group="object"))
    return re.compile(r"\s*" + text.replace(" ", r"\s+"), re.IGNORECASE | re.DOTALL)


# (kind, pattern): "create" statements make the object they name on the
# table they name; "drop" ones remove an object a "create" made.
_STATEMENTS = [
    ("virtual_table", _pattern(r"CREATE VIRTUAL TABLE (?:IF NOT EXISTS )?TABLE_NAME \s*USING\b")),
    (
        "create",
        _pattern(
            r"CREATE (?:TEMP(?:ORARY)? )?TRIGGER (?:IF NOT EXISTS )?OBJECT_NAME "
            r"\b.*?\bON TABLE_NAME"
        ),
    ),
    (
        "create",
        _pattern(
            r"CREATE (?:UNIQUE |FULLTEXT |SPATIAL )?INDEX (?:CONCURRENTLY )?(?:IF NOT EXISTS )?"
            r"OBJECT_NAME \s*ON (?:ONLY )?TABLE_NAME"
        ),
    ),
    (
        "create",
        _pattern(
            r"ALTER TABLE TABLE_NAME ADD (?:UNIQUE |FULLTEXT |SPATIAL )?(?:INDEX|KEY) OBJECT_NAME"
        ),
    ),
    ("drop", _pattern(r"ALTER TABLE TABLE_NAME DROP (?:INDEX|KEY) OBJECT_NAME\s*;?\s*$")),
    ("drop", _pattern(r"DROP (?:INDEX|TRIGGER) (?:CONCURRENTLY )?(?:IF EXISTS )?OBJECT_NAME")),
    ("extension", _pattern(r"CREATE EXTENSION (?:IF NOT EXISTS )?OBJECT_NAME")),
]


@dataclass(frozen=True)
class ObjectStatement:
    """One statement of an app's migration history that makes or removes a
    schema object."""

    migration: str  # "wagtailsearch.0006_customise_indexentry"
    sql: str
    kind: str  # "virtual_table", "create", "drop", "extension"
    table: str = ""  # the table it is on ("" for a drop by name, an extension)
    name: str = ""  # the object it makes or removes (the table, for a virtual table)


def object_statements(
    connection: BaseDatabaseWrapper, app_labels: Iterable[str]
) -> list[ObjectStatement]:
    """The object statements of the migration files of ``app_labels``, in the
    order a fresh ``migrate`` runs them (squashed migrations in place of the
    ones they replace, as on an empty database)."""
    loader = migration_loader(None)
    found: list[ObjectStatement] = []
    keys = _forwards_plan(loader, set(app_labels))
    for _key, statement in _history_statements(connection, loader, keys, found):
        found.append(statement)
    return found


def _history_statements(
    connection: BaseDatabaseWrapper,
    loader: MigrationLoader,
    keys: list[tuple[str, str]],
    chosen: list[ObjectStatement],
) -> Iterator[tuple[tuple[str, str], ObjectStatement]]:
    """Each object statement of the migrations ``keys``, in order, with its
    migration. The statements the caller puts in ``chosen`` (as they come)
    are rewritten there when a later operation renames their table or
    column: they end up spelled as the last migration names them."""
    names = HistoryNames(connection)
    for key in keys:
        for operation in loader.graph.nodes[key].operations:
            for database_operation in _database_operations([operation]):
                for sql in _statements(connection, database_operation):
                    statement = _classify(f"{key[0]}.{key[1]}", sql)
                    if statement is not None:
                        yield key, statement
            names.follow(key[0], operation, chosen)


def tables_made_by_sql(statements: Iterable[ObjectStatement]) -> set[str]:
    """Tables the history makes with SQL (a virtual table): not built from the model."""
    return {s.table for s in statements if s.kind == "virtual_table"}


def statements_for(statements: list[ObjectStatement], created: set[str]) -> list[ObjectStatement]:
    """The statements to run after a run created the tables ``created``:
    those on them, and the drops of what an earlier one of those made."""
    made: set[str] = set()
    chosen = []
    for statement in statements:
        if statement.kind == "extension":
            chosen.append(statement)
        elif statement.kind == "drop":
            if statement.name in made:
                chosen.append(statement)
                made.discard(statement.name)
        elif statement.table in created:
            chosen.append(statement)
            made.add(statement.name)
    # An extension only for the objects that may need it (a trigram index).
    return chosen if any(s.kind != "extension" for s in chosen) else []


def _index_names(snapshot: dict) -> set[str]:
    return {
        item["name"]
        for record in snapshot.values()
        for kind in ("indexes", "uniques")
        for item in record.get(kind) or []
        if item.get("name")
    }


def _trigger_names(connection: BaseDatabaseWrapper) -> set[str]:
    sql = backend_or_generic(connection).trigger_names_sql
    if not sql:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {name for (name,) in cursor.fetchall()}


def _forwards_plan(loader: MigrationLoader, apps: set[str]) -> list[tuple[str, str]]:
    plan: list[tuple[str, str]] = []
    for leaf in sorted(key for key in loader.graph.leaf_nodes() if key[0] in apps):
        for key in loader.graph.forwards_plan(leaf):
            if key[0] in apps and key not in plan:
                plan.append(key)
    return plan


def _database_operations(ops: Iterable) -> Iterator[operations.RunSQL]:
    for operation in ops:
        if isinstance(operation, operations.SeparateDatabaseAndState):
            yield from _database_operations(operation.database_operations)
        elif isinstance(operation, operations.RunSQL):
            yield operation


def _statements(connection: BaseDatabaseWrapper, operation: operations.RunSQL) -> list[str]:
    sql = operation.sql
    if sql == operations.RunSQL.noop:
        return []
    items = [sql] if isinstance(sql, str) else list(sql)
    statements: list[str] = []
    for item in items:
        if isinstance(item, list | tuple):
            continue  # a statement with parameters: data, not an object
        statements.extend(connection.ops.prepare_sql_script(item))
    return statements


def runs_more_than_objects(connection: BaseDatabaseWrapper, operation: operations.RunSQL) -> bool:
    """Whether ``operation`` runs SQL autoupdate does not (data, a type
    change...): not all of it makes or removes schema objects."""
    sql = operation.sql
    items = [sql] if isinstance(sql, str) else list(sql)
    if any(isinstance(item, list | tuple) for item in items):
        return True  # a statement with parameters: data
    return any(_classify("", statement) is None for statement in _statements(connection, operation))


def _classify(migration: str, sql: str) -> ObjectStatement | None:
    for kind, pattern in _STATEMENTS:
        match = pattern.match(sql)
        if match is None:
            continue
        groups = match.groupdict()
        table, name = _unquoted(groups.get("table")), _unquoted(groups.get("object"))
        if kind == "virtual_table":
            name = table
        return ObjectStatement(migration, sql.strip().rstrip(";"), kind, table, name)
    return None


def _unquoted(name: str | None) -> str:
    if not name:
        return ""
    return name[1:-1] if name[0] in '"`[' else name


def with_migration_sql(
    steps: list, connection: BaseDatabaseWrapper, chosen, history=None, live=None
) -> list:
    """autoupdate: the plan, with what the apps' migrations make with SQL run
    after it (one step): on the tables it creates, what a fresh ``migrate``
    makes on them; on the tables there (``live``) of an app whose records are
    behind its files (``history``), what its unapplied migrations make. A
    table the history makes with SQL is made by it instead of from the model."""
    from .sync.diff import Step  # diff -> scratch -> backends: loaded once the package is

    created = {step.table for step in steps if step.kind == "create_table"}
    models = [m for m in chosen if m._meta.db_table in created]
    statements = for_created_tables(connection, models, created) if created else []
    if history is not None and live:
        existing = {table: record for table, record in live.items() if table not in created}
        statements += for_unapplied_migrations(connection, history.behind, existing)
    if not statements:
        return steps
    by_sql = tables_made_by_sql(statements)
    steps = [s for s in steps if not (s.kind == "create_table" and s.table in by_sql)]
    migrations = ", ".join(sorted({s.migration for s in statements}))
    tables = sorted({s.table for s in statements if s.table})
    detail = f"{len(statements)} statement(s) of {migrations}"
    extra = {"statements": statements, "skipped": []}
    return [*steps, Step("run_migration_sql", ", ".join(tables), detail=detail, extra=extra)]


def for_unapplied_migrations(
    connection: BaseDatabaseWrapper,
    apps_behind: set[str],
    existing: dict,
) -> list[ObjectStatement]:
    """What the unapplied migrations of ``apps_behind`` make with SQL on the
    tables ``existing`` (table -> snapshot record, in the names the plan
    gives them), as ``migrate`` would run it there: an index the table
    already has (by name) is not made again, and a drop is of an index it has
    or one made here."""
    apps = {app for app in apps_behind if _mentions_run_sql(app)}
    if not apps:
        return []
    loader = migration_loader(connection)
    applied = set(loader.applied_migrations or {})
    there = _index_names(existing) | _trigger_names(connection)
    chosen: list[ObjectStatement] = []
    keys = _forwards_plan(loader, apps)
    for key, statement in _history_statements(connection, loader, keys, chosen):
        if key in applied:
            continue
        if statement.kind == "extension":
            chosen.append(statement)
        elif statement.kind == "drop" and statement.name in there:
            there.discard(statement.name)
            chosen.append(statement)
        elif statement.kind == "create" and statement.name not in there:
            there.add(statement.name)
            chosen.append(statement)
    # Spelled now with the names the whole history gives them: on a table
    # there after the plan (one the plan creates gets them from
    # for_created_tables), the drops with what they drop.
    tables = set(existing)
    made_elsewhere = {s.name for s in chosen if s.kind == "create" and s.table not in tables}
    chosen = [
        s
        for s in chosen
        if (s.kind == "create" and s.table in tables)
        or (s.kind == "drop" and s.name not in made_elsewhere)
        or s.kind == "extension"
    ]
    # An extension only for the objects that may need it (a trigram index).
    return chosen if any(s.kind != "extension" for s in chosen) else []


def run_in_editor(editor, statements: list[ObjectStatement]) -> list[str]:
    """Run ``statements`` through a schema editor (a dry run collects them),
    each in a savepoint where DDL is transactional, so one that no longer
    fits leaves the others done. One line per statement skipped."""
    if editor.collect_sql:
        editor.collected_sql.extend(s.sql + ";" for s in statements)
        return []
    connection = editor.connection
    skipped: list[str] = []
    not_made: set[str] = set()  # what a skipped statement would have made
    for statement in statements:
        if statement.kind == "drop" and statement.name in not_made:
            continue  # nothing to drop: its making was skipped
        try:
            with _savepoint(connection), connection.cursor() as cursor:
                cursor.execute(statement.sql)
        except DatabaseError as error:
            message = str(error).strip()
            first = message.splitlines()[0] if message else type(error).__name__
            skipped.append(f"{statement.migration}: {_short(statement.sql)} ({first})")
            not_made.add(statement.name)
    return skipped


def _savepoint(connection: BaseDatabaseWrapper):
    if connection.in_atomic_block and connection.features.can_rollback_ddl:
        return transaction.atomic(using=connection.alias, savepoint=True)
    return contextlib.nullcontext()


def _short(sql: str) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= 80 else text[:77] + "..."


def for_created_tables(
    connection: BaseDatabaseWrapper, created_models: Iterable, created_tables: set[str]
) -> list[ObjectStatement]:
    """The object statements to run once ``created_tables`` (the tables of
    ``created_models``) exist; the migration files are loaded only when one
    of those apps' files mentions RunSQL."""
    apps = {model._meta.app_label for model in created_models}
    apps = {app for app in apps if _mentions_run_sql(app)}
    if not apps:
        return []
    return statements_for(object_statements(connection, apps), created_tables)


def _mentions_run_sql(app_label: str) -> bool:
    try:
        module_name, _explicit = MigrationLoader.migrations_module(app_label)
        module = importlib.import_module(module_name) if module_name else None
    except (LookupError, ImportError):
        return False
    for folder in getattr(module, "__path__", None) or []:
        for path in Path(folder).glob("*.py"):
            if b"RunSQL" in path.read_bytes():
                return True
    return False
