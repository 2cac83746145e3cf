"""Benchmark: autoupdate across N tenant schemas against django-tenants' migrate_schemas.

    python benchmarks/tenants.py                         # 200 tenants, 3 runs
    python benchmarks/tenants.py --tenants 5 --runs 1    # smoke run, a minute

A small django-tenants project is written anew in a temporary directory: a
shared app ``customers`` (``Client(TenantMixin)``, ``Domain(DomainMixin)``)
and a tenant app ``shop`` of five ordinary models (foreign keys, a one-to-one
to the user, indexes, a ``unique_together``) with its migration 0001
(``makemigrations``), in ``base/``; ``changed/`` is the same project where
``shop.Order`` has one more nullable field, with its migration 0002. The
database (``automigrate_bench_tenants``) gets the shared apps
(``migrate_schemas --shared``), a public tenant and N tenants ``tenant_001``...
(rows written directly, their schemas created and built by ``migrate_schemas
--tenant`` at 0001, as django-tenants' ``auto_create_schema`` does one by one)
and is kept as templates, from which every timed run starts, copied
(``CREATE DATABASE ... TEMPLATE``, untimed).

Timed, as whole processes (median of ``--runs`` after one untimed warm-up; no
warm-up with ``--runs 1``), round-robin within each section:

1. the change: ``migrate_schemas --tenant`` applying 0002 (the standard,
   serial executor, and ``--executor multiprocessing`` with
   ``TENANT_MULTIPROCESSING_MAX_PROCESSES = 2``), against ``autoupdate
   --all-schemas 'tenant_*' --noinput`` with the changed models (0002 present
   too), from a database where autoupdate stored each schema's desired tables
   (one untimed run at the base models) and from one where it never ran;
2. in sync: the same commands with nothing to do, and ``autoupdate
   --all-schemas 'tenant_*' --check``.

Every run is checked: its exit status (``--check`` must exit 0: in sync), and
after a change run that the new column is in every tenant schema
(``information_schema.columns``); after the first run of each change case,
``autoupdate --check`` must find every schema in sync with the models. The
markdown table (medians, ratios to the section's ``migrate_schemas`` rows) and
the machine are written to ``--output`` (``benchmarks/results-tenants.md``);
progress goes to stderr. Run it with the interpreter of the virtualenv to
measure (Django, django-tenants, psycopg, dj-database-url installed there):
every command is started with it, with this checkout first on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from measure import REPO, CommandFailed, run
from summary import cpu_model, git_revision

HERE = Path(__file__).resolve().parent
STARTED = time.perf_counter()
PATTERN = "tenant_*"  # the --all-schemas glob: every tenant, not public
PROCESSES = 2  # TENANT_MULTIPROCESSING_MAX_PROCESSES
CHANGED_TABLE, CHANGED_COLUMN = "shop_order", "note"


def log(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


# --- the project -------------------------------------------------------------

MANAGE = """#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchproject.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""

SETTINGS = f'''"""Settings of the tenant benchmark project (benchmarks/tenants.py), as
django-tenants' documentation has them."""

import os

import dj_database_url

SECRET_KEY = "benchmark-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
ROOT_URLCONF = "benchproject.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DATABASES = {{
    "default": {{
        **dj_database_url.parse(os.environ["DATABASE_URL"]),
        "ENGINE": "django_tenants.postgresql_backend",
    }}
}}
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)

SHARED_APPS = (
    "django_tenants",
    "customers",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "automigrate_cmd",
)
TENANT_APPS = (
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "shop",
)
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "customers.Client"
TENANT_DOMAIN_MODEL = "customers.Domain"
# The benchmark machine has 2 cores.
TENANT_MULTIPROCESSING_MAX_PROCESSES = {PROCESSES}

MIDDLEWARE = ["django_tenants.middleware.main.TenantMainMiddleware"]
'''

URLS = "urlpatterns = []\n"

CUSTOMERS_MODELS = """from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class Client(TenantMixin):
    name = models.CharField(max_length=100)
    created_on = models.DateField(auto_now_add=True)

    auto_create_schema = True

    def __str__(self):
        return self.name


class Domain(DomainMixin):
    pass
"""

