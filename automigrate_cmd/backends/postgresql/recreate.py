"""PostgreSQL: foreign keys into recreated tables, dropped and restored.

A table cannot be dropped while a foreign key points at it, and
``DROP ... CASCADE`` would silently lose those keys (and any view): the
foreign keys into the recreated tables are dropped first, and the ones from
outside the selection restored afterwards from ``pg_get_constraintdef``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from ...apply import drop_foreign_keys
from ...plan import RecreatePlan
from ...report import Reporter


@contextmanager
def references_kept(
    plan: RecreatePlan, editor: BaseDatabaseSchemaEditor, report: Reporter
) -> Iterator[None]:
    """The body recreates the tables with no foreign key pointing at them."""
    incoming = plan.internal_foreign_keys + [r.foreign_key for r in plan.references]
    drop_foreign_keys(editor, report, incoming)
    yield
    qn = editor.quote_name
    for reference in plan.references:
        fk = reference.foreign_key
        with report.step(f"Restoring foreign key {fk.table}.{fk.name}"):
            editor.execute(
                f"ALTER TABLE {qn(fk.table)} ADD CONSTRAINT {qn(fk.name)} {fk.definition}"
            )


def run_deferred_checks(editor: BaseDatabaseSchemaEditor) -> None:
    """After the deletes that empty tables: their deferred foreign-key checks
    run now, as PostgreSQL refuses to ALTER a table with pending trigger events."""
    editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
