"""tests.settings plus ``livingapp``, an app whose models and migration files
a test writes in a directory of its own (``LIVING_APP_DIR``), so that it can
change the models and run ``makemigrations`` as a developer does."""

import os
import sys

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES, INSTALLED_APPS

sys.path.insert(0, os.environ["LIVING_APP_DIR"])

INSTALLED_APPS = [*INSTALLED_APPS, "livingapp"]

# Only the database the test runs against: makemigrations checks the history
# of every alias (Django 6.1 fails on one that does not exist).
DATABASES = {"default": DATABASES["default"]}
