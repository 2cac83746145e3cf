"""The migration-history judge: a database left at an early migration of an
app, brought to the app's models by ``autoupdate``, against ``migrate``.

Hypothesis draws a short history of one app, ``livingapp`` (2-4 migration
files, written as text into a tmp dir, tests/settings_living.py), from the
operations real apps use: CreateModel, AddField (nullable, with a default,
NOT NULL with a one-off default, ``preserve_default=False``), RemoveField,
RenameField, RenameModel, AlterField (type and null changes, the NOT NULL
ones with a one-off default), DeleteModel then CreateModel of the same
model (knox's 0002), AddIndex, RunSQL that makes an index (per backend, on
a column that exists then) and RunPython that fills a column. ``models.py``
is rendered from the same description (and ``makemigrations --check``
proves it is the history's last state). A split point k:

- **migrate**: ``migrate livingapp 000k``, two rows in each table (through
  the historical models), ``migrate livingapp``; the schema and the rows;
- **autoupdate**: the livingapp tables gone, the same start and rows, then
  ``autoupdate livingapp --noinput --accept-data-loss --json``.

The judge: autoupdate applies and the schema equals migrate's
(``diff_schemas(..., ignore_names=True)``) and every value migrate kept is
kept, unless the plan announced its loss; or it refuses (exit 1, a one-line
message on stderr) without changing anything, and the refusal is justified:
the unapplied history has code autoupdate does not run (RunPython, RunSQL),
which the message names. A failing ``migrate`` leaves nothing to judge by.

Each example runs in one subprocess (``python -m tests.test_history_evolution
DIR``, both paths, in-process ``manage.py`` commands): the app registry
holds the final models, the migrations come from the files. Examples:
``HISTORY_EXAMPLES`` (12: the file takes about 2-3 minutes per backend on
the shared 2-core machine; 3 with ``EVOLUTION_SCALE=0.2``, CI's second
Django leg), derandomized where ``CI`` is set; failures are
collected by kind, ``HISTORY_RAISE=1`` raises at the first (hypothesis then
shrinks, slowly: a subprocess per example).

What the generation leaves out, and why, is in ``GAPS`` (open bugs, each with
its xfail regression test) and in the comments of ``one_operation``: no
foreign keys or many-to-many fields, no db_table/db_column, no constraints
(test_evolution.py draws those; here the question is the history); one app;
operations on a SQLite table with a RunSQL index that make Django remake it
(migrate loses the index: its quirk). The fixed bugs keep their regression
tests at the end of the file.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

APP = "livingapp"
PROJECT = Path(__file__).resolve().parent.parent
IN_CI = bool(os.environ.get("CI"))
# tests.conftest.scaled(12, least=3), spelled out: the example's subprocess
# imports this module before Django is set up.
EXAMPLES = int(
    os.environ.get("HISTORY_EXAMPLES")
    or max(3, round(12 * float(os.environ.get("EVOLUTION_SCALE", "1"))))
)
RAISE_AT_FIRST = bool(os.environ.get("HISTORY_RAISE"))

MODEL_NAMES = ("Note", "Memo", "Card", "Page")
FIELD_NAMES = ("title", "body", "size", "rank", "code", "tag")
KINDS = ("int", "big", "char20", "char40", "text")
# Type changes whose values convert on every backend (the rows hold "c1", 11, ...).
RETYPES = {
    "int": ("big", "char20"),
    "big": ("int",),
    "char20": ("char40", "text"),
    "char40": ("char20", "text"),
    "text": ("char40",),
}
FIELD_CODE = {
    "int": "models.IntegerField({})",
    "big": "models.BigIntegerField({})",
    "char20": "models.CharField(max_length=20{})",
    "char40": "models.CharField(max_length=40{})",
    "text": "models.TextField({})",
}
FILLED = {"int": 99, "big": 99, "char20": "filled", "char40": "filled", "text": "filled"}


# What the generation leaves out because autoupdate gets it wrong today: each
# entry is the bug and its regression test (xfail(strict=True), at the end).
GAPS: dict[str, str] = {}


# --- the description -----------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    uid: str  # stays with the field through renames
    name: str
    kind: str
    null: bool = False
    default: object = None  # a kept default (not the one-off ones)
    indexed: bool = False  # a Meta index or a RunSQL index is on it

    def code(self, one_off: object = None) -> str:
        options = []
        if self.null:
            options.append("null=True")
        default = one_off if one_off is not None else self.default
        if default is not None:
            options.append(f"default={default!r}")
        text = ", ".join(options)
        if self.kind.startswith("char") and text:
            text = ", " + text
        return FIELD_CODE[self.kind].format(text)


@dataclass(frozen=True)
class Model:
    uid: str
    name: str
    fields: tuple[Field, ...]
    indexes: tuple[tuple[str, str], ...] = ()  # (index name, field name): Meta.indexes
    born: int = 0  # the migration whose CreateModel made its table (a recreation keeps it)

    @property
    def table(self) -> str:
        return f"{APP}_{self.name.lower()}"

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass
class History:
    vendor: str
    migrations: list[list[str]] = field(default_factory=list)  # operation code per migration
    functions: list[list[str]] = field(default_factory=list)  # RunPython functions per migration
    kinds: list[list[str]] = field(default_factory=list)  # what each operation is, for the judge
    final: tuple[Model, ...] = ()
    split: int = 1  # migrate to 000<split> first
    # (migration number, model uid, field uid) of each RunPython fill
    fills: list[tuple[int, str, str]] = field(default_factory=list)
    # (migration number, model uid, field uid) of each RunSQL index
    sql_indexes: list[tuple[int, str, str]] = field(default_factory=list)
    counter: int = 0
    at_split: tuple[Model, ...] | None = None  # the models at the split (None: the final ones)

    def next(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    @property
    def names(self) -> list[str]:
        return [
            f"{n + 1:04d}_{'initial' if n == 0 else 'step'}" for n in range(len(self.migrations))
        ]

    def unapplied_kinds(self) -> set[str]:
        return {kind for ops in self.kinds[self.split :] for kind in ops}


def show(history: History) -> str:
    lines = [f"{history.vendor}, migrate to {history.names[history.split - 1]} first"]
    for name, ops in zip(history.names, history.migrations, strict=True):
        lines.append(f"  {name}: " + "; ".join(ops))
    lines.append("  final: " + "; ".join(model_line(m) for m in history.final))
    return "\n".join(lines)


def model_line(model: Model) -> str:
    fields = ", ".join(f"{f.name}={f.code()}" for f in model.fields)
    return f"{model.name}({fields}) indexes={list(model.indexes)}"


# --- rendering -------------------------------------------------------------------------

ID = (
    '("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, '
    'verbose_name="ID"))'
)


def create_model_code(model: Model) -> str:
    fields = ", ".join([ID, *(f"({f.name!r}, {f.code()})" for f in model.fields)])
    return f"migrations.CreateModel(name={model.name!r}, fields=[{fields}])"


def migration_text(history: History, number: int) -> str:
    parent = "[]" if number == 0 else f"[({APP!r}, {history.names[number - 1]!r})]"
    functions = "".join(f"\n\n{code}" for code in history.functions[number])
    operations = "".join(f"\n        {op}," for op in history.migrations[number])
    return (
        f"from django.db import migrations, models{functions}\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    dependencies = {parent}\n"
        f"    operations = [{operations}\n    ]\n"
    )


def models_text(final: tuple[Model, ...]) -> str:
    parts = ["from django.db import models\n"]
    for model in final:
        body = [f"    {f.name} = {f.code()}" for f in model.fields] or ["    pass"]
        if model.indexes:
            indexes = ", ".join(
                f"models.Index(fields=[{column!r}], name={name!r})"
                for name, column in model.indexes
            )
            body.append(f"\n    class Meta:\n        indexes = [{indexes}]")
        parts.append(f"\nclass {model.name}(models.Model):\n" + "\n".join(body) + "\n")
    return "\n".join(parts)


def write_app(history: History, folder: Path) -> None:
    package = folder / APP
    (package / "migrations").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "migrations" / "__init__.py").write_text("")
    (package / "models.py").write_text(models_text(history.final))
    for number, name in enumerate(history.names):
        (package / "migrations" / f"{name}.py").write_text(migration_text(history, number))


# --- the generator ---------------------------------------------------------------------


def index_sql(vendor: str, name: str, table: str, column: str) -> str:
    if vendor == "mysql":
        return f"ALTER TABLE {table} ADD INDEX {name} ({column})"
    return f"CREATE INDEX {name} ON {table} ({column})"


# Operations that make Django's SQLite schema editor remake the table, which
# loses the indexes RunSQL made (migrate's quirk, not autoupdate's concern):
# not drawn on such a table on SQLite.
SQLITE_REMAKES = {
    "alter_field",
    "alter_null",
    "add_field_default",
    "add_field_one_off",
    "remove_field",
}


def new_field(draw, history: History, model: Model, *, null=None) -> Field:
    taken = {f.name for f in model.fields}
    name = draw(st.sampled_from([n for n in FIELD_NAMES if n not in taken]))
    kind = draw(st.sampled_from(KINDS))
    null = draw(st.booleans()) if null is None else null
    return Field(history.next("f"), name, kind, null)


def new_model(draw, history: History, state: dict[str, Model], name: str | None = None) -> Model:
    taken = {m.name for m in state.values()}
    name = name or draw(st.sampled_from([n for n in MODEL_NAMES if n not in taken]))
    model = Model(history.next("m"), name, ())
    for _ in range(draw(st.integers(1, 3))):
        model = replace(model, fields=(*model.fields, new_field(draw, history, model)))
    return model


def one_operation(draw, history: History, state: dict[str, Model], number: int):
    """One operation on ``state`` (model uid -> Model): (kind, code, functions) or None."""
    vendor = history.vendor
    kind = draw(
        st.sampled_from(
            [
                "create_model",
                "add_field",
                "add_field_default",
                "add_field_one_off",
                "remove_field",
                "rename_field",
                "rename_model",
                "alter_field",
                "alter_null",
                "recreate_model",
                "add_index",
                "run_sql_index",
                "run_python",
                "fill_then_require",
            ]
        )
    )
    if kind == "create_model":
        if len(state) >= 2:
            return None
        model = replace(new_model(draw, history, state), born=number)
        state[model.uid] = model
        return kind, create_model_code(model), []
    if not state:
        return None
    model = state[draw(st.sampled_from(sorted(state)))]
    lower = model.name.lower()
    sql_indexed = {fuid for _n, muid, fuid in history.sql_indexes if muid == model.uid}
    if vendor == "sqlite" and sql_indexed and kind in SQLITE_REMAKES:
        return None
    if kind.startswith("add_field"):
        if len(model.fields) >= len(FIELD_NAMES):
            return None
        added = new_field(draw, history, model, null=(kind == "add_field") or None)
        extra = ""
        if kind == "add_field_default":
            added = replace(added, null=False, default=FILLED[added.kind])
        elif kind == "add_field_one_off":
            added, extra = replace(added, null=False), ", preserve_default=False"
        state[model.uid] = replace(model, fields=(*model.fields, added))
        one_off = FILLED[added.kind] if extra else None
        return (
            kind,
            f"migrations.AddField({lower!r}, {added.name!r}, {added.code(one_off)}{extra})",
            [],
        )
    if kind == "fill_then_require":
        return fill_then_require(draw, history, model, state, number)
    if kind in ("remove_field", "rename_field", "alter_field", "alter_null", "run_python"):
        if not model.fields:
            return None
        target = draw(st.sampled_from(model.fields))
        # A field with a Meta index: Django's state keeps the index on the old
        # name (makemigrations removes the index first); not drawn.
        meta_indexed = any(column == target.name for _n, column in model.indexes)
        if kind == "remove_field":
            if meta_indexed:
                return None
            fields = tuple(f for f in model.fields if f.uid != target.uid)
            state[model.uid] = replace(model, fields=fields)
            return kind, f"migrations.RemoveField({lower!r}, {target.name!r})", []
        if kind == "rename_field":
            taken = {f.name for f in model.fields}
            if meta_indexed or len(taken) >= len(FIELD_NAMES):
                return None  # (every name taken: nothing to rename it to)
            name = draw(st.sampled_from([n for n in FIELD_NAMES if n not in taken]))
            fields = tuple(
                replace(f, name=name) if f.uid == target.uid else f for f in model.fields
            )
            state[model.uid] = replace(model, fields=fields)
            return kind, f"migrations.RenameField({lower!r}, {target.name!r}, {name!r})", []
        if kind == "run_python":
            function = history.next("fill_")
            code = (
                f"def {function}(apps, schema_editor):\n"
                f"    apps.get_model({APP!r}, {model.name!r}).objects.update("
                f"{target.name}={FILLED[target.kind]!r})"
            )
            history.fills.append((number, model.uid, target.uid))
            return kind, f"migrations.RunPython({function}, migrations.RunPython.noop)", [code]
        if kind == "alter_field":
            choices = [k for k in RETYPES[target.kind] if not (target.indexed and k == "text")]
            if not choices:
                return None
            changed = replace(target, kind=draw(st.sampled_from(choices)), default=None)
        else:
            changed = replace(target, null=not target.null, default=None)
        extra, one_off = "", None
        if target.null and not changed.null:
            extra, one_off = ", preserve_default=False", FILLED[changed.kind]
        fields = tuple(changed if f.uid == target.uid else f for f in model.fields)
        state[model.uid] = replace(model, fields=fields)
        code = f"migrations.AlterField({lower!r}, {target.name!r}, {changed.code(one_off)}{extra})"
        return kind, code, []
    if kind == "rename_model":
        taken = {m.name for m in state.values()}
        if len(taken) >= len(MODEL_NAMES):
            return None
        name = draw(st.sampled_from([n for n in MODEL_NAMES if n not in taken]))
        state[model.uid] = replace(model, name=name)
        return kind, f"migrations.RenameModel({model.name!r}, {name!r})", []
    if kind == "recreate_model":
        if sql_indexed:  # the table goes with its index: the history's bookkeeping is simpler
            return None
        again = new_model(draw, history, {}, model.name)
        state[model.uid] = replace(again, uid=model.uid, born=model.born)
        codes = f"migrations.DeleteModel({model.name!r}), {create_model_code(again)}"
        return kind, codes, []
    # an index, Meta's or RunSQL's, on a column that is not text (MariaDB)
    candidates = [f for f in model.fields if f.kind != "text" and not f.indexed]
    if not candidates:
        return None
    target = draw(st.sampled_from(candidates))
    name = history.next("hx_idx_")
    fields = tuple(replace(f, indexed=True) if f.uid == target.uid else f for f in model.fields)
    if kind == "add_index":
        state[model.uid] = replace(
            model, fields=fields, indexes=(*model.indexes, (name, target.name))
        )
        index = f"models.Index(fields=[{target.name!r}], name={name!r})"
        return kind, f"migrations.AddIndex({lower!r}, {index})", []
    state[model.uid] = replace(model, fields=fields)
    history.sql_indexes.append((number, model.uid, target.uid))
    sql = index_sql(vendor, name, model.table, target.name)
    return kind, f"migrations.RunSQL({sql!r}, migrations.RunSQL.noop)", []


def fill_then_require(draw, history: History, model: Model, state, number: int):
    """wagtailembeds' 0007: a RunPython fills a nullable column, then an
    AlterField makes it NOT NULL with no default ("handled manually", as
    makemigrations offers): migrate needs the code; autoupdate, which does not
    run it, must refuse where rows hold NULLs and name it."""
    nullable = [f for f in model.fields if f.null]
    if not nullable or (history.vendor == "sqlite" and model_has_sql_index(history, model)):
        return None
    target = draw(st.sampled_from(nullable))
    function = history.next("fill_")
    code = (
        f"def {function}(apps, schema_editor):\n"
        f"    apps.get_model({APP!r}, {model.name!r}).objects.filter({target.name}=None).update("
        f"{target.name}={FILLED[target.kind]!r})"
    )
    history.fills.append((number, model.uid, target.uid))
    changed = replace(target, null=False)
    state[model.uid] = replace(
        model, fields=tuple(changed if f.uid == target.uid else f for f in model.fields)
    )
    lower = model.name.lower()
    ops = (
        f"migrations.RunPython({function}, migrations.RunPython.noop), "
        f"migrations.AlterField({lower!r}, {target.name!r}, {changed.code()})"
    )
    return "fill_then_require", ops, [code]


def model_has_sql_index(history: History, model: Model) -> bool:
    return any(muid == model.uid for _n, muid, _f in history.sql_indexes)


@st.composite
def histories(draw, vendor: str) -> History:
    count = draw(st.integers(2, 4))
    history = History(vendor, split=draw(st.integers(1, count - 1)))
    state: dict[str, Model] = {}
    first = new_model(draw, history, state)
    state[first.uid] = first
    history.migrations.append([create_model_code(first)])
    history.functions.append([])
    history.kinds.append(["create_model"])
    for number in range(1, count):
        if number == history.split:
            history.at_split = tuple(state.values())
        ops, functions, kinds = [], [], []
        wanted = draw(st.integers(1, 3))
        for _ in range(3 * wanted):  # an operation that does not fit the state is drawn again
            drawn = one_operation(draw, history, state, number)
            if drawn is not None:
                kind, code, funcs = drawn
                ops.append(code)
                functions.extend(funcs)
                kinds.append(kind)
            if len(ops) == wanted:
                break
        if not ops:
            ops, kinds = ["migrations.RunSQL(migrations.RunSQL.noop)"], ["noop"]
        history.migrations.append(ops)
        history.functions.append(functions)
        history.kinds.append(kinds)
    history.final = tuple(state.values())
    return history


# --- the child: both paths in one process ------------------------------------------------


def child_main(folder: str, split: str) -> None:
    """Run in a subprocess with settings_living: print what the two paths did (JSON)."""
    import django

    django.setup()
    from django.core.management import call_command, execute_from_command_line
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    from automigrate_cmd import desired_cache
    from automigrate_cmd.snapshot import inspect_schema

    def tables() -> list[str]:
        names = connection.introspection.table_names()
        return sorted(t for t in names if t.startswith(f"{APP}_"))

    def forget() -> None:
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table in tables():
                cursor.execute(f"DROP TABLE {qn(table)}")
            cursor.execute("DELETE FROM django_migrations WHERE app = %s", [APP])
            if desired_cache.TABLE in connection.introspection.table_names(cursor):
                cursor.execute(
                    f"DELETE FROM {qn(desired_cache.TABLE)} WHERE model LIKE %s", [f"{APP}.%%"]
                )

    def values() -> dict:
        qn = connection.ops.quote_name
        found = {}
        with connection.cursor() as cursor:
            for table in tables():
                cursor.execute(f"SELECT * FROM {qn(table)}")
                columns = [c[0] for c in cursor.description]
                rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
                found[table] = json.loads(json.dumps(rows, default=str))
        return found

    def start() -> None:
        forget()
        call_command("migrate", APP, split, verbosity=0)
        loader = MigrationLoader(connection)
        key = next(k for k in loader.graph.nodes if k[0] == APP and k[1].startswith(split))
        apps = loader.project_state(key).apps
        for model in apps.get_models():
            if model._meta.app_label != APP:
                continue
            for position in (1, 2):
                row = {}
                for model_field in model._meta.local_concrete_fields:
                    if model_field.primary_key:
                        continue
                    if model_field.null and position == 2:
                        row[model_field.attname] = None
                    elif model_field.get_internal_type() in ("IntegerField", "BigIntegerField"):
                        row[model_field.attname] = 10 + position
                    else:
                        row[model_field.attname] = f"c{position}"
                model.objects.create(pk=position, **row)

    out: dict = {}
    try:
        # The description is the history's last state (the generator's own check).
        buffer = io.StringIO()
        try:
            call_command("makemigrations", APP, check=True, dry_run=True, stdout=buffer)
            out["models_match"] = True
        except SystemExit:
            out["models_match"] = False
            out["makemigrations"] = buffer.getvalue()
        # -- migrate
        start()
        out["at_split"] = values()
        try:
            call_command("migrate", APP, verbosity=0)
            out["migrate_error"] = None
        except Exception as error:  # noqa: BLE001 - the driver's business
            out["migrate_error"] = f"{type(error).__name__}: {error}"
        out["migrate_schema"] = inspect_schema(connection, tables())
        out["migrate_values"] = values()
        # -- autoupdate
        start()
        out["before_schema"] = inspect_schema(connection, tables())
        out["before_values"] = values()
        stdout, stderr = io.StringIO(), io.StringIO()
        code = 0
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                execute_from_command_line(
                    ["manage.py", "autoupdate", APP, "--noinput", "--accept-data-loss", "--json"]
                )
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
            except Exception as error:  # noqa: BLE001 - a crash, judged
                trace = traceback.format_exc(limit=-4)
                code, stderr = -1, io.StringIO(f"{type(error).__name__}: {error}\n{trace}")
        out["code"], out["stdout"], out["stderr"] = code, stdout.getvalue(), stderr.getvalue()
        out["autoupdate_schema"] = inspect_schema(connection, tables())
        out["autoupdate_values"] = values()
    finally:
        forget()
    print("HISTORY-RESULT " + json.dumps(out, default=str))


def run_child(history: History) -> dict:
    from .conftest import database_url

    with tempfile.TemporaryDirectory(prefix="hx-") as folder:
        write_app(history, Path(folder))
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings_living",
            "DATABASE_URL": database_url(),
            "LIVING_APP_DIR": folder,
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        result = subprocess.run(
            [sys.executable, "-m", "tests.test_history_evolution", folder, f"{history.split:04d}"],
            cwd=PROJECT,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
        )
    line = next((x for x in result.stdout.splitlines() if x.startswith("HISTORY-RESULT ")), None)
    if line is None:
        raise Failure("child crashed", (result.stdout + result.stderr)[-3000:])
    return json.loads(line[len("HISTORY-RESULT ") :])


# --- the judge ---------------------------------------------------------------------------


class Failure(AssertionError):
    def __init__(self, kind: str, detail: str):
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


def tell(text: str) -> None:
    if currently_in_test_context():
        note(text)
    else:
        print(text)


def final_columns(history: History, fills) -> set[tuple[str, str]]:
    """(table, column) of the final models for the (number, model uid, field uid) given."""
    found = set()
    for _number, muid, fuid in fills:
        for model in history.final:
            if model.uid == muid:
                for spec in model.fields:
                    if spec.uid == fuid:
                        found.add((model.table, spec.name))
    return found


def kept_columns(history: History) -> tuple[set[tuple[str, str]], dict[str, str]]:
    """The final (table, column) pairs whose field was there at the split (its
    values are the rows' values, kept by migrate), and each final table's name
    at the split."""
    if history.at_split is None:
        return {(m.table, f.name) for m in history.final for f in m.fields}, {
            m.table: m.table for m in history.final
        }
    before = {m.uid: m for m in history.at_split}
    kept, earlier = set(), {}
    for model in history.final:
        old = before.get(model.uid)
        if old is None:
            continue
        earlier[model.table] = old.table
        uids = {f.uid for f in old.fields}
        kept |= {(model.table, f.name) for f in model.fields if f.uid in uids}
    return kept, earlier


def announced(losses: list[str]) -> tuple[set[tuple[str, str]], set[str]]:
    """The (table, column) pairs and the tables the plan said would lose values."""
    columns = {tuple(m) for loss in losses for m in re.findall(r"([\w$]+)\.([\w$]+): ", loss)}
    tables = {m for loss in losses for m in re.findall(r"(?:^|; )([\w$]+): \d+ rows?", loss)}
    return columns, tables


def _same_kept(value, before) -> bool:
    """``value`` is ``before``, kept through a change of type."""
    if value is None or before is None:
        return value is before
    return value == before or str(value) == str(before)


def judge(history: History) -> str:
    from automigrate_cmd.snapshot import diff_schemas

    tell(show(history))
    out = run_child(history)
    if not out["models_match"]:
        raise Failure("generator: models.py is not the history's end", out["makemigrations"])
    if out["migrate_error"]:
        tell(f"migrate failed: {out['migrate_error']}")
        return "migrate fails"
    tell(f"autoupdate exit {out['code']}: {out['stdout'][-2000:]} {out['stderr']}")
    unapplied = history.unapplied_kinds()
    code_unapplied = bool(unapplied & {"run_python", "run_sql_index", "fill_then_require"})
    if out["code"] == 1:
        message = out["stderr"].strip()
        if diff_schemas(out["before_schema"], out["autoupdate_schema"]) or (
            out["before_values"] != out["autoupdate_values"]
        ):
            raise Failure("refused after changing the database", message)
        if len(message.splitlines()) != 1:
            raise Failure("refusal not one line", message)
        if code_unapplied and f"run python manage.py migrate {APP} first" in message:
            return "refused, naming the unapplied code"
        raise Failure("refused without a reason the history gives", message)
    if out["code"] != 0:
        raise Failure(f"exit {out['code']}", out["stderr"][-2000:])
    plan = json.loads(out["stdout"])
    losses = [step["data_loss"] for step in plan["steps"] if step["data_loss"]]
    differences = diff_schemas(
        out["migrate_schema"],
        out["autoupdate_schema"],
        ignore_names=True,
        labels=("migrate", "autoupdate"),
    )
    if differences:
        raise Failure("schema differs from migrate's", "; ".join(differences))
    said_columns, said_tables = announced(losses)
    # What an unapplied RunPython wrote may differ only where autoupdate named
    # the code.
    # Named in a loss (the plan applied: migrate cannot run it after) or,
    # in sync, as left to migrate (which still can).
    named = f"run python manage.py migrate {APP}" in out["stdout"] + out["stderr"]
    unapplied_fills = [f for f in history.fills if f[0] >= history.split]
    filled = final_columns(history, unapplied_fills) if named else set()
    kept, earlier = kept_columns(history)
    lost = []
    for table, want_rows in out["migrate_values"].items():
        got = {row["id"]: row for row in out["autoupdate_values"].get(table, [])}
        at_split = {row["id"]: row for row in out["at_split"].get(earlier.get(table, ""), [])}
        for want in want_rows:
            row = got.get(want["id"])
            if row is None:
                if table not in said_tables:
                    lost.append(f"{table}: row {want['id']} missing")
                continue
            for column, value in want.items():
                if (table, column) in said_columns or (table, column) in filled:
                    continue
                if row.get(column) == value:
                    continue
                split_row = at_split.get(want["id"], {})
                if row.get(column) is None and column in split_row and split_row[column] is None:
                    # A NULL left as it was where the history filled it on the
                    # way (an AlterField to NOT NULL with a one-off value, then
                    # back to NULL): the models allow it, nothing was lost.
                    continue
                if (table, column) not in kept:
                    # A column the unapplied history removes (or deletes with its
                    # model) and adds again: migrate has the new field's values,
                    # autoupdate may keep the column's (converted to the new
                    # field's type: 11 kept as '11').
                    before = at_split.get(want["id"], {})
                    if column in before and _same_kept(row.get(column), before[column]):
                        continue
                lost.append(f"{table}.{column}: row {want['id']} {value!r} -> {row.get(column)!r}")
    if lost:
        raise Failure("values lost unannounced", "; ".join(lost) + f" (losses: {losses})")
    return "applied" if plan["steps"] else "nothing to do"


# --- the test ----------------------------------------------------------------------------

pytestmark = pytest.mark.django_db(transaction=True)


def vendor() -> str:
    from django.db import connection

    return connection.vendor


def test_autoupdate_brings_a_history_where_migrate_does():
    """Failures are collected by kind (no shrinking: each example is a
    subprocess) and fail the test at the end, each kind with its shortest
    example; ``HISTORY_RAISE=1`` raises at the first, for hypothesis to shrink."""
    seen: dict[str, int] = {}
    failures: dict[str, list[str]] = {}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=IN_CI,
        **({"database": None} if IN_CI else {}),
    )
    @given(history=histories(vendor()))
    def example(history: History) -> None:
        try:
            outcome = judge(history)
        except Failure as failure:
            outcome = f"FAILED {failure.kind}"
            failures.setdefault(failure.kind, []).append(f"{failure}\n{show(history)}")
            if RAISE_AT_FIRST:
                raise
        seen[outcome] = seen.get(outcome, 0) + 1
        for kinds in history.kinds[history.split :]:
            for kind in kinds:
                seen[f"unapplied {kind}"] = seen.get(f"unapplied {kind}", 0) + 1

    example()
    print(f"history judge on {vendor()}:")
    print("\n".join(f"{count:4} {what}" for what, count in sorted(seen.items())))
    assert not failures, "\n".join(
        f"{kind} ({len(found)}x), shortest:\n  {min(found, key=len)}"
        for kind, found in sorted(failures.items())
    )


# --- regression tests: the shortest failing histories the judge found -----------------


def run_sql_index(name: str, table: str, column: str) -> str:
    sql = index_sql(vendor(), name, table, column)
    return f"migrations.RunSQL({sql!r}, migrations.RunSQL.noop)"


def hand_history(migrations, kinds, final, split, functions=None, fills=()) -> History:
    return History(
        vendor(),
        migrations=migrations,
        functions=functions or [[] for _ in migrations],
        kinds=kinds,
        final=final,
        split=split,
        fills=list(fills),
    )


TITLE = Field("f1", "title", "char20")
NOTE = Model("m1", "Note", (TITLE,))


def test_run_sql_index_of_an_unapplied_migration_on_an_existing_table():
    """migration_sql ran the history's SQL only on the tables a run creates."""
    history = hand_history(
        [[create_model_code(NOTE)], [run_sql_index("hx_idx_1", "livingapp_note", "title")]],
        [["create_model"], ["run_sql_index"]],
        (replace(NOTE, fields=(replace(TITLE, indexed=True),)),),
        split=1,
    )
    judge(history)


def test_run_sql_index_of_a_table_renamed_later():
    """The statement names the table as it was; it is made on the renamed one."""
    memo = replace(NOTE, name="Memo", fields=(replace(TITLE, indexed=True),))
    history = hand_history(
        [
            [create_model_code(NOTE)],
            [run_sql_index("hx_idx_1", "livingapp_note", "title")],
            ["migrations.RenameModel('Note', 'Memo')"],
        ],
        [["create_model"], ["run_sql_index"], ["rename_model"]],
        (memo,),
        split=1,
    )
    judge(history)


def test_run_sql_index_of_a_column_renamed_later():
    """The statement names the column as it was; it is made on the renamed one."""
    heading = replace(TITLE, name="body", indexed=True)
    history = hand_history(
        [
            [create_model_code(NOTE)],
            [run_sql_index("hx_idx_1", "livingapp_note", "title")],
            ["migrations.RenameField('note', 'title', 'body')"],
        ],
        [["create_model"], ["run_sql_index"], ["rename_field"]],
        (replace(NOTE, fields=(heading,)),),
        split=1,
    )
    judge(history)


def test_run_sql_index_after_an_unapplied_rename():
    """The statement names the table by its new name, which it has only once
    the plan renamed it."""
    memo = replace(NOTE, name="Memo", fields=(replace(TITLE, indexed=True),))
    history = hand_history(
        [
            [create_model_code(NOTE)],
            ["migrations.RenameModel('Note', 'Memo')"],
            [run_sql_index("hx_idx_1", "livingapp_memo", "title")],
        ],
        [["create_model"], ["rename_model"], ["run_sql_index"]],
        (memo,),
        split=1,
    )
    judge(history)


def test_run_sql_index_of_a_table_created_and_renamed_in_the_unapplied_part():
    """The table is created under its last name: the statement, for its
    first one, is made on it."""
    card = Model("m2", "Card", (replace(TITLE, uid="f2", indexed=True),), born=1)
    page = replace(card, name="Page")
    history = hand_history(
        [
            [create_model_code(NOTE)],
            [
                create_model_code(card),
                run_sql_index("hx_idx_1", "livingapp_card", "title"),
                "migrations.RenameModel('Card', 'Page')",
            ],
        ],
        [["create_model"], ["create_model", "run_sql_index", "rename_model"]],
        (NOTE, page),
        split=1,
    )
    judge(history)


def test_run_python_fill_of_an_unapplied_migration_is_named():
    """The plan applied, needing no value from the code, and did not say
    that the code was not run: now it is a loss of its own."""
    fill = (
        "def fill_1(apps, schema_editor):\n"
        "    apps.get_model('livingapp', 'Note').objects.update(title='filled')"
    )
    history = hand_history(
        [
            [create_model_code(NOTE)],
            [
                "migrations.RunPython(fill_1, migrations.RunPython.noop)",
                "migrations.AddField('note', 'size', models.IntegerField(null=True))",
            ],
        ],
        [["create_model"], ["run_python", "add_field"]],
        (replace(NOTE, fields=(TITLE, Field("f2", "size", "int", null=True))),),
        split=1,
        functions=[[], [fill]],
        fills=[(1, "m1", "f1")],
    )
    judge(history)


def test_rename_then_remove_then_add_field_of_that_name_takes_the_new_fields_values():
    """0002 renames title to tag, removes tag and adds another tag (a one-off
    'filled'): migrate has 'filled'; the rename must not carry title's values
    into the new field (migration_hints followed the rename to a removed field)."""
    tag = Field("f2", "tag", "char20")
    history = hand_history(
        [
            [create_model_code(NOTE)],
            [
                "migrations.RenameField('note', 'title', 'tag')",
                "migrations.RemoveField('note', 'tag')",
                "migrations.AddField('note', 'tag', models.CharField(max_length=20, "
                "default='filled'), preserve_default=False)",
            ],
        ],
        [["create_model"], ["rename_field", "remove_field", "add_field_one_off"]],
        (replace(NOTE, fields=(tag,)),),
        split=1,
    )
    history.at_split = (NOTE,)
    assert judge(history) == "applied"


def test_one_off_default_of_a_field_removed_later_is_not_the_new_fields():
    """0002 adds size (a one-off 7), removes it and adds size again as text
    (a one-off 'x'): the later one-off value fills the rows, as in migrate."""
    size = Field("f3", "size", "char20")
    history = hand_history(
        [
            [create_model_code(NOTE)],
            [
                "migrations.AddField('note', 'size', models.IntegerField(default=7), "
                "preserve_default=False)",
                "migrations.RemoveField('note', 'size')",
                "migrations.AddField('note', 'size', models.CharField(max_length=20, "
                "default='x'), preserve_default=False)",
            ],
        ],
        [["create_model"], ["add_field_one_off", "remove_field", "add_field_one_off"]],
        (replace(NOTE, fields=(TITLE, size)),),
        split=1,
    )
    history.at_split = (NOTE,)
    assert judge(history) == "applied"


def test_added_with_a_default_a_later_migration_drops_fills_the_rows_as_migrate():
    """0002 adds code with default 'filled' (kept), 0003 makes it nullable
    without a default: migrate's rows hold 'filled', and so must autoupdate's
    (migration_hints only knew the one-off defaults)."""
    code = Field("f2", "code", "char20", null=True)
    history = hand_history(
        [
            [create_model_code(NOTE)],
            [
                "migrations.AddField('note', 'code', "
                "models.CharField(max_length=20, default='filled'))"
            ],
            ["migrations.AlterField('note', 'code', models.CharField(max_length=20, null=True))"],
        ],
        [["create_model"], ["add_field_default"], ["alter_null"]],
        (replace(NOTE, fields=(TITLE, code)),),
        split=1,
    )
    history.at_split = (NOTE,)
    assert judge(history) == "applied"


def test_one_off_default_before_a_recreation_is_not_the_new_fields():
    """0002 adds size (a one-off 'filled'), 0003 deletes Note and creates it
    with an integer size: the one-off value was the old field's (autoupdate
    crashed: "Field 'size' expected a number but got 'filled'")."""
    again = Model("m1", "Note", (Field("f3", "size", "int", null=True),))
    history = hand_history(
        [
            [create_model_code(NOTE)],
            [
                "migrations.AddField('note', 'size', models.CharField(max_length=20, "
                "default='filled'), preserve_default=False)"
            ],
            ["migrations.DeleteModel('Note')", create_model_code(again)],
        ],
        [["create_model"], ["add_field_one_off"], ["recreate_model"]],
        (again,),
        split=1,
    )
    history.at_split = (NOTE,)
    assert judge(history) == "applied"


INDEXED_NOTE = replace(NOTE, fields=(replace(TITLE, indexed=True),))
ADD_INDEX = "migrations.AddIndex('note', models.Index(fields=['title'], name='hx_idx_1'))"


def test_index_an_unapplied_migration_removes_is_dropped():
    """The history names the index (AddIndex): a version of the models
    declared it, which a database migrate built has no other record of
    (declared_names.py)."""
    history = hand_history(
        [
            [create_model_code(NOTE)],
            [ADD_INDEX],
            ["migrations.RemoveIndex('note', 'hx_idx_1')"],
        ],
        [["create_model"], ["add_index"], ["remove_index"]],
        (NOTE,),
        split=2,
    )
    judge(history)


def test_index_of_a_model_an_unapplied_migration_recreates_is_dropped():
    history = hand_history(
        [
            [create_model_code(NOTE)],
            [ADD_INDEX],
            ["migrations.DeleteModel('Note')", create_model_code(NOTE)],
        ],
        [["create_model"], ["add_index"], ["recreate_model"]],
        (NOTE,),
        split=2,
    )
    judge(history)


def test_field_removed_and_added_again_as_another_type():
    """Refused as a retype ('2 values do not convert'): the column was taken
    for the new field's; migrate drops it and adds an empty one."""
    code = Field("f2", "code", "int", null=True)
    history = hand_history(
        [
            [create_model_code(NOTE)],
            [
                "migrations.RemoveField('note', 'title')",
                "migrations.AddField('note', 'title', models.IntegerField(null=True))",
            ],
        ],
        [["create_model"], ["remove_field", "add_field"]],
        (replace(NOTE, fields=(replace(code, name="title"),)),),
        split=1,
    )
    history.at_split = (NOTE,)
    judge(history)


def test_field_renamed_into_the_name_of_a_removed_one():
    """hints.resolve dropped the rename size -> title (the live table has a
    title column) and the retype was refused; migrate renames size over it."""
    size = Field("f2", "size", "int")
    history = hand_history(
        [
            [create_model_code(replace(NOTE, fields=(TITLE, size)))],
            [
                "migrations.RemoveField('note', 'title')",
                "migrations.RenameField('note', 'size', 'title')",
            ],
        ],
        [["create_model"], ["remove_field", "rename_field"]],
        (replace(NOTE, fields=(replace(size, name="title"),)),),
        split=1,
    )
    history.at_split = (replace(NOTE, fields=(TITLE, size)),)
    judge(history)


def test_new_model_with_the_name_a_renamed_one_left():
    """PostgreSQL: Note renamed to Memo keeps livingapp_note_pkey; the new
    Note's CREATE TABLE gets livingapp_note_pkey1 from the server, and the
    name-clash check refused it up front."""
    memo = replace(NOTE, name="Memo")
    page = Model("m2", "Note", (Field("f2", "body", "int"),), born=2)
    history = hand_history(
        [
            [create_model_code(NOTE)],
            ["migrations.RenameModel('Note', 'Memo')"],
            [create_model_code(page)],
        ],
        [["create_model"], ["rename_model"], ["create_model"]],
        (memo, page),
        split=2,
    )
    assert judge(history) == "applied"


def test_remove_add_then_rename_field_takes_the_new_fields_values():
    """Found by a random PostgreSQL run: 0002 removes rank, adds another rank
    (a one-off 'filled') and renames it to title. migrate's title holds
    'filled'; the rename must not carry the removed rank's values into it."""
    rank = Field("f2", "rank", "text")
    at_split = Model("m1", "Note", (rank,))
    title = Field("f3", "title", "char40")
    history = hand_history(
        [
            [create_model_code(at_split)],
            [
                "migrations.RemoveField('note', 'rank')",
                "migrations.AddField('note', 'rank', models.CharField(max_length=40, "
                "default='filled'), preserve_default=False)",
                "migrations.RenameField('note', 'rank', 'title')",
            ],
        ],
        [["create_model"], ["remove_field", "add_field_one_off", "rename_field"]],
        (replace(at_split, fields=(title,)),),
        split=1,
    )
    history.at_split = (at_split,)
    assert judge(history) == "applied"


def test_field_renamed_into_the_name_another_rename_frees():
    """Found by a random PostgreSQL run: 0002 renames size to tag, 0003 body
    to size. hints.resolve left out body -> size (the live table has a size
    column), so body's values were dropped (announced) and size came empty."""
    size = Field("f3", "size", "text", null=True)
    body = Field("f2", "body", "text", null=True)
    at_split = Model("m1", "Note", (TITLE, body, size))
    history = hand_history(
        [
            [create_model_code(at_split)],
            ["migrations.RenameField('note', 'size', 'tag')"],
            ["migrations.RenameField('note', 'body', 'size')"],
        ],
        [["create_model"], ["rename_field"], ["rename_field"]],
        (replace(at_split, fields=(TITLE, replace(body, name="size"), replace(size, name="tag"))),),
        split=1,
    )
    history.at_split = (at_split,)
    assert judge(history) == "applied"


def test_field_removed_then_added_again_as_another_type_in_a_later_migration():
    """Found by a random SQLite run: 0002 removes size (a bigint), 0003 adds
    size again as text with a kept default 'filled'. migrate's rows hold
    'filled'; autoupdate keeps the column's values, as it may where a field
    is removed and added again, converted to text, which the judge took for
    a loss (11 is not '11')."""
    size = Field("f2", "size", "big", null=True)
    again = Field("f3", "size", "char20", default="filled")
    at_split = Model("m1", "Note", (TITLE, size))
    history = hand_history(
        [
            [create_model_code(at_split)],
            ["migrations.RemoveField('note', 'size')"],
            [f"migrations.AddField('note', 'size', {again.code()})"],
        ],
        [["create_model"], ["remove_field"], ["add_field_default"]],
        (replace(at_split, fields=(TITLE, again)),),
        split=1,
    )
    history.at_split = (at_split,)
    assert judge(history) == "applied"


if __name__ == "__main__":
    child_main(sys.argv[1], sys.argv[2])


def test_one_off_default_follows_a_field_renamed_after_its_model_was():
    """Found by a random MariaDB run: 0002 makes rank required (a one-off 99)
    and renames Note to Memo, 0003 renames memo.rank to code. The one-off
    value was looked up under note.rank's later names without the model's
    rename: lost, and the NULLs refused ("becomes NOT NULL, 1 row is NULL")."""
    rank = Field("f2", "rank", "big", null=True)
    code = replace(rank, name="code", null=False)
    at_split = Model("m1", "Note", (TITLE, rank))
    history = hand_history(
        [
            [create_model_code(at_split)],
            [
                "migrations.AlterField('note', 'rank', models.BigIntegerField(default=99), "
                "preserve_default=False)",
                "migrations.RenameModel('Note', 'Memo')",
            ],
            ["migrations.RenameField('memo', 'rank', 'code')"],
        ],
        [["create_model"], ["alter_null", "rename_model"], ["rename_field"]],
        (Model("m1", "Memo", (TITLE, code)),),
        split=1,
    )
    history.at_split = (at_split,)
    assert judge(history) == "applied"
