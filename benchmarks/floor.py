"""The DDL floor: run a file of SQL with the database driver alone, no Django.

    DATABASE_URL=... python benchmarks/floor.py schema.sql

Connects with sqlite3, psycopg or MySQLdb, runs the whole script in one go
(one transaction where the server can roll DDL back), and prints the seconds
spent connected (connect, execute, commit) as JSON: the part of the process
that is not Python and driver start-up.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import dj_database_url


def run_sqlite(settings: dict, script: str) -> None:
    import sqlite3

    connection = sqlite3.connect(settings["NAME"])
    connection.executescript(f"BEGIN;\n{script}\nCOMMIT;")
    connection.close()


def run_postgresql(settings: dict, script: str) -> None:
    import psycopg

    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
    ) as connection:
        connection.execute(script)  # no parameters: one simple query, many statements
        connection.commit()


def run_mysql(settings: dict, script: str) -> None:
    import MySQLdb
    from MySQLdb.constants import CLIENT

    connection = MySQLdb.connect(
        db=settings["NAME"],
        user=settings["USER"],
        passwd=settings["PASSWORD"] or "",
        host=settings["HOST"],
        port=int(settings["PORT"] or 3306),
        charset="utf8mb4",
        client_flag=CLIENT.MULTI_STATEMENTS,
    )
    cursor = connection.cursor()
    cursor.execute(script)
    while cursor.nextset():  # every statement's result must be read
        pass
    connection.close()


RUNNERS = {"sqlite": run_sqlite, "postgresql": run_postgresql, "mysql": run_mysql}


def vendor(engine: str) -> str:
    return next(name for name in RUNNERS if name in engine)


def main() -> None:
    settings = dj_database_url.parse(os.environ["DATABASE_URL"])
    script = Path(sys.argv[1]).read_text()
    start = time.perf_counter()
    RUNNERS[vendor(settings["ENGINE"])](settings, script)
    print(json.dumps({"inner_seconds": time.perf_counter() - start}))


if __name__ == "__main__":
    main()
