"""automigrate_cmd.snapshot: the schema comparator of the oracle tests.

It must be deterministic, see every kind of schema difference, and ignore
what legitimately differs between two builds of one schema (column order).
Small tables are built with raw DDL, per backend, and dropped afterwards.
"""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from automigrate_cmd.snapshot import diff_schemas, inspect_schema, strip_names

pytestmark = pytest.mark.django_db(transaction=True)

A, B, C = "snapkind_a", "snapkind_b", "snapkind_c"
PARENTS = ("snapparent_1", "snapparent_2")


def _execute(statements: list[str], table: str | None = None) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement.replace("{t}", table or ""))


def _drop(*tables: str) -> None:
    cascade = " CASCADE" if connection.vendor == "postgresql" else ""
    _execute([f"DROP TABLE IF EXISTS {table}{cascade}" for table in tables])


@pytest.fixture
def scratch():
    """Parent tables for foreign keys; drops every scratch table afterwards."""
    _drop(A, B, C, *PARENTS)
    _execute(
        [
            f"CREATE TABLE {parent} (id integer NOT NULL PRIMARY KEY, code integer UNIQUE)"
            for parent in PARENTS
        ]
    )
    yield
    _drop(A, B, C, *PARENTS)


def _normalized(record: dict, table: str) -> dict:
    """A table record with its own name replaced, lists re-sorted: comparable
    with the record of a table built the same way under another name."""
    renamed = json.loads(json.dumps(record).replace(table, "<t>"))
    for key, value in renamed.items():
        if isinstance(value, list):
            renamed[key] = sorted(value, key=lambda item: json.dumps(item, sort_keys=True))
    return renamed


def _records(*tables: str) -> list[dict]:
    snapshot = inspect_schema(connection, tables)
    assert sorted(snapshot) == sorted(tables)
    return [_normalized(snapshot[table], table) for table in tables]


# --- Determinism and shape -------------------------------------------------


def test_snapshot_is_deterministic_and_json_serializable():
    first = inspect_schema(connection)
    second = inspect_schema(connection)
    assert first == second
    assert json.loads(json.dumps(first)) == first
    assert json.dumps(first, sort_keys=False) == json.dumps(second, sort_keys=False)
    assert diff_schemas(first, second) == []
    assert "featureapp_node" in first and "django_migrations" in first
    assert not [table for table in first if table.startswith("sqlite_")]


def test_table_filter_and_missing_tables():
    everything = inspect_schema(connection)
    some = inspect_schema(connection, ["featureapp_node", "featureapp_MixedCase", "no_such_table"])
    assert sorted(some) == ["featureapp_MixedCase", "featureapp_node"]
    assert some["featureapp_node"] == everything["featureapp_node"]
    assert inspect_schema(connection, []) == {}


def test_constant_number_of_queries():
    with CaptureQueriesContext(connection) as queries:
        snapshot = inspect_schema(connection)
    assert len(snapshot) > 30
    # A fixed number, whatever the number of tables (MariaDB's is the largest:
    # foreign-key columns and rules are two queries).
    assert len(queries) <= 7


# --- diff_schemas and strip_names, on hand-made snapshots --------------------


def _column(type_: str, **extra) -> dict:
    return {"type": type_, "null": False, "default": None, **extra}


def test_diff_schemas_messages():
    a = {
        "todolist_todo": {
            "columns": {"title": _column("varchar(200)"), "gone": _column("integer")},
            "indexes": [{"name": "ix", "columns": ["title"], "predicate": None}],
            "checks": [{"name": None, "check": "a > 0"}],
            "comment": None,
        },
        "only_a": {"columns": {}},
    }
    b = {
        "todolist_todo": {
            "columns": {"title": _column("varchar(100)")},
            "indexes": [{"name": "ix", "columns": ["title"], "predicate": "(done)"}],
            "checks": [{"name": None, "check": "a > 1"}],
            "comment": "Todos",
        },
    }
    assert diff_schemas(a, b) == [
        "only_a: table only in a",
        "todolist_todo: check only in a: " + json.dumps({"check": "a > 0"}),
        "todolist_todo: check only in b: " + json.dumps({"check": "a > 1"}),
        "todolist_todo.gone: column only in a",
        "todolist_todo.title: type varchar(200) != varchar(100)",
        "todolist_todo: comment null != Todos",
        "todolist_todo: index ix: predicate null != (done)",
    ]
    assert diff_schemas(a, a) == []
    assert diff_schemas(a, b, labels=("migrate", "automigrate"))[0] == (
        "only_a: table only in migrate"
    )


