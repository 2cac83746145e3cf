"""The real-app corpus: a benchmark project of real third-party apps from PyPI.

Its settings are the test suite's real-app corpus, ``tests/realapps/settings.py``
(the example project, wagtail, allauth, taggit, guardian, reversion, knox, ...,
pinned in ``requirements-realapps.txt`` and, on Django 5.2,
``requirements-realapps-django52.txt``), imported as they are: the benchmark
project's settings module only adds the benchmark's switches, as the generated
project's do (``BENCH_NOMIGRATIONS=1``: no app has migrations, the syncdb
path; utf8mb4 on MariaDB; pytest-django's test database named
``<name>_test``). The migration histories are the apps' own.

``changes_k1/`` is the same project with one change to the project's own
app, ``todolist``: a nullable column added to ``Todo``, with its migration
(``makemigrations todolist``). The third-party apps stay as installed: one
change of one's own models in a project full of other people's apps is the
everyday case. Only K = 1 is measured there.

The project is small (a settings module, ``manage.py``, two tests) and written
anew in the run's working directory each time; what it holds comes from the
virtualenv.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from measure import REPO
from synthetic import MANAGE, NO_MIGRATIONS_SWITCH, PYTEST_INI, TEST_NODB

LABEL = "realapps"
CHANGES = [1]  # the K values of the changes section on this corpus
REQUIREMENTS = ["requirements-realapps.txt", "requirements-realapps-django52.txt"]

SETTINGS = (
    '''"""Settings of the real-app benchmark project (benchmarks/realapps.py): the test
suite's real-app corpus, tests/realapps/settings.py, as it is, with the
benchmark's switches. BENCH_NOMIGRATIONS=1 disables every app's migrations, as
pytest-django's --nomigrations does (migrate --run-syncdb).
"""

import os

from tests.realapps.settings import *  # noqa: F403
from tests.realapps.settings import DATABASES

_default = DATABASES["default"]
if _default["ENGINE"].endswith("mysql"):
    _default["OPTIONS"] = {"charset": "utf8mb4"}
    _default["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_general_ci"}
if not _default["ENGINE"].endswith("sqlite3"):
    # Next to the benchmark database's name (SQLite's test database is in memory).
    _default.setdefault("TEST", {})["NAME"] = f"{_default['NAME']}_test"

'''
    + NO_MIGRATIONS_SWITCH
)

TEST_DB = """import pytest
from taggit.models import Tag


@pytest.mark.django_db
def test_database_is_built():
    assert not Tag.objects.exists()
"""

# What the project holds, counted by Django in the project's own interpreter.
COUNT = """
import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchproject.settings")

django.setup()
from django.apps import apps
from django.db.migrations.loader import MigrationLoader

loader = MigrationLoader(None, ignore_no_migrations=True)
print(json.dumps({
    "apps": len(apps.get_app_configs()),
    "migrated_apps": len(loader.migrated_apps),
    "migrations": len(loader.disk_migrations),
    "models": len(apps.get_models()),
}))
"""

# The change of changes_k1/: a nullable column on todolist.Todo.
ANCHOR = "    tag = models.JSONField(blank=True, null=True)\n"
ADDED = "    bench_0 = models.IntegerField(null=True)\n"


@dataclass(frozen=True)
class RealAppsProject:
    """What scenarios.py and run.py use of a project, as synthetic.Project has it."""

    root: Path
    n_models: int
    n_apps: int
    n_migrations: int
    packages: str  # the corpus's packages and versions, as installed

    label = LABEL

    @property
    def base(self) -> Path:
        return self.root / "base"

    def with_changes(self, k: int) -> Path:
        if k not in CHANGES:
            raise ValueError(f"the real-app corpus has changes_k{CHANGES}, not K={k}")
        return self.root / f"changes_k{k}"


def env() -> dict[str, str]:
    """What the project's commands need: the repository root on the path (the
    corpus settings and the example project are there)."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    variables = {**os.environ, "PYTHONPATH": path, "DATABASE_URL": "sqlite://:memory:"}
    variables.pop("DJANGO_SETTINGS_MODULE", None)
    variables.pop("BENCH_NOMIGRATIONS", None)
    return variables


def write_project(root: Path) -> None:
    (root / "benchproject").mkdir(parents=True)
    (root / "benchproject" / "__init__.py").write_text("")
    (root / "benchproject" / "settings.py").write_text(SETTINGS)
    (root / "manage.py").write_text(MANAGE)
    (root / "pytest.ini").write_text(PYTEST_INI)
    (root / "tests").mkdir()
    (root / "tests" / "test_db.py").write_text(TEST_DB)
    (root / "tests" / "test_nodb.py").write_text(TEST_NODB)


def write_changed(base: Path, variant: Path) -> None:
    """The project with the example app's models changed, and their migration:
    its own copy of todolist, which comes first on the path (the project
    directory) and hides the repository's."""
    shutil.copytree(base, variant, ignore=shutil.ignore_patterns("__pycache__"))
    app = variant / "todolist"
    shutil.copytree(REPO / "todolist", app, ignore=shutil.ignore_patterns("__pycache__"))
    models = app / "models.py"
    text = models.read_text()
    if ANCHOR not in text:
        raise RuntimeError(f"todolist/models.py has changed: no {ANCHOR.strip()!r} to add after")
    models.write_text(text.replace(ANCHOR, ANCHOR + ADDED, 1))
    before = set((app / "migrations").glob("0*.py"))
    command = [sys.executable, "manage.py", "makemigrations", "todolist", "--name", "bench_k1"]
    _run(command, variant)
    added = set((app / "migrations").glob("0*.py")) - before
    if len(added) != 1:
        raise RuntimeError(f"makemigrations todolist wrote {sorted(added)} in {variant}")


def _run(command: list[str], cwd: Path) -> str:
    done = subprocess.run(command, cwd=cwd, env=env(), capture_output=True, text=True)
    if done.returncode != 0:
        hint = ""
        if "ModuleNotFoundError" in done.stderr:
            hint = (
                "\nThe real-app corpus needs its packages in this interpreter: pip install -r "
                + " -r ".join(REQUIREMENTS[1:] if _django_52() else REQUIREMENTS[:1])
            )
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise SystemExit(f"{' '.join(command)} (in {cwd}) exited {done.returncode}:\n{tail}{hint}")
    return done.stdout


def _django_52() -> bool:
    return importlib.metadata.version("django").startswith("5.2")


def installed_packages() -> str:
    """The pinned packages as installed here ("wagtail 8.0.1, ..."), in the
    order of the requirements files; the ones missing said so."""
    names = []
    for requirements in REQUIREMENTS:
        for line in (REPO / requirements).read_text().splitlines():
            match = re.match(r"\s*([A-Za-z0-9_.-]+)==", line)
            if match:
                names.append(match.group(1))
    found = []
    for name in names:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def ensure_project(workdir: Path, log=print) -> RealAppsProject:
    """The real-app project, written in ``workdir``."""
    root = workdir / LABEL
    log(f"writing the real-app project in {root}")
    shutil.rmtree(root, ignore_errors=True)
    write_project(root / "base")
    counts = json.loads(_run([sys.executable, "-c", COUNT], root / "base").splitlines()[-1])
    for k in CHANGES:
        write_changed(root / "base", root / f"changes_k{k}")
    return RealAppsProject(
        root,
        n_models=counts["models"],
        n_apps=counts["apps"],
        n_migrations=counts["migrations"],
        packages=installed_packages(),
    )
