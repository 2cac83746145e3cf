"""tests.settings plus ``livingapp``, an app whose models and migration files
a test writes in a directory of its own (``LIVING_APP_DIR``), so that it can
change the models and run ``makemigrations`` as a developer does."""

import os
import sys

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

sys.path.insert(0, os.environ["LIVING_APP_DIR"])

INSTALLED_APPS = [*INSTALLED_APPS, "livingapp"]