def test_strip_names_compares_structure_only():
    def snapshot(name: str) -> dict:
        return {"t": {"indexes": [{"name": name, "columns": ["a"]}], "primary_key": None}}

    assert diff_schemas(snapshot("ix_one"), snapshot("ix_two")) != []
    assert diff_schemas(snapshot("ix_one"), snapshot("ix_two"), ignore_names=True) == []
    assert strip_names(snapshot("ix_one")) == strip_names(snapshot("ix_two"))


# --- The snapshot sees each kind of difference -------------------------------


def _table(columns: str, tail: str = "") -> str:
    return "CREATE TABLE {t} (id integer NOT NULL PRIMARY KEY, " + columns + ")" + tail


ALL = ("postgresql", "mysql", "sqlite")
NOT_MYSQL = ("postgresql", "sqlite")
FK = "CONSTRAINT {t}_fk FOREIGN KEY (v) REFERENCES "

# kind: (what diff_schemas must mention, {vendor: (DDL of a, DDL of b)}).
# The mention may differ per vendor: {vendor or "*": mention}.
KINDS: dict[str, tuple[str | dict[str, str], dict[str, tuple[list[str], list[str]]]]] = {
    "type": ("v: type", dict.fromkeys(ALL, ([_table("v integer")], [_table("v bigint")]))),
    "length": (
        "v: type",
        dict.fromkeys(ALL, ([_table("v varchar(200)")], [_table("v varchar(100)")])),
    ),
    "nullability": (
        "v: null",
        dict.fromkeys(ALL, ([_table("v integer NULL")], [_table("v integer NOT NULL")])),
    ),
    "default": (
        "v: default",
        dict.fromkeys(ALL, ([_table("v integer DEFAULT 1")], [_table("v integer DEFAULT 2")])),
    ),
    "collation": (
        "v: collation",
        {
            "postgresql": ([_table('v varchar(10) COLLATE "C"')], [_table("v varchar(10)")]),
            "mysql": ([_table("v varchar(10) COLLATE utf8mb4_bin")], [_table("v varchar(10)")]),
            "sqlite": ([_table("v varchar(10) COLLATE NOCASE")], [_table("v varchar(10)")]),
        },
    ),
    "column comment": (
        "v: comment",
        {
            "postgresql": (
                [_table("v integer"), "COMMENT ON COLUMN {t}.v IS 'one'"],
                [_table("v integer"), "COMMENT ON COLUMN {t}.v IS 'two'"],
            ),
            "mysql": ([_table("v integer COMMENT 'one'")], [_table("v integer COMMENT 'two'")]),
        },
    ),
    "table comment": (
        "<t>: comment",
        {
            "postgresql": (
                [_table("v integer"), "COMMENT ON TABLE {t} IS 'one'"],
                [_table("v integer")],
            ),
            "mysql": ([_table("v integer", " COMMENT='one'")], [_table("v integer")]),
        },
    ),
    "extra index": (
        "index <t>_ix only in a",
        dict.fromkeys(
            ALL,
            ([_table("v integer"), "CREATE INDEX {t}_ix ON {t} (v)"], [_table("v integer")]),
        ),
    ),
    "index order": (
        "index <t>_ix: columns",
        dict.fromkeys(
            ALL,
            (
                [_table("v integer"), "CREATE INDEX {t}_ix ON {t} (v)"],
                [_table("v integer"), "CREATE INDEX {t}_ix ON {t} (v DESC)"],
            ),
        ),
    ),
    "index columns": (
        "index <t>_ix: columns",
        dict.fromkeys(
            ALL,
            (
                [_table("v integer, w integer"), "CREATE INDEX {t}_ix ON {t} (v, w)"],
                [_table("v integer, w integer"), "CREATE INDEX {t}_ix ON {t} (w, v)"],
            ),
        ),
    ),
    "unique index": (
        # MySQL keeps no difference between a unique index and a unique constraint.
        {"mysql": "unique <t>_ix only in b", "*": "index <t>_ix: unique"},
        dict.fromkeys(
            ALL,
            (
                [_table("v integer"), "CREATE INDEX {t}_ix ON {t} (v)"],
                [_table("v integer"), "CREATE UNIQUE INDEX {t}_ix ON {t} (v)"],
            ),
        ),
    ),
    "partial predicate": (
        "index <t>_ix: predicate",
        dict.fromkeys(
            NOT_MYSQL,
            (
                [_table("v integer"), "CREATE INDEX {t}_ix ON {t} (v) WHERE v > 1"],
                [_table("v integer"), "CREATE INDEX {t}_ix ON {t} (v) WHERE v > 2"],
            ),
        ),
    ),
    "index expression": (
        "index <t>_ix: columns",
        dict.fromkeys(
            NOT_MYSQL,
            (
                [_table("s varchar(10)"), "CREATE INDEX {t}_ix ON {t} (lower(s))"],
                [_table("s varchar(10)"), "CREATE INDEX {t}_ix ON {t} (upper(s))"],
            ),
        ),
    ),
    "index include": (
        "index <t>_ix: include",
        {
            "postgresql": (
                [_table("v integer, w integer"), "CREATE INDEX {t}_ix ON {t} (v) INCLUDE (w)"],
                [_table("v integer, w integer"), "CREATE INDEX {t}_ix ON {t} (v)"],
            )
        },
    ),
    "index opclass": (
        "index <t>_ix: columns",
        {
            "postgresql": (
                [_table("s varchar(10)"), "CREATE INDEX {t}_ix ON {t} (s varchar_pattern_ops)"],
                [_table("s varchar(10)"), "CREATE INDEX {t}_ix ON {t} (s)"],
            )
        },
    ),
    "index method": (
        "index <t>_ix: method",
        {
            "postgresql": (
                [_table("v integer"), "CREATE INDEX {t}_ix ON {t} USING hash (v)"],
                [_table("v integer"), "CREATE INDEX {t}_ix ON {t} USING btree (v)"],
            )
        },
    ),
    "check body": (
        "check <t>_ck: check",
        dict.fromkeys(
            ALL,
            (
                [_table("v integer, CONSTRAINT {t}_ck CHECK (v > 0)")],
                [_table("v integer, CONSTRAINT {t}_ck CHECK (v > 1)")],
            ),
        ),
    ),
    "unique constraint": (
        "unique <t>_uq only in a",
        dict.fromkeys(
            ALL,
            ([_table("v integer, CONSTRAINT {t}_uq UNIQUE (v)")], [_table("v integer")]),
        ),
    ),
    "foreign key target": (
        "foreign key <t>_fk: ref_table snapparent_1 != snapparent_2",
        dict.fromkeys(
            ALL,
            (
                [_table("v integer, " + FK + "snapparent_1 (id)")],
                [_table("v integer, " + FK + "snapparent_2 (id)")],
            ),
        ),
    ),
    "foreign key target column": (
        "foreign key <t>_fk: ref_columns",
        dict.fromkeys(
            ALL,
            (
                [_table("v integer, " + FK + "snapparent_1 (id)")],
                [_table("v integer, " + FK + "snapparent_1 (code)")],
            ),
        ),
    ),
    "foreign key on delete": (
        "foreign key <t>_fk: on_delete CASCADE != SET NULL",
        dict.fromkeys(
            ALL,
            (
                [_table("v integer, " + FK + "snapparent_1 (id) ON DELETE CASCADE")],
                [_table("v integer, " + FK + "snapparent_1 (id) ON DELETE SET NULL")],
            ),
        ),
    ),
    "foreign key deferrable": (
        "foreign key <t>_fk: deferrable",
        dict.fromkeys(
            NOT_MYSQL,
            (
                [_table("v integer, " + FK + "snapparent_1 (id) DEFERRABLE INITIALLY DEFERRED")],
                [_table("v integer, " + FK + "snapparent_1 (id)")],
            ),
        ),
    ),
    "generated expression": (
        "g: generated.expression",
        {
            "postgresql": (
                [_table("v integer, g integer GENERATED ALWAYS AS (v + 1) STORED")],
                [_table("v integer, g integer GENERATED ALWAYS AS (v + 2) STORED")],
            ),
            "mysql": (
                [_table("v integer, g integer AS (v + 1) STORED")],
                [_table("v integer, g integer AS (v + 2) STORED")],
            ),
            "sqlite": (
                [_table("v integer, g integer GENERATED ALWAYS AS (v + 1) STORED")],
                [_table("v integer, g integer GENERATED ALWAYS AS (v + 2) STORED")],
            ),
        },
    ),
    "generated storage": (
        "g: generated.stored true != false",
        {
            "mysql": (
                [_table("v integer, g integer AS (v + 1) STORED")],
                [_table("v integer, g integer AS (v + 1) VIRTUAL")],
            ),
            "sqlite": (
                [_table("v integer, g integer GENERATED ALWAYS AS (v + 1) STORED")],
                [_table("v integer, g integer GENERATED ALWAYS AS (v + 1) VIRTUAL")],
            ),
        },
    ),
    "identity": (
        "id: identity",
        {
            "postgresql": (
                ["CREATE TABLE {t} (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)"],
                ["CREATE TABLE {t} (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY)"],
            ),
            "mysql": (
                ["CREATE TABLE {t} (id integer NOT NULL AUTO_INCREMENT PRIMARY KEY)"],
                ["CREATE TABLE {t} (id integer NOT NULL PRIMARY KEY)"],
            ),
            "sqlite": (
                ["CREATE TABLE {t} (id integer PRIMARY KEY AUTOINCREMENT)"],
                ["CREATE TABLE {t} (id integer PRIMARY KEY)"],
            ),
        },
    ),
    "primary key": (
        "primary_key.columns",
        dict.fromkeys(
            ALL,
            (
                ["CREATE TABLE {t} (a integer NOT NULL, b integer NOT NULL, PRIMARY KEY (a))"],
                ["CREATE TABLE {t} (a integer NOT NULL, b integer NOT NULL, PRIMARY KEY (a, b))"],
            ),
        ),
    ),
}


