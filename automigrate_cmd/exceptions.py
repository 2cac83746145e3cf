"""Errors that carry a message meant for the user, one line, no traceback."""

from django.db import DatabaseError


class AutomigrateError(Exception):
    """Base class: the management commands print it as a CommandError."""


class LabelError(AutomigrateError):
    """A label names no model, several models, or a model without a table."""


class NameTooLong(AutomigrateError):
    """A model names a table or column longer than the database accepts."""


class DatabaseUnavailable(AutomigrateError):
    """The database alias cannot be reached or is misconfigured."""


class Refused(AutomigrateError):
    """The run would lose data the user has not agreed to lose."""


class UnsupportedBackend(AutomigrateError):
    """The database's backend (``connection.vendor``) is none that
    ``automigrate_cmd.backends`` has a module for."""


class ScratchUnavailable(AutomigrateError):
    """The database user may not build the models where autoupdate reads
    back what the server makes of them (see scratch.py)."""


class ConstraintsHidden(AutomigrateError):
    """The catalog hides the constraints from this database user (MariaDB)."""


class UserCodeFailed(AutomigrateError):
    """A model's own code (a default callable, a field's db_parameters) raised."""


class Cancelled(AutomigrateError):
    """The user answered no when asked to confirm; nothing was changed."""


class InvalidOption(AutomigrateError):
    """An option's value makes no sense (a negative or infinite lock timeout)."""


class PartlyCommitted(DatabaseError):
    """A run split into several transactions (``lock_budget``) failed after
    committing some of them: the driver's error, as the cause."""

    def __init__(self, error: BaseException):
        super().__init__(*error.args)


def first_line(error: BaseException) -> str:
    """A driver's error message as one line, for a one-line CommandError.

    When the server ran out of a resource, its hint is kept: it names the
    setting to raise (PostgreSQL's "You might need to increase
    max_locks_per_transaction" when one transaction creates a thousand
    tables), the fix rather than only the symptom.
    """
    text = str(error).strip() or type(error).__name__
    line = text.splitlines()[0].rstrip(".")
    hint = _resource_hint(error)
    return f"{line} (hint: {hint.rstrip('.')})" if hint else line


def _resource_hint(error: BaseException | None) -> str:
    # Django re-raises driver errors as its own classes, the driver's as the cause.
    while error is not None:
        diag = getattr(error, "diag", None)
        # SQLSTATE class 53: insufficient resources (memory, disk, lock slots).
        if diag is not None and (diag.sqlstate or "").startswith("53") and diag.message_hint:
            return " ".join(diag.message_hint.split())
        error = error.__cause__
    return ""


def after_failure(error: BaseException, rolled_back: bool) -> str:
    """What a failed run left, and what to do: the sentence after the error.

    Where DDL is not rolled back (MariaDB/MySQL) every step is one a second
    run repeats safely, so a run cut short by a lost connection or a timeout
    is finished by running it again; one that failed on the statement itself
    (a syntax error, a constraint the rows break) fails the same way again
    until the cause is fixed.
    """
    again = "run the same command again to finish"
    if isinstance(error, PartlyCommitted):
        fix = "" if is_transient(error) else "fix the cause, then "
        return (
            "It ran in several transactions (PostgreSQL's lock budget): the ones before the "
            f"failing one stay applied; {fix}{again}."
        )
    if rolled_back:
        undone = "Nothing was changed (the run was rolled back)"
        return f"{undone}; {again}." if is_transient(error) else f"{undone}."
    if is_transient(error):
        return f"The database does not roll back DDL: {again}."
    return (
        "The database does not roll back DDL: the changes before the failing statement stay "
        f"applied; fix the cause, then {again}."
    )


# MySQL/MariaDB errors a second attempt may not meet: lock wait timeout,
# deadlock, query interrupted, connection killed, statement timeouts, cannot
# connect, server gone away, lost connection, disconnected for inactivity.
_TRANSIENT_MYSQL_CODES = {1205, 1213, 1317, 1927, 1969, 2002, 2003, 2006, 2013, 2055, 3024, 4031}
# PostgreSQL SQLSTATEs of the same kind: connection exception (08),
# transaction rollback (40: serialization failure, deadlock), operator
# intervention (57: statement timeout, server shut down), lock not available,
# idle-in-transaction timeout.
_TRANSIENT_SQLSTATES = ("08", "40", "57", "55P03", "25P03")
_SQLITE_BUSY_OR_LOCKED = {5, 6}


def is_transient(error: BaseException | None) -> bool:
    """Whether the database error is one a re-run can get past (the
    connection was lost, a lock or a statement timed out), as opposed to one
    the statement itself causes."""
    # Django re-raises driver errors as its own classes, the driver's as the cause.
    while error is not None:
        module = type(error).__module__
        if module.startswith("psycopg"):
            # psycopg 3 names it sqlstate, psycopg2 pgcode.
            sqlstate = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
            if sqlstate is None:  # no server answer: the connection is gone
                return type(error).__name__ in ("OperationalError", "InterfaceError")
            return sqlstate.startswith(_TRANSIENT_SQLSTATES)
        if module.startswith("MySQLdb"):
            code = error.args[0] if error.args else None
            return code in _TRANSIENT_MYSQL_CODES or type(error).__name__ == "InterfaceError"
        code = getattr(error, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in _SQLITE_BUSY_OR_LOCKED
        error = error.__cause__
    return False
