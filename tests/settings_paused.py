"""tests.settings plus tests.pauseapp, whose pre_migrate receiver can hold a
run still (for manage.py runs that a test interrupts or disconnects)."""

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.pauseapp"]