@pytest.mark.parametrize("kind", KINDS)
def test_snapshot_sees_difference(kind, scratch):
    mention, per_vendor = KINDS[kind]
    if isinstance(mention, dict):
        mention = mention.get(connection.vendor, mention["*"])
    if connection.vendor not in per_vendor:
        pytest.skip(f"{connection.vendor} has no {kind}")
    ddl_a, ddl_b = per_vendor[connection.vendor]
    _execute(ddl_a, A)
    _execute(ddl_b, B)
    _execute(ddl_a, C)  # a again, under another name: the control
    a, b, a_again = _records(A, B, C)
    assert diff_schemas({"<t>": a}, {"<t>": a_again}) == []
    assert a == a_again
    assert a != b
    differences = diff_schemas({"<t>": a}, {"<t>": b})
    assert any(mention in line for line in differences), differences


# --- What the snapshot ignores -------------------------------------------------


def test_column_order_does_not_matter(scratch):
    _execute(
        [
            "CREATE TABLE {t} (id integer NOT NULL PRIMARY KEY, v varchar(10) DEFAULT 'x',"
            " w integer NOT NULL, CONSTRAINT {t}_ck CHECK (w > 0),"
            " CONSTRAINT {t}_fk FOREIGN KEY (w) REFERENCES snapparent_1 (id))",
            "CREATE INDEX {t}_ix ON {t} (v, w)",
        ],
        A,
    )
    _execute(
        [
            "CREATE TABLE {t} (w integer NOT NULL, v varchar(10) DEFAULT 'x',"
            " id integer NOT NULL PRIMARY KEY,"
            " CONSTRAINT {t}_fk FOREIGN KEY (w) REFERENCES snapparent_1 (id),"
            " CONSTRAINT {t}_ck CHECK (w > 0))",
            "CREATE INDEX {t}_ix ON {t} (v, w)",
        ],
        B,
    )
    a, b = _records(A, B)
    assert a == b
    assert diff_schemas({"<t>": a}, {"<t>": b}) == []


