"""The random schema-evolution judge (issue 11, "autoupdate makes every change
``migrate`` can make"): the oracle is Django's own migrations.

Hypothesis draws models A (1-3 models in an isolated ``Apps`` registry, app
label ``evotest``) and B, A after random edits: models added, removed and
renamed (with many-to-many fields on either side), fields added, removed and
renamed (foreign keys and one-to-ones too), type changes among all the field
kinds, null/blank/default/db_default, unique/db_index/unique_together,
``Meta.indexes`` and ``Meta.constraints`` (with conditions and expressions),
``db_table`` and ``db_column`` changes, primary-key type changes; and rows in
every table of A, many-to-many links included.

Each example runs two paths on the same A and the same rows:

- **migrate**: ``MigrationAutodetector`` computes the operations empty -> A and
  A -> B (a questioner answers the renames the way the edits made them, and
  one-off defaults), applied as the executor applies them
  (``Migration.apply`` in a schema editor); then the schema and the values.
- **autoupdate**: A built the same way, the same rows, then
  ``autoupdate(B, renames=..., defaults=..., accept_data_loss=True)``.

The judge: autoupdate applies, or refuses up front (nothing changed) where
migrate cannot make the change either; the schema equals migrate's
structurally (``diff_schemas(..., ignore_names=True)``); every value migrate
kept is kept unless autoupdate announced its loss; a dropped column that held
values is announced; and ``check(B)`` afterwards plans nothing.

Failures are collected by kind (the run goes on, so the figures printed with
``-rP`` cover every example) and fail the test at the end, each kind with the
shortest example that showed it. ``EVOLUTION_RAISE=1`` raises at the first
one instead, so that hypothesis shrinks it.

``KNOWN_GAPS`` lists what is left out of the generation because of an open
bug (on the backends it shows on), each with the bug and its regression test
(``xfail(strict=True)``, at the end of this file): remove an entry when its
fix lands. ``ORACLE_QUIRKS`` lists what is left out because migrate A -> B
disagrees with migrate's own build of B (autoupdate builds the latter).

Examples: ``CI_EXAMPLES`` per backend (measured to fit about 5 minutes each on
the 2-core CI machine); ``EVOLUTION_SCALE`` runs a share of them (the second
Django leg of ``.ci/run`` sets 0.2), ``EVOLUTION_EXAMPLES`` a number of them;
``--slow`` runs ``SLOW_EXAMPLES``. ``CI`` makes the run
derandomized (the same examples every time).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import pytest
from django.apps.registry import Apps
from django.db import DatabaseError, connection, connections, models
from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.operations import RenameField, RenameModel
from django.db.migrations.questioner import MigrationQuestioner
from django.db.migrations.state import ModelState, ProjectState
from django.db.models import NOT_PROVIDED
from django.db.models.functions import Lower
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from automigrate_cmd import AutomigrateError, Refused, autoupdate, desired_cache
from automigrate_cmd.schema_editor import atomic_schema_editor
from automigrate_cmd.selection import tables_of
from automigrate_cmd.snapshot import diff_schemas, inspect_schema
from automigrate_cmd.sync.update import check
from tests.conftest import scaled

APP_LABEL = "evotest"
TABLE_PREFIX = f"{APP_LABEL}_"
MAX_MODELS = 3
IN_CI = bool(os.environ.get("CI"))
# Measured on the 2-core CI machine (Django 5.2, shared, load ~9): SQLite 300
# in 4 min, PostgreSQL 300 in 9.5 min, MariaDB 60 in 3.5-4.5 min.
CI_EXAMPLES = {"sqlite": 300, "postgresql": 160, "mysql": 60}
SLOW_EXAMPLES = 1000
RAISE_AT_FIRST = bool(os.environ.get("EVOLUTION_RAISE"))


# What the generation leaves out because autoupdate gets it wrong today: each
# entry names the bug and its regression test below. Remove an entry when the
# bug is fixed (the regression test then passes and its xfail marker must go).
@dataclass(frozen=True)
class Gap:
    vendors: frozenset[str]  # the backends it shows on
    bug: str  # what goes wrong, and the regression test that shows it


KNOWN_GAPS: dict[str, Gap] = {}


# What the generation leaves out because the oracle disagrees with itself:
# migrate A -> B builds something else than migrate builds for B from nothing,
# and autoupdate builds the latter. Not a bug of autoupdate's; each has a test.
ORACLE_QUIRKS: dict[str, Gap] = {
    "relation_retype": Gap(
        frozenset({"mysql"}),
        "Django's MySQL AlterField of a one-to-one into a foreign key adds an index on the "
        "column that a fresh build (and autoupdate) leaves to an index that begins with it; "
        "test_one_to_one_into_foreign_key",
    ),
    "pk_type_with_more": Gap(
        frozenset({"postgresql", "mysql"}),
        "Django's AlterField of a primary key together with a many-to-many field added to "
        "the same model: migrate's through table differs from a fresh build (and "
        "autoupdate's) in its foreign keys; test_pk_type_change_and_new_m2m",
    ),
    "db_column_with_more": Gap(
        frozenset({"sqlite"}),
        "Django's SQLite AlterField that changes db_column and something else of the "
        "field (db_index=True) renames the column in place and drops the rest: no index; "
        "a fresh build (and autoupdate) has it; test_db_column_and_db_index_at_once",
    ),
    "unique_twice": Gap(
        frozenset({"postgresql"}),
        "two unique constraints over the same columns (unique=True or a one-to-one, and a "
        "UniqueConstraint or unique_together over the same column): PostgreSQL's CREATE "
        "TABLE makes one of the two (it drops a repeated unique constraint), so a fresh "
        "build (and autoupdate) has one, where migrate's AlterField adds the second; "
        "test_unique_field_and_unique_constraint_on_it",
    ),
    "pk_type": Gap(
        frozenset({"sqlite"}),
        "Django's SQLite AlterField of a primary key from AutoField to BigAutoField "
        "leaves the foreign-key and many-to-many columns pointing at it 'INTEGER', where "
        "a fresh build (and autoupdate) makes them 'bigint' (the same affinity); "
        "test_pk_type_change_with_references",
    ),
}


def gap_open(feature: str) -> bool:
    """Whether the bug ``feature`` names shows on this backend (see KNOWN_GAPS)."""
    gap = KNOWN_GAPS.get(feature)
    return gap is not None and connection.vendor in gap.vendors


def quirk_shows(feature: str) -> bool:
    quirk = ORACLE_QUIRKS.get(feature)
    return quirk is not None and connection.vendor in quirk.vendors


def allowed(feature: str) -> bool:
    return not gap_open(feature) and not quirk_shows(feature)


# --- the schema description hypothesis draws ---------------------------------

INT_KINDS = {
    "int": models.IntegerField,
    "bigint": models.BigIntegerField,
    "smallint": models.SmallIntegerField,
    "posint": models.PositiveIntegerField,
}
FIELD_CLASSES: dict[str, type[models.Field]] = {
    **INT_KINDS,
    "char": models.CharField,
    "text": models.TextField,
    "bool": models.BooleanField,
    "decimal": models.DecimalField,
    "float": models.FloatField,
    "date": models.DateField,
    "datetime": models.DateTimeField,
    "uuid": models.UUIDField,
    "json": models.JSONField,
}
PLAIN_KINDS = sorted(FIELD_CLASSES)
RELATION_KINDS = ("fk", "o2o")
PK_KINDS = {
    "auto": models.AutoField,
    "bigauto": models.BigAutoField,
    "smallauto": models.SmallAutoField,
}
DEFAULTS = {
    **dict.fromkeys(INT_KINDS, 0),
    "char": "x",
    "text": "x",
    "bool": True,
    "decimal": Decimal("1"),
    "float": 1.5,
    "date": datetime.date(2020, 1, 1),
}
DB_DEFAULTS = {
    **dict.fromkeys(INT_KINDS, 3),
    "char": "y",
    "bool": False,
    "decimal": Decimal("2"),
    "float": 2.5,
}
# The one-off value for existing rows (makemigrations' question; autoupdate's
# ``defaults=``), as a user types it.
ONE_OFF = {
    **dict.fromkeys(INT_KINDS, "7"),
    "char": "z",
    "text": "z",
    "bool": "True",
    "decimal": "0",
    "float": "0.5",
    "date": "2021-02-03",
    "datetime": "2021-02-03 04:05:06+00:00",
    "uuid": "12345678-1234-4678-9234-567812345678",
}
MAX_LENGTHS = st.sampled_from([1, 5, 20, 255])


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # a FIELD_CLASSES key, "fk" or "o2o"
    null: bool = False
    blank: bool = False
    max_length: int | None = None
    digits: tuple[int, int] | None = None  # (max_digits, decimal_places)
    default: bool = False
    db_default: bool = False
    db_index: bool = False
    unique: bool = False
    target: str | None = None  # fk/o2o: the model's uid
    db_column: str | None = None

    @property
    def column(self) -> str:
        return self.db_column or (f"{self.name}_id" if self.is_relation else self.name)

    @property
    def is_relation(self) -> bool:
        return self.kind in RELATION_KINDS


@dataclass(frozen=True)
class M2MSpec:
    name: str
    target: str  # the model's uid


@dataclass(frozen=True)
class IndexSpec:
    fields: tuple[str, ...] = ()
    lower: str | None = None  # Index(Lower(field)) instead of fields
    condition: str | None = None  # condition=Q(field__isnull=False)


@dataclass(frozen=True)
class ConstraintSpec:
    kind: str  # "unique", "unique_lower" (UniqueConstraint(Lower(f))), "check" (f >= 0)
    fields: tuple[str, ...]
    condition: str | None = None  # unique: condition=Q(field__isnull=False)


@dataclass(frozen=True)
class ModelSpec:
    uid: str  # stays through renames: names the indexes and constraints
    name: str
    pk: str = "bigauto"  # a PK_KINDS key
    fields: tuple[FieldSpec, ...] = ()
    m2ms: tuple[M2MSpec, ...] = ()
    db_table: str | None = None
    indexes: tuple[IndexSpec, ...] = ()
    unique_together: tuple[tuple[str, ...], ...] = ()
    constraints: tuple[ConstraintSpec, ...] = ()

    @property
    def table(self) -> str:
        return self.db_table or TABLE_PREFIX + self.name.lower()

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


Schema = tuple[ModelSpec, ...]


def indexable(spec: FieldSpec, vendor: str) -> bool:
    # MySQL cannot index TEXT (or JSON, LONGTEXT on MariaDB) without a prefix.
    return spec.kind != "json" and not (spec.kind == "text" and vendor == "mysql")


def uniqueable(spec: FieldSpec, vendor: str) -> bool:
    # Booleans have two values: a few rows would repeat one.
    return indexable(spec, vendor) and spec.kind not in ("bool", "fk")


# --- strategies ---------------------------------------------------------------


def next_name(model: ModelSpec, prefix: str) -> str:
    names = [f.name for f in model.fields] + [m.name for m in model.m2ms]
    numbers = [int(m.group(1)) for n in names if (m := re.fullmatch(r"[a-z]+(\d+)", n))]
    return f"{prefix}{max(numbers, default=-1) + 1}"


def with_kind(draw, spec: FieldSpec, kind: str, vendor: str) -> FieldSpec:
    """``spec`` as a field of ``kind``: the options that kind takes, drawn."""
    spec = replace(
        spec,
        kind=kind,
        max_length=draw(MAX_LENGTHS) if kind == "char" else None,
        digits=None,
        default=False,
        db_default=False,
        db_index=False,
        unique=False,
    )
    if kind == "decimal":
        max_digits = draw(st.integers(1, 8))
        spec = replace(spec, digits=(max_digits, draw(st.integers(0, max_digits - 1))))
    if kind in DEFAULTS:
        spec = replace(spec, default=draw(st.booleans()))
    if kind in DB_DEFAULTS:
        spec = replace(spec, db_default=draw(st.booleans()))
    if indexable(spec, vendor):
        spec = replace(spec, db_index=draw(st.integers(0, 3)) == 0)
    if uniqueable(spec, vendor):
        spec = replace(spec, unique=draw(st.integers(0, 3)) == 0)
    return spec


@st.composite
def plain_fields(draw, name: str, vendor: str) -> FieldSpec:
    kind = draw(st.sampled_from(PLAIN_KINDS))
    spec = FieldSpec(name, kind, null=draw(st.booleans()), blank=draw(st.booleans()))
    spec = with_kind(draw, spec, kind, vendor)
    if allowed("db_column") and draw(st.integers(0, 5)) == 0:
        spec = replace(spec, db_column=f"col_{name}")
    return spec


def relation_field(draw, name: str, target: str) -> FieldSpec:
    # Nullable: rows are written before their links, and a new one needs no default.
    kind = draw(st.sampled_from(RELATION_KINDS))
    return FieldSpec(name, kind, null=True, target=target, db_index=True)


@st.composite
def meta_items(draw, model: ModelSpec, vendor: str) -> ModelSpec:
    indexes = tuple(draw_some(draw, index_specs(model, vendor), 2))
    constraints = tuple(draw_some(draw, constraint_specs(model, vendor), 2))
    together = ()
    unique_names = [f.name for f in model.fields if uniqueable(f, vendor)]
    if len(unique_names) >= 2 and draw(st.integers(0, 3)) == 0:
        together = (tuple(draw(st.permutations(unique_names))[:2]),)
    return replace(model, indexes=indexes, constraints=constraints, unique_together=together)


def draw_some(draw, strategy, most: int, least: int = 0) -> list:
    """Up to ``most`` items of ``strategy`` (None: there are none to draw)."""
    if strategy is None:
        return []
    return draw(st.lists(strategy, min_size=least, max_size=most))


def index_specs(model: ModelSpec, vendor: str):
    names = sorted(f.name for f in model.fields if indexable(f, vendor))
    strings = sorted(f.name for f in model.fields if f.kind in ("char", "text"))
    options = []
    if names:
        columns = st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True)
        condition = st.none() | st.sampled_from(names)
        options.append(st.builds(IndexSpec, fields=columns.map(tuple), condition=condition))
    if strings:
        options.append(st.builds(IndexSpec, lower=st.sampled_from(strings)))
    return st.one_of(options) if options else None


def constraint_specs(model: ModelSpec, vendor: str):
    unique_names = sorted(f.name for f in model.fields if uniqueable(f, vendor))
    strings = sorted(f.name for f in model.fields if f.kind == "char")
    ints = sorted(f.name for f in model.fields if f.kind in INT_KINDS)
    options = []
    if unique_names:
        columns = st.lists(st.sampled_from(unique_names), min_size=1, max_size=2, unique=True)
        condition = st.none() | st.sampled_from(unique_names)
        if not allowed("expression_unique"):
            condition = st.none()
        options.append(st.builds(ConstraintSpec, st.just("unique"), columns.map(tuple), condition))
    if strings and allowed("expression_unique"):
        options.append(
            st.builds(
                ConstraintSpec,
                st.just("unique_lower"),
                st.sampled_from(strings).map(lambda n: (n,)),
            )
        )
    if ints:
        options.append(
            st.builds(ConstraintSpec, st.just("check"), st.sampled_from(ints).map(lambda n: (n,)))
        )
    return st.one_of(options) if options else None


@st.composite
def model_specs(draw, uid: str, name: str, targets: list[str], vendor: str) -> ModelSpec:
    model = ModelSpec(uid, name, pk=draw(st.sampled_from(sorted(PK_KINDS))))
    for _ in range(draw(st.integers(0, 4))):
        spec = draw(plain_fields(next_name(model, "f"), vendor))
        model = replace(model, fields=(*model.fields, spec))
    for target in targets:
        if draw(st.integers(0, 3)) == 0:
            spec = relation_field(draw, next_name(model, "r"), target)
            model = replace(model, fields=(*model.fields, spec))
        if draw(st.integers(0, 4)) == 0:
            model = replace(model, m2ms=(*model.m2ms, M2MSpec(next_name(model, "m"), target)))
    return draw(meta_items(model, vendor))


@st.composite
def schemas(draw, vendor: str) -> Schema:
    uids = [f"U{i}" for i in range(draw(st.integers(1, MAX_MODELS)))]
    return sanitize(
        [draw(model_specs(uid, f"M{i}", uids, vendor)) for i, uid in enumerate(uids)], vendor
    )


@dataclass
class Evolution:
    """B being made from A, and what the person who made it would answer."""

    models: list[ModelSpec]
    vendor: str
    # (old model name, new model name)
    model_renames: list[tuple[str, str]] = field(default_factory=list)
    # (model uid, old field name, new field name)
    field_renames: list[tuple[str, str, str]] = field(default_factory=list)
    # What a rename needs to be recognised by makemigrations: nothing else
    # changed in a renamed model, in a renamed field.
    frozen_models: set[str] = field(default_factory=set)
    frozen_fields: set[tuple[str, str]] = field(default_factory=set)
    edits: list[str] = field(default_factory=list)
    taken: set[str] = field(default_factory=set)
    # Models an edit changed: a rename of them would not be recognised.
    touched: set[str] = field(default_factory=set)
    # No more edits: the one made must stay alone (ORACLE_QUIRKS).
    closed: bool = False
    # Fields an edit changed, (model uid, field name).
    edited: set[tuple[str, str]] = field(default_factory=set)


EDITS = [
    "add_model",
    "remove_model",
    "rename_model",
    "add_field",
    "remove_field",
    "rename_field",
    "add_relation",
    "add_m2m",
    "remove_m2m",
    "retype",
    "null",
    "blank",
    "default",
    "db_default",
    "unique",
    "db_index",
    "max_length",
    "digits",
    "add_index",
    "remove_index",
    "add_constraint",
    "remove_constraint",
    "unique_together",
    "db_table",
    "db_column",
    "pk_type",
]


def _pick(draw, items):
    items = list(items)
    return draw(st.sampled_from(items)) if items else None


def _replace_field(model: ModelSpec, name: str, new: FieldSpec | None) -> ModelSpec:
    fields = [new if f.name == name else f for f in model.fields]
    return replace(model, fields=tuple(f for f in fields if f is not None))


def _renamed_field(model: ModelSpec, spec: FieldSpec, new_name: str) -> ModelSpec:
    """``model`` with ``spec`` renamed, its indexes and constraints following."""

    def rename(name: str | None) -> str | None:
        return new_name if name == spec.name else name

    return replace(
        _replace_field(model, spec.name, replace(spec, name=new_name)),
        indexes=tuple(
            IndexSpec(tuple(map(rename, i.fields)), rename(i.lower), rename(i.condition))
            for i in model.indexes
        ),
        unique_together=tuple(tuple(map(rename, u)) for u in model.unique_together),
        constraints=tuple(
            ConstraintSpec(c.kind, tuple(map(rename, c.fields)), rename(c.condition))
            for c in model.constraints
        ),
    )


def _edit(draw, op: str, evo: Evolution) -> None:
    """Apply ``op`` to ``evo.models`` (a no-op where it does not apply)."""
    if evo.closed:
        return
    models_ = evo.models
    vendor = evo.vendor
    if op == "add_model":
        if len(models_) >= MAX_MODELS:
            return
        number = next(i for i in range(20) if f"M{i}" not in evo.taken)
        evo.taken.add(f"M{number}")
        uid = f"N{number}"
        targets = [m.uid for m in models_] + [uid]
        models_.append(draw(model_specs(uid, f"M{number}", targets, vendor)))
        evo.frozen_models.add(uid)  # new: nothing to rename
        evo.edits.append(op)
        return
    editable = [i for i, m in enumerate(models_) if m.uid not in evo.frozen_models]
    if op == "remove_model":
        if len(models_) > 1 and editable:
            removed = models_.pop(draw(st.sampled_from(editable)))
            evo.edits.append(op)
            # A field renamed in it before is gone with it.
            evo.field_renames = [r for r in evo.field_renames if r[0] != removed.uid]
            # Models pointing at it lose those fields: they are edited too.
            evo.frozen_models.update(
                m.uid for m in models_ if any(f.target == removed.uid for f in [*m.fields, *m.m2ms])
            )
        return
    if not editable:
        return
    position = draw(st.sampled_from(editable))
    model = models_[position]
    uid = model.uid
    free = [f for f in model.fields if (uid, f.name) not in evo.frozen_fields]
    plain = [f for f in free if not f.is_relation]
    changed: ModelSpec | None = None
    spec: FieldSpec | None = None  # the field edited, if any
    if op == "rename_model":
        if not allowed("rename_model") or uid in evo.touched:
            return
        if model.m2ms and not allowed("rename_model_with_m2m"):
            return
        if any(m.target == uid for other in models_ for m in other.m2ms) and not allowed(
            "rename_m2m_target"
        ):
            return
        number = next(i for i in range(20) if f"M{i}" not in evo.taken)
        evo.taken.add(f"M{number}")
        evo.model_renames.append((model.name, f"M{number}"))
        changed = replace(model, name=f"M{number}")
        evo.frozen_models.add(uid)
    elif op == "add_field":
        changed = replace(
            model, fields=(*model.fields, draw(plain_fields(next_name(model, "f"), vendor)))
        )
    elif op == "add_relation":
        target = draw(st.sampled_from([m.uid for m in models_]))
        spec = relation_field(draw, next_name(model, "r"), target)
        changed = replace(model, fields=(*model.fields, spec))
    elif op == "remove_field":
        spec = _pick(draw, free)
        changed = _replace_field(model, spec.name, None) if spec else None
    elif op == "rename_field":
        spec = _pick(draw, [f for f in free if allowed(f"rename_{f.kind}")])
        if spec:
            new_name = next_name(model, "r" if spec.is_relation else "f")
            changed = _renamed_field(model, spec, new_name)
            evo.field_renames.append((uid, spec.name, new_name))
            evo.frozen_fields.add((uid, new_name))
    elif op == "add_m2m":
        target = draw(st.sampled_from([m.uid for m in models_]))
        changed = replace(model, m2ms=(*model.m2ms, M2MSpec(next_name(model, "m"), target)))
    elif op == "remove_m2m":
        if model.m2ms:
            drop = draw(st.integers(0, len(model.m2ms) - 1))
            changed = replace(model, m2ms=model.m2ms[:drop] + model.m2ms[drop + 1 :])
    elif op == "retype":
        spec = _pick(draw, free)
        if spec and spec.is_relation and allowed("relation_retype"):
            kind = "o2o" if spec.kind == "fk" else "fk"
            changed = _replace_field(model, spec.name, replace(spec, kind=kind))
        elif spec and not spec.is_relation:
            kind = draw(st.sampled_from([k for k in PLAIN_KINDS if k != spec.kind]))
            changed = _replace_field(model, spec.name, with_kind(draw, spec, kind, vendor))
    elif op in ("null", "blank", "default", "db_default", "unique", "db_index"):
        candidates = {
            "null": plain,
            "blank": free,
            "default": [f for f in plain if f.kind in DEFAULTS],
            "db_default": [f for f in plain if f.kind in DB_DEFAULTS],
            "unique": [f for f in plain if uniqueable(f, vendor)],
            "db_index": [f for f in free if indexable(f, vendor)],
        }[op]
        spec = _pick(draw, candidates)
        if spec:
            changed = _replace_field(model, spec.name, replace(spec, **{op: not getattr(spec, op)}))
    elif op == "max_length":
        spec = _pick(draw, [f for f in plain if f.kind == "char"])
        if spec:
            length = draw(MAX_LENGTHS.filter(lambda n: n != spec.max_length))
            changed = _replace_field(model, spec.name, replace(spec, max_length=length))
    elif op == "digits":
        spec = _pick(draw, [f for f in plain if f.kind == "decimal"])
        if spec:
            max_digits = draw(st.integers(1, 8))
            digits = (max_digits, draw(st.integers(0, max_digits - 1)))
            changed = _replace_field(model, spec.name, replace(spec, digits=digits))
    elif op == "db_column":
        alone = not allowed("db_column_with_more")
        spec = _pick(draw, [f for f in free if not (alone and (uid, f.name) in evo.edited)])
        if spec:
            column = None if spec.db_column else f"col_{spec.name}"
            changed = _replace_field(model, spec.name, replace(spec, db_column=column))
            if alone:
                evo.frozen_fields.add((uid, spec.name))
    elif op == "add_index":
        changed = replace(
            model,
            indexes=(
                *model.indexes,
                *draw_some(draw, index_specs(model, vendor), 1, least=1),
            ),
        )
    elif op == "remove_index":
        if model.indexes:
            drop = draw(st.integers(0, len(model.indexes) - 1))
            changed = replace(model, indexes=model.indexes[:drop] + model.indexes[drop + 1 :])
    elif op == "add_constraint":
        found = draw_some(draw, constraint_specs(model, vendor), 1, least=1)
        changed = replace(model, constraints=(*model.constraints, *found))
    elif op == "remove_constraint":
        if model.constraints:
            drop = draw(st.integers(0, len(model.constraints) - 1))
            changed = replace(
                model, constraints=model.constraints[:drop] + model.constraints[drop + 1 :]
            )
    elif op == "unique_together":
        names = [f.name for f in model.fields if uniqueable(f, vendor)]
        if model.unique_together:
            changed = replace(model, unique_together=())
        elif len(names) >= 2:
            changed = replace(model, unique_together=(tuple(draw(st.permutations(names))[:2]),))
    elif op == "db_table":
        if allowed("db_table"):
            table = None if model.db_table else f"{TABLE_PREFIX}tbl_{uid.lower()}"
            changed = replace(model, db_table=table)
    elif op == "pk_type" and allowed("pk_type"):
        alone = not allowed("pk_type_with_more")
        if not (alone and evo.edits):
            kind = draw(st.sampled_from([k for k in PK_KINDS if k != model.pk]))
            changed = replace(model, pk=kind)
            evo.closed = alone
    if changed is not None and changed != model:
        models_[position] = changed
        evo.edits.append(op)
        evo.touched.add(uid)
        if spec is not None:
            evo.edited.add((uid, spec.name))


def _unique_items(items) -> tuple:
    return tuple(dict.fromkeys(items))


def field_roles(fields: tuple[FieldSpec, ...], vendor: str) -> dict[str, set]:
    """The names of the fields that each kind of index or constraint can use."""
    return {
        "index": {f.name for f in fields if indexable(f, vendor)},
        "unique": {f.name for f in fields if uniqueable(f, vendor)},
        "string": {f.name for f in fields if f.kind in ("char", "text")},
        "char": {f.name for f in fields if f.kind == "char"},
        "int": {f.name for f in fields if f.kind in INT_KINDS},
    }


def index_valid(index: IndexSpec, roles: dict[str, set]) -> bool:
    if index.lower:
        return index.lower in roles["string"]
    return set(index.fields) <= roles["index"] and index.condition in (None, *roles["index"])


def constraint_valid(item: ConstraintSpec, roles: dict[str, set]) -> bool:
    if item.kind == "unique_lower":
        return set(item.fields) <= roles["char"]
    if item.kind == "check":
        return set(item.fields) <= roles["int"]
    return set(item.fields) <= roles["unique"] and item.condition in (None, *roles["unique"])


def _without_repeated_uniques(fields, together, constraints) -> tuple[ConstraintSpec, ...]:
    """The constraints, less the plain unique ones over columns already unique
    (by unique=True, a one-to-one, unique_together or an earlier constraint),
    where the oracle disagrees with itself (ORACLE_QUIRKS["unique_twice"])."""
    if allowed("unique_twice"):
        return constraints
    taken = {frozenset({f.name}) for f in fields if f.unique or f.kind == "o2o"}
    taken |= {frozenset(columns) for columns in together}
    kept = []
    for item in constraints:
        columns = frozenset(item.fields)
        if item.kind == "unique" and item.condition is None:
            if columns in taken:
                continue
            taken.add(columns)
        kept.append(item)
    return tuple(kept)


def sanitize(schema: list[ModelSpec], vendor: str) -> Schema:
    """Make edited models valid: no relation to a removed model, no index or
    constraint on a removed (or no longer suitable) field, none twice."""
    uids = {m.uid for m in schema}
    result = []
    for model in schema:
        fields = tuple(f for f in model.fields if not f.is_relation or f.target in uids)
        m2ms = tuple(m for m in model.m2ms if m.target in uids)
        roles = field_roles(fields, vendor)
        result.append(
            replace(
                model,
                fields=fields,
                m2ms=m2ms,
                indexes=_unique_items(i for i in model.indexes if index_valid(i, roles)),
                unique_together=_unique_items(
                    u for u in model.unique_together if set(u) <= roles["unique"]
                ),
                constraints=_without_repeated_uniques(
                    fields,
                    model.unique_together,
                    _unique_items(c for c in model.constraints if constraint_valid(c, roles)),
                ),
            )
        )
    return tuple(result)


@st.composite
def evolutions(draw, earlier: Schema, vendor: str) -> Evolution:
    evo = Evolution(list(earlier), vendor, taken={m.name for m in earlier})
    wanted = draw(st.integers(1, 4))
    # An edit that does not apply (no field of its kind) is drawn again, a few times.
    for _ in range(3 * wanted):
        if len(evo.edits) >= wanted:
            break
        _edit(draw, draw(st.sampled_from(EDITS)), evo)
    evo.models = list(sanitize(evo.models, vendor))
    return evo


# Lower-case ASCII only: MySQL's collations ignore case, accents and trailing spaces.
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
UTC = datetime.UTC
NUMERIC = (*INT_KINDS, "decimal", "float", "bool")


def value_strategy(spec: FieldSpec, later: FieldSpec | None):
    kind = spec.kind
    if kind in INT_KINDS:
        return st.integers(0, 1000)  # fits every integer type and the checks (>= 0)
    if kind in ("char", "text"):
        length = spec.max_length or 30
        if later is not None and later.kind == "char":
            length = min(length, later.max_length)
        if later is not None and later.kind in NUMERIC:
            # Strings a number column can take: the cast is what is judged.
            return st.integers(0, 10 ** min(length, 3) - 1).map(str)
        return st.text(ALPHABET, max_size=length)
    if kind == "bool":
        return st.booleans()
    if kind == "decimal":
        max_digits, places = spec.digits
        return st.integers(0, 10**max_digits - 1).map(lambda n: Decimal(n).scaleb(-places))
    if kind == "float":
        return st.integers(0, 4000).map(lambda n: n / 4)
    if kind == "date":
        return st.dates(datetime.date(2000, 1, 1), datetime.date(2030, 12, 31))
    if kind == "datetime":
        return st.datetimes(
            datetime.datetime(2000, 1, 1), datetime.datetime(2030, 12, 31), timezones=st.just(UTC)
        ).map(lambda d: d.replace(microsecond=0))
    if kind == "uuid":
        return st.uuids(version=4)
    if kind == "json":
        scalar = st.integers(-5, 5) | st.text(ALPHABET, max_size=5) | st.booleans()
        return st.dictionaries(st.text(ALPHABET, max_size=3), scalar, max_size=3) | st.lists(
            scalar, max_size=3
        )
    raise AssertionError(kind)


@dataclass(frozen=True)
class Rows:
    """Per model uid of A: the number of rows, each field's values (a
    relation: an index into the target's rows, or None), and the
    many-to-many links (pairs of row indexes)."""

    count: dict[str, int]
    values: dict[str, dict[str, list]]
    links: dict[tuple[str, str], frozenset[tuple[int, int]]]


def later_field(evo: Evolution, uid: str, name: str) -> FieldSpec | None:
    renamed = {(u, old): new for u, old, new in evo.field_renames}
    model = next((m for m in evo.models if m.uid == uid), None)
    return model.field(renamed.get((uid, name), name)) if model else None


@st.composite
def rows_for(draw, earlier: Schema, evo: Evolution) -> Rows:
    count, values, links = {}, {}, {}
    for model in earlier:
        count[model.uid] = draw(st.integers(0, 3))
    for model in earlier:
        n = count[model.uid]
        columns = values[model.uid] = {}
        for spec in model.fields:
            if spec.is_relation:
                targets = count[spec.target]
                if spec.kind == "o2o" or later_field(evo, model.uid, spec.name) is not None:
                    # Distinct (a one-to-one, or a foreign key that may become one).
                    chosen = draw(st.permutations(range(max(n, targets))))[:n]
                    columns[spec.name] = [i if i < targets else None for i in chosen]
                else:
                    choice = st.none() | st.integers(0, max(targets - 1, 0))
                    columns[spec.name] = draw(st.lists(choice, min_size=n, max_size=n))
                if not targets:
                    columns[spec.name] = [None] * n
                continue
            # Distinct in every column: any unique constraint of A or B holds.
            column = draw(
                st.lists(
                    value_strategy(spec, later_field(evo, model.uid, spec.name)),
                    min_size=n,
                    max_size=n,
                    unique_by=(lambda v: json.dumps(v, sort_keys=True, default=str).lower())
                    if spec.kind not in ("bool", "json")
                    else None,
                )
            )
            if spec.null:
                nulls = draw(st.lists(st.booleans(), min_size=n, max_size=n))
                column = [None if z else v for v, z in zip(column, nulls, strict=True)]
            columns[spec.name] = column
        for m2m in model.m2ms:
            pairs = [(i, j) for i in range(n) for j in range(count[m2m.target])]
            chosen = draw(st.sets(st.sampled_from(pairs), max_size=4)) if pairs else set()
            links[(model.uid, m2m.name)] = frozenset(chosen)
    return Rows(count, values, links)


@dataclass(frozen=True)
class Case:
    earlier: Schema
    later: Schema
    model_renames: tuple[tuple[str, str], ...]
    field_renames: tuple[tuple[str, str, str], ...]
    edits: tuple[str, ...]
    rows: Rows


@st.composite
def cases(draw, vendor: str) -> Case:
    earlier = draw(schemas(vendor))
    evo = draw(evolutions(earlier, vendor))
    rows = draw(rows_for(earlier, evo))
    return Case(
        earlier,
        tuple(evo.models),
        tuple(evo.model_renames),
        tuple(evo.field_renames),
        tuple(evo.edits),
        rows,
    )


# --- the models -----------------------------------------------------------------


def _name(*parts: str) -> str:
    digest = hashlib.md5("/".join(parts).encode()).hexdigest()[:12]
    return f"{parts[0]}_{digest}"


def make_field(spec: FieldSpec, names: dict[str, str]) -> models.Field:
    options: dict[str, Any] = {"null": spec.null, "blank": spec.blank}
    if spec.db_column:
        options["db_column"] = spec.db_column
    if spec.is_relation:
        relation = models.ForeignKey if spec.kind == "fk" else models.OneToOneField
        return relation(
            f"{APP_LABEL}.{names[spec.target]}",
            models.SET_NULL,
            related_name="+",
            **options,
        )
    if spec.max_length is not None:
        options["max_length"] = spec.max_length
    if spec.digits is not None:
        options["max_digits"], options["decimal_places"] = spec.digits
    if spec.default:
        options["default"] = DEFAULTS[spec.kind]
    if spec.db_default:
        options["db_default"] = DB_DEFAULTS[spec.kind]
    return FIELD_CLASSES[spec.kind](db_index=spec.db_index, unique=spec.unique, **options)


def _condition(name: str | None) -> dict:
    return {"condition": models.Q(**{f"{name}__isnull": False})} if name else {}


def make_index(model: ModelSpec, index: IndexSpec) -> models.Index:
    name = _name("ix", model.uid, repr(index))
    if index.lower:
        return models.Index(Lower(index.lower), name=name)
    return models.Index(fields=list(index.fields), name=name, **_condition(index.condition))


def make_constraint(model: ModelSpec, item: ConstraintSpec):
    name = _name("ck" if item.kind == "check" else "uq", model.uid, repr(item))
    if item.kind == "check":
        return models.CheckConstraint(
            condition=models.Q(**{f"{item.fields[0]}__gte": 0}), name=name
        )
    if item.kind == "unique_lower":
        return models.UniqueConstraint(Lower(item.fields[0]), name=name)
    return models.UniqueConstraint(
        fields=list(item.fields), name=name, **_condition(item.condition)
    )


def build_models(schema: Schema) -> dict[str, type[models.Model]]:
    """The model classes of ``schema`` by uid, in a registry of their own."""
    registry = Apps([])
    names = {m.uid: m.name for m in schema}
    classes = {}
    for model in schema:
        meta: dict[str, Any] = {
            "apps": registry,
            "app_label": APP_LABEL,
            "indexes": [make_index(model, index) for index in model.indexes],
            "constraints": [make_constraint(model, item) for item in model.constraints],
        }
        if model.db_table:
            meta["db_table"] = model.db_table
        if model.unique_together:
            meta["unique_together"] = [list(columns) for columns in model.unique_together]
        attrs: dict[str, Any] = {"__module__": __name__, "Meta": type("Meta", (), meta)}
        attrs["id"] = PK_KINDS[model.pk](primary_key=True)
        attrs.update({spec.name: make_field(spec, names) for spec in model.fields})
        attrs.update(
            {
                m2m.name: models.ManyToManyField(
                    f"{APP_LABEL}.{names[m2m.target]}", related_name="+"
                )
                for m2m in model.m2ms
            }
        )
        classes[model.uid] = type(model.name, (models.Model,), attrs)
    return classes


def all_tables(classes: dict[str, type[models.Model]]) -> list[str]:
    return sorted({table for model in classes.values() for table in tables_of(model)})


# --- the migrate path ------------------------------------------------------------


class Answers(MigrationQuestioner):
    """makemigrations' questions, answered the way the edits were made."""

    def __init__(self, case: Case, later: dict[str, type[models.Model]]):
        super().__init__()
        self.model_renames = set(case.model_renames)
        by_uid = {m.uid: m for m in case.later}
        self.field_renames = {
            (by_uid[uid].name.lower(), old, new) for uid, old, new in case.field_renames
        }
        self.later = {cls.__name__.lower(): cls for cls in later.values()}
        # (model label, field name) -> the value typed, for autoupdate's defaults=.
        self.one_offs: dict[tuple[str, str], str] = {}
        self.renames_made: list[str] = []

    def ask_rename_model(self, old_model_state, new_model_state) -> bool:
        return (old_model_state.name, new_model_state.name) in self.model_renames

    def ask_rename(self, model_name, old_name, new_name, field_instance) -> bool:
        return (model_name.lower(), old_name, new_name) in self.field_renames

    def _one_off(self, field_name: str, model_name: str):
        model = self.later[model_name.lower()]
        model_field = model._meta.get_field(field_name)
        raw = ONE_OFF.get(_kind_of(model_field))
        if raw is None:
            return NOT_PROVIDED
        self.one_offs[(model._meta.label, field_name)] = raw
        return model_field.to_python(raw)

    def ask_not_null_addition(self, field_name, model_name):
        value = self._one_off(field_name, model_name)
        return None if value is NOT_PROVIDED else value

    def ask_not_null_alteration(self, field_name, model_name):
        return self._one_off(field_name, model_name)


