"""Keep a database in sync with the Django models, without migration files.

The public names are loaded on first use: the pytest plugin imports this
package in every pytest run of the environment, Django project or not.
"""

from importlib import import_module

_EXPORTS = {
    "automigrate": "api",
    "AutomigrateResult": "api",
    "autoupdate": "sync.update",
    "check": "sync.update",
    "SyncPlan": "sync.update",
    "SyncResult": "sync.update",
    "databases_for": "databases",
    "DatabasesFailed": "databases",
    "schemas_for": "schemas",
    "AutomigrateError": "exceptions",
    "Cancelled": "exceptions",
    "DatabaseUnavailable": "exceptions",
    "LabelError": "exceptions",
    "NameTooLong": "exceptions",
    "Refused": "exceptions",
    "ScratchUnavailable": "exceptions",
    "UserCodeFailed": "exceptions",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'automigrate_cmd' has no attribute {name!r}")
    return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
