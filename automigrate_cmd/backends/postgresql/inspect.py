"""PostgreSQL: the catalog (``pg_catalog``) read into a snapshot.

One query per kind of thing (tables, columns, constraints, indexes) for all
the tables asked for, whatever their number. Restricted to the ordinary and
partitioned tables of ``current_schema()``, which in a scratch build is the
session's temporary schema (see ``scratch``).
"""

from __future__ import annotations

import json
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from ...snapshot import Record, Snapshot, empty_record
from .catalog import CURRENT_NAMESPACE, CURRENT_RELATIONS

# pg_constraint's one-letter codes.
_FK_ACTIONS = {
    "a": "NO ACTION",
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}
_FK_MATCH = {"f": "FULL", "p": "PARTIAL", "s": "SIMPLE"}
_IDENTITY = {"a": "always", "d": "by default"}
_SEQUENCE_KEYS = ("type", "start", "increment", "min", "max", "cache", "cycle")


def inspect(connection: BaseDatabaseWrapper, cursor: Any, tables: list[str] | None) -> Snapshot:
    """The tables of current_schema() (``tables`` only, if given), unsorted."""
    where, params = _filter(tables)
    result = _read_tables(cursor, where, params)
    _read_columns(cursor, where, params, result)
    _read_constraints(cursor, where, params, result)
    _read_indexes(connection, cursor, where, params, result)
    return result


def _filter(tables: list[str] | None) -> tuple[str, list[Any]]:
    """SQL restricting ``c`` (a pg_class) to the ordinary tables of current_schema()."""
    if tables is None:
        return f"c.oid = ANY({CURRENT_RELATIONS}) AND c.relkind IN ('r', 'p')", []
    # By name and schema: pg_class's index on both.
    sql = f"c.relnamespace = {CURRENT_NAMESPACE} AND c.relkind IN ('r', 'p')"
    return sql + " AND c.relname = ANY(%s)", [tables]


def _read_tables(cursor: Any, where: str, params: list[Any]) -> Snapshot:
    """An empty record per table, with its comment and storage options."""
    cursor.execute(
        f"""
        SELECT c.relname, obj_description(c.oid, 'pg_class'), c.relkind, c.relpersistence,
               c.reloptions, ts.spcname
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_tablespace ts ON ts.oid = c.reltablespace
        WHERE {where}
        """,
        params,
    )
    result: Snapshot = {}
    for name, comment, kind, persistence, reloptions, tablespace in cursor.fetchall():
        record = empty_record()
        record["comment"] = comment
        record["exclusions"] = []
        record["options"] = {
            "kind": {"r": "table", "p": "partitioned table"}[kind],
            # Only the scratch build's tables are temporary (scratch.py).
            "persistence": {"p": "permanent", "u": "unlogged", "t": "permanent"}[persistence],
            "reloptions": sorted(reloptions) if reloptions else None,
            "tablespace": tablespace,
        }
        result[name] = record
    return result


def _read_columns(cursor: Any, where: str, params: list[Any], result: Snapshot) -> None:
    """The columns of every table in ``result``.

    The default and the generation expression both live in pg_attrdef;
    attgenerated says which one it is. The collation is shown only where it
    is not the type's default.
    """
    cursor.execute(
        f"""
        WITH tab AS MATERIALIZED (
            SELECT c.oid, c.relname
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE {where}
        ), seq AS (
            -- The sequence behind an identity ('i') or serial ('a') column,
            -- for the tables read only (pg_depend's index on the referenced
            -- object): read once for all columns, as a lateral lookup per
            -- column was most of what an in-sync run spent in the catalog,
            -- and not for every sequence of the database (of every schema).
            SELECT DISTINCT ON (dep.refobjid, dep.refobjsubid)
                   dep.refobjid, dep.refobjsubid,
                   format_type(s.seqtypid, NULL) AS seqtype, s.seqstart, s.seqincrement,
                   s.seqmin, s.seqmax, s.seqcache, s.seqcycle
            FROM tab
            JOIN pg_depend dep ON dep.refclassid = 'pg_class'::regclass AND dep.refobjid = tab.oid
            JOIN pg_sequence s ON s.seqrelid = dep.objid
            WHERE dep.classid = 'pg_class'::regclass AND dep.deptype IN ('i', 'a')
            ORDER BY dep.refobjid, dep.refobjsubid, s.seqrelid
        )
        SELECT tab.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid), a.attgenerated, a.attidentity,
               CASE WHEN a.attcollation <> t.typcollation THEN co.collname END,
               col_description(tab.oid, a.attnum),
               seq.seqtype, seq.seqstart, seq.seqincrement, seq.seqmin, seq.seqmax,
               seq.seqcache, seq.seqcycle
        FROM tab
        JOIN pg_attribute a ON a.attrelid = tab.oid
        JOIN pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        LEFT JOIN pg_collation co ON co.oid = a.attcollation
        LEFT JOIN seq ON seq.refobjid = tab.oid AND seq.refobjsubid = a.attnum
        WHERE a.attnum > 0 AND NOT a.attisdropped
        """,
        params,
    )
    for row in cursor.fetchall():
        result[row[0]]["columns"][row[1]] = _column(row[2:9], row[9:])


def _column(row: tuple, sequence: tuple) -> Record:
    type_, notnull, expression, generated, identity, collation, comment = row
    return {
        "type": type_,
        "null": not notnull,
        "default": None if generated else expression,
        "collation": collation,
        "generated": (
            {"expression": expression, "stored": generated == "s"} if generated else None
        ),
        "comment": comment,
        "identity": _IDENTITY.get(identity),
        "sequence": (
            dict(zip(_SEQUENCE_KEYS, sequence, strict=True)) if sequence[0] is not None else None
        ),
    }


