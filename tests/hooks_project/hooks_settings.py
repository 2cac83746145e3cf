"""Settings of the throwaway project: DATABASE_URL picks the backend; a second
alias ``other`` is a sibling database on the same server."""

from pathlib import Path

import dj_database_url

SECRET_KEY = "hooks-project-only"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "automigrate_cmd",
    "hooksapp",
]
TEST_RUNNER = "automigrate_cmd.test_runner.AutomigrateRunner"
DATABASE_ROUTERS = ["hooksapp.routers.NoteRouter"]
# createcachetable must have built it in every test database.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "hooks_cache"}
}

default = dj_database_url.config()
other = {**default, "NAME": f"{default['NAME']}_other"}
if default["ENGINE"].endswith("sqlite3"):
    # Test databases in files (in-memory ones cannot be kept or inspected).
    base = Path(default["NAME"])
    other["NAME"] = str(base.with_name("db_other.sqlite3"))
    default["TEST"] = {"NAME": str(base.with_name("test_db.sqlite3"))}
    other["TEST"] = {"NAME": str(base.with_name("test_db_other.sqlite3"))}
DATABASES = {"default": default, "other": other}
