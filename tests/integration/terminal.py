"""A program run under a pseudo-terminal, its output read as a screen (pyte emulates the
terminal), and the processes a program leaves behind."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import threading
from pathlib import Path

import pyte

COLUMNS, LINES = 140, 50


class Terminal:
    """``argv`` with a pseudo-terminal for stdin, stdout and stderr."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        self.master = master
        self.proc = subprocess.Popen(argv, env={**env, "TERM": "xterm-256color",
                                                "COLUMNS": str(COLUMNS), "LINES": str(LINES)},
                                     cwd=cwd, stdin=slave, stdout=slave, stderr=slave,
                                     start_new_session=True)
        os.close(slave)
        self.screen = pyte.Screen(COLUMNS, LINES)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()
        self.ended = threading.Event()

    def read(self, timeout_s: float = 0.1) -> None:
        """Feed what the program wrote (waiting up to ``timeout_s`` for some) to the screen;
        once every writer has gone, only the wait (a poll's interval)."""
        if self.ended.is_set():
            self.ended.wait(timeout_s)
            return
        ready, _, _ = select.select([self.master], [], [], timeout_s)
        while ready:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # every process holding the other side has ended
                data = b""
            if not data:
                self.ended.set()
                return
            self.raw += data
            self.stream.feed(data)
            ready, _, _ = select.select([self.master], [], [], 0)

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.screen.display)

    def close(self) -> None:
        os.close(self.master)


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (read from /proc, children of children too)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: the name may hold spaces, so read after its ")".
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    """Of ``pids``, those with a thread still running. A process whose first thread is a
    zombie may have others still ending, holding its files (its sockets) until they have."""
    running = set()
    for pid in pids:
        for thread in Path(f"/proc/{pid}/task").glob("*/stat"):
            try:
                state = thread.read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z":
                running.add(pid)
                break
    return running