def test_sqlite_sql_spelling_does_not_matter(scratch):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite keeps the SQL as written")
    _execute(
        [
            'CREATE TABLE {t} ("id" integer NOT NULL PRIMARY KEY, "v" varchar(10) NOT NULL'
            ' COLLATE NOCASE CHECK ("v" <> \'\'), "g" integer GENERATED ALWAYS AS'
            ' (length("v")) STORED)',
            'CREATE INDEX "{t}_ix" ON "{t}" ("v" DESC) WHERE "v" <> \'a  b\'',
        ],
        A,
    )
    _execute(
        [
            "create table [{t}] (\n  `id` integer not null primary key,\n  [v]   varchar(10)"
            ' not null collate nocase check("v"<>\'\'),\n  "g" integer generated always as'
            ' (LENGTH("v"))  stored\n)',
            'create index {t}_ix on {t} ("v"  desc)\n  where "v"<>\'a  b\'',
        ],
        B,
    )
    a, b = _records(A, B)
    assert a == b
    # ...but the text of string literals does.
    _execute(["CREATE INDEX {t}_iy ON {t} (v) WHERE v <> 'a b'"], A)
    _execute(["CREATE INDEX {t}_iy ON {t} (v) WHERE v <> 'a  b'"], B)
    a, b = _records(A, B)
    assert any("predicate" in line for line in diff_schemas({"t": a}, {"t": b}))