SHOP_MODELS = """from django.conf import settings
from django.db import models


class Category(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )

    class Meta:
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name


class Product(models.Model):
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    sku = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["category", "active"], name="shop_product_cat_active")]

    def __str__(self):
        return self.name


class Customer(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200)
    joined_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.email


class Order(models.Model):
    STATUSES = [("new", "new"), ("paid", "paid"), ("shipped", "shipped"), ("void", "void")]

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=16, choices=STATUSES, default="new", db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    # (the change)

    class Meta:
        indexes = [models.Index(fields=["customer", "-created_at"], name="shop_order_cust_created")]

    def __str__(self):
        return f"order {self.pk}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        unique_together = [("order", "product")]
"""

# The change of changed/: one nullable field on one model.
ANCHOR = "    # (the change)\n"
ADDED = f"    {CHANGED_COLUMN} = models.TextField(null=True, blank=True)\n"
CHANGE_MIGRATION = "0002_order_note"

# Run in the project (manage.py shell -c): the public tenant and N tenants, and
# their schemas, empty; migrate_schemas --tenant builds them afterwards.
CREATE_TENANTS = """
import os
from django.db import connection
from customers.models import Client, Domain

names = os.environ["BENCH_TENANT_NAMES"].split(",")
clients = Client.objects.bulk_create(
    [Client(schema_name="public", name="public")]
    + [Client(schema_name=name, name=name.replace("_", " ").title()) for name in names]
)
Domain.objects.bulk_create(
    Domain(domain=("localhost" if c.schema_name == "public" else c.schema_name + ".localhost"),
           tenant=c, is_primary=True)
    for c in clients
)
with connection.cursor() as cursor:
    for name in names:
        cursor.execute('CREATE SCHEMA "%s"' % name)
"""


@dataclass(frozen=True)
class Project:
    base: Path  # the models of 0001
    changed: Path  # one more nullable field, and 0002


def write_project(root: Path) -> None:
    (root / "benchproject").mkdir(parents=True)
    (root / "benchproject" / "__init__.py").write_text("")
    (root / "benchproject" / "settings.py").write_text(SETTINGS)
    (root / "benchproject" / "urls.py").write_text(URLS)
    (root / "manage.py").write_text(MANAGE)
    for app, models in (("customers", CUSTOMERS_MODELS), ("shop", SHOP_MODELS)):
        (root / app / "migrations").mkdir(parents=True)
        (root / app / "__init__.py").write_text("")
        (root / app / "migrations" / "__init__.py").write_text("")
        (root / app / "models.py").write_text(models)


def make_project(workdir: Path, database_url: str) -> Project:
    """base/ with its migrations 0001, changed/ with shop's 0002 (makemigrations)."""
    project = Project(workdir / "base", workdir / "changed")
    log(f"writing the project in {workdir}")
    write_project(project.base)
    manage(project.base, database_url, "makemigrations", "customers", "shop", "-v", "0")
    shutil.copytree(project.base, project.changed, ignore=shutil.ignore_patterns("__pycache__"))
    models = project.changed / "shop" / "models.py"
    models.write_text(models.read_text().replace(ANCHOR, ADDED, 1))
    migrations = project.changed / "shop" / "migrations"
    before = set(migrations.glob("0*.py"))
    name = CHANGE_MIGRATION.split("_", 1)[1]
    manage(project.changed, database_url, "makemigrations", "shop", "--name", name, "-v", "0")
    added = set(migrations.glob("0*.py")) - before
    if [path.stem for path in added] != [CHANGE_MIGRATION]:
        raise SystemExit(f"makemigrations shop wrote {sorted(added)} in {project.changed}")
    return project


