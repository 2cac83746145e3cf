"""Tables of models that are gone: what the project recorded says which.

A model (or a ManyToManyField) deleted from the code leaves its tables, and
their rows, behind. They are data the user may still need, so they are
planned as drops under the data-loss rules, never dropped silently, and
known only from what the project itself recorded, never from a table name
alone:

- the desired tables stored for a model label that no model has now (they
  name the model's tables and its auto-created many-to-many tables);
- a content type whose model is gone (``django_content_type``, as Django's
  ``remove_stale_contenttypes`` sees it): the table ``<app_label>_<model>``,
  the default ``db_table``, and the tables named after it whose foreign key
  points at it (its auto-created many-to-many tables).

Only apps the run synchronizes whole are looked at (``autoupdate todolist``,
or every app); a table that a model has now is never a candidate, and a
table no model ever had is never touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from ..catalog import foreign_keys_into, stored_name
from ..selection import syncable_models, tables_of, why_not_syncable
from .diff import Step
from .recreated import is_recreation

CONTENT_TYPES = "django_content_type"


@dataclass(frozen=True)
class RemovedTable:
    table: str
    what: str  # what was removed: "model app.tag", "a many-to-many field of app.post"
    gone_model: str = ""  # the removed model's label ("" for a removed M2M field)


def removed_tables(
    connection: BaseDatabaseWrapper,
    chosen: list[type[models.Model]],
    present: set[str],
    stored_tables: dict[str, Iterable[str]],
) -> list[RemovedTable]:
    """The live tables of removed models of the apps ``chosen`` holds whole.
    ``stored_tables``: model label -> the tables stored for it."""
    whole_apps = _whole_apps(connection, chosen)
    if not whole_apps:
        return []
    models_now = [*syncable_models(connection.alias), *chosen]
    owned = {stored_name(connection, t) for m in models_now for t in tables_of(m)}
    current = set().union(*whole_apps.values())
    found: dict[str, RemovedTable] = {}
    for label, tables in stored_tables.items():
        if label.partition(".")[0] in whole_apps:
            # A removed model's tables, or a current model's M2M tables it no longer has.
            gone = label not in current
            what = f"model {label}" if gone else f"a many-to-many field of {label}"
            for table in tables:
                found.setdefault(table, RemovedTable(table, what, label if gone else ""))
    for label, table in _stale_content_type_tables(connection, whole_apps, current, present):
        for name in [table, *_auto_m2m_tables_of(connection, table, present)]:
            found.setdefault(name, RemovedTable(name, f"model {label}", label))
    return [
        removed
        for table, removed in sorted(found.items())
        if table in present and table not in owned
    ]


def drop_steps(removed: list[RemovedTable]) -> list[Step]:
    # Referencing tables first: a model's M2M tables are named after its table.
    return [
        Step(
            "drop_table",
            r.table,
            detail=f"{r.what} removed",
            extra={"what": r.what, "label": r.gone_model},
        )
        for r in sorted(removed, key=lambda r: r.table, reverse=True)
    ]


def mark_referenced(
    steps: list[Step], connection: BaseDatabaseWrapper, synced_tables: set[str]
) -> None:
    """A removed model's table that a table staying behind references cannot
    be dropped (PostgreSQL and MariaDB refuse; CASCADE would drop the other
    table's constraint unannounced). The tables the run synchronizes lose
    such references in the same plan (no model can point at a removed one);
    ``synced_tables`` names them as they are called now and, for a table the
    plan renames, as it is called before (the foreign key names that one)."""
    dropped = {step.table: step for step in steps if _drops_removed(step)}
    references = foreign_keys_into(connection, list(dropped))
    _order_drops(steps, dropped, references)
    for fk in references:
        if fk.table not in dropped and fk.table not in synced_tables:
            dropped[fk.target].impossible = (
                f"{fk.target}: the table of the removed "
                f"{dropped[fk.target].extra['what']} is referenced by {fk.table} "
                f"({', '.join(fk.columns)}); drop that reference first"
            )


def _drops_removed(step: Step) -> bool:
    """A drop of a removed model's table (not of one the plan creates again)."""
    return step.kind == "drop_table" and not is_recreation(step)


def _order_drops(steps: list[Step], dropped: dict[str, Step], references) -> None:
    """Drop a removed table before the removed tables it references
    (PostgreSQL refuses to drop a table another one still references).
    Where they reference each other, the first one dropped takes the
    others' foreign keys into it with it (``extra["references_first"]``)."""
    waiting = {table: set() for table in dropped}
    for fk in references:
        if fk.table in dropped and fk.target in dropped and fk.table != fk.target:
            waiting[fk.target].add(fk.table)  # fk.target must wait for fk.table
    ordered: list[Step] = []
    while waiting:
        ready = sorted(t for t, before in waiting.items() if not before)
        if not ready:  # tables that reference each other: break the cycle at one of them
            table = min(waiting)
            ready = [table]
            dropped[table].extra["references_first"] = sorted(
                (fk.table, fk.name)
                for fk in references
                if fk.target == table and fk.table in waiting[table]
            )
        for table in ready:
            ordered.append(dropped[table])
            del waiting[table]
        for before in waiting.values():
            before.difference_update(ready)
    positions = [i for i, step in enumerate(steps) if _drops_removed(step)]
    for position, step in zip(positions, ordered, strict=True):
        steps[position] = step


def _whole_apps(
    connection: BaseDatabaseWrapper, chosen: list[type[models.Model]]
) -> dict[str, set[str]]:
    """App label -> the labels of every model it has now, for each app whose
    models with a table are all in ``chosen`` (looked up in the registry the
    models come from: the installed apps, or a throwaway one)."""
    labels = {m._meta.label_lower for m in chosen}
    whole = {}
    for app_label, registry in {(m._meta.app_label, m._meta.apps) for m in chosen}:
        everything = list(registry.all_models[app_label].values())
        own = [m for m in everything if not m._meta.auto_created and _has_table(m, connection)]
        if all(m._meta.label_lower in labels for m in own):
            whole[app_label] = {m._meta.label_lower for m in everything}
    return whole


def _has_table(model: type[models.Model], connection: BaseDatabaseWrapper) -> bool:
    return why_not_syncable(model, connection.alias) is None


def _stale_content_type_tables(
    connection: BaseDatabaseWrapper, app_labels: set[str], current: set[str], present: set[str]
) -> list[tuple[str, str]]:
    if CONTENT_TYPES not in present:
        return []
    placeholders = ", ".join(["%s"] * len(app_labels))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT app_label, model FROM {connection.ops.quote_name(CONTENT_TYPES)} "
            f"WHERE app_label IN ({placeholders})",
            sorted(app_labels),
        )
        rows = cursor.fetchall()
    return [
        (f"{app}.{model}", f"{app}_{model}")
        for app, model in rows
        if f"{app}.{model}" not in current
    ]


def _auto_m2m_tables_of(connection: BaseDatabaseWrapper, table: str, present: set[str]):
    if table not in present:
        return []
    return sorted(
        {
            fk.table
            for fk in foreign_keys_into(connection, [table])
            if fk.table.startswith(f"{table}_")
        }
    )
