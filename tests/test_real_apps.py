"""The real-app corpus: popular third-party apps with long migration
histories (requirements-realapps.txt, tests/realapps/settings.py), each taken
from its earliest migration to its latest by ``autoupdate --noinput
--accept-data-loss`` and, for comparison, by ``migrate``, on the backend
``DATABASE_URL`` names. An app is *reached* by an updater when the command
succeeds and the schema equals a fresh ``migrate`` of everything (names
ignored). See tests/realapps/harness.py for how each case is built.

It takes minutes per backend, so it runs when ``REALAPPS`` is set: ``all``
for the whole corpus, or a comma-separated list of app labels (.ci/run sets
it). ``REALAPPS_REPORT=FILE`` writes the figures there as a Markdown table.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path

import pytest
from django.conf import settings

PROJECT = Path(__file__).resolve().parent.parent

# app label -> the module that has to be installed for it.
CORPUS = {
    "wagtailcore": "wagtail",
    "wagtailadmin": "wagtail",
    "wagtaildocs": "wagtail",
    "wagtailembeds": "wagtail",
    "wagtailforms": "wagtail",
    "wagtailimages": "wagtail",
    "wagtailredirects": "wagtail",
    "wagtailsearch": "wagtail",
    "wagtailsearchpromotions": "wagtail",
    "wagtailusers": "wagtail",
    "taggit": "taggit",
    "account": "allauth",
    "socialaccount": "allauth",
    "oauth2_provider": "oauth2_provider",
    "knox": "knox",
    "social_django": "social_django",
    "guardian": "guardian",
    "axes": "axes",
    "otp_totp": "django_otp",
    "otp_hotp": "django_otp",
    "otp_static": "django_otp",
    "otp_email": "django_otp",
    "easy_thumbnails": "easy_thumbnails",
    "filer": "filer",
    "reversion": "reversion",
    "constance": "constance",
    "django_celery_results": "django_celery_results",
    "django_celery_beat": "django_celery_beat",
}

# Apps autoupdate does not reach, and why: strict expected failures, so that
# a fix shows up. label -> (backends it holds on, reason).
ALL = ("sqlite", "postgresql", "mysql")
NOT_REACHED: dict[str, tuple[tuple[str, ...], str]] = {
    "wagtailcore": (
        ALL,
        "the default of wagtaildocs.Document.collection (get_root_collection_id) queries the "
        "root collection, which a data migration (RunPython) of wagtailcore creates: refused in "
        "one line naming the field (migrate fails here too, on the corpus's rows)",
    ),
    "wagtailembeds": (
        ALL,
        "the new unique NOT NULL column hash is computed by 0007_populate_hash (RunPython) "
        "for each row: autoupdate runs no migration code and refuses (no value fits every row)",
    ),
    "wagtailsearchpromotions": (
        ALL,
        "the corpus's rows point at search queries a data migration moves to another table: "
        "the foreign key fails at apply, rolled back (migrate fails the same way)",
    ),
    "wagtaildocs": (
        ("mysql",),
        "migrate's history leaves file_size without its CHECK (>= 0): a later AlterField "
        "MODIFYs the column without it; autoupdate builds the CHECK, as a fresh build has it",
    ),
    "taggit": (
        ("mysql",),
        "the fresh build has no index of its own on content_type_id (InnoDB drops the one it "
        "made for the foreign key once another index covers it); taken from 0001, migrate and "
        "autoupdate both keep the one 0001 made",
    ),
    "account": (
        ("mysql",),
        "as taggit: an index on user_id that migrate from 0001 keeps as well",
    ),
    "guardian": (
        ("mysql",),
        "as taggit: an index on permission_id that migrate from 0001 keeps as well",
    ),
    "reversion": (
        ("mysql",),
        "as taggit: an index on content_type_id that migrate from 0001 keeps as well",
    ),
}


def selected() -> list[str]:
    wanted = os.environ.get("REALAPPS", "")
    if wanted == "all":
        return list(CORPUS)
    return [label for label in wanted.split(",") if label]


def vendor() -> str:
    engine = settings.DATABASES["default"]["ENGINE"]
    return {"sqlite3": "sqlite", "postgresql": "postgresql", "mysql": "mysql"}[
        engine.rsplit(".", 1)[-1]
    ]


def case_param(label: str):
    marks = []
    if find_spec(CORPUS[label]) is None:
        marks.append(pytest.mark.skip(reason=f"{CORPUS[label]} is not installed on this leg"))
    backends, reason = NOT_REACHED.get(label, ((), ""))
    if vendor() in backends:
        marks.append(pytest.mark.xfail(strict=True, reason=reason))
    return pytest.param(label, marks=marks, id=label)


pytestmark = [
    pytest.mark.skipif(not selected(), reason="the real-app corpus runs when REALAPPS is set"),
]


def harness(*args: str) -> str:
    env = {**os.environ, "DATABASE_URL": base_url()}
    result = subprocess.run(
        [sys.executable, "-m", "tests.realapps.harness", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


def base_url() -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{PROJECT / 'db.sqlite3'}"


class Corpus:
    """The cases run so far in this test run, each run once, whichever xdist
    worker asks first: the results are files in a folder of the run. The
    reference is built once, under one lock; the cases run side by side, each
    worker on databases of its own (its slot), one lock per case."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        with self.locked("reference"):
            seconds = workdir / "reference.seconds"
            if not seconds.exists():
                seconds.write_text(str(json.loads(harness("reference", str(workdir)))["seconds"]))
        self.reference_seconds = float(seconds.read_text())

    @contextmanager
    def locked(self, name: str) -> Iterator[None]:
        with open(self.workdir / f"{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def case(self, label: str) -> dict:
        result = self.workdir / f"{label}.json"
        with self.locked(label):
            if not result.exists():
                slot = os.environ.get("PYTEST_XDIST_WORKER", "main")
                result.write_text(harness("case", label, str(self.workdir), slot))
        return json.loads(result.read_text())


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    # One folder for the whole run: every xdist worker has the same TESTRUNUID.
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", str(os.getpid()))
    workdir = Path(tempfile.gettempdir()) / f"automigrate-realapps-{run}"
    workdir.mkdir(exist_ok=True)
    return Corpus(workdir)


@pytest.mark.parametrize("label", [case_param(label) for label in selected()])
def test_autoupdate_reaches_the_latest_schema(corpus, label):
    case = corpus.case(label)
    outcome = case["autoupdate"]
    assert outcome["reached"], outcome["error"] or outcome["first_difference"]
    # Rows go only where migrate loses them too (knox's 0002 recreates its
    # table), and only as the printed plan announced.
    lost = set(outcome["rows_lost"])
    assert lost <= set(case["migrate"]["rows_lost"]), outcome["rows_lost"]
    assert lost <= set(outcome["announced_losses"]), outcome["rows_lost"]


def test_autoupdate_reaches_as_many_apps_as_migrate(corpus):
    labels = [label for label in selected() if find_spec(CORPUS[label])]
    results = [corpus.case(label) for label in labels]
    write_report(results, corpus.reference_seconds)
    # Every app migrate reaches, autoupdate reaches too, but for the ones
    # NOT_REACHED explains (where migrate runs migration code, or loses rows).
    explained = {label for label in labels if vendor() in NOT_REACHED.get(label, ((), ""))[0]}
    missed = [
        result["label"]
        for result in results
        if result["migrate"]["reached"]
        and not result["autoupdate"]["reached"]
        and result["label"] not in explained
    ]
    assert not missed, f"migrate reaches these, autoupdate does not, unexplained: {missed}"


def write_report(results: list[dict], reference_seconds: float) -> None:
    """The figures as Markdown, to REALAPPS_REPORT (and in the test output)."""
    lines = [
        f"{vendor()}: {len(results)} apps; reference migrate {reference_seconds} s; "
        f"cases {round(sum(r['seconds'] for r in results), 1)} s",
        "",
        "| app | from | rows | migrate | autoupdate |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        cells = [describe(result[updater]) for updater in ("migrate", "autoupdate")]
        lines.append(
            f"| {result['label']} | {result['earliest']} | {result['rows_inserted']} | "
            + " | ".join(cells)
            + " |"
        )
    for updater in ("migrate", "autoupdate"):
        reached = sum(result[updater]["reached"] for result in results)
        kept = sum(not result[updater]["rows_lost"] for result in results)
        lines.append(f"\n{updater}: reached {reached}/{len(results)}, rows kept in {kept}")
    text = "\n".join(lines) + "\n"
    print(text)
    if os.environ.get("REALAPPS_REPORT"):
        Path(os.environ["REALAPPS_REPORT"]).write_text(text)
        Path(os.environ["REALAPPS_REPORT"]).with_suffix(".json").write_text(json.dumps(results))


def describe(outcome: dict) -> str:
    if outcome["reached"]:
        text = "reached"
    else:
        text = "NOT: " + (outcome["error"] or outcome["first_difference"]).replace("|", "/")
    if outcome["rows_lost"]:
        text += f" (rows lost: {outcome['rows_lost']})"
    return text[:240]
