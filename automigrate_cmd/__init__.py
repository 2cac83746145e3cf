"""Keep a database in sync with the Django models, without migration files."""

from .api import AutomigrateResult, automigrate
from .exceptions import AutomigrateError, Cancelled, DatabaseUnavailable, LabelError, Refused
from .update import SyncPlan, SyncResult, autoupdate, check

__all__ = [
    "AutomigrateError",
    "AutomigrateResult",
    "Cancelled",
    "DatabaseUnavailable",
    "LabelError",
    "Refused",
    "SyncPlan",
    "SyncResult",
    "automigrate",
    "autoupdate",
    "check",
]