def _kind_of(model_field: models.Field) -> str | None:
    for kind, cls in FIELD_CLASSES.items():
        if type(model_field) is cls:
            return kind
    return None


def project_state(classes: dict[str, type[models.Model]] | None) -> ProjectState:
    state = ProjectState()
    for cls in (classes or {}).values():
        state.add_model(ModelState.from_model(cls))
    return state


def migrations_between(before: ProjectState, after: ProjectState, questioner):
    changes = MigrationAutodetector(before, after, questioner)._detect_changes()
    return changes.get(APP_LABEL, [])


def migrate(migrations, state: ProjectState) -> ProjectState:
    """Apply ``migrations`` as the executor does."""
    state = state.clone()
    for migration in migrations:
        # Rolled back also when SQLite's editor raises from __exit__ (its
        # foreign-key check), which left the transaction open for the next example.
        editor_for = atomic_schema_editor if migration.atomic else connection.schema_editor
        with editor_for(connection) as editor:
            state = migration.apply(state, editor)
    return state


# --- the database ----------------------------------------------------------------


def evotest_tables() -> list[str]:
    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor)
    return sorted(t for t in names if t.startswith(TABLE_PREFIX))


def drop_evotest_tables() -> None:
    tables = evotest_tables()
    if not tables:
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TABLE {', '.join(qn(t) for t in tables)} CASCADE")
            return
        with connection.constraint_checks_disabled():
            for table in tables:
                cursor.execute(f"DROP TABLE {qn(table)}")