def env(project_dir: Path, database_url: str) -> dict[str, str]:
    """Every command's environment: this checkout first on the path (its
    automigrate_cmd is the one measured), then the project."""
    variables = {**os.environ, "DATABASE_URL": database_url}
    # Let the processes write and reuse .pyc files (this machine's shell may forbid it).
    variables.pop("PYTHONDONTWRITEBYTECODE", None)
    variables.pop("DJANGO_SETTINGS_MODULE", None)
    variables.pop("EXECUTOR", None)  # django-tenants' default executor
    path = [str(REPO), str(project_dir), os.environ.get("PYTHONPATH", "")]
    variables["PYTHONPATH"] = os.pathsep.join(filter(None, path))
    return variables


def manage(project_dir: Path, database_url: str, *argv: str, **extra: str):
    """``manage.py argv`` in the project, untimed; it must exit 0."""
    command = [sys.executable, "manage.py", *argv]
    return run(command, project_dir, {**env(project_dir, database_url), **extra})[1]


# --- the databases -----------------------------------------------------------


class Databases:
    """The benchmark database and its templates, on one PostgreSQL server."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.name = parts.path.lstrip("/") or "automigrate_bench_tenants"
        self._parts = parts
        self.templates = {
            suffix: f"{self.name}_{suffix}" for suffix in ("base", "stored", "insync")
        }

    def url(self, database: str | None = None) -> str:
        return urlunsplit(self._parts._replace(path="/" + (database or self.name)))

    def _admin(self):
        return psycopg.connect(self.url("postgres"), autocommit=True)

    def all(self) -> list[str]:
        return [self.name, *self.templates.values()]

    def drop(self, *names: str) -> None:
        with self._admin() as admin:
            for name in names or self.all():
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def create(self, template: str | None = None) -> None:
        """The benchmark database anew: empty, or a copy of ``template``."""
        with self._admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            copy = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
            admin.execute(f'CREATE DATABASE "{self.name}"{copy}')

    def keep_as(self, template: str) -> None:
        """A copy of the benchmark database as it is now, to start runs from."""
        with self._admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{template}" TEMPLATE "{self.name}" STRATEGY FILE_COPY')

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.url()) as connection:
            return connection.execute(sql, params).fetchall()

    def tenant_schemas(self) -> int:
        return self.query(
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE %s", (like(PATTERN),)
        )[0][0]

    def with_column(self) -> int:
        """How many tenant schemas have the changed model's new column."""
        return self.query(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_schema LIKE %s AND table_name = %s AND column_name = %s",
            (like(PATTERN), CHANGED_TABLE, CHANGED_COLUMN),
        )[0][0]

    def recorded(self) -> int:
        """How many tenant schemas have the change's migration in django_migrations."""
        count = 0
        with psycopg.connect(self.url()) as connection:
            schemas = connection.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (like(PATTERN),)
            ).fetchall()
            for (schema,) in schemas:
                count += connection.execute(
                    f'SELECT count(*) FROM "{schema}".django_migrations '
                    "WHERE app = %s AND name = %s",
                    ("shop", CHANGE_MIGRATION),
                ).fetchone()[0]
        return count

    def with_table(self) -> int:
        return self.query(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema LIKE %s AND table_name = %s",
            (like(PATTERN), CHANGED_TABLE),
        )[0][0]

    def version(self) -> str:
        with self._admin() as admin:
            return "PostgreSQL " + admin.execute("SHOW server_version").fetchone()[0]


def like(glob: str) -> str:
    """A LIKE pattern of a glob made of literal characters and ``*``."""
    return glob.replace("_", r"\_").replace("*", "%")


def tenant_names(n: int) -> list[str]:
    width = max(3, len(str(n)))
    return [f"tenant_{i:0{width}d}" for i in range(1, n + 1)]


# --- the cases -----------------------------------------------------------------

STATES = {
    "base": "N schemas built by `migrate_schemas --tenant` at 0001 (autoupdate never ran)",
    "stored": "base, then one `autoupdate --all-schemas 'tenant_*' --noinput` with the base "
    "models (nothing to change; it stores each schema's desired tables)",
    "insync": "base, then 0002 applied by `migrate_schemas --tenant`, then one `autoupdate "
    "--all-schemas 'tenant_*' --noinput` with the changed models (nothing to change; desired "
    "tables stored)",
}
SERIAL, MULTI = "serial", "multiprocessing"  # the rows the ratios are to


