"""The collation featureapp uses for ``db_collation``.

Collation names are backend-specific, so the name is chosen at import time
from the default connection's vendor. The model and its migration both call
``feature_collation()``, so they agree on every backend and ``makemigrations``
sees no change.
"""

from django.db import connection

_COLLATIONS = {
    "postgresql": "C",
    "mysql": "utf8mb4_bin",
    "sqlite": "NOCASE",
}


def feature_collation() -> str:
    """A non-default collation that exists on the default database's backend."""
    return _COLLATIONS[connection.vendor]
