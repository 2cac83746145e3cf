"""Errors that carry a message meant for the user, one line, no traceback."""


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


class Cancelled(AutomigrateError):
    """The user answered no when asked to confirm; nothing was changed."""


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