@dataclass
class Case:
    section: str  # "change", "in sync", "reference"
    argv: list[str]  # manage.py arguments
    project: Path
    state: str  # key of STATES: the template each run starts from; "" for no database
    role: str = ""  # SERIAL or MULTI: a migrate_schemas row the others are compared with
    seconds: list[float] = field(default_factory=list)
    note: str = ""  # what went wrong
    reported: str = ""  # what the first run said it did

    @property
    def name(self) -> str:
        return "manage.py " + shlex.join(self.argv)

    @property
    def autoupdate(self) -> bool:
        return self.argv[0] == "autoupdate"


@dataclass
class Bench:
    project: Project
    databases: Databases
    tenants: int
    failures: list[str] = field(default_factory=list)

    def env(self, case: Case) -> dict[str, str]:
        return env(case.project, self.databases.url())

    def prepare(self, case: Case) -> None:
        if case.state:
            self.databases.create(self.databases.templates[case.state])

    def timed(self, case: Case, first: bool) -> float:
        """One run of ``case`` from its starting state, checked; its wall time."""
        self.prepare(case)
        command = [sys.executable, "manage.py", *case.argv]
        elapsed, done = run(command, case.project, self.env(case))
        self.check(case, done.stdout, first)
        return elapsed

    def check(self, case: Case, stdout: str, first: bool) -> None:
        """Did the run do the work? Raises CommandFailed if not."""
        n = self.tenants
        if case.section == "change":
            found = self.databases.with_column()
            if found != n:
                raise CommandFailed(
                    f"{case.name}: the new column {CHANGED_TABLE}.{CHANGED_COLUMN} is in "
                    f"{found} of {n} tenant schemas afterwards"
                )
        if case.argv[0] == "migrate_schemas":
            expected = "No migrations to apply"
            if case.section == "change":
                expected = f"Applying shop.{CHANGE_MIGRATION}"
            said = stdout.count(expected)
            if said != n:
                raise CommandFailed(f"{case.name}: {said!r} of {n} schemas say {expected!r}")
            if first:
                case.reported = f"{said} schemas: {expected}"
        elif case.autoupdate:
            outcomes = autoupdate_summary(stdout)
            said = sum(outcomes.values())
            wanted = "change(s) applied" if case.section == "change" else "matches the models"
            if said != n or any(wanted not in outcome for outcome in outcomes):
                raise CommandFailed(
                    f"{case.name}: its summary has {said} of {n} schemas, not all saying "
                    f"{wanted!r}:\n{stdout[-3000:]}"
                )
            if first:
                parts = (f"{k} schemas: {text.rstrip('.')}" for text, k in outcomes.items())
                case.reported = "; ".join(parts)
        if first and case.section == "change":
            recorded = self.databases.recorded()
            case.reported += f"; 0002 recorded in {recorded} of {n} schemas"
        if first and case.section == "change":
            # Untimed: is what the run made exactly what the models want?
            check = ["autoupdate", "--all-schemas", PATTERN, "--check"]
            command = [sys.executable, "manage.py", *check]
            _, done = run(command, case.project, self.env(case), (0, 1))
            if done.returncode:
                differs = summary_line(done.stdout)
                case.note = f"autoupdate --check finds differences afterwards: {differs}"
                self.failures.append(
                    f"After `{case.name}` (from state {case.state}), `manage.py "
                    f"{shlex.join(check)}` exited {done.returncode}:\n\n"
                    + fenced(done.stdout + done.stderr)
                )


def autoupdate_summary(stdout: str) -> Counter[str]:
    """How many schemas each outcome of autoupdate's closing summary has
    ("Summary:", then a line "  tenant_001: 1 change(s) applied." a schema)."""
    _, found, summary = stdout.rpartition("Summary:\n")
    outcomes: Counter[str] = Counter()
    for line in summary.splitlines() if found else []:
        if not line.startswith("  ") or ": " not in line:
            break
        outcomes[line.strip().split(": ", 1)[1]] += 1
    return outcomes