def insert_rows(schema: Schema, classes, rows: Rows) -> None:
    for model in schema:
        cls = classes[model.uid]
        for position in range(rows.count[model.uid]):
            values = {
                spec.name: rows.values[model.uid][spec.name][position]
                for spec in model.fields
                if not spec.is_relation
            }
            cls.objects.create(pk=position + 1, **values)
    for model in schema:
        cls = classes[model.uid]
        for spec in model.fields:
            if spec.is_relation:
                for position, target in enumerate(rows.values[model.uid][spec.name]):
                    if target is not None:
                        cls.objects.filter(pk=position + 1).update(
                            **{f"{spec.name}_id": target + 1}
                        )
        for m2m in model.m2ms:
            m2m_field = cls._meta.get_field(m2m.name)
            through = m2m_field.remote_field.through
            source, target = m2m_field.m2m_field_name(), m2m_field.m2m_reverse_field_name()
            through.objects.bulk_create(
                through(**{f"{source}_id": i + 1, f"{target}_id": j + 1})
                for i, j in sorted(rows.links[(model.uid, m2m.name)])
            )


def read_values(snapshot: dict) -> dict[str, list[dict]]:
    """Every row of every table in ``snapshot``, as the driver returns it."""
    qn = connection.ops.quote_name
    found = {}
    with connection.cursor() as cursor:
        for table, record in snapshot.items():
            columns = sorted(record["columns"])
            cursor.execute(f"SELECT {', '.join(qn(c) for c in columns)} FROM {qn(table)}")
            found[table] = sorted(
                (dict(zip(columns, row, strict=True)) for row in cursor.fetchall()),
                key=lambda row: json.dumps(row, sort_keys=True, default=str),
            )
    return found