def _read_constraints(cursor: Any, where: str, params: list[Any], result: Snapshot) -> None:
    """Primary keys, uniques, checks, foreign keys, exclusions and constraint
    triggers. NOT NULL constraints (PostgreSQL 18's contype 'n') are column
    nullability, already recorded."""
    cursor.execute(
        f"""
        SELECT c.relname, con.conname, con.contype, pg_get_constraintdef(con.oid),
               ARRAY(
                   SELECT a.attname::text
                   FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, position)
                   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                   ORDER BY k.position
               ),
               fc.relname,
               ARRAY(
                   SELECT a.attname::text
                   FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, position)
                   JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
                   ORDER BY k.position
               ),
               con.confupdtype, con.confdeltype, con.confmatchtype,
               con.condeferrable, con.condeferred, con.convalidated
        FROM pg_constraint con
        JOIN pg_class c ON c.oid = con.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_class fc ON fc.oid = con.confrelid
        WHERE {where} AND con.contype IN ('p', 'u', 'c', 'f', 'x', 't')
        """,
        params,
    )
    for row in cursor.fetchall():
        _add_constraint(result[row[0]], row[1:])


def _add_constraint(record: Record, row: tuple) -> None:
    (name, kind, definition, columns, ref_table, ref_columns) = row[:6]
    (on_update, on_delete, match, deferrable, deferred, validated) = row[6:]
    common = {"name": name, "definition": definition}
    if kind == "p":
        record["primary_key"] = {**common, "columns": columns}
    elif kind == "u":
        record["uniques"].append(
            {**common, "columns": columns, "deferrable": deferrable, "deferred": deferred}
        )
    elif kind == "c":
        # Check constraints name their columns in conkey: kept sorted, as
        # the order there is not meaningful.
        record["checks"].append(
            {"name": name, "check": definition, "columns": sorted(columns), "valid": validated}
        )
    elif kind == "f":
        record["foreign_keys"].append(
            {
                **common,
                "columns": columns,
                "ref_table": ref_table,
                "ref_columns": ref_columns,
                "on_update": _FK_ACTIONS[on_update],
                "on_delete": _FK_ACTIONS[on_delete],
                "match": _FK_MATCH[match],
                "deferrable": deferrable,
                "deferred": deferred,
                "valid": validated,
            }
        )
    else:  # 'x' exclusion, 't' constraint trigger
        record["exclusions"].append({**common, "kind": kind, "columns": columns})


def _read_indexes(
    connection: BaseDatabaseWrapper, cursor: Any, where: str, params: list[Any], result: Snapshot
) -> None:
    """The indexes, except those that implement a constraint (primary key,
    unique, exclusion): the constraint records them. One row per index, its
    key columns as JSON (cast to text: Django loads json columns as text)."""
    nulls_not_distinct = "i.indnullsnotdistinct" if connection.pg_version >= 150000 else "false"
    cursor.execute(
        f"""
        SELECT c.relname, ic.relname, i.indisunique, am.amname,
               pg_get_expr(i.indpred, i.indrelid), pg_get_indexdef(i.indexrelid),
               (
                   SELECT json_agg(json_build_object(
                       'attnum', i.indkey[k.n - 1],
                       'text', pg_get_indexdef(i.indexrelid, k.n, false),
                       'option', i.indoption[k.n - 1],
                       'opclass', opc.opcname,
                       'opclass_default', opc.opcdefault,
                       'collation', coll.collname
                   ) ORDER BY k.n)
                   FROM generate_series(1, i.indnkeyatts) AS k(n)
                   LEFT JOIN pg_opclass opc ON opc.oid = i.indclass[k.n - 1]
                   LEFT JOIN pg_collation coll ON coll.oid = i.indcollation[k.n - 1]
               )::text,
               ARRAY(
                   SELECT pg_get_indexdef(i.indexrelid, k, false)
                   FROM generate_series(i.indnkeyatts + 1, i.indnatts) AS k
                   ORDER BY k
               ),
               ic.reloptions, ts.spcname, {nulls_not_distinct}
        FROM pg_index i
        JOIN pg_class c ON c.oid = i.indrelid
        JOIN pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_am am ON am.oid = ic.relam
        LEFT JOIN pg_tablespace ts ON ts.oid = ic.reltablespace
        WHERE {where} AND NOT EXISTS (
            SELECT 1 FROM pg_constraint con
            WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid
              AND con.contype IN ('p', 'u', 'x')
        )
        """,
        params,
    )
    for row in cursor.fetchall():
        result[row[0]]["indexes"].append(_index(row[1:]))


def _index(row: tuple) -> Record:
    (name, unique, method, predicate, indexdef, keys, include) = row[:7]
    (reloptions, tablespace, nulls_not_distinct_value) = row[7:]
    return {
        "name": name,
        "unique": unique,
        "method": method,
        "columns": [_index_key(key) for key in json.loads(keys)],
        "include": include,
        "predicate": predicate,
        "nulls_distinct": not nulls_not_distinct_value,
        "options": sorted(reloptions) if reloptions else None,
        "tablespace": tablespace,
        # pg_get_indexdef from USING on: leaves out the index and table names.
        "definition": indexdef[indexdef.index(" USING ") + 1 :],
    }


def _index_key(key: dict[str, Any]) -> dict[str, Any]:
    # indoption bits: 1 = DESC, 2 = NULLS FIRST.
    return {
        ("column" if key["attnum"] else "expression"): key["text"],
        "order": "DESC" if key["option"] & 1 else "ASC",
        "nulls": "FIRST" if key["option"] & 2 else "LAST",
        "opclass": key["opclass"],
        "opclass_default": key["opclass_default"],
        "collation": key["collation"],
    }