def summary_line(stdout: str) -> str:
    lines = [line.strip() for line in stdout.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def fenced(text: str, lines: int = 40) -> str:
    tail = "\n".join(text.strip().splitlines()[-lines:])
    return "```\n" + tail + "\n```"


def cases(project: Project) -> list[Case]:
    serial = ["migrate_schemas", "--tenant"]
    multi = [*serial, "--executor", "multiprocessing"]
    schemas = ["--all-schemas", PATTERN]
    update = ["autoupdate", *schemas, "--noinput"]
    check = ["autoupdate", *schemas, "--check"]
    found = [
        Case("change", serial, project.changed, "base", SERIAL),
        Case("change", multi, project.changed, "base", MULTI),
        Case("change", update, project.changed, "stored"),
        Case("change", update, project.changed, "base"),
        Case("in sync", serial, project.changed, "insync", SERIAL),
        Case("in sync", multi, project.changed, "insync", MULTI),
        Case("in sync", check, project.changed, "insync"),
        Case("in sync", update, project.changed, "insync"),
        Case("reference", ["check"], project.changed, ""),
    ]
    return found


# --- set-up --------------------------------------------------------------------


def build(bench: Bench) -> None:
    """The templates: base (0001 everywhere), stored, insync. Untimed."""
    databases, project, n = bench.databases, bench.project, bench.tenants
    url = databases.url()
    names = tenant_names(n)
    log(f"set-up: the shared apps and {n} tenants in {databases.name}")
    databases.create()
    start = time.perf_counter()
    manage(project.base, url, "migrate_schemas", "--shared", "--noinput", "-v", "0")
    manage(project.base, url, "shell", "-c", CREATE_TENANTS, BENCH_TENANT_NAMES=",".join(names))
    migrate = ["migrate_schemas", "--tenant", "--executor", "multiprocessing", "--noinput"]
    manage(project.base, url, *migrate, "-v", "0")
    log(f"  built in {time.perf_counter() - start:.1f} s")
    expect(databases.tenant_schemas() == n, f"{databases.tenant_schemas()} tenant schemas, not {n}")
    expect(databases.with_table() == n, f"{CHANGED_TABLE} in {databases.with_table()} schemas")
    expect(databases.with_column() == 0, "the new column is there before the change")
    databases.keep_as(databases.templates["base"])

    log("set-up: autoupdate once at the base models (stores the desired tables)")
    done = manage(project.base, url, "autoupdate", "--all-schemas", PATTERN, "--noinput")
    nothing_to_do(bench, done.stdout, "at the base models (schemas of migrate_schemas)")
    expect(databases.with_column() == 0, "autoupdate at the base models added the column")
    databases.keep_as(databases.templates["stored"])

    log("set-up: the change applied by migrate_schemas, for the in-sync rows")
    databases.create(databases.templates["base"])
    manage(project.changed, url, *migrate, "-v", "0")
    expect(databases.with_column() == n, "migrate_schemas did not add the column everywhere")
    done = manage(project.changed, url, "autoupdate", "--all-schemas", PATTERN, "--noinput")
    nothing_to_do(bench, done.stdout, "at the changed models (0002 by migrate_schemas)")
    databases.keep_as(databases.templates["insync"])


def nothing_to_do(bench: Bench, stdout: str, when: str) -> None:
    """The set-up's autoupdate runs must find the schemas that migrate_schemas
    built as the models want them; if not, the report says so."""
    outcomes = autoupdate_summary(stdout)
    log(f"  autoupdate {when}: {dict(outcomes)}")
    if outcomes != Counter({"matches the models, nothing to do.": bench.tenants}):
        bench.failures.append(
            f"Set-up: `autoupdate --all-schemas '{PATTERN}' --noinput` {when} did not find "
            f"every schema as the models want it, so the state it leaves differs from what "
            f"*starts from* says:\n\n{fenced(stdout)}"
        )


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"set-up went wrong: {message}")


# --- measuring -----------------------------------------------------------------