def invalid_json_left(values: dict[str, list[dict]], classes: dict) -> bool:
    """Whether a JSON column of ``classes`` holds text that is not JSON in
    ``values`` (rows as ``read_values`` returns them)."""
    for cls in classes.values():
        for model_field in cls._meta.local_concrete_fields:
            if not isinstance(model_field, models.JSONField):
                continue
            for row in values.get(cls._meta.db_table, []):
                value = row.get(model_field.column)
                if isinstance(value, str) and not _is_json(value):
                    return True
    return False


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def by_key(rows: list[dict]) -> dict[Any, dict]:
    """Rows by primary key ("id"), or by the whole row (many-to-many tables
    are compared as sets of links, whatever their ids)."""
    return {row.get("id", json.dumps(row, default=str)): row for row in rows}


# --- the judge ---------------------------------------------------------------------


def tell(text: str) -> None:
    """A note on the example: hypothesis shows it with a failing example; a
    regression test (outside hypothesis) prints it, shown when it fails."""
    if currently_in_test_context():
        note(text)
    else:
        print(text)


class Failure(AssertionError):
    def __init__(self, kind: str, detail: str):
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


@dataclass
class Outcome:
    kind: str  # "applied", "refused", ...
    lost_unannounced: int = 0


def announced(losses: list[str]) -> set[tuple[str, str]]:
    """The (table, column) pairs the plan said would lose values."""
    return {tuple(m) for loss in losses for m in re.findall(r"([\w$]+)\.([\w$/]+): ", loss)}


