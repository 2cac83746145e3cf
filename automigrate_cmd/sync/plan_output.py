"""An autoupdate plan (``update.SyncPlan``) for people and for tools."""

from __future__ import annotations

from ..report import Reporter
from .diff import Step


def show_plan(plan, report: Reporter) -> None:
    """The plan as autoupdate prints it (``--dry-run``, and before a real run)."""
    if plan.kept:
        report.line("  Kept, not declared by the models: " + ", ".join(plan.kept))
    if plan.unmanaged_tables:
        report.line(
            "  Not managed by these models (left alone): " + ", ".join(plan.unmanaged_tables),
            level=2,
        )
    if not plan.steps:
        return
    report.heading("Planned changes:")
    for step in plan.steps:
        line = f"  - {step.describe()}"
        warnings = step_warnings(step)
        report.line(report.style.WARNING(f"{line}  [{warnings}]") if warnings else line)


def step_warnings(step: Step) -> str:
    """What a step would do to the rows there, for the printed plan."""
    parts = [f"cannot apply: {step.impossible}"] if step.impossible else []
    parts += [f"data loss: {step.loss}"] if step.loss else []
    return "; ".join(parts)


def plan_as_json(plan) -> dict:
    """The plan for tools: ``autoupdate --json``."""
    return {
        "database": plan.using,
        "in_sync": not plan.steps,
        "kept_not_declared": plan.kept,
        # Unapplied migrations whose changes are in the database (see unrecorded.py).
        "unrecorded_migrations": [f"{app}.{name}" for app, name in plan.unrecorded.keys],
        # Unapplied migrations left to migrate, by app: why.
        "left_to_migrate": dict(sorted(plan.unrecorded.left.items())),
        "steps": [
            {
                "kind": step.kind,
                "table": step.table,
                "name": step.name,
                "detail": step.detail,
                "description": step.describe(),
                "data_loss": step.loss or None,
                "impossible": step.impossible or None,
            }
            for step in plan.steps
        ],
    }
