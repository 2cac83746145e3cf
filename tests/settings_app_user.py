"""The example project as a deployment runs it with the app's own database
user (tests/test_privileges.py): ``AUTOMIGRATE_SCRATCH_DATABASE`` comes from
the environment."""

import os

from todo_project.settings import *  # noqa: F403

AUTOMIGRATE_SCRATCH_DATABASE = os.environ.get("AUTOMIGRATE_SCRATCH_DATABASE") or None
