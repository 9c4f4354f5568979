"""What commands show while they work: a rich progress bar on a terminal, plain lines
anywhere else (a pipe, a log file, CI), so the output reads well in both."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

# Plain output: a line at most this often (in items), and at the end.
PLAIN_EVERY_FRACTION = 0.1


class Advance(Protocol):
    def __call__(self, done: int) -> None:
        """``done`` items of the total are through."""


@contextmanager
def progress(out: TextIO, what: str, total: int) -> Iterator[Advance]:
    """Yields a callback taking how many items are done so far."""
    console = Console(file=out)
    if not console.is_terminal:
        yield _PlainLines(out, what, total)
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=False) as bar:
        task = bar.add_task(what, total=total)
        yield lambda done: bar.update(task, completed=done)


class _PlainLines:
    def __init__(self, out: TextIO, what: str, total: int) -> None:
        self.out, self.what, self.total = out, what, total
        self.step = max(1, int(total * PLAIN_EVERY_FRACTION))
        self.shown = 0

    def __call__(self, done: int) -> None:
        if done - self.shown >= self.step or (done >= self.total and done != self.shown):
            self.out.write(f"{self.what}: {done}/{self.total}\n")
            self.out.flush()
            self.shown = done


StatusCounts = Mapping[str, int]
ALWAYS_BARS = ("scheduled", "finished")
PLAIN_STATUS_EVERY_S = 5.0


@contextmanager
def status_bars(out: TextIO, total: int) -> Iterator[Callable[[StatusCounts], None]]:
    """Yields a callback taking tasks by status: a bar per status on a terminal (shown once
    it has tasks), a plain line now and then elsewhere, and the last counts at the end."""
    console = Console(file=out)
    if not console.is_terminal:
        plain = _PlainCounts(out, total)
        yield plain
        plain.last_line()
        return
    with Progress(TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(),
                  console=console, transient=False) as bars:
        rows: dict[str, TaskID] = {}

        def show(counts: StatusCounts) -> None:
            for status, count in counts.items():
                if status not in rows and (count or status in ALWAYS_BARS):
                    rows[status] = bars.add_task(status, total=total)
                if status in rows:
                    bars.update(rows[status], completed=count)
        yield show


class _PlainCounts:
    def __init__(self, out: TextIO, total: int) -> None:
        self.out, self.total = out, total
        self.counts: StatusCounts = {}
        self.when: float | None = None

    def __call__(self, counts: StatusCounts) -> None:
        self.counts = dict(counts)
        now = time.monotonic()
        if self.when is None or now - self.when >= PLAIN_STATUS_EVERY_S:
            self.last_line()
            self.when = now

    def last_line(self) -> None:
        shown = ", ".join(f"{status} {count}" for status, count in self.counts.items()
                          if count or status in ALWAYS_BARS)
        self.out.write(f"tasks ({self.total}): {shown}\n")
        self.out.flush()