def rename_labels(case: Case, later) -> list[str]:
    by_uid = {m.uid: m for m in case.earlier}
    later_by_uid = {m.uid: m for m in case.later}
    labels = []
    for model in case.later:
        before = by_uid.get(model.uid)
        if before is None or before.table == model.table:
            continue
        # A renamed model or a changed db_table: the table is the model's, renamed.
        if before.name != model.name and not before.db_table:
            labels.append(f"{APP_LABEL}.{before.name}={model.name}")
        else:
            labels.append(f"{before.table}={APP_LABEL}.{model.name}")
    for uid, old, new in case.field_renames:
        before, after = by_uid[uid].field(old), later_by_uid[uid].field(new)
        if before.column != after.column:
            labels.append(f"{APP_LABEL}.{later_by_uid[uid].name}.{old}={new}")
    for model in case.later:
        earlier = by_uid.get(model.uid)
        renamed = {new for u, _old, new in case.field_renames if u == model.uid}
        for spec in model.fields:
            before = earlier.field(spec.name) if earlier else None
            if before and spec.name not in renamed and before.column != spec.column:
                # db_column changed: the column is the field's, renamed.
                labels.append(f"{APP_LABEL}.{model.name}.{before.column}={spec.name}")
    return labels


def dropped_columns(case: Case) -> list[tuple[str, str, str]]:
    """(B's table, A's table, the column) of every column of a model that B
    keeps but whose field B removed: its values are lost, announced."""
    later = {m.uid: m for m in case.later}
    found = []
    for model in case.earlier:
        after = later.get(model.uid)
        if after is None:
            continue
        kept = {old for u, old, _new in case.field_renames if u == model.uid}
        for spec in model.fields:
            if spec.name not in kept and after.field(spec.name) is None:
                found.append((after.table, model.table, spec.column))
    return found


