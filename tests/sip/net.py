"""Ports for the SIP peers (on loopback unless a test gives its own address), polling with a
deadline, and stopping child processes."""

from __future__ import annotations

import contextlib
import ctypes
import os
import random
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

HOST = "127.0.0.1"
POLL_INTERVAL_S = 0.02
STOP_TIMEOUT_S = 5.0
# sipp binds its media port and the port 2 above it (audio and video echo); each instance gets a
# block of this many ports that no other instance shares.
MEDIA_BLOCK_PORTS = 10
# Media blocks come from below Linux's ephemeral range (32768-60999), where the SIP ports that
# the kernel hands out for bind(0) come from, so the two kinds never collide.
MEDIA_PORT_MIN = 20000
MEDIA_PORT_MAX = 32000

_lock = threading.Lock()
_handed_out: set[int] = set()


class PeerError(AssertionError):
    """A SIP peer is missing, did not start, or did not behave: the test fails, never skips."""


def _bindable(port: int, kind: socket.SocketKind, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, kind) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(*, tcp_too: bool = False, host: str = HOST) -> int:
    """A UDP port on ``host`` that is free now (and for TCP too when asked) and that this
    process has not handed out before: a port closed here stays free until its user binds it."""
    with _lock:
        for _ in range(100):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.bind((host, 0))
                port = int(sock.getsockname()[1])
            if port in _handed_out or (
                tcp_too and not _bindable(port, socket.SOCK_STREAM, host)
            ):
                continue
            _handed_out.add(port)
            return port
    raise PeerError(f"no free UDP port on {host}")


def free_media_block(host: str = HOST) -> int:
    """The first port of MEDIA_BLOCK_PORTS free UDP ports, shared with no other instance."""
    with _lock:
        blocks = list(range(MEDIA_PORT_MIN, MEDIA_PORT_MAX, MEDIA_BLOCK_PORTS))
        # A random start keeps concurrent test processes from probing the same blocks first.
        start = random.randrange(len(blocks))
        for base in blocks[start:] + blocks[:start]:
            ports = range(base, base + MEDIA_BLOCK_PORTS)
            if any(p in _handed_out for p in ports):
                continue
            if all(_bindable(p, socket.SOCK_DGRAM, host) for p in ports):
                _handed_out.update(ports)
                return base
    raise PeerError(f"no free block of media ports on {host}")


def wait_until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Polls check() until it holds (check raises when waiting is pointless)."""
    deadline = time.monotonic() + timeout_s
    while True:
        if check():
            return
        if time.monotonic() >= deadline:
            raise PeerError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(POLL_INTERVAL_S)


def spawn(argv: list[str], log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    """Starts a peer in its own session, output to log; it gets SIGTERM if this process dies
    (PR_SET_PDEATHSIG), so that a killed test run leaves no peer behind."""
    with log.open("wb") as out:
        return subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=cwd,
            start_new_session=True, preexec_fn=_die_with_parent,
        )


def _die_with_parent() -> None:
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def stop_process(proc: subprocess.Popen[bytes], *, group: bool = False) -> int:
    """SIGTERM to a child started in its own session, then a wait; past STOP_TIMEOUT_S it is
    killed. group: the child forks workers (kamailio) into its process group, and none of them
    may outlive the test either."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if group:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    return int(proc.returncode)


def tail(path: Path, chars: int = 2000) -> str:
    """The end of a log file, for an error message."""
    try:
        return path.read_text(errors="replace")[-chars:]
    except FileNotFoundError:
        return f"({path} missing)"
