"""Holds an automigrate/autoupdate run still, inside its schema lock: at
``pre_migrate`` (before its first step) or at ``post_migrate`` (after the
last, the last receiver: only the lock's release follows), so that a test
can interrupt it or cut its database connection there
(tests/test_commands_as_typed.py).

Inert unless ``AUTOMIGRATE_TEST_PAUSE`` names a file: the receiver of the
signal ``AUTOMIGRATE_TEST_PAUSE_AT`` names (default ``pre_migrate``) then
writes the database session id of the run's connection to ``<file>.session``
and waits until ``<file>`` exists (60 s at most).
"""

import os
import time
from pathlib import Path

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate, pre_migrate

_SESSION_ID_SQL = {"postgresql": "SELECT pg_backend_pid()", "mysql": "SELECT CONNECTION_ID()"}


def pause(sender, using, signal, **kwargs) -> None:
    flag = os.environ.get("AUTOMIGRATE_TEST_PAUSE")
    at = {"pre_migrate": pre_migrate, "post_migrate": post_migrate}[
        os.environ.get("AUTOMIGRATE_TEST_PAUSE_AT", "pre_migrate")
    ]
    if not flag or signal is not at:
        return
    connection = connections[using]
    session = 0
    if connection.vendor in _SESSION_ID_SQL:
        with connection.cursor() as cursor:
            cursor.execute(_SESSION_ID_SQL[connection.vendor])
            session = cursor.fetchone()[0]
    Path(f"{flag}.session").write_text(str(session))
    deadline = time.monotonic() + 60
    while not Path(flag).exists() and time.monotonic() < deadline:
        time.sleep(0.05)


class PauseConfig(AppConfig):
    name = "tests.pauseapp"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        pre_migrate.connect(pause, sender=self, dispatch_uid="tests.pauseapp.pause")
        post_migrate.connect(pause, sender=self, dispatch_uid="tests.pauseapp.pause_after")