def judge(case: Case, seen: Counter, quirks_fail: bool = False) -> Outcome:
    """One evolution A -> B through migrate and through autoupdate. Where
    migrate A -> B and migrate's own build of B differ (a Django quirk) and
    autoupdate built the latter, the outcome says so; with ``quirks_fail`` it
    is a Failure, for the regression tests that isolate one quirk."""
    earlier, later = build_models(case.earlier), build_models(case.later)
    tables_b = all_tables(later)
    answers = Answers(case, later)
    # The autodetector edits the states it is given: a fresh one for each use.
    to_a = migrations_between(ProjectState(), project_state(earlier), Answers(case, earlier))
    to_b = migrations_between(project_state(earlier), project_state(later), answers)
    state_a = project_state(earlier)
    operations = [op for migration in to_b for op in migration.operations]
    tell("migrate A -> B: " + "; ".join(op.describe() for op in operations))
    # A rename the autodetector did not see (something else about the model
    # or field changed after all) would judge a different question: skip it.
    assume(sum(isinstance(op, RenameModel) for op in operations) == len(case.model_renames))
    assume(sum(isinstance(op, RenameField) for op in operations) == len(case.field_renames))
    seen.update(f"edit {edit}" for edit in case.edits)
    seen.update(f"migrate op {type(op).__name__}" for op in operations)

    # -- migrate ------------------------------------------------------------------
    drop_evotest_tables()
    try:
        migrate(to_a, ProjectState())
    except Exception as error:
        # Django itself cannot build A here: nothing to judge autoupdate by.
        return Outcome(f"A not buildable by migrate ({type(error).__name__}: {error})"[:120])
    insert_rows(case.earlier, earlier, case.rows)
    a_values = read_values(inspect_schema(connection, all_tables(earlier)))
    try:
        migrate(to_b, state_a)
        migrate_error = None
    except Exception as error:  # what a failed migrate raises is the driver's business
        migrate_error = f"{type(error).__name__}: {error}"
        tell(f"migrate failed: {migrate_error}")
    if migrate_error is None:
        want_schema = inspect_schema(connection, tables_b)
        want_values = read_values(want_schema)
    drop_evotest_tables()

    # -- autoupdate ---------------------------------------------------------------
    migrate(to_a, ProjectState())
    # As if A had been synced by autoupdate/automigrate before: its tables are
    # what the models produced before, so autoupdate tells what they stopped
    # declaring from what nobody declared (which it keeps; tested elsewhere).
    desired_cache.store_built(connection, list(earlier.values()))
    insert_rows(case.earlier, earlier, case.rows)
    before = inspect_schema(connection, evotest_tables())
    before_values = read_values(before)
    renames = rename_labels(case, later)
    defaults = [f"{label}.{name}={raw}" for (label, name), raw in sorted(answers.one_offs.items())]
    tell(f"autoupdate(renames={renames}, defaults={defaults})")
    seen["examples with renames="] += bool(renames)
    seen["examples with one-off defaults="] += bool(defaults)
    try:
        result = autoupdate(
            list(later.values()), renames=renames, defaults=defaults, accept_data_loss=True
        )
    except AutomigrateError as error:
        tell(f"autoupdate: {error}")
        after = inspect_schema(connection, evotest_tables())
        untouched = diff_schemas(before, after) == [] and read_values(after) == before_values
        refused_up_front = isinstance(error, Refused) and str(error).startswith("Cannot apply")
        if not untouched:
            raise Failure("changed the database, then failed", str(error)) from error
        if migrate_error is not None:
            return Outcome("refused where migrate fails too")
        if refused_up_front and re.search(
            r"does not convert|do not convert|cannot convert", str(error)
        ):
            # The documented outcome on every backend, where migrate keeps
            # them (SQLite: 'abc' in an integer column).
            return Outcome("refused: values the new type cannot hold")
        if (
            refused_up_front
            and "without a default" in str(error)
            and migrate_error is None
            and invalid_json_left(want_values, later)
        ):
            # MariaDB: migrate's ADD COLUMN fills a NOT NULL JSON column
            # with '', which its own CHECK (json_valid) rejects and Django
            # cannot load; PostgreSQL and SQLite refuse the column there.
            return Outcome("refused where migrate writes values the column rejects")
        if refused_up_front:
            raise Failure("refused what migrate does", str(error)) from error
        raise Failure(f"error ({type(error).__name__})", str(error)) from error
    except Exception as error:
        raise Failure(f"crash ({type(error).__name__})", str(error)) from error

    plan = result.plan
    tell("autoupdate plan: " + "; ".join(step.describe() for step in plan.steps))
    seen.update(f"step {step.kind}" for step in plan.steps)
    got_schema = inspect_schema(connection, tables_b)
    got_values = read_values(got_schema)
    second = [step.describe() for step in check(list(later.values())).steps]
    if second:
        raise Failure("second plan not empty", "; ".join(second))
    if migrate_error is not None:
        # migrate cannot make this change on these rows; autoupdate did: the
        # schema must still be the one migrate builds for B.
        try:
            want_schema = fresh_schema(later, tables_b)
        except DatabaseError as error:
            # Django's own create_model cannot build B here (MariaDB: a
            # db_default next to a constraint it cannot make puts the
            # statement "None" in its deferred SQL): nothing to compare with.
            tell(f"migrate of B from nothing: {error}")
            return Outcome("applied where migrate cannot build B at all")
        differences = diff_schemas(
            want_schema, got_schema, ignore_names=True, labels=("migrate", "autoupdate")
        )
        if differences:
            raise Failure("schema differs from migrate's", "; ".join(differences))
        return Outcome("applied where migrate fails")
    differences = diff_schemas(
        want_schema, got_schema, ignore_names=True, labels=("migrate", "autoupdate")
    )
    if differences:
        # Worth knowing: does autoupdate build what migrate builds for B from nothing?
        if not diff_schemas(fresh_schema(later, tables_b), got_schema, ignore_names=True):
            # Django disagrees with itself: its AlterField misses what its own
            # build of B makes (ORACLE_QUIRKS names those already isolated).
            # autoupdate built what migrate builds for B from nothing.
            if not quirks_fail:
                tell("migrate A->B differs from migrate's build of B: " + "; ".join(differences))
                return Outcome("equals migrate's build of B (migrate A->B differs)")
            raise Failure(
                "schema differs from migrate A->B, equals a fresh B", "; ".join(differences)
            )
        raise Failure("schema differs from migrate's", "; ".join(differences))
    lost = unannounced_losses(case, plan.losses, a_values, want_values, got_values)
    if lost:
        raise Failure("values lost unannounced", "; ".join(lost))
    return Outcome("applied" if plan.steps else "nothing to do")


def fresh_schema(later: dict[str, type[models.Model]], tables: list[str]) -> dict:
    """What migrate builds for B from an empty database (everything else dropped)."""
    drop_evotest_tables()
    migrate(migrations_between(ProjectState(), project_state(later), None), ProjectState())
    return inspect_schema(connection, tables)


def unannounced_losses(case, losses, a_values, want_values, got_values) -> list[str]:
    said = announced(losses)
    lost = []
    for table, want_rows in want_values.items():
        got = by_key(got_values.get(table, []))
        for key, want in by_key(want_rows).items():
            row = got.get(key)
            if row is None:
                lost.append(f"{table}: row {key} missing")
                continue
            for column, value in want.items():
                if (table, column) not in said and row.get(column) != value:
                    lost.append(f"{table}.{column}: row {key} {value!r} -> {row.get(column)!r}")
    for table, old_table, column in dropped_columns(case):
        held = [r for r in a_values.get(old_table, []) if r.get(column) is not None]
        if held and (table, column) not in said:
            lost.append(f"{table}.{column}: dropped with {len(held)} values, not announced")
    return lost


# --- reporting -----------------------------------------------------------------------


def _changed_options(item) -> str:
    """A spec's options that differ from their defaults, ``name=value``."""
    defaults = type(item).__dataclass_fields__
    shown = [
        f"{name}={value!r}"
        for name, value in vars(item).items()
        if name not in ("uid", "name", "fields", "m2ms") and value != defaults[name].default
    ]
    return ", ".join(shown)


def show_schema(schema: Schema) -> str:
    names = {m.uid: m.name for m in schema}
    lines = []
    for model in schema:
        lines.append(f"    {model.name} [{model.uid}] {_changed_options(model)}")
        for spec in model.fields:
            target = f" -> {names.get(spec.target, spec.target)}" if spec.target else ""
            options = _changed_options(replace(spec, target=None))
            lines.append(f"      {spec.name}{target}: {options}")
        for m2m in model.m2ms:
            lines.append(f"      {m2m.name}: m2m -> {names.get(m2m.target, m2m.target)}")
    return "\n".join(lines)


def show_case(case: Case) -> str:
    return (
        f"  A:\n{show_schema(case.earlier)}\n  B ({', '.join(case.edits)}):\n"
        f"{show_schema(case.later)}\n  renames: {case.model_renames} {case.field_renames}\n"
        f"  rows: {case.rows.count} {case.rows.values} {dict(case.rows.links)}"
    )


# --- the test ------------------------------------------------------------------------


def example_count(request) -> int:
    if request.config.getoption("--slow", default=False):
        return SLOW_EXAMPLES
    if "EVOLUTION_EXAMPLES" in os.environ:
        return int(os.environ["EVOLUTION_EXAMPLES"])
    return scaled(CI_EXAMPLES[connection.vendor])


@pytest.mark.django_db(transaction=True)
def test_autoupdate_makes_what_migrate_makes(request):
    judge_examples(example_count(request))


# A schema run (issue 16) is the same run with the connection pointed at the
# schema: the generated cases there too, fewer of them.
SCHEMA_SHARE = 0.25


@pytest.mark.skipif(connection.vendor != "postgresql", reason="schemas: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_autoupdate_makes_what_migrate_makes_in_a_schema(request, monkeypatch):
    from automigrate_cmd.schemas import in_schema

    placed: Counter = Counter()  # where the examples' tables were, by schema
    drop = drop_evotest_tables

    def seen_then_dropped() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT schemaname, count(*) FROM pg_tables WHERE tablename LIKE 'evotest%' "
                "GROUP BY schemaname"
            )
            placed.update(dict(cursor.fetchall()))
        drop()

    monkeypatch.setattr(f"{__name__}.drop_evotest_tables", seen_then_dropped)
    with connection.cursor() as cursor:
        cursor.execute('DROP SCHEMA IF EXISTS "evo_tenant" CASCADE')
        cursor.execute('CREATE SCHEMA "evo_tenant"')
    try:
        with in_schema("default", "evo_tenant"):
            judge_examples(max(1, round(example_count(request) * SCHEMA_SHARE)))
    finally:
        connections.close_all()
        with connection.cursor() as cursor:
            cursor.execute('DROP SCHEMA IF EXISTS "evo_tenant" CASCADE')
    assert set(placed) == {"evo_tenant"}, placed


