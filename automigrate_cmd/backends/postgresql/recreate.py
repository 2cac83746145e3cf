"""PostgreSQL: what a recreate run does around the drops and creates.

Foreign keys into the recreated tables are dropped first (never ``DROP ...
CASCADE``, which would silently lose them and any view), and the ones from
outside the selection are restored afterwards from ``pg_get_constraintdef``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.backends.base.schema import BaseDatabaseSchemaEditor

if TYPE_CHECKING:
    from ...recreate.plan import RecreatePlan
    from ...report import Reporter


def drop_incoming_foreign_keys(
    plan: RecreatePlan, editor: BaseDatabaseSchemaEditor, report: Reporter
) -> None:
    """The foreign keys into the recreated tables, so they drop in any order."""
    qn = editor.quote_name
    incoming = plan.internal_foreign_keys + [r.foreign_key for r in plan.references]
    for fk in incoming:
        with report.step(f"Dropping foreign key {fk.table}.{fk.name}", level=2):
            editor.execute(f"ALTER TABLE {qn(fk.table)} DROP CONSTRAINT {qn(fk.name)}")


def restore_references(
    plan: RecreatePlan, editor: BaseDatabaseSchemaEditor, report: Reporter
) -> None:
    """The foreign keys from outside the selection, as the server rendered them."""
    qn = editor.quote_name
    for reference in plan.references:
        fk = reference.foreign_key
        with report.step(f"Restoring foreign key {fk.table}.{fk.name}"):
            editor.execute(
                f"ALTER TABLE {qn(fk.table)} ADD CONSTRAINT {qn(fk.name)} {fk.definition}"
            )
