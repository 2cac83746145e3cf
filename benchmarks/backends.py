"""The three database servers: a fresh empty database per run, and their versions."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import dj_database_url


@dataclass
class Backend:
    name: str
    url: str  # DATABASE_URL of the benchmark database
    # pytest-django's test database, from the benchmark database's name (the
    # project's settings decide it: TEST NAME, or Django's test_<name>).
    test_template: str = "test_{}"

    @property
    def settings(self) -> dict:
        return dj_database_url.parse(self.url)

    @property
    def test_name(self) -> str:
        return self.test_template.format(self.settings["NAME"])

    def reset(self) -> None:
        """Drop the benchmark database and create it empty."""
        raise NotImplementedError

    def drop(self) -> None:
        raise NotImplementedError

    # A copy of the database as it is, to start later runs from quickly (not
    # on MySQL/MariaDB, which has no cheap way to copy a database).
    clones = False

    def snapshot(self) -> None:
        raise NotImplementedError

    def restore(self) -> None:
        """The benchmark database, fresh, as it was at the last snapshot()."""
        raise NotImplementedError

    def execute(self, sql: str) -> None:
        """Run one statement in the benchmark database."""
        raise NotImplementedError

    def version(self) -> str:
        raise NotImplementedError


class SQLite(Backend):
    clones = True

    @property
    def path(self) -> Path:
        return Path(self.settings["NAME"])

    def reset(self) -> None:
        self.drop()

    def snapshot(self) -> None:
        shutil.copyfile(self.path, self.path.with_name("snapshot.sqlite3"))

    def restore(self) -> None:
        self.drop()
        shutil.copyfile(self.path.with_name("snapshot.sqlite3"), self.path)

    def drop(self) -> None:
        path = self.path
        for leftover in path.parent.glob(path.name + "*"):  # -journal, -wal, lock file
            leftover.unlink(missing_ok=True)

    def execute(self, sql: str) -> None:
        connection = sqlite3.connect(self.settings["NAME"])
        with connection:
            connection.execute(sql)
        connection.close()

    def version(self) -> str:
        return f"SQLite {sqlite3.sqlite_version}"


class PostgreSQL(Backend):
    def _admin(self, database: str = "postgres"):
        import psycopg

        s = self.settings
        return psycopg.connect(
            dbname=database,
            user=s["USER"],
            password=s["PASSWORD"] or None,
            host=s["HOST"],
            port=s["PORT"] or 5432,
            autocommit=True,
        )

    def reset(self) -> None:
        with self._admin() as admin:
            name = self.settings["NAME"]
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')

    def drop(self) -> None:
        name = self.settings["NAME"]
        with self._admin() as admin:
            for database in (name, self.test_name, f"{name}_snapshot"):
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    clones = True

    def snapshot(self) -> None:
        name = self.settings["NAME"]
        with self._admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}_snapshot" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}_snapshot" TEMPLATE "{name}"')

    def restore(self) -> None:
        name = self.settings["NAME"]
        with self._admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{name}_snapshot"')

    def execute(self, sql: str) -> None:
        with self._admin(self.settings["NAME"]) as connection:
            connection.execute(sql)

    def version(self) -> str:
        with self._admin() as admin:
            return "PostgreSQL " + admin.execute("SHOW server_version").fetchone()[0]


class MySQL(Backend):
    def _admin(self, database: str = ""):
        import MySQLdb

        s = self.settings
        return MySQLdb.connect(
            db=database,
            user=s["USER"],
            passwd=s["PASSWORD"] or "",
            host=s["HOST"],
            port=int(s["PORT"] or 3306),
        )

    def _execute(self, *statements: str, database: str = "") -> list[tuple]:
        admin = self._admin(database)
        try:
            cursor = admin.cursor()
            for statement in statements:
                cursor.execute(statement)
            return list(cursor.fetchall())
        finally:
            admin.close()

    def reset(self) -> None:
        name = self.settings["NAME"]
        self._execute(
            f"DROP DATABASE IF EXISTS `{name}`",
            f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci",
        )

    def drop(self) -> None:
        name = self.settings["NAME"]
        self._execute(
            f"DROP DATABASE IF EXISTS `{name}`", f"DROP DATABASE IF EXISTS `{self.test_name}`"
        )

    def execute(self, sql: str) -> None:
        self._execute(sql, database=self.settings["NAME"])

    def version(self) -> str:
        return "MariaDB/MySQL " + self._execute("SELECT VERSION()")[0][0]


def make_backend(
    name: str,
    workdir: Path,
    postgresql_url: str,
    mysql_url: str,
    suffix: str = "",
    test_template: str = "test_{}",
) -> Backend:
    """The backend ``name``; ``suffix`` is added to its database's name (a
    corpus's databases of its own)."""
    if name == "sqlite":
        return SQLite(name, f"sqlite:///{workdir / f'bench{suffix}.sqlite3'}", test_template)
    if name == "postgresql":
        return PostgreSQL(name, postgresql_url + suffix, test_template)
    if name == "mysql":
        return MySQL(name, mysql_url + suffix, test_template)
    raise ValueError(f"unknown backend {name!r}: sqlite, postgresql or mysql")