def judge_examples(count: int) -> None:
    """``count`` generated cases through the judge, on the default connection
    as it is pointed now; the failures by kind at the end."""
    seen: Counter = Counter()
    failures: dict[str, list[str]] = {}
    lost_values = 0

    @settings(
        max_examples=count,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=IN_CI,
        **({"database": None} if IN_CI else {}),
    )
    @given(case=cases(connection.vendor))
    def evolution(case: Case) -> None:
        nonlocal lost_values
        try:
            outcome = judge(case, seen)
            seen["examples"] += 1
            seen[outcome.kind] += 1
        except Failure as failure:
            seen["examples"] += 1
            seen[f"FAILED {failure.kind}"] += 1
            if failure.kind == "values lost unannounced":
                lost_values += str(failure).count("; ") + 1
            failures.setdefault(failure.kind, []).append(f"{failure}\n{show_case(case)}")
            if RAISE_AT_FIRST:
                raise
        finally:
            drop_evotest_tables()

    evolution()
    seen["values lost unannounced"] = lost_values
    print(f"evolution judge on {connection.vendor}:")
    print("\n".join(f"{count:5} {what}" for what, count in sorted(seen.items())))
    assert not failures, "\n".join(
        f"{kind} ({len(found)}x), shortest:\n  {min(found, key=len)}"
        for kind, found in sorted(failures.items())
    )


# --- regression tests: the minimal failing cases the judge found -----------------------
#
# Each is one Case through the same judge. While its bug is open it is marked
# xfail(strict=True): when the fix lands it passes, the run fails on the
# marker, and the marker (and the KNOWN_GAPS entry) must go.


def rows(schema: Schema, count: dict[str, int], values=None, links=None) -> Rows:
    """Rows for ``schema``: ``values`` by uid and field, relations unset and
    no links unless given."""
    values = values or {}
    filled = {
        model.uid: {
            spec.name: values.get(model.uid, {}).get(spec.name, [None] * count[model.uid])
            for spec in model.fields
        }
        for model in schema
    }
    links = {(m.uid, m2m.name): frozenset() for m in schema for m2m in m.m2ms} | (links or {})
    return Rows(count, filled, links)


SUCCESS = ("applied", "nothing to do")


def run_judge(case: Case) -> Outcome:
    drop_evotest_tables()
    try:
        return judge(case, Counter(), quirks_fail=True)
    finally:
        drop_evotest_tables()


def fk(name: str, target: str, kind: str = "fk") -> FieldSpec:
    return FieldSpec(name, kind, null=True, db_index=True, target=target)


@pytest.mark.django_db(transaction=True)
def test_new_model_with_m2m():
    """Its many-to-many table was created twice ('table evotest_m1_m0 already
    exists'); fixed on main by aa11068."""
    earlier = (ModelSpec("U0", "M0"),)
    later = (*earlier, ModelSpec("N1", "M1", m2ms=(M2MSpec("m0", "U0"),)))
    case = Case(earlier, later, (), (), ("add_model",), rows(earlier, {"U0": 1}))
    assert run_judge(case).kind in SUCCESS


@pytest.mark.django_db(transaction=True)
def test_pk_type_change():
    earlier = (ModelSpec("U0", "M0", pk="auto"),)
    later = (ModelSpec("U0", "M0", pk="bigauto"),)
    case = Case(earlier, later, (), (), ("pk_type",), rows(earlier, {"U0": 2}))
    assert run_judge(case).kind in SUCCESS


@pytest.mark.django_db(transaction=True)
def test_pk_type_change_with_references():
    """The foreign-key and many-to-many columns pointing at the key follow it.
    On SQLite migrate leaves them as they were (ORACLE_QUIRKS["pk_type"]):
    there autoupdate must build what migrate builds for B from nothing."""
    earlier = (
        ModelSpec("U0", "M0", pk="auto"),
        ModelSpec("U1", "M1", fields=(fk("r0", "U0"),), m2ms=(M2MSpec("m1", "U0"),)),
    )
    later = (replace(earlier[0], pk="bigauto"), earlier[1])
    values = {"U1": {"r0": [0, None]}}
    case = Case(
        earlier,
        later,
        (),
        (),
        ("pk_type",),
        rows(earlier, {"U0": 2, "U1": 2}, values, {("U1", "m1"): frozenset({(0, 1)})}),
    )
    if not quirk_shows("pk_type"):
        assert run_judge(case).kind in SUCCESS
        return
    with pytest.raises(Failure, match="schema differs from migrate A->B, equals a fresh B"):
        run_judge(case)


@pytest.mark.django_db(transaction=True)
def test_unique_constraint_over_one_to_one():
    f0 = FieldSpec("f0", "int", default=True, db_default=True)
    m0 = ModelSpec(
        "U0",
        "M0",
        pk="smallauto",
        fields=(f0, FieldSpec("f1", "int")),
        m2ms=(M2MSpec("m2", "U0"),),
        indexes=(IndexSpec(("f0", "f1"), condition="f1"),),
        constraints=(ConstraintSpec("check", ("f1",)),),
    )
    m1 = ModelSpec(
        "U1",
        "M1",
        pk="auto",
        fields=(fk("r0", "U0", "o2o"),),
        constraints=(ConstraintSpec("unique", ("r0",), "r0"), ConstraintSpec("unique", ("r0",))),
    )
    earlier = (m0, m1)
    later = (replace(m0, fields=(replace(f0, null=True), m0.fields[1])), m1)
    case = Case(earlier, later, (), (), ("null",), rows(earlier, {"U0": 0, "U1": 0}))
    assert run_judge(case).kind in SUCCESS


@pytest.mark.django_db(transaction=True)
def test_unique_field_and_unique_constraint_on_it():
    earlier = (
        ModelSpec(
            "U0",
            "M0",
            fields=(FieldSpec("f0", "int"),),
            constraints=(ConstraintSpec("unique", ("f0",)),),
        ),
    )
    later = (replace(earlier[0], fields=(FieldSpec("f0", "int", unique=True),)),)
    case = Case(earlier, later, (), (), ("unique",), rows(earlier, {"U0": 1}, {"U0": {"f0": [5]}}))
    if not quirk_shows("unique_twice"):
        assert run_judge(case).kind in SUCCESS
        return
    with pytest.raises(Failure, match="schema differs from migrate A->B, equals a fresh B"):
        run_judge(case)


def test_judge_sees_values_lost_unannounced():
    """The value check can fail: a changed value, a missing row and a dropped
    column that held values are reported unless announced."""
    model = ModelSpec("U0", "M0", fields=(FieldSpec("f0", "int"), FieldSpec("f1", "int")))
    later = ModelSpec("U0", "M0", fields=(FieldSpec("f0", "int"),))
    case = Case((model,), (later,), (), (), ("remove_field",), rows((model,), {"U0": 2}))
    a_values = {"evotest_m0": [{"id": 1, "f0": 1, "f1": 9}, {"id": 2, "f0": 2, "f1": None}]}
    want = {"evotest_m0": [{"id": 1, "f0": 1}, {"id": 2, "f0": 2}]}
    got = {"evotest_m0": [{"id": 1, "f0": 7}]}
    lost = unannounced_losses(case, [], a_values, want, got)
    assert lost == [
        "evotest_m0.f0: row 1 1 -> 7",
        "evotest_m0: row 2 missing",
        "evotest_m0.f1: dropped with 1 values, not announced",
    ]
    said = ["evotest_m0.f0: type integer -> text, 2 values may not survive the conversion"]
    said.append("evotest_m0.f1: column dropped, 1 non-null value would be lost")
    assert unannounced_losses(case, said, a_values, want, got) == ["evotest_m0: row 2 missing"]


@pytest.mark.django_db(transaction=True)
def test_db_column_and_db_index_at_once():
    """On SQLite migrate renames the column and forgets the new index
    (ORACLE_QUIRKS["db_column_with_more"]): there autoupdate must build what
    migrate builds for B from nothing."""
    earlier = (ModelSpec("U0", "M0", fields=(FieldSpec("f0", "float"),)),)
    later = (replace(earlier[0], fields=(FieldSpec("f0", "float", db_index=True, db_column="c"),)),)
    values = {"U0": {"f0": [1.5]}}
    case = Case(earlier, later, (), (), ("db_index", "db_column"), rows(earlier, {"U0": 1}, values))
    if not quirk_shows("db_column_with_more"):
        assert run_judge(case).kind in SUCCESS
        return
    with pytest.raises(Failure, match="schema differs from migrate A->B, equals a fresh B"):
        run_judge(case)


@pytest.mark.django_db(transaction=True)
def test_db_default_fills_nulls_when_required():
    earlier = (
        ModelSpec("U0", "M0", fields=(FieldSpec("f0", "bigint", null=True, db_default=True),)),
    )
    later = (replace(earlier[0], fields=(FieldSpec("f0", "bigint", db_default=True),)),)
    values = {"U0": {"f0": [None, 5]}}
    case = Case(earlier, later, (), (), ("null",), rows(earlier, {"U0": 2}, values))
    assert run_judge(case).kind in SUCCESS


