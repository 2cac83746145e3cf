"""The real-app corpus harness: one app of tests/realapps/settings.py taken
from its earliest migration to its latest, once by ``autoupdate`` and once by
``migrate``, each compared with a fresh ``migrate`` of everything.

    python -m tests.realapps.harness reference WORKDIR
    python -m tests.realapps.harness case LABEL WORKDIR [SLOT]

``DATABASE_URL`` names the backend and a base database name; the harness
works on databases of its own next to it (``<name>_ref``, and
``<name>_early_<SLOT>``, ``<name>_mig_<SLOT>``: cases in different slots
run side by side). ``reference`` builds ``_ref`` with ``migrate`` and stores
its snapshot in WORKDIR; ``case`` copies it, migrates LABEL back to its
earliest migration (the apps depending on it as far back as they must),
inserts rows through the historical models, copies that again, runs
``manage.py autoupdate --noinput --accept-data-loss`` on one copy and
``manage.py migrate`` on the other, and prints one JSON line of results.
Each result is compared with the reference on the tables the case is about
(``involved_tables``); differences elsewhere are reported, not judged.
"""

from __future__ import annotations

import datetime
import decimal
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[2]
SETTINGS = "tests.realapps.settings"
ROWS_PER_MODEL = 2


# --- databases next to DATABASE_URL ------------------------------------------


def url_for(suffix: str) -> str:
    """DATABASE_URL with its database name suffixed (SQLite: the file name)."""
    base = os.environ["DATABASE_URL"]
    head, _, name = base.rpartition("/")
    if name.endswith(".sqlite3"):
        return f"{head}/{name[: -len('.sqlite3')]}_{suffix}.sqlite3"
    return f"{head}/{name}_{suffix}"


def _parsed(url: str) -> dict[str, Any]:
    import dj_database_url

    return dj_database_url.parse(url)


def _server(url: str):
    """A raw autocommit connection to the server of ``url``, outside Django."""
    settings = _parsed(url)
    if settings["ENGINE"].endswith("postgresql"):
        import psycopg

        return psycopg.connect(
            dbname="postgres",
            user=settings["USER"],
            host=settings["HOST"],
            port=settings["PORT"] or 5432,
            autocommit=True,
        )
    import MySQLdb

    connection = MySQLdb.connect(
        user=settings["USER"],
        passwd=settings["PASSWORD"] or "",
        host=settings["HOST"],
        port=int(settings["PORT"] or 3306),
    )
    connection.autocommit(True)
    return connection


def blank(url: str) -> None:
    """An empty database at ``url``."""
    settings = _parsed(url)
    name = settings["NAME"]
    if settings["ENGINE"].endswith("sqlite3"):
        Path(name).unlink(missing_ok=True)
        return
    server = _server(url)
    with server.cursor() as cursor:
        if settings["ENGINE"].endswith("postgresql"):
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
        else:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cursor.execute(f"CREATE DATABASE `{name}`")
    server.close()


def copy(source_url: str, target_url: str) -> None:
    """``target_url`` becomes a copy of ``source_url`` (schema and rows)."""
    source, target = _parsed(source_url)["NAME"], _parsed(target_url)["NAME"]
    engine = _parsed(source_url)["ENGINE"]
    if engine.endswith("sqlite3"):
        shutil.copyfile(source, target)
        return
    if engine.endswith("postgresql"):
        server = _server(source_url)
        with server.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
        server.close()
        return
    _copy_mysql(source_url, source, target)


def _copy_mysql(url: str, source: str, target: str) -> None:
    # No CREATE DATABASE ... TEMPLATE: each table's own CREATE TABLE (foreign
    # keys, AUTO_INCREMENT and all), then its rows, with the checks off.
    blank(url.rpartition("/")[0] + "/" + target)
    server = _server(url)
    with server.cursor() as cursor:
        cursor.execute("SET SESSION FOREIGN_KEY_CHECKS = 0")
        cursor.execute(f"SHOW FULL TABLES FROM `{source}` WHERE Table_type = 'BASE TABLE'")
        tables = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"USE `{target}`")
        for table in tables:
            cursor.execute(f"SHOW CREATE TABLE `{source}`.`{table}`")
            cursor.execute(cursor.fetchone()[1])
            cursor.execute(f"INSERT INTO `{target}`.`{table}` SELECT * FROM `{source}`.`{table}`")
    server.close()


