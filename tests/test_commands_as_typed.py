"""The commands as a person types them (issue 13, items 7 and 9): at a
terminal (a pseudo-terminal), with Ctrl-C and Ctrl-D, piped into a reader that
stops reading, with bad options, and with the database connection cut in the
middle of a run. Each runs ``manage.py`` in a subprocess and checks what the
person sees (exit status, messages, no traceback) and what the database holds
afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, connections, models

from automigrate_cmd import automigrate, check
from tests.conftest import PROJECT, database_url
from tests.test_autoupdate import alter, seed
from todolist.models import Todo

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def rebuild_todolist_afterwards():
    yield
    automigrate("todolist")


def manage_env(settings: str = "tests.settings", **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings,
        "DATABASE_URL": database_url(),
        **extra,
    }


def assert_one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


def make_title_shorter() -> None:
    alter(Todo, "title", models.CharField(max_length=100))


def paused_run(
    tmp_path: Path, *args: str, at: str = "pre_migrate"
) -> tuple[subprocess.Popen, Path, int]:
    """``manage.py ARGS`` held still at the signal ``at`` (inside the schema
    lock; pre_migrate: before the first change, post_migrate: after the
    last; tests/pauseapp): the process, the file that lets it go on, and its
    database session id."""
    flag = tmp_path / "go-on"
    env = {"AUTOMIGRATE_TEST_PAUSE": str(flag), "AUTOMIGRATE_TEST_PAUSE_AT": at}
    process = subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=manage_env("tests.settings_paused", **env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    session_file = Path(f"{flag}.session")
    deadline = time.monotonic() + 90
    while not session_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"the run did not reach pre_migrate: {process.communicate()}")
        time.sleep(0.05)
    time.sleep(0.1)  # the file is written; let the receiver start waiting
    return process, flag, int(session_file.read_text() or 0)


# --- item 7: a connection that drops mid-run ---------------------------------


def cut_connection(session: int) -> None:
    """End the database session ``session`` from another connection, as a
    server restart or failover does."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_terminate_backend(%s)", [session])
        else:
            cursor.execute(f"KILL {int(session)}")


@pytest.mark.skipif(
    connection.vendor == "sqlite", reason="an SQLite file has no connection to lose"
)
@pytest.mark.parametrize("command", ["autoupdate", "automigrate"])
def test_connection_dropped_mid_run_is_one_line_and_a_rerun_finishes(tmp_path, command):
    seed()
    make_title_shorter()
    process, flag, session = paused_run(tmp_path, command, "todolist", "--noinput")
    cut_connection(session)
    flag.touch()
    out, err = process.communicate(timeout=90)

    assert process.returncode == 1, (out, err)
    line = assert_one_line(err)
    assert line.startswith(f"CommandError: {command.capitalize()} failed: "), line
    if connection.vendor == "postgresql":
        assert line.endswith(
            "Nothing was changed (the run was rolled back); run the same command again to finish."
        ), line
    else:
        assert line.endswith(
            "The database does not roll back DDL: run the same command again to finish."
        ), line
    # The lock went with the session: the same command again finishes.
    again = subprocess.run(
        [sys.executable, "manage.py", command, "todolist", "--noinput", "--lock-timeout", "5"],
        cwd=PROJECT,
        env=manage_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    assert check("todolist").steps == []


@pytest.mark.skipif(
    connection.vendor == "sqlite", reason="an SQLite file has no connection to lose"
)
@pytest.mark.parametrize("command", ["autoupdate", "automigrate"])
def test_connection_dropped_after_the_last_step_is_one_line(tmp_path, command):
    """Cut after the last change, while the run still holds its lock: the
    lock went with the session, and releasing it must not end in a traceback."""
    seed()
    make_title_shorter()
    process, flag, session = paused_run(
        tmp_path, command, "todolist", "--noinput", at="post_migrate"
    )
    cut_connection(session)
    flag.touch()
    out, err = process.communicate(timeout=90)

    assert "Traceback" not in err, err
    assert check("todolist").steps == []  # the changes were made before the cut
    if process.returncode:  # the release noticed the cut: one line that says so
        line = assert_one_line(err)
        assert line.startswith("CommandError: Database error on 'default': "), line
        assert line.endswith("Run the same command again to finish."), line
    again = subprocess.run(
        [sys.executable, "manage.py", "autoupdate", "todolist", "--noinput", "--lock-timeout=5"],
        cwd=PROJECT,
        env=manage_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    assert "No changes: the database matches the models." in again.stdout


@pytest.mark.skipif(
    connection.vendor != "mysql", reason="only MariaDB/MySQL leaves a failed run half-done"
)
def test_mariadb_statement_error_says_fix_the_cause(run_manage):
    """A statement the rows make fail (a value that is no integer) fails the
    same way on a re-run: the message says to fix the cause first."""
    seed()
    alter(Todo, "is_complete", models.CharField(max_length=10, default="0"))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE todolist_todo SET is_complete = 'maybe' WHERE title = 'milk'")
    result = run_manage("autoupdate", "todolist", "--noinput", "--accept-data-loss")

    assert result.returncode == 1
    line = assert_one_line(result.stderr)
    assert line.startswith("CommandError: Autoupdate failed: "), line
    assert line.endswith(
        "The database does not roll back DDL: the changes before the failing statement stay "
        "applied; fix the cause, then run the same command again to finish."
    ), line


# --- item 9: SQLite leaves no lock file behind --------------------------------


def lock_files() -> list[Path]:
    database = Path(connections["default"].settings_dict["NAME"])
    return sorted(database.parent.glob("*.automigrate-lock"))


@pytest.mark.skipif(connection.vendor != "sqlite", reason="only SQLite locks with a file")
def test_sqlite_runs_leave_no_lock_file(run_manage):
    for stale in lock_files():  # left by an earlier version
        stale.unlink()
    make_title_shorter()
    assert run_manage("autoupdate", "todolist", "--noinput").returncode == 0
    assert run_manage("automigrate", "todolist", "--noinput").returncode == 0
    assert lock_files() == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="only SQLite locks with a file")
def test_sqlite_waiter_gets_the_lock_after_the_file_is_removed():
    """A run that waits while another holds the lock gets it when the holder
    releases it (and removes the file), applies the change, and leaves no file."""
    from automigrate_cmd.locking import schema_lock

    make_title_shorter()
    waiters = []
    with schema_lock(connection, timeout=5):
        for _ in range(3):
            waiters.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "autoupdate", "todolist", "--noinput"],
                    cwd=PROJECT,
                    env=manage_env(),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        time.sleep(4)  # they start and wait on the lock file
        assert all(waiter.poll() is None for waiter in waiters)
    outputs = [waiter.communicate(timeout=120) for waiter in waiters]

    assert [waiter.returncode for waiter in waiters] == [0, 0, 0], outputs
    assert sum("change(s) applied" in out for out, _err in outputs) == 1
    assert check("todolist").steps == []
    assert lock_files() == []
