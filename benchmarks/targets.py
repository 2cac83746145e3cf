"""The README's tables, from one or more results files that run.py wrote.

    python benchmarks/targets.py benchmarks/results-realapps.md benchmarks/results-100.md

(a later file's rows replacing an earlier one's, for sections run again)
prints four markdown tables, the real-app corpus's rows first: issue 14's
targets (automigrate against the syncdb path, whole processes; the own parts,
in-process, of automigrate against the DDL floor and of a no-op autoupdate
against a no-op migrate), the earlier targets (net of start-up), the medians
of building the schema and of in-sync runs, and the test-database setup
comparison (pytest with migrations, --nomigrations, --automigrate). It reads
the results table that summary.py writes, so the figures are the ones in
those files.
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
        # N of a generated project or the corpus's name; not the header, not the separator.
        if len(cells) != len(COLUMNS) or cells[0] in ("N", "") or set(cells[0]) <= set("-:"):
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


# Issue 14: automigrate's own part against the DDL floor, per backend.
FLOOR_LIMITS = {"sqlite": 3.0, "postgresql": 1.3, "mysql": 1.3}
IN_PROCESS = ", in-process"


def own_ratio(rows, name: str, reference: str, limit: float | None) -> str:
    """The own parts (in-process rows' net, the floor's time connected) of
    ``name`` and ``reference``: their ratio, checked against ``limit``."""
    own = number((rows.get(name) or {}).get("net"))
    base = number((rows.get(reference) or {}).get("net"))
    if own is None or not base or base <= 0:
        return "–"
    value = own / base
    shown = verdict(value, limit) if limit is not None else f"{value:.2f}"
    return f"{shown} ({own:.2f} / {base:.2f} s)"


def issue14_table(blocks) -> str:
    lines = [
        "| N | DB | automigrate ÷ syncdb path, whole process (≤ 0.7) "
        "| automigrate own part ÷ DDL floor (≤ 3 SQLite, ≤ 1.3 PostgreSQL, MariaDB) "
        "| syncdb path own part ÷ floor "
        "| no-op autoupdate own part ÷ no-op migrate own part (≤ 0.3) |",
        "|---|---|---|---|---|---|",
    ]
    for (n, db), rows in blocks.items():
        automigrate = number((rows.get("automigrate") or {}).get("median"))
        syncdb = number((rows.get("migrate --run-syncdb, no migrations") or {}).get("median"))
        whole = "–"
        if automigrate and syncdb:
            whole = f"{verdict(automigrate / syncdb, 0.7)} ({automigrate:.2f} / {syncdb:.2f} s)"
        floor = "DDL floor (driver only)"
        cells = [
            n,
            db,
            whole,
            own_ratio(rows, "automigrate" + IN_PROCESS, floor, FLOOR_LIMITS.get(db)),
            own_ratio(rows, "migrate --run-syncdb, no migrations" + IN_PROCESS, floor, None),
            own_ratio(
                rows,
                "autoupdate, nothing to do" + IN_PROCESS,
                "migrate, nothing to do" + IN_PROCESS,
                0.3,
            ),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


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
    # The real-app corpus first, then the generated projects in the files' order.
    blocks = dict(sorted(blocks.items(), key=lambda item: item[0][0].isdigit()))
    print(issue14_table(blocks))
    print()
    print(targets_table(blocks))
    print()
    print(build_table(blocks))
    print()
    print(pytest_table(blocks))


if __name__ == "__main__":
    main(sys.argv[1:])