@pytest.mark.django_db(transaction=True)
def test_pk_type_change_and_new_m2m():
    """On PostgreSQL and MariaDB migrate's through table differs from a fresh build
    (ORACLE_QUIRKS["pk_type_with_more"]): there autoupdate must build what
    migrate builds for B from nothing. (SQLite: ORACLE_QUIRKS["pk_type"].)"""
    earlier = (ModelSpec("U0", "M0"), ModelSpec("U1", "M1", fields=(FieldSpec("f0", "text"),)))
    m1 = replace(earlier[1], pk="smallauto", m2ms=(M2MSpec("m2", "U1"),))
    case = Case(
        earlier, (earlier[0], m1), (), (), ("pk_type", "add_m2m"), rows(earlier, {"U0": 0, "U1": 0})
    )
    if not (quirk_shows("pk_type_with_more") or quirk_shows("pk_type")):
        assert run_judge(case).kind in SUCCESS
        return
    with pytest.raises(Failure, match="schema differs from migrate A->B, equals a fresh B"):
        run_judge(case)


@pytest.mark.django_db(transaction=True)
def test_one_to_one_into_foreign_key():
    """On MariaDB migrate's foreign-key index differs from a fresh build
    (ORACLE_QUIRKS["relation_retype"]): there autoupdate must build what
    migrate builds for B from nothing."""
    m0 = ModelSpec("U0", "M0")
    m1 = ModelSpec(
        "U1",
        "M1",
        fields=(FieldSpec("f3", "float", null=True), fk("r4", "U0", "o2o")),
        indexes=(IndexSpec(("r4", "f3")),),
    )
    later = (m0, replace(m1, fields=(m1.fields[0], fk("r4", "U0"))))
    case = Case((m0, m1), later, (), (), ("retype",), rows((m0, m1), {"U0": 0, "U1": 0}))
    if not quirk_shows("relation_retype"):
        assert run_judge(case).kind in SUCCESS
        return
    with pytest.raises(Failure, match="schema differs from migrate A->B, equals a fresh B"):
        run_judge(case)


@pytest.mark.django_db(transaction=True)
def test_db_default_wins_over_default_when_required():
    spec = FieldSpec("f0", "smallint", null=True, default=True, db_default=True)
    earlier = (ModelSpec("U0", "M0", fields=(spec,)),)
    later = (replace(earlier[0], fields=(replace(spec, null=False),)),)
    values = {"U0": {"f0": [None, 5]}}
    case = Case(earlier, later, (), (), ("null",), rows(earlier, {"U0": 2}, values))
    assert run_judge(case).kind in SUCCESS


@pytest.mark.django_db(transaction=True)
def test_unique_expression_on_mariadb():
    """Not fully minimal: without the many-to-many field into M0 (removed in
    B), or without the UniqueConstraint(Lower), it passes."""
    f0 = FieldSpec("f0", "char", null=True, blank=True, max_length=255, default=True)
    f1 = FieldSpec("f1", "bigint", blank=True, default=True, db_default=True, unique=True)
    m0 = ModelSpec(
        "U0",
        "M0",
        pk="auto",
        fields=(f0, replace(f1, db_index=True), fk("r2", "U0", "o2o")),
        indexes=(IndexSpec(("f0", "r2"), condition="f1"),),
        constraints=(ConstraintSpec("unique_lower", ("f0",)),),
    )
    m1 = ModelSpec("U1", "M1", m2ms=(M2MSpec("m0", "U0"),))
    b0 = replace(m0, fields=(replace(f0, max_length=20), *m0.fields[1:]))
    later = (b0, replace(m1, m2ms=()))
    case = Case((m0, m1), later, (), (), ("remove_m2m",), rows((m0, m1), {"U0": 0, "U1": 0}))
    assert run_judge(case).kind in SUCCESS


@pytest.mark.django_db(transaction=True)
def test_retype_that_cannot_convert_on_mariadb():
    """The case as found (date -> char(1) alone is refused or applied cleanly)."""
    f0, f1 = FieldSpec("f0", "float", blank=True, default=True), FieldSpec("f1", "date", blank=True)
    earlier = (
        ModelSpec(
            "U0",
            "M0",
            fields=(f0, f1),
            indexes=(IndexSpec(("f1", "f0")), IndexSpec(("f1",))),
            unique_together=(("f1", "f0"),),
        ),
    )
    b1 = FieldSpec("f1", "char", blank=True, max_length=1, db_default=True, unique=True)
    later = (
        replace(
            earlier[0],
            fields=(replace(f0, name="f2"), b1),
            indexes=(IndexSpec(("f1", "f2")), IndexSpec(("f1",))),
            unique_together=(("f1", "f2"),),
        ),
    )
    values = {
        "U0": {"f0": [673.0, 999.75], "f1": [datetime.date(2013, 4, 9), datetime.date(2013, 5, 21)]}
    }
    renames = (("U0", "f0", "f2"),)
    case = Case(earlier, later, (), renames, ("retype",), rows(earlier, {"U0": 2}, values))
    assert run_judge(case).kind in (*SUCCESS, "refused where migrate fails too")


@pytest.mark.django_db(transaction=True)
def test_db_column_rename_with_a_conditional_index():
    """Found by the judge on SQLite: a one-to-one's db_column renamed, with a
    Meta index conditional on it. The live index (its predicate still naming
    the old column) was kept as undeclared, and the models' index of the same
    name could not be built ('index ... already exists')."""
    spec = fk("r0", "U0", "o2o")
    m0 = ModelSpec(
        "U0",
        "M0",
        fields=(spec,),
        indexes=(IndexSpec(("r0",), condition="r0"),),
        constraints=(ConstraintSpec("unique", ("r0",)),),
    )
    later = (replace(m0, fields=(replace(spec, db_column="col_r0"),)),)
    case = Case((m0,), later, (), (), ("db_column",), rows((m0,), {"U0": 0}))
    assert run_judge(case).kind in SUCCESS


@pytest.mark.django_db(transaction=True)
def test_foreign_key_retargeted_over_rows_that_point_nowhere():
    """Found by the 1,000-example SQLite run: M1.r1 points at M1, then at
    M0, which has no rows. migrate fails; autoupdate must refuse up front
    (on SQLite Django's check after the rebuild escaped the rollback)."""
    m0 = ModelSpec("U0", "M0")
    m1 = ModelSpec("U1", "M1", fields=(fk("r1", "U1"),))
    later = (m0, replace(m1, fields=(fk("r1", "U0"),)))
    values = {"U1": {"r1": [0]}}
    counts = {"U0": 0, "U1": 1}
    case = Case((m0, m1), later, (), (), ("add_relation",), rows((m0, m1), counts, values))
    assert run_judge(case).kind == "refused where migrate fails too"


@pytest.mark.django_db(transaction=True)
def test_new_not_null_json_field_over_rows():
    """Found by a random MariaDB run: a NOT NULL JSONField without a default
    (makemigrations gets no one-off value) added to a table with rows.
    autoupdate refuses on every backend; PostgreSQL's and SQLite's migrate
    fail, MariaDB's fills the rows with '' (not JSON: its own json_valid
    CHECK rejects it and Django cannot load it), which is no better."""
    m0 = ModelSpec("U0", "M0", fields=(FieldSpec("f0", "int"),))
    later = (replace(m0, fields=(FieldSpec("f0", "int"), FieldSpec("f1", "json"))),)
    values = {"U0": {"f0": [1, 2]}}
    case = Case((m0,), later, (), (), ("add_field",), rows((m0,), {"U0": 2}, values))
    assert run_judge(case).kind in (
        "refused where migrate fails too",
        "refused where migrate writes values the column rejects",
    )


@pytest.mark.django_db(transaction=True)
def test_many_to_many_retargeted_under_the_same_name():
    """Found by a random SQLite run (not among CI's derandomized examples):
    M0.m2 pointed at M1, then at M0 itself, keeping its name, so the through
    table evotest_m0_m2 stays with (from_m0_id, to_m0_id) instead of
    (m0_id, m1_id). migrate's AlterField (_alter_many_to_many) renames both
    columns (m0_id -> from_m0_id, m1_id -> to_m0_id), retargets the keys and
    keeps the links. autoupdate planned the new columns over the old links
    and refused; it now renames them the same way (link_tables.py)."""
    plain = (FieldSpec("f0", "bool"), FieldSpec("f1", "bool"))
    m0 = ModelSpec("U0", "M0", pk="auto", fields=plain, m2ms=(M2MSpec("m2", "U1"),))
    m1 = ModelSpec("U1", "M1", pk="auto")
    later = (replace(m0, m2ms=(M2MSpec("m2", "U0"),)), m1)
    values = {"U0": {"f0": [False] * 3, "f1": [False] * 3}}
    links = {("U0", "m2"): frozenset({(1, 0), (0, 0)})}
    counts = {"U0": 3, "U1": 1}
    case = Case(
        (m0, m1), later, (), (), ("remove_m2m", "add_m2m"), rows((m0, m1), counts, values, links)
    )
    assert run_judge(case).kind in SUCCESS


@pytest.mark.django_db(transaction=True)
def test_removed_model_referenced_from_a_table_renamed_by_db_table():
    """Found by the judge in a schema (CI's derandomized examples at 40):
    M1 removed, and M2, whose one-to-one pointed at it, loses that field and
    gets a db_table. The plan drops the reference with the rename, but the
    check for references left behind knew M2's table by its new name only,
    and refused the drop of M1's table ("drop that reference first")."""
    m1 = ModelSpec("U1", "M1", pk="auto")
    m2 = ModelSpec("U2", "M2", fields=(FieldSpec("r1", "o2o", null=True, target="U1"),))
    later = (replace(m2, fields=(), db_table="evotest_tbl_u2"),)
    case = Case(
        (m1, m2), later, (), (), ("remove_model", "db_table"), rows((m1, m2), {"U1": 0, "U2": 1})
    )
    assert run_judge(case).kind in SUCCESS
