"""MySQL/MariaDB: the steps a table's diff needs on top of the generic ones."""

from __future__ import annotations

from ...snapshot import Record
from ...sync.diff import Step, content, item_label


def free_indexes_used_by_foreign_keys(
    table: str, live: Record, desired: Record, item_steps: list[Step]
) -> list[Step]:
    """MySQL will not drop an index a foreign key uses: drop that foreign key
    first and add it back after the new indexes exist."""
    dropped_indexes = [
        s.live for s in item_steps if s.kind in ("drop_index", "drop_constraint") and s.live
    ]
    dropped_keys = {s.name for s in item_steps if s.kind == "drop_foreign_key"}
    wanted = {content(fk): fk for fk in desired.get("foreign_keys", [])}
    extra = []
    for fk in live.get("foreign_keys", []):
        if fk["name"] in dropped_keys or content(fk) not in wanted:
            continue
        if any(_leads(fk["columns"], _index_columns(index)) for index in dropped_indexes):
            desired_fk = wanted[content(fk)]
            label = item_label("foreign_keys", fk)
            extra.append(
                Step(
                    "drop_foreign_key", table, fk["name"], label, live=fk, item_kind="foreign_keys"
                )
            )
            extra.append(
                Step(
                    "add_foreign_key",
                    table,
                    desired_fk["name"],
                    label,
                    desired=desired_fk,
                    item_kind="foreign_keys",
                )
            )
    return extra


def _index_columns(index: dict) -> list[str]:
    keys = index.get("keys") or index.get("columns") or []
    return [k if isinstance(k, str) else k.get("column") for k in keys]


def _leads(columns: list[str], index_columns: list[str]) -> bool:
    return index_columns[: len(columns)] == columns
