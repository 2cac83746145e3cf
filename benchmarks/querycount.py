"""Run a ``manage.py`` command and count the SQL statements it sends, per connection.

    BENCH_QUERY_LOG=counts.json python benchmarks/querycount.py migrate --noinput

Run from the project directory. Every statement that goes through a Django
cursor (``execute``, ``executemany``: one each) is counted under its
connection's alias, so statements on the live connection (``default``) and on
the connections a command opens for itself (autoupdate's scratch place) are
told apart; connections opened are counted too. What a driver runs on its own
when connecting (time zone, type look-ups) is not counted. The counts are
written as JSON when the process exits, whatever its exit status.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
from collections import Counter

statements: Counter[str] = Counter()
connections_opened: Counter[str] = Counter()


def install_counters() -> None:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.backends.utils import CursorWrapper

    execute = CursorWrapper._execute_with_wrappers
    connect = BaseDatabaseWrapper.connect

    def counting_execute(self, sql, params, many, executor):
        statements[self.db.alias] += 1
        return execute(self, sql, params, many, executor)

    def counting_connect(self):
        connections_opened[self.alias] += 1
        return connect(self)

    CursorWrapper._execute_with_wrappers = counting_execute
    BaseDatabaseWrapper.connect = counting_connect


def write_counts(path: str) -> None:
    live = "default"
    counts = {
        "live": statements[live],
        "other": sum(n for alias, n in statements.items() if alias != live),
        "live_connections": connections_opened[live],
        "other_connections": sum(n for a, n in connections_opened.items() if a != live),
    }
    with open(path, "w") as out:
        json.dump(counts, out)


def main() -> None:
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchproject.settings")
    install_counters()
    atexit.register(write_counts, os.environ["BENCH_QUERY_LOG"])
    from django.core.management import execute_from_command_line

    execute_from_command_line(["manage.py", *sys.argv[1:]])


if __name__ == "__main__":
    main()
