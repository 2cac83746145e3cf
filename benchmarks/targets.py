"""The README's tables, from one or more results files that run.py wrote.

    python benchmarks/targets.py benchmarks/results-100.md benchmarks/results-500.md

(a later file's rows replacing an earlier one's, for sections run again)
prints three markdown tables: the targets (each ratio, its target and whether
it is met), the medians of building the schema and of in-sync runs, and the
test-database setup comparison (pytest with migrations, --nomigrations,
--automigrate). It reads the results table that
summary.py writes, so the figures are the ones in those files.
"""

from __future__ import annotations

import sys
from pathlib import Path

COLUMNS = (
    "n", "db", "measurement", "runs", "median", "spread", "net", "x_migrate", "net_x_migrate",
    "x_floor", "net_x_floor", "queries",
)  # fmt: skip


def read_rows(path: Path) -> dict[tuple[str, str], dict[str, dict[str, str]]]:
    """(N, backend) -> measurement name -> its cells."""
    blocks: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
    for line in path.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != len(COLUMNS) or not cells[0].isdigit():
            continue
        row = dict(zip(COLUMNS, cells, strict=True))
        name = row["measurement"].split(" [")[0]
        blocks.setdefault((row["n"], row["db"]), {})[name] = row
    return blocks


def number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def verdict(value: float | None, limit: float) -> str:
    if value is None:
        return "–"
    return f"{value:.2f} {'✓' if value <= limit else '✗'}"


def targets_table(blocks) -> str:
    lines = [
        "| N | DB | automigrate net ÷ DDL floor (≤ 1.5) | syncdb path net ÷ floor "
        "| no-op autoupdate net ÷ no-op migrate net (≤ 0.5) | same, whole process "
        "| pytest --automigrate ÷ --nomigrations (≤ 1) |",
        "|---|---|---|---|---|---|---|",
    ]
    for (n, db), rows in blocks.items():
        get = rows.get
        automigrate = number((get("automigrate") or {}).get("net_x_floor"))
        syncdb = number((get("migrate --run-syncdb, no migrations") or {}).get("net_x_floor"))
        noop = get("autoupdate, nothing to do") or {}
        automigrated = number((get("pytest --automigrate") or {}).get("median"))
        nomigrations = number((get("pytest --nomigrations") or {}).get("median"))
        pytest_ratio = automigrated / nomigrations if automigrated and nomigrations else None
        cells = [
            n,
            db,
            verdict(automigrate, 1.5),
            f"{syncdb:.2f}" if syncdb is not None else "–",
            verdict(number(noop.get("net_x_migrate")), 0.5),
            f"{number(noop.get('x_migrate')):.2f}" if number(noop.get("x_migrate")) else "–",
            verdict(pytest_ratio, 1.0),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def build_table(blocks) -> str:
    """Medians (net of start-up in brackets) of building the schema and of an in-sync run."""
    names = [
        ("check", "start-up + checks"),
        ("automigrate", "automigrate"),
        ("migrate", "migrate"),
        ("migrate --run-syncdb, no migrations", "syncdb path"),
        ("DDL floor (driver only)", "DDL floor"),
        ("migrate, nothing to do", "no-op migrate"),
        ("autoupdate, nothing to do", "no-op autoupdate"),
        ("autoupdate --check", "autoupdate --check"),
        ("autoupdate, 1 change(s)", "autoupdate, 1 change"),
        ("migrate, 1 change(s)", "migrate, 1 change"),
    ]
    lines = [
        "| N | DB | " + " | ".join(title for _, title in names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    for (n, db), rows in blocks.items():
        cells = [n, db]
        for name, _ in names:
            row = rows.get(name) or {}
            whole, net = number(row.get("median")), number(row.get("net"))
            if whole is None:
                cells.append("–")
            else:
                cells.append(f"{whole:.2f}" + (f" ({net:.2f})" if net is not None else ""))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def pytest_table(blocks) -> str:
    lines = [
        "| N | DB | pytest, no database | with migrations | --nomigrations | --automigrate "
        "| --automigrate ÷ with migrations | --automigrate ÷ --nomigrations |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (n, db), rows in blocks.items():
        medians = [
            number((rows.get(name) or {}).get("median"))
            for name in (
                "pytest, no database",
                "pytest with migrations",
                "pytest --nomigrations",
                "pytest --automigrate",
            )
        ]
        if medians[3] is None:
            continue
        base, migrations, nomigrations, automigrate = medians
        cells = [n, db] + [f"{m:.2f} s" if m is not None else "–" for m in medians]
        cells.append(f"{automigrate / migrations:.2f}" if migrations else "–")
        cells.append(f"{automigrate / nomigrations:.2f}" if nomigrations else "–")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(paths: list[str]) -> None:
    blocks: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
    for path in paths:
        # A later file's rows replace an earlier one's (a re-run of some sections).
        for key, rows in read_rows(Path(path)).items():
            blocks.setdefault(key, {}).update(rows)
    print(targets_table(blocks))
    print()
    print(build_table(blocks))
    print()
    print(pytest_table(blocks))


if __name__ == "__main__":
    main(sys.argv[1:])
