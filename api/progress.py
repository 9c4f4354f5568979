"""Text progress bars for the terminal, redrawn in place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TextIO

BAR_WIDTH = 30


def bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    filled = width if total <= 0 else min(width, width * done // total)
    return "[" + "#" * filled + "." * (width - filled) + "]"


class Lines:
    """A block of lines redrawn in place on a terminal (appended elsewhere, e.g. a pipe)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.drawn = 0
        self.tty = stream.isatty()

    def draw(self, lines: list[str]) -> None:
        if self.tty and self.drawn:
            self.stream.write(f"\x1b[{self.drawn}F")
        for line in lines:
            self.stream.write(line + ("\x1b[K" if self.tty else "") + "\n")
        self.stream.flush()
        self.drawn = len(lines)


def status_lines(counts: Mapping[str, int], total: int) -> list[str]:
    return [f"{status:<24} {bar(n, total)} {n:>6}/{total}"
            for status, n in counts.items() if n or status in ("finished", "scheduled")]
