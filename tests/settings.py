"""Settings for the test suite: the example project plus test-only apps.

``DATABASE_URL`` chooses the backend exactly as for the example project. A
second alias, ``other``, points at a sibling database on the same server so
that ``--database`` can be tested.
"""

from pathlib import Path

import django

from todo_project.settings import *  # noqa: F403
from todo_project.settings import DATABASES, INSTALLED_APPS

INSTALLED_APPS = [
    *INSTALLED_APPS,
    # featureapp uses GinIndex/BrinIndex/HashIndex (in a PostgreSQL-only model);
    # Django 6 requires this app for them on every backend (postgres.E005).
    "django.contrib.postgres",
    "tests.featureapp",
    "tests.otherapp",
    "tests.twinapp",
    "tests.historyapp",
    "tests.quotedapp",
    # Database-level on_delete exists from Django 6.1 on.
    *(["tests.dbdeleteapp"] if django.VERSION >= (6, 1) else []),
]


def _sibling(database: dict, suffix: str) -> dict:
    sibling = {**database, "TEST": {**database.get("TEST", {})}}
    name = str(database["NAME"])
    if database["ENGINE"].endswith("sqlite3") and name.endswith(".sqlite3"):
        sibling["NAME"] = name[: -len(".sqlite3")] + f"_{suffix}.sqlite3"
    else:
        sibling["NAME"] = f"{name}_{suffix}"
    return sibling


DATABASES = {**DATABASES, "other": _sibling(DATABASES["default"], "other")}

# SQLite test databases live in files, not in memory, so that the tests can
# run manage.py in a subprocess against the very database they inspect:
# test_<name>.sqlite3 next to the database DATABASE_URL names.
for _database in DATABASES.values():
    if _database["ENGINE"].endswith("sqlite3"):
        _path = Path(_database["NAME"])
        _database.setdefault("TEST", {})["NAME"] = str(_path.with_name(f"test_{_path.name}"))

DATABASE_ROUTERS = ["tests.routers.TestRouter"]

# otherapp.Gadget is swappable and swapped for otherapp.CustomGadget.
OTHERAPP_GADGET_MODEL = "otherapp.CustomGadget"

# tests.featureapp uses every schema feature on purpose; Django warns about
# the ones the current backend lacks (and skips them, as it should).
SILENCED_SYSTEM_CHECKS = [
    "fields.W163",  # db_comment
    "models.W027",  # check constraints
    "models.W036",  # conditional unique constraints
    "models.W037",  # conditional indexes
    "models.W038",  # deferrable unique constraints
    "models.W039",  # unique constraints with include
    "models.W040",  # indexes with include
    "models.W043",  # expression indexes
    "models.W044",  # unique constraints on expressions
    "models.W046",  # db_table_comment
    "models.W047",  # nulls_distinct
]