def test_data_and_counters_do_not_matter():
    from tests.featureapp.models import Node, Tag

    before = inspect_schema(connection)
    parent = Node.objects.create(name="root")
    Node.objects.create(name="leaf", parent=parent)
    Tag.objects.bulk_create(Tag(name=f"tag{i}") for i in range(5))
    assert diff_schemas(before, inspect_schema(connection)) == []


# --- featureapp, as migrate built it -----------------------------------------


def _by_name(items: list[dict]) -> dict[str, dict]:
    return {item["name"]: item for item in items}


def test_featureapp_features_are_visible():
    vendor = connection.vendor
    snapshot = inspect_schema(connection)

    fieldoptions = snapshot["featureapp_fieldoptions"]
    columns = fieldoptions["columns"]
    assert columns["total"]["generated"]["stored"] is True
    assert "rank" in columns["total"]["generated"]["expression"]
    assert columns["both_defaults"]["default"] == "2"
    assert "draft" in columns["status"]["default"]
    assert columns["nickname"]["null"] is True and columns["name"]["null"] is False
    assert (
        columns["label"]["collation"]
        == {
            "postgresql": "C",
            "mysql": "utf8mb4_bin",
            "sqlite": "NOCASE",
        }[vendor]
    )
    assert columns["name"]["collation"] is None
    if vendor != "sqlite":
        assert columns["name"]["comment"] == "The display name"
        assert fieldoptions["comment"] == "Every per-field option"

    if vendor == "postgresql":
        assert "featureapp_virtualgenerated" not in snapshot
        assert "featureapp_pgindexed" in snapshot
    else:
        area = snapshot["featureapp_virtualgenerated"]["columns"]["area"]
        assert area["generated"]["stored"] is False
        assert "featureapp_pgindexed" not in snapshot

    constrained = snapshot["featureapp_constrained"]
    checks = _by_name(constrained["checks"])
    assert "rank" in checks["fa_ck_rank"]["check"] and ">= 0" in checks["fa_ck_rank"]["check"]
    assert "fa_uq_fields" in _by_name(constrained["uniques"])

    indexes = _by_name(snapshot["featureapp_indexed"]["indexes"])
    assert indexes["fa_ix_desc"]["columns"][0]["order"] == "DESC"
    assert [key["order"] for key in indexes["fa_ix_mixed_order"]["columns"]] == ["ASC", "DESC"]
    if vendor == "mysql":
        # Django drops the condition and skips expression indexes on MariaDB.
        assert "predicate" not in indexes["fa_ix_partial"]
        assert "fa_ix_lower" not in indexes
    else:
        assert "10" in indexes["fa_ix_partial"]["predicate"]
        assert "lower" in indexes["fa_ix_lower"]["columns"][0]["expression"].lower()

    assert snapshot["featureapp_release"]["primary_key"]["columns"] == ["product", "version"]
    assert "DisplayName" in snapshot["featureapp_MixedCase"]["columns"]

    (city_fk,) = snapshot["featureapp_city"]["foreign_keys"]
    assert (city_fk["columns"], city_fk["ref_table"], city_fk["ref_columns"]) == (
        ["country_code"],
        "featureapp_country",
        ["code"],
    )
    node_fks = snapshot["featureapp_node"]["foreign_keys"]
    assert [fk["ref_table"] for fk in node_fks] == ["featureapp_node"]
    # db_constraint=False: an index but no foreign key.
    assert snapshot["featureapp_article"]["foreign_keys"] == []
    assert "featureapp_article_tags" in snapshot

    ticket = snapshot["featureapp_ticket"]["columns"]
    if vendor == "postgresql":
        assert (ticket["small_id"]["type"], ticket["token_id"]["type"]) == ("smallint", "uuid")
        assert snapshot["featureapp_unlimitedchar"]["columns"]["name"]["type"] == (
            "character varying"
        )
    elif vendor == "mysql":
        assert (ticket["small_id"]["type"], ticket["token_id"]["type"]) == ("smallint(6)", "uuid")
        assert "featureapp_unlimitedchar" not in snapshot
    else:
        assert snapshot["featureapp_unlimitedchar"]["columns"]["name"]["type"] == "varchar"

    if vendor == "postgresql":
        assert city_fk["deferrable"] and city_fk["deferred"]
        assert indexes["fa_ix_include"]["include"] == ["rank"]
        assert indexes["fa_ix_opclass"]["columns"][0]["opclass"] == "varchar_pattern_ops"
        uniques = _by_name(constrained["uniques"])
        assert "NULLS NOT DISTINCT" in uniques["fa_uq_nulls"]["definition"]
        assert uniques["fa_uq_deferred"]["deferred"] is True
        assert _by_name(constrained["indexes"])["fa_uq_partial"]["predicate"] == "active"
        pg_indexes = _by_name(snapshot["featureapp_pgindexed"]["indexes"])
        assert {name: index["method"] for name, index in pg_indexes.items()} == {
            "fa_pg_brin": "brin",
            "fa_pg_gin": "gin",
            "fa_pg_hash": "hash",
        }
        assert columns["id"]["identity"] == "by default"
        assert (
            "now()" in columns["created"]["default"] or "timestamp" in columns["created"]["default"]
        )
    elif vendor == "mysql":
        json_check = _by_name(snapshot["featureapp_allfields"]["checks"])["json"]
        assert json_check["check"] == "json_valid(`json`)"
        assert columns["id"]["identity"] == "auto_increment"
        assert "current_timestamp" in columns["created"]["default"]
    else:
        assert city_fk["deferrable"] and city_fk["deferred"]
        assert columns["id"]["identity"] == "autoincrement"
        assert "STRFTIME" in columns["created"]["default"]


