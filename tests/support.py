"""Test helpers: databases, a Redis DB, real worker and beat processes, and polling."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

from models.storage import db, migrate

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS_HOST_PORT = "127.0.0.1:6379"
REPO_ROOT = Path(__file__).resolve().parent.parent
POLL_INTERVAL_S = 0.1
# Past this a stopping process is killed: the tests do not depend on a warm shutdown.
STOP_TIMEOUT_S = 5
T = TypeVar("T")


def pg_url(database: str) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"


def _admin() -> sa.Engine:
    return sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def create_template_database() -> str:
    """A migrated database that each test's database is copied from."""
    name = f"ringback_tpl_{uuid.uuid4().hex[:10]}"
    admin = _admin()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    migrate.upgrade(pg_url(name))
    return name


def clone_database(template: str) -> str:
    name = f"ringback_t_{uuid.uuid4().hex[:10]}"
    admin = _admin()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    admin.dispose()
    return name


def drop_database(name: str) -> None:
    admin = _admin()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


class ProcessDied(AssertionError):
    pass


@dataclass
class Stack:
    """Real Celery worker and beat processes against one database and broker."""

    env: dict[str, str]
    workdir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start_command(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            argv, cwd=self.workdir, env=with_this_checkout(self.env), stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.processes[name] = proc
        return proc

    def start(self, name: str, *celery_args: str,
              wrap: Callable[[list[str]], list[str]] = list) -> subprocess.Popen[bytes]:
        """A celery process; ``wrap`` turns its command into another (run it elsewhere)."""
        return self.start_command(name, wrap([sys.executable, "-m", "celery", "-A", "worker",
                                              *celery_args]))

    def start_worker(self, name: str = "worker", concurrency: int = 2,
                     wrap: Callable[[list[str]], list[str]] = list) -> None:
        self.start(name, "worker", "--loglevel", "INFO", "--concurrency", str(concurrency),
                   "--hostname", f"{name}-{uuid.uuid4().hex[:6]}@%h",
                   "--without-mingle", "--without-gossip", wrap=wrap)

    def start_beat(self, name: str = "beat") -> None:
        self.start(name, "beat", "--loglevel", "INFO",
                   "--schedule", str(self.workdir / f"{name}-schedule"))

    def kill(self, name: str) -> None:
        """SIGKILL the process and every child of it, as a crash would."""
        proc = self.processes.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for name, proc in list(self.processes.items()):
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            self.processes.pop(name)

    def check_alive(self) -> None:
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                log = (self.workdir / f"{name}.log").read_text(errors="replace")[-3000:]
                raise ProcessDied(f"{name} exited with {proc.returncode}:\n{log}")

    def wait_for(self, probe: Callable[[], T | None], timeout_s: float, what: str) -> T:
        """Poll ``probe`` until it returns something truthy; between polls, watch the
        processes so a crashed worker fails the test at once rather than at the deadline."""
        deadline = time.monotonic() + timeout_s
        while True:
            result = probe()
            if result:
                return result
            self.check_alive()
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
            self.pause()

    def pause(self) -> None:
        # Waiting on a process we own doubles as the poll interval and a crash check.
        any_proc = next(iter(self.processes.values()), None)
        if any_proc is None:
            raise AssertionError("no process is running to wait on")
        with suppress(subprocess.TimeoutExpired):
            any_proc.wait(timeout=POLL_INTERVAL_S)


def with_this_checkout(env: dict[str, str]) -> dict[str, str]:
    """``env`` with this checkout first on PYTHONPATH: the processes a test starts run the
    code under test even when the venv's editable install points at another worktree."""
    paths = [str(REPO_ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    return {**env, "PYTHONPATH": os.pathsep.join(paths)}


def read_dial_log(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def write_scenario(path: Path, **scenario: Any) -> Path:
    path.write_text(json.dumps(scenario))
    return path


@contextmanager
def engine_for(url: str) -> Iterator[sa.Engine]:
    engine = db.create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def free_port() -> int:
    """A port of 127.0.0.1 free for both TCP and UDP, never handed out twice in this process:
    a SIP controller binds both, and the SIP peers' ports come from the same allocator."""
    from tests.sip import net

    return net.free_port(tcp_too=True)


@dataclass
class ApiServer:
    """`ringback api` served as a process on a free port of 127.0.0.1."""

    stack: Stack
    base_url: str

    @classmethod
    def start(cls, env: dict[str, str], workdir: Path, name: str = "api") -> ApiServer:
        port = free_port()
        stack = Stack(env=env, workdir=workdir)
        stack.start_command(name, [sys.executable, "-m", "api.cli", "api",
                                   "--host", "127.0.0.1", "--port", str(port)])
        server = cls(stack, f"http://127.0.0.1:{port}")
        stack.wait_for(server._ready, 30, "the API to answer")
        return server

    def _ready(self) -> bool:
        import httpx

        try:
            return httpx.get(f"{self.base_url}/openapi.json", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        self.stack.stop_all()


@dataclass
class OwnRedis:
    """A redis-server of a test's own on a spare port, which the test may kill and restart
    (the shared one on 6379 is never touched)."""

    port: int
    workdir: Path
    proc: subprocess.Popen[bytes] | None = None
    host: str = "127.0.0.1"

    def start(self) -> None:
        log = (self.workdir / f"redis-{self.port}.log").open("ab")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", self.host, "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir),
             # Clients on other hosts (network namespaces) too: no password in a test.
             "--protected-mode", "yes" if self.host == "127.0.0.1" else "no"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 10
        while not _accepts(self.host, self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"redis-server on {self.port} did not start")
            # The server's own process paces the polling, and reports a crash.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=POLL_INTERVAL_S)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def _accepts(host: str, port: int) -> bool:
    import socket

    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class OwnPostgres:
    """A PostgreSQL server of a test's own (initdb in a temp folder, a spare port), which
    the test may restart; run as the postgres user, as initdb refuses root."""

    port: int
    datadir: Path
    host: str = "127.0.0.1"

    def _as_postgres(self, *argv: str) -> None:
        command = list(argv) if os.getuid() != 0 else ["runuser", "-u", "postgres", "--", *argv]
        # No pipes: a server started here would inherit them and keep run() waiting.
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=120)

    @staticmethod
    def _bin(name: str) -> str:
        return str(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))[-1])

    def init(self) -> None:
        self.datadir.mkdir(parents=True)
        if os.getuid() == 0:
            shutil.chown(self.datadir, "postgres", "postgres")
        self._as_postgres(self._bin("initdb"), "-D", str(self.datadir), "-A", "trust",
                          "-U", "postgres", "--no-sync")
        if self.host != "127.0.0.1":  # clients on other hosts (network namespaces) too
            with (self.datadir / "pg_hba.conf").open("a") as hba:
                hba.write("host all all 0.0.0.0/0 trust\n")

    def start(self) -> None:
        self._as_postgres(self._bin("pg_ctl"), "-D", str(self.datadir), "-w", "-l",
                          str(self.datadir / "server.log"), "-o",
                          f"-p {self.port} -k {self.datadir} -c listen_addresses={self.host} "
                          "-c fsync=off", "start")

    def restart(self) -> None:
        self._as_postgres(self._bin("pg_ctl"), "-D", str(self.datadir), "-w", "-m", "fast",
                          "-l", str(self.datadir / "server.log"), "restart")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._as_postgres(self._bin("pg_ctl"), "-D", str(self.datadir), "-w", "-m",
                              "immediate", "stop")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@{self.host}:{self.port}/{database}"


def stack_env(database_url: str, broker_url: str, work: Path,
              scenario: dict[str, Any] | None = None, /, **settings: Any) -> dict[str, str]:
    """The environment worker and beat get in tests and benchmarks: the test's database,
    broker, scenario and dial log, quick ticks, and ``settings`` on top
    (``dispatch_interval_s=0.1`` becomes ``RINGBACK_DISPATCH_INTERVAL_S=0.1``; a setting
    may override the database or broker too)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RINGBACK_")}
    env.update({
        "RINGBACK_DATABASE_URL": database_url,
        "RINGBACK_BROKER_URL": broker_url,
        "RINGBACK_SIM_SCENARIO": str(write_scenario(
            work / "scenario.json", **(scenario or {"default": "answer"}))),
        "RINGBACK_SIM_DIAL_LOG": str(work / "dial.log"),
        "RINGBACK_DISPATCH_INTERVAL_S": "0.25",
        "RINGBACK_POLL_CALLS_INTERVAL_S": "0.25",
        "RINGBACK_REAP_INTERVAL_S": "1",
    })
    env.update({f"RINGBACK_{k.upper()}": str(v) for k, v in settings.items()})
    return env
