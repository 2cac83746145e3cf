"""The commands as a person types them (issue 13, items 6, 7 and 9): at a
terminal (a pseudo-terminal), with Ctrl-C and Ctrl-D, piped into a reader that
stops reading, with bad options, and with the database connection cut in the
middle of a run. Each runs ``manage.py`` in a subprocess and checks what the
person sees (exit status, messages, no traceback) and what the database holds
afterwards."""

from __future__ import annotations

import datetime
import os
import pty
import select
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from django.db import connection, connections, models
from django.utils import timezone

from automigrate_cmd import automigrate, autoupdate, check
from automigrate_cmd.exceptions import InvalidOption
from automigrate_cmd.snapshot import diff_schemas, inspect_schema
from tests.conftest import PROJECT, database_url
from tests.featureapp.models import AllFields
from tests.test_autoupdate import TABLES, alter, seed, values
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


class Terminal:
    """``manage.py ARGS`` with a (pseudo-)terminal on standard input and
    output, as typed at a shell prompt; standard error is kept apart."""

    def __init__(self, *args: str, settings: str = "tests.settings", **env: str):
        self.master, slave = pty.openpty()
        # No echo: the output holds what the command prints, not what was typed.
        attributes = termios.tcgetattr(slave)
        attributes[3] &= ~termios.ECHO
        termios.tcsetattr(slave, termios.TCSANOW, attributes)
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", *args, "--no-color"],
            cwd=PROJECT,
            env=manage_env(settings, **env),
            stdin=slave,
            stdout=slave,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        # Kept open here until finish(): while a slave end is open, what the
        # command wrote just before it exited stays readable (with none open,
        # Linux may answer the master's read with EIO and drop it).
        self.slave = slave
        self.output = ""

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 4096)
        except OSError:  # EIO: the command ended and closed the terminal
            return False
        self.output += chunk.decode(errors="replace").replace("\r\n", "\n")
        return bool(chunk)

    def expect(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if time.monotonic() > deadline or (
                not self._read(0.2) and self.process.poll() is not None
            ):
                self.process.kill()
                raise AssertionError(
                    f"waited for {text!r}; the terminal shows {self.output!r}, "
                    f"stderr {self.stderr_so_far()!r}"
                )

    def stderr_so_far(self) -> str:
        return self.process.stderr.read() if self.process.poll() is not None else "(running)"

    def type(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def press_ctrl_d(self) -> None:
        os.write(self.master, b"\x04")  # end of input on an empty line

    def press_ctrl_c(self) -> None:
        # What the terminal driver does for Ctrl-C: SIGINT to the process.
        # A person presses it while the command waits for a line; a SIGINT
        # that lands after the prompt is written but before input() is
        # blocked in read(2) sets Python's flag without interrupting the read,
        # and the command then waits for a line forever.
        self._wait_until_reading_standard_input()
        self.process.send_signal(signal.SIGINT)

    def _wait_until_reading_standard_input(self, timeout: float = 30) -> None:
        """Until the command is blocked in read(2) on file descriptor 0."""
        syscall = Path(f"/proc/{self.process.pid}/syscall")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            fields = syscall.read_text().split()
            if fields[:2] in (["0", "0x0"], ["63", "0x0"]):  # read(0, ...): x86-64, arm64
                return
            time.sleep(0.01)

    def finish(self, timeout: float = 90) -> tuple[int, str]:
        """(exit status, standard error) once the command has ended."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        while self._read(0.1):
            pass
        os.close(self.slave)
        os.close(self.master)
        self.process.wait(timeout=5)
        return self.process.returncode, self.process.stderr.read()


def assert_one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


def make_title_shorter() -> None:
    alter(Todo, "title", models.CharField(max_length=100))


def rename_title_to_name() -> None:
    """An earlier model called the column ``name``."""
    alter(Todo, "title", models.CharField(max_length=200, db_column="name"))


def todo_titles() -> set[str]:
    return set(Todo.objects.values_list("title", flat=True))


# --- item 6: the one-off value is Python, as in makemigrations ---------------


def drop_todo_title() -> None:
    with connection.schema_editor() as editor:
        editor.remove_field(Todo, Todo._meta.get_field("title"))


def test_one_off_value_is_a_python_expression():
    """``'n/a'`` is the string n/a (no quotes), as makemigrations reads it; an
    expression that raises is reported and asked again."""
    seed()
    drop_todo_title()
    terminal = Terminal("autoupdate", "todolist")
    terminal.expect("Please enter a one-off value for the existing rows (todolist.Todo.title)")
    terminal.expect(">>> ")
    terminal.type("undefined_name")
    terminal.expect("NameError: name 'undefined_name' is not defined")
    terminal.type("'n/a'")
    status, stderr = terminal.finish()

    assert status == 0, (terminal.output, stderr)
    assert "Autoupdate done" in terminal.output
    assert todo_titles() == {"n/a"}


def test_one_off_value_timezone_now_fills_a_datetime_column():
    """``timezone.now`` (the example makemigrations gives) is called once:
    every row that was NULL gets the time of the run."""
    row = AllFields.objects.create(
        big_integer=1,
        integer=1,
        small_integer=1,
        positive_big_integer=1,
        positive_integer=1,
        positive_small_integer=1,
        char="c",
        text="t",
        slug="s",
        email="a@example.com",
        url="https://example.com",
        decimal="1.50",
        float=1.5,
        date=datetime.date(2026, 1, 1),
        datetime=timezone.now(),
        time=datetime.time(12, 0),
        duration=datetime.timedelta(minutes=5),
        binary=b"x",
        file="a.txt",
        file_path="/tmp/a",
    )
    alter(AllFields, "datetime", models.DateTimeField(null=True))
    AllFields.objects.update(datetime=None)
    started = timezone.now()

    terminal = Terminal("autoupdate", "featureapp.AllFields")
    terminal.expect("(featureapp.AllFields.datetime)")
    terminal.expect(">>> ")
    terminal.type("timezone.now")
    status, stderr = terminal.finish()

    assert status == 0, (terminal.output, stderr)
    filled = AllFields.objects.get(pk=row.pk).datetime
    assert started - datetime.timedelta(seconds=1) <= filled <= timezone.now()
    assert check("featureapp.AllFields").steps == []


def test_confirmed_rename_asks_no_one_off_value():
    """After "y" to the rename, the column is renamed and keeps its values:
    nothing is left that needs a one-off value, so none is asked for."""
    seed()
    kept = values()
    rename_title_to_name()
    terminal = Terminal("autoupdate", "todolist")
    terminal.expect("Did you rename todolist_todo.name to title? [y/N] ")
    terminal.type("y")
    status, stderr = terminal.finish()

    assert status == 0, (terminal.output, stderr)
    assert "one-off value" not in terminal.output
    assert "Rename column todolist_todo.title: from name... OK" in terminal.output
    assert values() == kept


# --- item 6: Ctrl-C and Ctrl-D ----------------------------------------------


@pytest.mark.parametrize("key", ["ctrl-c", "ctrl-d"])
def test_ctrl_c_or_ctrl_d_at_a_prompt_cancels(key):
    """As at makemigrations' questions: "Cancelled.", exit status 1, and
    nothing was changed."""
    seed()
    rename_title_to_name()
    before = inspect_schema(connection, TABLES)
    terminal = Terminal("autoupdate", "todolist")
    terminal.expect("Did you rename todolist_todo.name to title? [y/N] ")
    terminal.press_ctrl_c() if key == "ctrl-c" else terminal.press_ctrl_d()
    status, stderr = terminal.finish()

    assert status == 1, (terminal.output, stderr)
    assert terminal.output.rstrip().endswith("Cancelled."), (terminal.output, stderr)
    assert "Traceback" not in terminal.output + stderr, terminal.output + stderr
    assert diff_schemas(before, inspect_schema(connection, TABLES)) == []


@pytest.mark.parametrize("key", ["ctrl-c", "ctrl-d"])
def test_ctrl_c_or_ctrl_d_at_the_one_off_value_prompt_cancels(key):
    seed()
    drop_todo_title()
    before = inspect_schema(connection, TABLES)
    terminal = Terminal("autoupdate", "todolist")
    terminal.expect(">>> ")
    terminal.press_ctrl_c() if key == "ctrl-c" else terminal.press_ctrl_d()
    status, stderr = terminal.finish()

    assert status == 1, (terminal.output, stderr)
    assert terminal.output.rstrip().endswith("Cancelled."), (terminal.output, stderr)
    assert "Traceback" not in terminal.output + stderr, terminal.output + stderr
    assert diff_schemas(before, inspect_schema(connection, TABLES)) == []


@pytest.mark.parametrize("key", ["ctrl-c", "ctrl-d"])
def test_ctrl_c_or_ctrl_d_at_automigrate_confirmation_cancels(key):
    seed()
    kept = values()
    terminal = Terminal("automigrate", "todolist")
    terminal.expect("Type 'yes' to continue, or 'no' to cancel: ")
    terminal.press_ctrl_c() if key == "ctrl-c" else terminal.press_ctrl_d()
    status, stderr = terminal.finish()

    assert status == 1, (terminal.output, stderr)
    assert terminal.output.rstrip().endswith("Cancelled."), (terminal.output, stderr)
    assert "Traceback" not in terminal.output + stderr, terminal.output + stderr
    assert values() == kept


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


@pytest.mark.parametrize("command", ["autoupdate", "automigrate"])
def test_ctrl_c_mid_run_is_one_line(tmp_path, command):
    seed()
    make_title_shorter()
    process, _flag, _session = paused_run(tmp_path, command, "todolist", "--noinput")
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=90)

    assert process.returncode == 1, (out, err)
    assert assert_one_line(err) == "Interrupted; run the same command again to finish."
    # Interrupted before its first change; the lock went with the process.
    assert check("todolist").steps
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


# --- item 6: output piped into a reader that stops reading ------------------


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "real-run"])
def test_reader_that_stops_reading_does_not_stop_the_run(dry_run):
    """``autoupdate ... | head -1``: no BrokenPipeError traceback, and a real
    run still applies its changes (what it prints goes nowhere)."""
    make_title_shorter()
    args = ["--dry-run", "--sql"] if dry_run else ["--noinput"]
    process = subprocess.Popen(
        [sys.executable, "manage.py", "autoupdate", "todolist", *args],
        cwd=PROJECT,
        env=manage_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    process.stdout.close()  # the reader is gone before the first line is written
    stderr = process.stderr.read()
    process.wait(timeout=120)

    assert process.returncode == 0, stderr
    assert stderr == ""
    assert bool(check("todolist").steps) is dry_run


# --- item 6: bad options are usage errors ------------------------------------


def test_sql_without_dry_run_is_a_usage_error(run_manage):
    make_title_shorter()
    result = run_manage("autoupdate", "todolist", "--noinput", "--sql")

    assert result.returncode == 2
    assert result.stderr.startswith("usage: manage.py autoupdate")
    assert "error: --sql only goes with --dry-run" in result.stderr
    assert check("todolist").steps  # nothing was applied


@pytest.mark.parametrize("command", ["autoupdate", "automigrate"])
@pytest.mark.parametrize("value", ["-1", "nan", "inf", "soon"])
def test_lock_timeout_must_be_a_finite_number_of_seconds(run_manage, command, value):
    seed()
    kept = values()
    make_title_shorter()
    before = inspect_schema(connection, TABLES)
    result = run_manage(command, "todolist", "--noinput", f"--lock-timeout={value}")

    assert result.returncode == 2, result.stderr
    assert "error: argument --lock-timeout: expected a number of seconds, 0 or more" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert diff_schemas(before, inspect_schema(connection, TABLES)) == []
    assert values() == kept


@pytest.mark.parametrize("value", [-1.0, float("nan"), float("inf")])
def test_lock_timeout_from_python_is_refused_up_front(value):
    make_title_shorter()
    with pytest.raises(InvalidOption, match="lock timeout must be a number of seconds"):
        autoupdate("todolist", lock_timeout=value)
    with pytest.raises(InvalidOption):
        automigrate("todolist", lock_timeout=value)
    assert check("todolist").steps


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
    assert line.startswith("CommandError: "), line
    # The cut may hit the bookkeeping marker written just before the DDL
    # ("Database error on 'default': ...") or the DDL itself ("... failed: ...").
    assert line.lower().endswith("run the same command again to finish."), line
    if line.startswith(f"CommandError: {command.capitalize()} failed: "):
        undone = (
            "Nothing was changed (the run was rolled back)"
            if connection.vendor == "postgresql"
            else "The database does not roll back DDL"
        )
        assert undone in line, line
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
    """A statement that fails for a cause a re-run does not remove fails the
    same way again: the message says to fix the cause first. Here a trigger
    made by hand refuses the UPDATE that fills the NULLs of a column that
    becomes NOT NULL (what the plan foresees, a value that does not convert
    or a row that breaks a new constraint, it refuses before anything runs)."""
    seed()
    alter(Todo, "title", models.CharField(max_length=200, null=True))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE todolist_todo SET title = NULL WHERE title = 'milk'")
        cursor.execute(
            "CREATE TRIGGER todolist_todo_frozen BEFORE UPDATE ON todolist_todo FOR EACH ROW "
            "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'todos are frozen'"
        )
    try:
        result = run_manage(
            "autoupdate", "todolist", "--noinput", "--default", "todolist.Todo.title=x"
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS todolist_todo_frozen")

    assert result.returncode == 1
    line = assert_one_line(result.stderr)
    assert line.startswith("CommandError: Autoupdate failed: "), line
    assert line.endswith(
        "The database does not roll back DDL: the changes before the failing statement stay "
        "applied; fix the cause, then run the same command again to finish."
    ), line


# --- item 9: SQLite leaves no lock file behind --------------------------------


def lock_files() -> list[Path]:
    """This test database's lock files (other xdist workers' runs have their own)."""
    databases = [Path(connections[alias].settings_dict["NAME"]) for alias in connections]
    candidates = [db.with_name(db.name + ".automigrate-lock") for db in databases]
    return sorted(path for path in candidates if path.exists())


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
