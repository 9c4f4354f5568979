"""`ringback run`'s console: where each service listens, then one status block refreshed in
place (tasks by status, tries/s, tries in flight, webhooks pending, workers seen); the
services' error lines, read from their log files, above it. On a terminal the block is
drawn by rich; anywhere else (a pipe, a file) it is a plain line now and then."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import sqlalchemy as sa
from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from models.rules.task_state import TaskStatus
from models.rules.webhooks import DeliveryStatus
from models.storage.repository import metrics_repo

REFRESH_S = 1.0  # the terminal's status block
PLAIN_EVERY_S = 10.0  # a plain status line at most this often, when something changed
LOG_POLL_S = 0.5
LAST_WORDS_BYTES = 65536  # of a stopped service's log, read for its cause
LOUD = "bold red"  # warnings and a service that could not start
# What makes a log line an error worth the console: JSON logs' level, Celery's and
# uvicorn's and Flower's own formats, a traceback.
_ERROR = re.compile(r"\b(ERROR|CRITICAL)\b|^Traceback ")
# The last line of a traceback: what stopped a process (Flower's port taken, say).
_RAISED = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit)\b")
ALWAYS_SHOWN = (TaskStatus.SCHEDULED, TaskStatus.EXECUTED, TaskStatus.FINISHED)


@dataclass(frozen=True)
class Status:
    by_status: dict[str, int]
    tries_per_s: float
    in_flight: int
    webhooks_pending: int
    workers: int | None  # None: not known (a broker that cannot broadcast)
    warnings: tuple[str, ...] = ()  # kept in sight for the whole run

    def tasks_text(self) -> str:
        shown = [(s.value, self.by_status.get(s.value, 0)) for s in TaskStatus
                 if s in ALWAYS_SHOWN or self.by_status.get(s.value, 0)]
        return "  ".join(f"{name} {count}" for name, count in shown)

    def plain(self) -> str:
        workers = "?" if self.workers is None else str(self.workers)
        return (f"ringback: status: tasks {self.tasks_text()}; {self.tries_per_s:.1f} tries/s; "
                f"in flight {self.in_flight}; webhooks pending {self.webhooks_pending}; "
                f"workers {workers}" + "".join(f"; WARNING: {w}" for w in self.warnings))

    def table(self) -> Table:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column()
        grid.add_row("tasks", self.tasks_text())
        grid.add_row("tries/s", f"{self.tries_per_s:.1f}")
        grid.add_row("in flight", str(self.in_flight))
        grid.add_row("webhooks pending", str(self.webhooks_pending))
        grid.add_row("workers", "?" if self.workers is None else str(self.workers))
        for warning in self.warnings:
            grid.add_row(Text("WARNING", style=LOUD), Text(warning, style=LOUD))
        return grid


class StatusReader:
    """Reads the status from the database; tries/s is the change in ended tries since the
    last read."""

    def __init__(self, engine: sa.Engine, workers: Callable[[], int | None],
                 warnings: tuple[str, ...] = ()) -> None:
        self.engine = engine
        self.workers = workers
        self.warnings = warnings
        self._last: tuple[float, int] | None = None

    def read(self) -> Status:
        with self.engine.connect() as conn:
            by_status = metrics_repo.tasks_by_status(conn)
            tries = metrics_repo.try_counts(conn)
            deliveries = metrics_repo.deliveries_by_result(conn)
        now = time.monotonic()
        rate = 0.0
        if self._last is not None and now > self._last[0]:
            rate = max(0, tries.ended - self._last[1]) / (now - self._last[0])
        self._last = (now, tries.ended)
        return Status(by_status, rate, tries.running,
                      deliveries.get(DeliveryStatus.PENDING.value, 0), self.workers(),
                      self.warnings)


class LogWatcher:
    """Follows the services' log files (from ``starts``: what earlier runs wrote is not
    this run's) and hands each error line to ``show``."""

    def __init__(self, logs: dict[str, Path], show: Callable[[str], None],
                 starts: dict[str, int] | None = None) -> None:
        self.logs = logs
        self.show = show
        self.stop = threading.Event()
        self._offsets = {name: (starts or {}).get(name, 0) for name in logs}
        self._thread = threading.Thread(target=self._follow, name="log-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self.stop.set()
        self._thread.join(timeout=5)
        self.poll()  # what came in last

    def _follow(self) -> None:
        while not self.stop.wait(LOG_POLL_S):
            self.poll()

    def poll(self) -> None:
        for name, path in self.logs.items():
            for line in self._new_lines(name, path):
                if _ERROR.search(line):
                    self.show(f"[{name}] {_readable(line)}")

    def _new_lines(self, name: str, path: Path) -> list[str]:
        try:
            with path.open("rb") as log:
                log.seek(self._offsets[name])
                data = log.read()
        except FileNotFoundError:
            return []
        complete = data[:data.rfind(b"\n") + 1]  # a line still being written waits
        self._offsets[name] += len(complete)
        return complete.decode(errors="replace").splitlines()


def last_words(path: Path, start: int) -> str | None:
    """What a service that stopped wrote last to its log since ``start``: its last error
    line (or the exception that ended it), else its last line; None when nothing."""
    try:
        with path.open("rb") as log:
            log.seek(max(start, log.seek(0, 2) - LAST_WORDS_BYTES))
            lines = [line.strip() for line in log.read().decode(errors="replace").splitlines()
                     if line.strip()]
    except FileNotFoundError:
        return None
    errors = [line for line in lines if (_ERROR.search(line) or _RAISED.match(line))
              and not line.startswith("Traceback ")]
    found = (errors or lines)[-1:]
    return _readable(found[0]) if found else None


def _readable(line: str) -> str:
    """A JSON log line as its level, logger and message; any other line as it is."""
    try:
        record = json.loads(line)
    except ValueError:
        return line
    if not isinstance(record, dict) or "message" not in record:
        return line
    return f"{record.get('level', '')} {record.get('logger', '')}: {record['message']}"


class Screen:
    """The console: lines printed once (addresses, errors) and the status block."""

    def __init__(self, out: TextIO) -> None:
        self.console = Console(file=out, highlight=False)
        self.terminal = self.console.is_terminal
        self._lock = threading.Lock()

    def say(self, line: str, loud: bool = False) -> None:
        with self._lock:
            if self.terminal:
                self.console.print(line, markup=False, style=LOUD if loud else None)
            else:
                self.console.file.write(line + "\n")
                self.console.file.flush()

    @contextmanager
    def status(self, first: Status) -> Iterator[Callable[[Status], None]]:
        """Yields a callback that shows a new status (in place, or as a plain line)."""
        if not self.terminal:
            plain = _PlainStatus(self.say)
            plain(first)
            yield plain
            return
        with Live(first.table(), console=self.console, auto_refresh=False,
                  transient=False) as live:
            def redraw(status: Status) -> None:
                with self._lock:
                    live.update(status.table(), refresh=True)
            yield redraw


class _PlainStatus:
    """A status line when it changed, at most every PLAIN_EVERY_S (the first at once)."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.line: str | None = None
        self.when = 0.0

    def __call__(self, status: Status) -> None:
        line, now = status.plain(), time.monotonic()
        if self.line is None or (line != self.line and now - self.when >= PLAIN_EVERY_S):
            self.say(line)
            self.line, self.when = line, now