def measure(bench: Bench, found: list[Case], runs: int) -> None:
    """Per section: a warm-up of each case (unless runs == 1), then ``runs``
    timed runs round-robin."""
    for section in dict.fromkeys(case.section for case in found):
        members = [case for case in found if case.section == section]
        rounds = runs if runs == 1 else runs + 1
        for index in range(rounds):
            warm_up = runs > 1 and index == 0
            for case in members:
                if case.note.startswith("failed"):
                    continue
                what = "warm-up" if warm_up else f"run {index + (runs == 1)}/{runs}"
                try:
                    elapsed = bench.timed(case, first=index == 0)
                except CommandFailed as failure:
                    log(f"    FAILED {case.name}: {failure}")
                    case.note = "failed: " + summary_line(str(failure))
                    bench.failures.append(
                        f"`{case.name}` (from state {case.state or '-'}; run in "
                        f"{case.project}):\n\n{fenced(str(failure))}"
                    )
                    continue
                log(f"  {section}: {case.name} [{case.state}] {what}: {elapsed:.2f} s")
                if not warm_up:
                    case.seconds.append(elapsed)


# --- the report ----------------------------------------------------------------

HEADER = (
    "| section | case | starts from | runs | median s | min–max s "
    "| × migrate_schemas serial | × migrate_schemas multiprocessing | what the first run said |"
)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def ratio(value: float | None, reference: float | None) -> str:
    if value is None or not reference:
        return "–"
    return f"{value / reference:.3f}"


