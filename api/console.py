"""What commands show while they work: a rich progress bar on a terminal, plain lines
anywhere else (a pipe, a log file, CI), so the output reads well in both."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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