@pytest.mark.django_db(transaction=True, databases=["default", "other"])
def test_create_model_builds_what_migrate_builds():
    """featureapp rebuilt with schema_editor.create_model in the ``other``
    database has the snapshot migrate gave it in ``default``: the models can
    be created both ways, and the snapshot sees no false difference."""
    other = connections["other"]
    models = [
        model
        for model in apps.get_app_config("featureapp").get_models()
        if model._meta.can_migrate(other)
    ]
    tables = sorted(
        {model._meta.db_table for model in models}
        | {
            field.remote_field.through._meta.db_table
            for model in models
            for field in model._meta.local_many_to_many
        }
    )
    by_migrate = inspect_schema(connection, tables)
    assert sorted(by_migrate) == tables

    existing = set(inspect_schema(other, tables))
    with other.cursor() as cursor:
        other.disable_constraint_checking()
        try:
            for table in existing:
                cascade = " CASCADE" if other.vendor == "postgresql" else ""
                cursor.execute(f"DROP TABLE {other.ops.quote_name(table)}{cascade}")
        finally:
            other.enable_constraint_checking()
    assert inspect_schema(other, tables) == {}
    with other.schema_editor() as editor:
        for model in models:
            editor.create_model(model)

    by_create_model = inspect_schema(other, tables)
    assert diff_schemas(by_migrate, by_create_model, labels=("migrate", "create_model")) == []