def table(found: list[Case]) -> str:
    lines = [HEADER, "|" + "---|" * (HEADER.count(" | ") + 1)]
    for case in found:
        same = [c for c in found if c.section == case.section]
        serial = next((median(c.seconds) for c in same if c.role == SERIAL), None)
        multi = next((median(c.seconds) for c in same if c.role == MULTI), None)
        whole = median(case.seconds)
        name = f"`{case.name}`" + (f" ({case.note})" if whole is None else "")
        if whole is not None and case.note:
            name += f" ({case.note})"
        cells = [
            case.section,
            name,
            case.state or "–",
            str(len(case.seconds)),
            "n/a" if whole is None else f"{whole:.3f}",
            f"{min(case.seconds):.2f}–{max(case.seconds):.2f}" if case.seconds else "–",
            "1" if case.role == SERIAL and whole is not None else ratio(whole, serial),
            "1" if case.role == MULTI and whole is not None else ratio(whole, multi),
            case.reported.replace("|", "\\|") or "–",
        ]
        if case.section == "reference":
            cells[6:8] = ["–", "–"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def targets(found: list[Case]) -> str:
    """The issue's target: autoupdate at least 10x faster than migrate_schemas
    (serial and multiprocessing), for the change and for the in-sync check."""
    lines = []
    for case in (c for c in found if c.autoupdate):
        same = [c for c in found if c.section == case.section]
        whole = median(case.seconds)
        for role in (SERIAL, MULTI):
            reference = next((median(c.seconds) for c in same if c.role == role), None)
            if whole is None or reference is None:
                continue
            speedup = reference / whole
            verdict = "met" if speedup >= 10 else "NOT met"
            lines.append(
                f"- {case.section}, `{case.name}` from *{case.state}*: `migrate_schemas` {role} "
                f"takes {speedup:.1f}x its time (target: 10x or more, {verdict})"
            )
    return "\n".join(lines) or "- no autoupdate row was measured"


def version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine(server: str) -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return "\n".join(
        [
            f"- CPU: {cpu_model()}, {os.cpu_count()} cores; load average at the end: {load}",
            f"- OS: {platform.platform()}",
            f"- Python {platform.python_version()} ({sys.executable}), Django "
            f"{version('django')}, django-tenants {version('django-tenants')}, psycopg "
            f"{version('psycopg')}",
            f"- Database: {server}",
            f"- automigrate_cmd: {git_revision()}",
            f"- django-tenants' multiprocessing executor: TENANT_MULTIPROCESSING_MAX_PROCESSES = "
            f"{PROCESSES} (the machine has {os.cpu_count()} cores), chunks of 2 (its default)",
        ]
    )


NOTES = """\
- Every figure is the wall time of a whole process (`manage.py ...` by `subprocess`), the
  median of the timed runs (*runs*), after one untimed warm-up run of each case when there is
  more than one run; the runs of a section go round-robin over its cases.
- Before every run the database is a fresh copy of the state in *starts from* (`CREATE
  DATABASE ... TEMPLATE`, untimed).
- *change*: every tenant schema gets the one new nullable column, `shop_order.note`:
  `migrate_schemas` applies the migration `shop.0002_order_note`, `autoupdate` compares each
  schema with the changed models (0002 is present too) and adds the column. Every run is
  checked: exit status 0, the column in every tenant schema (`information_schema.columns`), and
  for `migrate_schemas` that every schema said it applied 0002 (in sync: "No migrations to
  apply"). After the first run of each change case, `autoupdate --all-schemas 'tenant_*'
  --check` must exit 0 (untimed): the schemas are what the models want.
- *in sync*: nothing to do; `autoupdate --check` must exit 0 (it exits 1 when a schema differs).
- *× migrate_schemas ...*: the row's median over the median of that `migrate_schemas` row of the
  same section (below 0.1 is the issue's target: 10x faster).
- *reference*: `manage.py check`, Django's start-up and system checks, which every command pays.
"""


def report(found: list[Case], bench: Bench, server: str, command: str, runs: int) -> str:
    states = "\n".join(
        f"  - *{key}*: {text.replace('N schemas', f'{bench.tenants} schemas')}"
        for key, text in STATES.items()
    )
    parts = [
        "# automigrate_cmd benchmark: tenant schemas (django-tenants)",
        f"`{command}`: {bench.tenants} tenant schemas, {runs} timed run(s) per case"
        + (" after one warm-up" if runs > 1 else ", no warm-up"),
        "## Machine\n\n" + machine(server),
        "## Project\n\n"
        "- shared apps: django_tenants, customers (Client, Domain), contenttypes, auth, "
        "automigrate_cmd; tenant apps: contenttypes, auth, shop (Category, Product, Customer, "
        "Order, OrderLine: foreign keys, a one-to-one to the user, indexes, a unique_together)\n"
        f"- the change: `Order.{CHANGED_COLUMN} = models.TextField(null=True, blank=True)`, "
        f"migration `shop.{CHANGE_MIGRATION}`\n"
        f"- what each run starts from:\n{states}",
        "## Results\n\n" + table(found),
        "## Targets\n\n" + targets(found),
        "## How to read it\n\n" + NOTES,
    ]
    if bench.failures:
        parts.append("## Failures\n\n" + "\n\n".join(bench.failures))
    return "\n\n".join(parts)


# --- main ----------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=200, help="(default %(default)s)")
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="timed runs per case, after one untimed warm-up; 1: no warm-up (default %(default)s)",
    )
    parser.add_argument("--output", type=Path, default=HERE / "results-tenants.md")
    parser.add_argument(
        "--postgresql-url",
        default="postgres://postgres@127.0.0.1:5432/automigrate_bench_tenants",
        help="the benchmark database; its templates add _base, _stored and _insync to its "
        "name (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.tenants < 1 or args.runs < 1:
        parser.error("--tenants and --runs must be 1 or more")
    return args


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    databases = Databases(args.postgresql_url)
    with tempfile.TemporaryDirectory(prefix="automigrate-bench-tenants-") as tmp:
        try:
            project = make_project(Path(tmp), databases.url())
            bench = Bench(project, databases, args.tenants)
            build(bench)
            found = cases(project)
            measure(bench, found, args.runs)
            server = databases.version()
        finally:
            databases.drop()
    command = "python benchmarks/tenants.py " + shlex.join(argv)
    text = report(found, bench, server, command.strip(), args.runs)
    args.output.write_text(text + "\n")
    print(text)
    log(f"done; written to {args.output}")
    if any(case.note.startswith("failed") for case in found):
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
