"""Progress output in the style of ``migrate``: a heading, one line per step
ending in OK, details at higher verbosity. Silent when there is no stream."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from django.core.management.base import OutputWrapper
from django.core.management.color import no_style


class Reporter:
    def __init__(self, stdout: TextIO | None = None, style=None, verbosity: int = 1):
        self.stdout = stdout
        self.style = style or no_style()
        self.verbosity = verbosity if stdout is not None else 0

    def write(self, text: str, level: int = 1, ending: str = "\n") -> None:
        if self.verbosity < level:
            return
        if isinstance(self.stdout, OutputWrapper):
            self.stdout.write(text, ending=ending)
        else:
            self.stdout.write(text + ending)
        self.stdout.flush()

    def heading(self, text: str) -> None:
        self.write(self.style.MIGRATE_HEADING(text))

    def line(self, text: str, level: int = 1) -> None:
        self.write(text, level)

    def warning(self, text: str) -> None:
        self.write(self.style.WARNING(text))

    @contextmanager
    def step(self, text: str, level: int = 1) -> Iterator[None]:
        """``  Dropping todolist_todo... OK`` (with the time at verbosity 3)."""
        self.write(f"  {text}...", level, ending="")
        started = time.monotonic()
        try:
            yield
        except BaseException:
            self.write(self.style.ERROR(" FAILED"), level)
            raise
        elapsed = f" ({time.monotonic() - started:.3f}s)" if self.verbosity >= 3 else ""
        self.write(self.style.SUCCESS(" OK") + elapsed, level)


def rows_text(count: int) -> str:
    return f"{count:,} row" + ("" if count == 1 else "s")
