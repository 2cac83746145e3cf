"""SQLite: the schema read into a snapshot.

The PRAGMAs give columns, keys and indexes; what they leave out comes from
the stored CREATE statements (``parse``). Read with the table-valued PRAGMA
functions joined to ``sqlite_master``: one query per PRAGMA for all tables,
whatever their number.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from ...snapshot import Record, Snapshot, empty_record
from .parse import fk_deferral, index_parts, parse_column, parse_create_table
from .tokens import render, tokenize, upper

_USER_TABLES = "m.type = 'table' AND substr(m.name, 1, 7) <> 'sqlite_'"


def inspect(connection: BaseDatabaseWrapper, cursor: Any, tables: list[str] | None) -> Snapshot:
    """The tables of the database (``tables`` only, if given), unsorted."""
    cursor.execute(f"SELECT m.name, m.sql FROM sqlite_master m WHERE {_USER_TABLES}")
    wanted = None if tables is None else set(tables)
    table_sql = {name: sql for name, sql in cursor.fetchall() if wanted is None or name in wanted}
    columns = _rows_by_table(
        cursor,
        f"""
        SELECT m.name, p.name, p.type, p."notnull", p.dflt_value, p.pk, p.hidden
        FROM sqlite_master m, pragma_table_xinfo(m.name) p
        WHERE {_USER_TABLES}
        """,
        table_sql,
    )
    index_rows = _rows_by_table(
        cursor,
        f"""
        SELECT m.name, il.name, il."unique", il.origin, ix.seqno, ix.cid, ix.name, ix."desc",
               ix.coll, i.sql
        FROM sqlite_master m, pragma_index_list(m.name) il, pragma_index_xinfo(il.name) ix
        LEFT JOIN sqlite_master i ON i.type = 'index' AND i.name = il.name
        WHERE {_USER_TABLES} AND ix."key" = 1
        ORDER BY m.name, il.name, ix.seqno
        """,
        table_sql,
    )
    fk_rows = _rows_by_table(
        cursor,
        f"""
        SELECT m.name, fk.id, fk."table", fk."from", fk."to", fk.on_update, fk.on_delete,
               fk."match"
        FROM sqlite_master m, pragma_foreign_key_list(m.name) fk
        WHERE {_USER_TABLES}
        ORDER BY m.name, fk.id, fk.seq
        """,
        table_sql,
    )
    return {
        table: _table(sql, columns[table], index_rows[table], fk_rows[table])
        for table, sql in table_sql.items()
    }


def _rows_by_table(cursor: Any, sql: str, tables: dict[str, str]) -> dict[str, list[tuple]]:
    """The rows of ``sql`` (its first column a table name) of ``tables``, by table."""
    cursor.execute(sql)
    rows: dict[str, list[tuple]] = defaultdict(list)
    for table, *row in cursor.fetchall():
        if table in tables:
            rows[table].append(tuple(row))
    return rows


def _table(sql: str, columns: list[tuple], indexes: list[tuple], fks: list[tuple]) -> Record:
    if upper(tokenize(sql)[:2]) == ["CREATE", "VIRTUAL"]:
        return _virtual_table(sql, columns)
    parsed_columns, table_constraints, tail = parse_create_table(sql)
    record = empty_record()
    # WITHOUT ROWID, STRICT.
    record["options"] = {"table_options": render(tail) or None}
    fk_clauses: dict[tuple[str, ...], Record] = {}
    pk_columns = _add_columns(record, columns, parsed_columns, fk_clauses)
    pk_name = _add_table_constraints(record, parsed_columns, table_constraints, fk_clauses)
    if pk_columns:
        record["primary_key"] = {"name": pk_name, "columns": [n for _, n in sorted(pk_columns)]}
    _add_foreign_keys(record, fks, fk_clauses)
    _add_indexes(record, indexes)
    return record


def _virtual_table(sql: str, columns: list[tuple]) -> Record:
    """A virtual table (FTS, R*Tree...): its module arguments are not a
    column list. Keeps the statement and the columns PRAGMA reports."""
    record = empty_record()
    record["options"] = {"virtual": render(tokenize(sql))}
    for name, type_, notnull, default, _, _ in columns:
        record["columns"][name] = {"type": type_, "null": not notnull, "default": default}
    return record


def _add_columns(
    record: Record,
    columns: list[tuple],
    parsed_columns: dict[str, Record],
    fk_clauses: dict[tuple[str, ...], Record],
) -> list[tuple[int, str]]:
    """The columns, with the checks, uniques and references declared on
    them; returns the primary key's columns as (position, name)."""
    pk_columns: list[tuple[int, str]] = []
    for name, type_, notnull, default, pk, hidden in columns:
        parsed = parsed_columns.get(name) or parse_column(['"x"'])
        generated = parsed["generated"]
        if generated and hidden in (2, 3):
            generated["stored"] = hidden == 3
        record["columns"][name] = {
            "type": " ".join(type_.split()),
            "null": not notnull,
            "default": render(tokenize(default)) if default is not None else None,
            "collation": parsed["collation"],
            "generated": generated,
            "comment": None,
            "identity": "autoincrement" if parsed["autoincrement"] else None,
        }
        if pk:
            pk_columns.append((pk, name))
        for check in parsed["checks"]:
            record["checks"].append({**check, "column": name})
        if parsed["unique"]:
            record["uniques"].append({"name": parsed["unique"]["name"], "columns": [name]})
        if parsed["references"]:
            fk_clauses[(name,)] = parsed["references"]
    return pk_columns