def manage(url: str, *args: str) -> subprocess.CompletedProcess:
    """``manage.py ARGS`` on the database at ``url``, as a user runs it."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=1800,
    )


def error_line(result: subprocess.CompletedProcess) -> str:
    lines = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line or "error" in line]
    return (errors or lines or [f"exit code {result.returncode}"])[-1].strip()[:300]


# --- Django, on the harness's own aliases -------------------------------------


def setup_django(url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()


def open_alias(alias: str, url: str):
    """A Django connection to ``url`` under ``alias``."""
    from django.db import connections

    configured = connections.configure_settings({"default": _parsed(url)})["default"]
    connections.settings[alias] = configured
    return connections[alias]


def snapshot(alias: str, url: str) -> dict:
    from automigrate_cmd import desired_cache
    from automigrate_cmd.snapshot import inspect_schema

    connection = open_alias(alias, url)
    try:
        schema = inspect_schema(connection)
    finally:
        connection.close()
    # automigrate_cmd's own bookkeeping tables are no part of the models.
    return {t: r for t, r in schema.items() if t != desired_cache.TABLE}


def row_counts(connection) -> dict[str, int]:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor, include_views=False)
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {qn(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


# --- the earliest state -------------------------------------------------------


def earliest(label: str) -> tuple[str, str]:
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    return loader.graph.root_nodes(label)[0]


def migrate_back(label: str, name: str) -> str:
    """Take ``label`` back to migration ``name`` (from the latest state);
    where a migration cannot be reversed, build forwards from nothing."""
    from django.core.management import call_command
    from django.db import connection

    try:
        call_command("migrate", label, name, verbosity=0, interactive=False)
        return "reversed from the latest state"
    except Exception as error:  # an irreversible migration: build forwards instead
        connection.close()
        blank(os.environ["DATABASE_URL"])
        build_forwards(label, name)
        return f"built forwards (reversing failed: {type(error).__name__})"


def build_forwards(label: str, name: str) -> None:
    """Every migration that needs no migration of ``label`` after ``name``."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    start = set(graph.forwards_plan((label, name)))
    banned = {node for node in graph.nodes if node[0] == label} - start
    full = executor.migration_plan(graph.leaf_nodes(), clean_start=True)
    plan = [
        (migration, False)
        for migration, _ in full
        if not banned & set(graph.forwards_plan((migration.app_label, migration.name)))
    ]
    executor.migrate(None, plan=plan)


# --- rows through the historical models ---------------------------------------


def historical_apps():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    loader = MigrationExecutor(connection).loader
    # Migrations replaced by a squashed one are applied but not in the graph.
    applied = [node for node in loader.applied_migrations if node in loader.graph.nodes]
    return loader.project_state(applied, at_end=True).apps


def insert_rows(apps, label: str) -> tuple[int, list[str]]:
    """ROWS_PER_MODEL rows in every table of ``label``; the rows they refer
    to in other tables are made the same way."""
    from django.db import transaction

    made: dict[Any, Any] = {}
    inserted, errors = 0, []
    if label not in apps.app_configs:
        return 0, []  # its earliest migration has no models yet (wagtailadmin)
    for model in apps.get_app_config(label).get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for index in range(ROWS_PER_MODEL):
            try:
                with transaction.atomic():
                    make_row(model, index, made)
                inserted += 1
            except Exception as error:  # recorded: the harness's values, not the tool
                errors.append(f"{model._meta.label}: {type(error).__name__}: {error}"[:200])
                break
    return inserted, errors


def make_row(model, index: int, made: dict[Any, Any]):
    values = {}
    for field in model._meta.concrete_fields:
        if field.auto_created or _has_default(field):
            continue
        if field.null and field.is_relation:
            continue
        values[field.attname] = field_value(field, index, made)
    row = model(**values)
    row.save(force_insert=True)
    made.setdefault(model, row)
    return row


def _has_default(field) -> bool:
    from django.db.models import NOT_PROVIDED

    return field.has_default() or getattr(field, "db_default", NOT_PROVIDED) is not NOT_PROVIDED


def field_value(field, index: int, made: dict[Any, Any]) -> Any:
    if field.is_relation:
        target = field.related_model
        one_to_one = field.one_to_one
        row = None if one_to_one else made.get(target)
        row = row or make_row(target, index + 100 * (len(made) + 1), made)
        return getattr(row, field.target_field.attname)
    if field.choices:
        return list(field.flatchoices)[0][0]
    return _plain_value(field.get_internal_type(), index, field)


def _plain_value(kind: str, index: int, field) -> Any:
    now = datetime.datetime.now(datetime.UTC)
    # Digits only: valid JSON and a valid integer too, for the fields a later
    # migration turns into JSONField or an integer type.
    text = f"{index + 1}{uuid.uuid4().int}"[: field.max_length or 40]
    values = {
        "EmailField": f"u{index}@example.org",
        "URLField": f"https://example.org/{index}",
        "GenericIPAddressField": "127.0.0.1",
        "IPAddressField": "127.0.0.1",
        "JSONField": {},
        "UUIDField": uuid.uuid4(),
        "BooleanField": True,
        "NullBooleanField": True,
        "DecimalField": decimal.Decimal(1),
        "FloatField": 1.5,
        "DateTimeField": now,
        "DateField": now.date(),
        "TimeField": now.time(),
        "DurationField": datetime.timedelta(seconds=index + 1),
        "BinaryField": b"x",
    }
    if kind in values:
        return values[kind]
    if "Integer" in kind:
        return index + 1
    return text


