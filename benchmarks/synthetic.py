"""A synthetic Django project of N models, with a migration history, cached per N.

The models are spread over apps of ``per_app`` models each and use a realistic
mix of what projects use: char/text/number/date/UUID/JSON/duration fields,
foreign keys (backward, forward, cross-app, so cycles, and ``"self"``), one-to-one
fields, many-to-many fields, ``db_index``/``unique``, ``unique_together``,
``Meta.indexes`` and ``Meta.constraints``. Everything is drawn from a seeded
random generator, so the same N always gives the same project.

The history: ``makemigrations`` on the initial models, then ``rounds`` rounds of
changes (fields added, altered, removed, indexes and constraints added, a few
models created), each followed by ``makemigrations``. The final models are what
``automigrate`` builds; ``migrate`` replays the whole history.

Besides the project (``base/``), ``changes_k{K}/`` are copies whose models differ
from the base by K changes (columns added, columns altered, indexes added) with
one more migration: what ``autoupdate`` (and ``migrate``) apply in the
"K changes" measurements.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

# -- the model specification ----------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One model field, as the generated code declares it."""

    kind: str
    max_length: int = 0
    null: bool = False
    db_index: bool = False
    unique: bool = False
    target: str = ""  # related model: "app.Model", "self" or "AUTH_USER"
    on_delete: str = "CASCADE"


@dataclass
class FieldSpec:
    name: str
    # (round, column): the declaration from that round on; None = removed.
    versions: list[tuple[int, Column | None]]

    def at(self, round_: int) -> Column | None:
        current = None
        for since, column in self.versions:
            if since <= round_:
                current = column
        return current

    @property
    def latest(self) -> Column | None:
        return self.versions[-1][1]

    def change(self, round_: int, column: Column | None) -> None:
        self.versions.append((round_, column))


@dataclass
class MetaItem:
    since: int
    option: str  # "unique_together", "indexes" or "constraints"
    code: str


@dataclass
class ModelSpec:
    index: int
    app: str
    created_in: int = 0
    fields: list[FieldSpec] = field(default_factory=list)
    meta: list[MetaItem] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"M{self.index:04d}"

    @property
    def label(self) -> str:
        return f"{self.app}.{self.name}"

    def add(self, round_: int, name: str, column: Column) -> None:
        self.fields.append(FieldSpec(name, [(round_, column)]))

    def plain_fields(self, kinds: set[str], round_: int) -> list[FieldSpec]:
        """Fields of those kinds that exist from round 0 and at ``round_``."""
        return [
            f
            for f in self.fields
            if f.versions[0][0] <= self.created_in
            and f.at(round_) is not None
            and f.at(round_).kind in kinds
        ]


PLAIN_KINDS = [
    "char",
    "char",
    "char",
    "text",
    "int",
    "int",
    "bigint",
    "psmall",
    "bool",
    "bool",
    "created",
    "datetime",
    "date",
    "decimal",
    "float",
    "uuid",
    "email",
    "slug",
    "json",
    "duration",
]
INDEXABLE = {"char", "int", "bigint", "psmall", "bool", "date", "datetime", "decimal", "email"}
NUMERIC = {"int", "bigint", "psmall", "decimal"}


