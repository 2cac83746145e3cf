"""MySQL/MariaDB: the server's own DDL of a table, line by line.

Steps on MySQL give the live table exactly the column, key and constraint
definitions the scratch build has, as the server itself writes them in
SHOW CREATE TABLE.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.db.backends.base.base import BaseDatabaseWrapper

from ...exceptions import AutomigrateError

if TYPE_CHECKING:
    from ...sync.primary_keys import Retype

# {"columns": {name: line}, "keys": {name: line}, "constraints": {name: line}}
CreateLines = dict[str, dict[str, str]]

_IDENTIFIER = r"`((?:[^`]|``)*)`"


def create_lines(connection: BaseDatabaseWrapper, table: str) -> CreateLines:
    """The body lines of SHOW CREATE TABLE, by what they define."""
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW CREATE TABLE {connection.ops.quote_name(table)}")
        ddl = cursor.fetchone()[1]
    parsed: CreateLines = {"columns": {}, "keys": {}, "constraints": {}}
    for raw in ddl.splitlines()[1:-1]:
        line = raw.strip().rstrip(",")
        if line.startswith("`"):
            parsed["columns"][_first_identifier(line)] = line
        elif line.startswith("CONSTRAINT"):
            parsed["constraints"][_first_identifier(line)] = line
        elif line.startswith("PRIMARY KEY"):
            parsed["keys"]["PRIMARY"] = line
        elif re.match(r"(UNIQUE |FULLTEXT |SPATIAL )?KEY ", line):
            parsed["keys"][_first_identifier(line)] = line
    return parsed


def _first_identifier(line: str) -> str:
    return re.search(_IDENTIFIER, line).group(1).replace("``", "`")


def retyped_lines(connection: BaseDatabaseWrapper, retype: Retype) -> CreateLines:
    """The table's SHOW CREATE TABLE lines, the retyped columns' types swapped."""
    table, record, _target, types = retype
    lines = create_lines(connection, table)
    for column, sql_type in types.items():
        line = lines["columns"][column]
        live_type = record["columns"][column]["type"]
        head = re.match(r"`(?:[^`]|``)*`\s+", line)
        rest = line[head.end() :]
        if not rest.lower().startswith(live_type.lower()):
            raise AutomigrateError(f"Unexpected definition of {table}.{column}: {line}")
        lines["columns"][column] = head.group(0) + sql_type + rest[len(live_type) :]
    return lines