# --- the commands ---------------------------------------------------------------


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def reference(workdir: Path) -> None:
    url = url_for("ref")
    blank(url)
    started = time.monotonic()
    result = manage(url, "migrate", "--noinput", "-v", "0")
    if result.returncode:
        sys.exit(f"migrate of everything failed: {error_line(result)}")
    setup_django(url)
    (workdir / "reference.json").write_text(json.dumps(snapshot("ref", url)))
    print(json.dumps({"seconds": round(time.monotonic() - started, 1)}))


def case(label: str, workdir: Path, slot: str = "main") -> dict[str, Any]:
    started = time.monotonic()
    early, by_migrate = url_for(f"early_{slot}"), url_for(f"mig_{slot}")
    with _locked(workdir / "reference.copy.lock"):  # one template copy at a time
        copy(url_for("ref"), early)
    setup_django(early)
    from django.db import connection, connections

    app_label, name = earliest(label)
    build = migrate_back(app_label, name)
    inserted, insert_errors = insert_rows(historical_apps(), label)
    before = row_counts(connection)
    connections.close_all()
    copy(early, by_migrate)
    expected = json.loads((workdir / "reference.json").read_text())
    involved = involved_tables(expected, snapshot("early", early))
    outcome = {
        "label": label,
        "earliest": name,
        "build": build,
        "rows_inserted": inserted,
        "insert_errors": insert_errors,
        "autoupdate": run_updater(
            "autoupdate",
            early,
            ("autoupdate", "--noinput", "--accept-data-loss"),
            expected,
            before,
            involved,
        ),
        "migrate": run_updater(
            "migrate", by_migrate, ("migrate", "--noinput"), expected, before, involved
        ),
    }
    outcome["seconds"] = round(time.monotonic() - started, 1)
    return outcome


def involved_tables(expected: dict, early: dict) -> set[str]:
    """The tables the case took back (missing, or not as the reference has
    them), and any the reference does not have: what the case is about.
    Elsewhere a bare autoupdate may correct what migrate's history left
    different from a fresh build of the same models (MariaDB: a column's
    CHECK that a later AlterField's MODIFY dropped): counted apart."""
    from automigrate_cmd.snapshot import diff_schemas

    changed = {
        table
        for table in expected
        if table not in early
        or diff_schemas({table: expected[table]}, {table: early[table]}, ignore_names=True)
    }
    return changed | (set(early) - set(expected))


def run_updater(
    alias: str,
    url: str,
    command: tuple[str, ...],
    expected: dict,
    before: dict[str, int],
    involved: set[str],
) -> dict[str, Any]:
    from automigrate_cmd.snapshot import diff_schemas

    started = time.monotonic()
    result = manage(url, *command)
    seconds = round(time.monotonic() - started, 1)
    schema = snapshot(alias, url)
    involved = involved | (set(schema) - set(expected))  # tables left or made by the updater

    def part(tables: dict, inside: bool) -> dict:
        return {t: r for t, r in tables.items() if (t in involved) == inside}

    differences = diff_schemas(
        part(expected, True), part(schema, True), ignore_names=True, labels=("migrate", alias)
    )
    elsewhere = diff_schemas(part(expected, False), part(schema, False), ignore_names=True)
    connection = open_alias(alias, url)
    after = row_counts(connection)
    connection.close()
    # A table the latest models no longer have goes with its rows, by design.
    lost = {
        table: f"{count} -> {after.get(table, 'gone')}"
        for table, count in before.items()
        if table in expected and after.get(table, 0) < count
    }
    return {
        "exit_code": result.returncode,
        "error": error_line(result) if result.returncode else "",
        "reached": result.returncode == 0 and not differences,
        "differences": len(differences),
        "first_difference": differences[0] if differences else "",
        "differences_elsewhere": elsewhere[:3],
        "rows_before": sum(count for table, count in before.items() if table in expected),
        "rows_lost": lost,
        # The tables the printed plan said it would lose rows of.
        "announced_losses": sorted(t for t in lost if f"data loss: {t}:" in result.stdout),
        "seconds": seconds,
    }


def main(argv: list[str]) -> None:
    command, *rest = argv
    if command == "reference":
        reference(Path(rest[0]))
    elif command == "case":
        print(json.dumps(case(rest[0], Path(rest[1]), *rest[2:])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    sys.path.insert(0, str(PROJECT))
    main(sys.argv[1:])
