"""Errors that carry a message meant for the user, one line, no traceback."""


class AutomigrateError(Exception):
    """Base class: the management commands print it as a CommandError."""


class LabelError(AutomigrateError):
    """A label names no model, several models, or a model without a table."""


class DatabaseUnavailable(AutomigrateError):
    """The database alias cannot be reached or is misconfigured."""


class Refused(AutomigrateError):
    """The run would lose data the user has not agreed to lose."""


class Cancelled(AutomigrateError):
    """The user answered no when asked to confirm; nothing was changed."""


def first_line(error: BaseException) -> str:
    """A driver's error message as one line, for a one-line CommandError."""
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0].rstrip(".")