def build_spec(n_models: int, per_app: int, rounds: int) -> list[ModelSpec]:
    """The models with their whole history (round 0: initial; 1..rounds: changes)."""
    specs = [ModelSpec(i, f"app{i // per_app:02d}") for i in range(n_models)]
    for spec in specs:
        # Every 40th model appears in a later round, as models do.
        if spec.index % 40 == 39 and rounds:
            spec.created_in = 1 + (spec.index // 40) % rounds
    for spec in specs:
        _initial_fields(spec, specs, random.Random(1000 + spec.index))
    for round_ in range(1, rounds + 1):
        _evolve(specs, round_, random.Random(round_))
    return specs


def _initial_fields(spec: ModelSpec, specs: list[ModelSpec], rng: random.Random) -> None:
    start = spec.created_in
    spec.add(start, "name", Column("char", max_length=rng.choice([50, 100, 200]), db_index=True))
    for j in range(rng.randint(4, 11)):
        spec.add(start, f"f{j}", _plain_column(rng.choice(PLAIN_KINDS), rng))
    for j, target in enumerate(_fk_targets(spec, specs, rng)):
        on_delete = rng.choice(["CASCADE", "CASCADE", "PROTECT", "SET_NULL"])
        spec.add(start, f"ref{j}", Column("fk", target=target, on_delete=on_delete))
    if rng.random() < 0.1:
        spec.add(start, "parent", Column("fk", target="self", on_delete="SET_NULL"))
    if rng.random() < 0.1:
        spec.add(start, "owner", Column("fk", target="AUTH_USER", on_delete="SET_NULL"))
    if rng.random() < 0.05:
        target = rng.choice(_initial_models(specs)).label
        spec.add(start, "profile", Column("o2o", target=target, on_delete="CASCADE"))
    if rng.random() < 0.15:
        spec.add(start, "tags", Column("m2m", target=rng.choice(_initial_models(specs)).label))
    _initial_meta(spec, rng)


def _plain_column(kind: str, rng: random.Random) -> Column:
    if kind == "char":
        return Column(
            "char",
            max_length=rng.choice([20, 50, 100, 200]),
            db_index=rng.random() < 0.2,
            unique=rng.random() < 0.05,
        )
    if kind in {"int", "bigint", "date"}:
        return Column(kind, db_index=rng.random() < 0.2)
    if kind == "uuid":
        return Column(kind, unique=rng.random() < 0.3)
    return Column(kind)


def _initial_models(specs: list[ModelSpec]) -> list[ModelSpec]:
    return [s for s in specs if s.created_in == 0]


def _fk_targets(spec: ModelSpec, specs: list[ModelSpec], rng: random.Random) -> list[str]:
    """Backward and forward references in the app (a cycle in each app), and across apps."""
    same_app = [s for s in _initial_models(specs) if s.app == spec.app and s is not spec]
    targets = []
    local = spec.index % 25
    if local in (3, 4) and same_app:
        # Models 3 and 4 of every app reference each other: a cycle.
        partner = spec.index + (1 if local == 3 else -1)
        if partner < len(specs) and specs[partner].created_in == 0 and spec.created_in == 0:
            targets.append(specs[partner].label)
    earlier = [s for s in same_app if s.index < spec.index]
    for _ in range(rng.choice([0, 1, 1, 2])):
        if earlier:
            targets.append(rng.choice(earlier).label)
    if same_app and rng.random() < 0.1:
        targets.append(rng.choice(same_app).label)  # maybe forward
    others = [s for s in _initial_models(specs) if s.app != spec.app]
    if others and rng.random() < 0.3:
        targets.append(rng.choice(others).label)  # cross-app, either way: cycles
    return targets


def _initial_meta(spec: ModelSpec, rng: random.Random) -> None:
    start = spec.created_in
    chars = [f.name for f in spec.plain_fields({"char"}, start) if f.latest.max_length <= 100]
    numbers = [f.name for f in spec.plain_fields(NUMERIC, start)]
    indexable = [f.name for f in spec.plain_fields(INDEXABLE, start)]
    if chars and numbers and rng.random() < 0.15:
        spec.meta.append(MetaItem(start, "unique_together", f"({chars[0]!r}, {numbers[0]!r})"))
    if len(indexable) >= 2 and rng.random() < 0.3:
        spec.meta.append(MetaItem(start, "indexes", _index(spec, rng.sample(indexable, 2))))
    if numbers and rng.random() < 0.2:
        spec.meta.append(MetaItem(start, "constraints", _check(spec, numbers[-1])))
    if chars and len(indexable) >= 2 and rng.random() < 0.1:
        other = next(name for name in indexable if name != chars[-1])
        spec.meta.append(MetaItem(start, "constraints", _unique(spec, [chars[-1], other])))


def _meta_name(spec: ModelSpec, prefix: str) -> str:
    return f"{prefix}{spec.index}_{len(spec.meta)}"


def _index(spec: ModelSpec, fields: list[str]) -> str:
    return f"models.Index(fields={fields!r}, name={_meta_name(spec, 'ix')!r})"


def _check(spec: ModelSpec, name: str) -> str:
    condition = f"models.Q({name}__gte=0)"
    return f"models.CheckConstraint(condition={condition}, name={_meta_name(spec, 'ck')!r})"


def _unique(spec: ModelSpec, fields: list[str]) -> str:
    return f"models.UniqueConstraint(fields={fields!r}, name={_meta_name(spec, 'uq')!r})"


def _evolve(specs: list[ModelSpec], round_: int, rng: random.Random) -> None:
    """One round of model changes on about 5% of the models."""
    alive = [s for s in specs if s.created_in < round_]
    for spec in rng.sample(alive, max(1, len(alive) // 20)):
        action = rng.choices(
            ["add", "alter_length", "add_db_index", "null", "add_index", "remove"],
            weights=[35, 20, 10, 10, 15, 10],
        )[0]
        _CHANGES[action](spec, round_, rng)


def _add_field(spec: ModelSpec, round_: int, rng: random.Random) -> None:
    kind = rng.choice(["char", "int", "bool", "date", "text", "decimal", "datetime"])
    column = Column(kind, max_length=100 if kind == "char" else 0, null=kind in {"int", "date"})
    spec.add(round_, f"r{round_}_{kind}_{len(spec.fields)}", column)


def _alter_length(spec: ModelSpec, round_: int, rng: random.Random) -> None:
    chars = spec.plain_fields({"char"}, round_)
    if not chars:
        return _add_field(spec, round_, rng)
    target = rng.choice(chars)
    target.change(
        round_, replace(target.latest, max_length=min(target.latest.max_length + 50, 250))
    )


def _add_db_index(spec: ModelSpec, round_: int, rng: random.Random) -> None:
    candidates = [f for f in spec.plain_fields(INDEXABLE, round_) if not f.latest.db_index]
    if not candidates:
        return _add_field(spec, round_, rng)
    target = rng.choice(candidates)
    target.change(round_, replace(target.latest, db_index=True))


def _make_nullable(spec: ModelSpec, round_: int, rng: random.Random) -> None:
    # Not PositiveSmallIntegerField: on MariaDB, migrate's AlterField drops its
    # CHECK (>= 0), so the database would differ from the models.
    kinds = {"int", "bigint", "decimal", "date"}
    candidates = [f for f in spec.plain_fields(kinds, round_) if not f.latest.null]
    if not candidates:
        return _add_field(spec, round_, rng)
    target = rng.choice(candidates)
    target.change(round_, replace(target.latest, null=True))


def _add_meta_index(spec: ModelSpec, round_: int, rng: random.Random) -> None:
    indexable = [f.name for f in spec.plain_fields(INDEXABLE, round_)]
    if not indexable:
        return _add_field(spec, round_, rng)
    fields = rng.sample(indexable, min(2, len(indexable)))
    spec.meta.append(MetaItem(round_, "indexes", _index(spec, fields)))


def _remove_field(spec: ModelSpec, round_: int, rng: random.Random) -> None:
    # Only fields added by earlier rounds: nothing in Meta refers to them.
    added = [
        f
        for f in spec.fields
        if f.versions[0][0] > spec.created_in
        and f.at(round_) is not None
        and f.versions[0][0] < round_
    ]
    if not added:
        return _add_field(spec, round_, rng)
    rng.choice(added).change(round_, None)


_CHANGES = {
    "add": _add_field,
    "alter_length": _alter_length,
    "add_db_index": _add_db_index,
    "null": _make_nullable,
    "add_index": _add_meta_index,
    "remove": _remove_field,
}


def add_benchmark_changes(specs: list[ModelSpec], round_: int, k: int) -> None:
    """K more changes in ``round_``, spread over the models: a column added, a
    column altered (longer), an index added on a column without one, in turn.
    Changes that land on the same column (K > N) count once."""
    for j in range(k):
        spec = specs[(j * 7919) % len(specs)]
        kind = j % 3
        chars = spec.plain_fields({"char"}, round_)
        unindexed = _unindexed(spec, round_)
        if kind == 1 and chars:
            target = chars[(j // len(specs)) % len(chars)]
            longer = replace(target.latest, max_length=target.latest.max_length + 20)
            target.change(round_, longer)
        elif kind == 2 and unindexed:
            spec.meta.append(MetaItem(round_, "indexes", _index(spec, [unindexed[0]])))
        else:
            spec.add(round_, f"bench_{j}", Column("int", null=True))


def _unindexed(spec: ModelSpec, round_: int) -> list[str]:
    """Columns with no index of their own (autoupdate cannot tell two same indexes apart)."""
    return [
        f.name
        for f in spec.plain_fields(INDEXABLE, round_)
        if not (f.latest.db_index or f.latest.unique)
        and not any(f"fields=[{f.name!r}]" in item.code for item in spec.meta)
    ]


# -- rendering ------------------------------------------------------------------------------

_DECLARATIONS = {
    "char": "CharField",
    "text": "TextField",
    "int": "IntegerField",
    "bigint": "BigIntegerField",
    "psmall": "PositiveSmallIntegerField",
    "bool": "BooleanField",
    "created": "DateTimeField",
    "datetime": "DateTimeField",
    "date": "DateField",
    "decimal": "DecimalField",
    "float": "FloatField",
    "uuid": "UUIDField",
    "email": "EmailField",
    "slug": "SlugField",
    "json": "JSONField",
    "duration": "DurationField",
    "fk": "ForeignKey",
    "o2o": "OneToOneField",
    "m2m": "ManyToManyField",
}

_BASE_ARGS = {
    "char": 'default=""',
    "text": 'default=""',
    "int": "default=0",
    "psmall": "default=1",
    "bool": "default=False",
    "created": "auto_now_add=True",
    "datetime": "null=True",
    "decimal": "default=0",
    "float": "null=True",
    "uuid": "default=uuid.uuid4",
    "email": 'default=""',
    "slug": 'default=""',
    "json": "default=dict",
    "duration": "null=True",
}


def render_column(spec: ModelSpec, name: str, column: Column) -> str:
    args = []
    if column.kind in {"fk", "o2o", "m2m"}:
        target = "settings.AUTH_USER_MODEL" if column.target == "AUTH_USER" else repr(column.target)
        args.append(target)
        if column.kind != "m2m":
            args.append(f"on_delete=models.{column.on_delete}")
        args.append(f'related_name="m{spec.index}_{name}"')
        if column.kind == "m2m":
            args.append("blank=True")
        elif column.on_delete == "SET_NULL":
            args.append("null=True")
    if column.max_length:
        args.append(f"max_length={column.max_length}")
    if column.kind == "decimal":
        args.append("max_digits=12, decimal_places=2")
    if column.kind in _BASE_ARGS and not (column.null and "default" in _BASE_ARGS[column.kind]):
        args.append(_BASE_ARGS[column.kind])
    if column.null and column.kind not in {"fk", "o2o", "m2m", "datetime", "float", "duration"}:
        args.append("null=True")
    if column.db_index:
        args.append("db_index=True")
    if column.unique:
        args.append("unique=True")
    return f"    {name} = models.{_DECLARATIONS[column.kind]}({', '.join(args)})"


def render_model(spec: ModelSpec, round_: int) -> str:
    lines = [f"class {spec.name}(models.Model):"]
    for field_spec in spec.fields:
        column = field_spec.at(round_)
        if column is not None:
            lines.append(render_column(spec, field_spec.name, column))
    options = {}
    for item in spec.meta:
        if item.since <= round_:
            options.setdefault(item.option, []).append(item.code)
    lines += ["", "    class Meta:"]
    for option, codes in options.items():
        lines.append(f"        {option} = [{', '.join(codes)}]")
    lines.append(f'        verbose_name = "model {spec.index}"')
    lines += ["", "    def __str__(self) -> str:", "        return self.name", "", ""]
    return "\n".join(lines)


def render_models_module(specs: list[ModelSpec], round_: int) -> str:
    header = [
        '"""Generated by benchmarks/synthetic.py."""',
        "",
        "import uuid",
        "",
        "from django.conf import settings",
        "from django.db import models",
        "",
        "",
    ]
    body = [render_model(s, round_) for s in specs if s.created_in <= round_]
    return "\n".join(header) + "".join(body)


# -- the project files ----------------------------------------------------------------------

# Settings lines both benchmark projects end with: BENCH_NOMIGRATIONS=1 is
# pytest-django's --nomigrations (every app's migrations disabled).
NO_MIGRATIONS_SWITCH = """
class DisableMigrations:
    def __contains__(self, item):
        return True

    def __getitem__(self, item):
        return None


if os.environ.get("BENCH_NOMIGRATIONS"):
    MIGRATION_MODULES = DisableMigrations()
"""

SETTINGS = (
    '''"""Settings of the generated benchmark project (benchmarks/synthetic.py).

DATABASE_URL names the database. BENCH_NOMIGRATIONS=1 disables every app's
migrations, as pytest-django's --nomigrations does (migrate --run-syncdb).
"""

import os

import dj_database_url

SECRET_KEY = "benchmark-only"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "automigrate_cmd",
    *APPS,
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {"default": dj_database_url.config(default="sqlite://:memory:")}
if DATABASES["default"]["ENGINE"].endswith("mysql"):
    DATABASES["default"]["OPTIONS"] = {"charset": "utf8mb4"}
    DATABASES["default"]["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_general_ci"}

'''
    + NO_MIGRATIONS_SWITCH
)

MANAGE = """#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchproject.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""

PYTEST_INI = """[pytest]
DJANGO_SETTINGS_MODULE = benchproject.settings
addopts = -p no:cacheprovider
"""

TEST_DB = """import pytest

from app00.models import M0000


@pytest.mark.django_db
def test_database_is_built():
    assert not M0000.objects.exists()
"""

TEST_NODB = '''def test_nothing():
    """No database: pytest and Django start-up only."""
'''


def app_labels(specs: list[ModelSpec]) -> list[str]:
    return sorted({s.app for s in specs})


def write_project(root: Path, specs: list[ModelSpec]) -> None:
    """The project files, without models (see write_models)."""
    apps = app_labels(specs)
    (root / "benchproject").mkdir(parents=True)
    (root / "benchproject" / "__init__.py").write_text("")
    settings = SETTINGS.replace("*APPS", ", ".join(repr(a) for a in apps))
    (root / "benchproject" / "settings.py").write_text(settings)
    (root / "manage.py").write_text(MANAGE)
    (root / "pytest.ini").write_text(PYTEST_INI)
    (root / "tests").mkdir()
    (root / "tests" / "test_db.py").write_text(TEST_DB)
    (root / "tests" / "test_nodb.py").write_text(TEST_NODB)
    for app in apps:
        (root / app / "migrations").mkdir(parents=True)
        (root / app / "__init__.py").write_text("")
        (root / app / "migrations" / "__init__.py").write_text("")


def write_models(root: Path, specs: list[ModelSpec], round_: int) -> None:
    for app in app_labels(specs):
        in_app = [s for s in specs if s.app == app]
        (root / app / "models.py").write_text(render_models_module(in_app, round_))


def makemigrations(root: Path, name: str) -> None:
    command = [sys.executable, "manage.py", "makemigrations", "--noinput", "-v", "0"]
    env = {**os.environ, "DATABASE_URL": "sqlite://:memory:"}
    run = subprocess.run(
        [*command, "--name", name], cwd=root, env=env, capture_output=True, text=True
    )
    if run.returncode != 0:
        raise RuntimeError(f"makemigrations failed in {root}:\n{run.stdout}\n{run.stderr}")


def check_no_changes(root: Path) -> None:
    """The last migrations match the models: nothing left for makemigrations."""
    env = {**os.environ, "DATABASE_URL": "sqlite://:memory:"}
    run = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        raise RuntimeError(f"models and migrations differ in {root}:\n{run.stdout}{run.stderr}")


# -- generation and the cache ---------------------------------------------------------------


@dataclass(frozen=True)
class Project:
    root: Path
    n_models: int
    n_apps: int
    n_migrations: int

    @property
    def base(self) -> Path:
        return self.root / "base"

    def with_changes(self, k: int) -> Path:
        return self.root / f"changes_k{k}"


def cache_key(n_models: int, per_app: int, rounds: int, ks: list[int]) -> str:
    import django

    source = Path(__file__).read_bytes()
    digest = hashlib.sha256(source + repr(ks).encode()).hexdigest()[:10]
    return f"n{n_models}-apps{per_app}-r{rounds}-dj{django.__version__}-{digest}"


def ensure_project(
    cache: Path, n_models: int, per_app: int, rounds: int, ks: list[int], log=print
) -> Project:
    """The generated project for N models, from the cache or generated now."""
    root = cache / cache_key(n_models, per_app, rounds, ks)
    if not (root / "complete").exists():
        log(f"generating a project of {n_models} models in {root} (cached for later runs)...")
        cache.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=root.name + ".", dir=cache))
        _generate(staging, n_models, per_app, rounds, ks, log)
        (staging / "complete").write_text("")
        shutil.rmtree(root, ignore_errors=True)
        staging.rename(root)
    apps = len(list(root.glob("base/app*/")))
    migrations = len(list(root.glob("base/app*/migrations/0*.py")))
    return Project(root, n_models, apps, migrations)


def _generate(root: Path, n_models: int, per_app: int, rounds: int, ks: list[int], log) -> None:
    specs = build_spec(n_models, per_app, rounds)
    base = root / "base"
    write_project(base, specs)
    for round_ in range(rounds + 1):
        log(f"  makemigrations, round {round_}/{rounds}")
        write_models(base, specs, round_)
        makemigrations(base, "initial" if round_ == 0 else f"round{round_}")
    check_no_changes(base)
    for k in ks:
        log(f"  the project with {k} more change(s)")
        changed = [dataclasses.replace(s, fields=_copy_fields(s), meta=list(s.meta)) for s in specs]
        add_benchmark_changes(changed, rounds + 1, k)
        variant = root / f"changes_k{k}"
        shutil.copytree(base, variant, ignore=shutil.ignore_patterns("__pycache__"))
        write_models(variant, changed, rounds + 1)
        makemigrations(variant, f"bench_k{k}")


def _copy_fields(spec: ModelSpec) -> list[FieldSpec]:
    return [FieldSpec(f.name, list(f.versions)) for f in spec.fields]