def _add_table_constraints(
    record: Record,
    parsed_columns: dict[str, Record],
    table_constraints: list[Record],
    fk_clauses: dict[tuple[str, ...], Record],
) -> str | None:
    """The checks and uniques declared on the table; returns the primary
    key's name, declared on its column or on the table."""
    pk_name = next(
        (c["primary_key_name"] for c in parsed_columns.values() if c["primary_key_name"]), None
    )
    for constraint in table_constraints:
        kind = constraint["kind"]
        if kind == "CHECK":
            record["checks"].append(
                {"name": constraint["name"], "check": constraint["check"], "column": None}
            )
        elif kind == "UNIQUE":
            # Declared on the column or on the table: the same constraint.
            record["uniques"].append({"name": constraint["name"], "columns": constraint["columns"]})
        elif kind == "PRIMARY":
            pk_name = constraint["name"]
        elif kind == "FOREIGN":
            fk_clauses[tuple(constraint["columns"])] = constraint
    return pk_name


def _add_foreign_keys(
    record: Record, fks: list[tuple], fk_clauses: dict[tuple[str, ...], Record]
) -> None:
    """PRAGMA foreign_key_list numbers keys by position in the SQL: grouped
    by that id, but only what the keys are is recorded."""
    grouped: dict[int, list[tuple]] = defaultdict(list)
    for fk_id, *row in fks:
        grouped[fk_id].append(tuple(row))
    for rows in grouped.values():
        from_columns = tuple(row[1] for row in rows)
        clause = fk_clauses.get(from_columns, {})
        deferrable, deferred = fk_deferral(clause.get("clause", []))
        ref_table, _, _, on_update, on_delete, match = rows[0]
        record["foreign_keys"].append(
            {
                "name": clause.get("name"),
                "columns": list(from_columns),
                "ref_table": ref_table,
                "ref_columns": [row[2] for row in rows],
                "on_update": on_update,
                "on_delete": on_delete,
                "match": match,
                "deferrable": deferrable,
                "deferred": deferred,
            }
        )


def _add_indexes(record: Record, indexes: list[tuple]) -> None:
    grouped: dict[str, list[tuple]] = defaultdict(list)
    for index_name, *row in indexes:
        grouped[index_name].append(tuple(row))
    for index_name, rows in grouped.items():
        unique, origin, index_sql = rows[0][0], rows[0][1], rows[0][-1]
        if origin != "c":
            # Autoindexes of PRIMARY KEY / UNIQUE: their names depend on the
            # order of the table definition; the constraints are recorded above.
            continue
        expressions, predicate = index_parts(index_sql)
        keys = []
        for position, (_, _, _, cid, column, desc, collation, _) in enumerate(rows):
            key: Record = (
                {"column": column}
                if cid >= 0
                else {"expression": expressions[position] if position < len(expressions) else None}
            )
            key["order"] = "DESC" if desc else "ASC"
            key["collation"] = collation.upper() if collation else None
            keys.append(key)
        record["indexes"].append(
            {"name": index_name, "unique": bool(unique), "columns": keys, "predicate": predicate}
        )
