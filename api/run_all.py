"""`ringback run`: API, worker, beat, Flower (and the SIP controller when the dialer is sip),
and, when no broker is configured, a Valkey server of its own, in the foreground, stopped
together. Every child dies with it, even when it is SIGKILLed. Each service writes its log
to logs/<name>.log in the working folder; the console says where each one listens, then
keeps one status block up to date, with the services' errors above it (``--verbose``:
every service writes to the console instead, as before). A service that cannot start, or
stops on its own, stops the run, which exits 1 naming it and its last words. What the run
writes is its user's alone, and no secret is on a command line (api/run_private.py)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from api import embedded, run_console, run_private
from api.nudge import Nudger
from models import settings as settings_module
from models.settings import Settings
from models.storage import db, migrate

DEMO_SCENARIO = Path(__file__).with_name("demo_scenario.json")
STOP_TIMEOUT_S = 15
BROKER_READY_S = 30
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
LOG_DIR = "logs"
BEAT_SCHEDULE = "celerybeat-schedule"  # beat's shelve; its files may carry suffixes
PING_TIMEOUT_S = 0.5


@dataclass(frozen=True)
class RunOptions:
    host: str
    api_port: int
    flower_port: int
    # "user:password", from FLOWER_BASIC_AUTH, never the command line; Flower is not
    # started without it.
    flower_auth: str | None
    verbose: bool = False


class ServiceFailed(RuntimeError):
    """A service could not start, or stopped on its own: the run cannot go on. Its text
    names the service and what it said last."""


def _commands(settings: Settings, options: RunOptions, workdir: Path
              ) -> dict[str, list[str]]:
    python = sys.executable
    commands = {
        "api": [python, "-m", "api.cli", "api", "--host", options.host,
                "--port", str(options.api_port)],
        "worker": [python, "-m", "celery", "-A", "worker", "worker", "--loglevel", "INFO",
                   "--concurrency", "2"],
        "beat": [python, "-m", "celery", "-A", "worker", "beat", "--loglevel", "INFO",
                 "--schedule", str(workdir / BEAT_SCHEDULE)],
    }
    if settings.dialer == "sip":
        commands["sip"] = [python, "-m", "api.cli", "sip"]
    if options.flower_auth:
        # The credentials go by Flower's environment: see _environment.
        commands["flower"] = [python, "-m", "celery", "-A", "worker", "flower",
                              f"--address={options.host}", f"--port={options.flower_port}"]
    return commands


class Children:
    """The processes `ringback run` started, each armed to die with it."""

    def __init__(self, workdir: Path, verbose: bool) -> None:
        self.workdir = workdir
        self.verbose = verbose
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, Path] = {}
        self.starts: dict[str, int] = {}  # where this run's part of each log begins
        (workdir / LOG_DIR).mkdir(exist_ok=True)

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        log: IO[bytes] | None = None
        if not self.verbose:
            self.logs[name] = self.workdir / LOG_DIR / f"{name}.log"
            log = self.logs[name].open("ab")
            self.starts[name] = log.tell()
        self.procs[name] = subprocess.Popen(
            argv, env=env, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT if log else None,
            stdin=subprocess.DEVNULL, preexec_fn=embedded.die_with_parent(os.getpid()))
        if log is not None:
            log.close()  # the child holds its own copy

    def check(self) -> None:
        """ServiceFailed when a service has exited: the run cannot go on without it."""
        for name, proc in self.procs.items():
            code = proc.poll()
            if code is not None:
                raise self.failed(name, code)

    def failed(self, name: str, code: int) -> ServiceFailed:
        log = self.logs.get(name)
        said = log and run_console.last_words(log, self.starts[name])
        where = f"; see {Path(LOG_DIR) / log.name}" if log else ""
        return ServiceFailed(f"{name} stopped (exit code {code})"
                             + (f": {said}" if said else "") + where)

    def note(self, name: str, line: str) -> None:
        """A line of our own in a service's log."""
        if name in self.logs:
            with self.logs[name].open("a") as log:
                log.write(line + "\n")

    def stop_all(self, say: run_console.Screen) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in reversed(list(self.procs.items())):  # the broker last
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                say.say(f"ringback: {name} did not stop in {STOP_TIMEOUT_S} s; killing it")
                proc.kill()
                proc.wait()


def run(settings: Settings, options: RunOptions) -> int:
    """Migrate, start everything, wait for Ctrl-C (or a child's death), stop everything;
    1 when a service could not start or stopped, 2 when another `ringback run` owns this
    folder or Flower would be open to others with the default password."""
    # Before anything is written: every file of the run, and of its children (who inherit
    # the mask), is its user's alone.
    os.umask(run_private.PRIVATE_UMASK)
    if (options.flower_auth and options.host not in LOOPBACK_HOSTS
            and run_private.weak_flower_password(options.flower_auth)):
        print(f"ringback: {run_private.flower_refusal(options.host)}", file=sys.stderr)
        return 2
    screen = run_console.Screen(sys.stdout)
    workdir = Path.cwd()
    run_dir = embedded.run_dir(workdir)
    try:
        with embedded.exclusive(run_dir):
            return _run_owned(settings, options, workdir, run_dir, screen)
    except embedded.AlreadyRunning as refused:
        print(f"ringback: {refused}", file=sys.stderr)
        return 2


def _run_owned(settings: Settings, options: RunOptions, workdir: Path, run_dir: Path,
               screen: run_console.Screen) -> int:
    run_private.make_private([
        run_dir, workdir / LOG_DIR, *workdir.glob(f"{BEAT_SCHEDULE}*"),
        *run_private.sqlite_files(settings.database_url),
        *run_private.sqlite_files(settings.broker_url)])  # left by an earlier run
    migrate.upgrade(settings.database_url)
    children = Children(workdir, options.verbose)
    server: embedded.BrokerServer | None = None
    try:
        server = _broker_server(settings, run_dir, screen)
        if server is not None:
            _start_broker(server, children, run_dir)
        broker_url = server.url if server else settings.broker_url
        for name, argv in _commands(settings, options, workdir).items():
            children.start(name, argv, _environment(name, settings, options, broker_url))
        for line in _where(settings, options, children, broker_url):
            screen.say(line)
        warnings = _flower_warnings(options, children, screen)
        return _watch(settings.database_url, broker_url, children, screen, warnings)
    except ServiceFailed as failed:
        screen.say(f"ringback: {failed}; stopping the rest", loud=True)
        return 1
    finally:
        children.stop_all(screen)
        if server is not None:
            embedded.release(server)
        screen.say("ringback: stopped")


def _environment(name: str, settings: Settings, options: RunOptions,
                 broker_url: str) -> dict[str, str]:
    """A child's environment: Flower's alone holds Flower's password."""
    overrides = _overrides(settings, options)
    if broker_url != settings.broker_url:
        overrides["RINGBACK_BROKER_URL"] = broker_url
    env = run_private.without_flower_auth(settings_module.child_environment(overrides))
    if name == "flower" and options.flower_auth:
        env.update(run_private.flower_env(options.flower_auth))
    return env


def _flower_warnings(options: RunOptions, children: Children,
                     screen: run_console.Screen) -> tuple[str, ...]:
    """The default password's warning, said now, written to Flower's log, and kept in the
    status block."""
    if not (options.flower_auth and run_private.weak_flower_password(options.flower_auth)):
        return ()
    warning = run_private.flower_warning(options.host, options.flower_port)
    screen.say(f"ringback: {warning}", loud=True)
    children.note("flower", f"ringback: {warning}")
    return (run_private.FLOWER_WARNING_SHORT,)


def _overrides(settings: Settings, options: RunOptions) -> dict[str, str]:
    overrides: dict[str, str] = {}
    if settings.dialer == "sim" and settings.sim_scenario is None:
        overrides["RINGBACK_SIM_SCENARIO"] = str(DEMO_SCENARIO)  # the demo's mix of outcomes
    if not settings.metrics_token and options.host in LOOPBACK_HOSTS:
        overrides["RINGBACK_METRICS_OPEN"] = "true"  # a laptop run: only this host can ask
    return overrides


def _broker_server(settings: Settings, run_dir: Path,
                   screen: run_console.Screen) -> embedded.BrokerServer | None:
    """The embedded broker, when no broker is configured and a server binary is at hand;
    None: the configured broker (or the SQLite fallback) stays."""
    if settings.broker_url != settings_module.embedded_broker_url():
        return None
    binary = embedded.find_server_binary()
    if binary is None:
        screen.say("ringback: no valkey-server or redis-server found: Celery's SQLAlchemy "
                   "transport on SQLite carries the messages (Flower shows no workers)")
        return None
    return embedded.broker_server(binary, run_dir)


def _start_broker(server: embedded.BrokerServer, children: Children, run_dir: Path) -> None:
    children.start("broker", server.command(run_dir),
                   run_private.without_flower_auth(settings_module.child_environment({})))
    broker = children.procs["broker"]
    deadline = time.monotonic() + BROKER_READY_S
    while not embedded.server_answers(server.socket):
        if time.monotonic() > deadline:
            raise ServiceFailed(f"broker did not answer on {server.socket} in "
                                f"{BROKER_READY_S} s; see {LOG_DIR}/broker.log")
        with contextlib.suppress(subprocess.TimeoutExpired):
            # The server's own process paces the wait; its exit ends it.
            raise children.failed("broker", broker.wait(timeout=PING_TIMEOUT_S))


def _where(settings: Settings, options: RunOptions, children: Children,
           broker_url: str) -> list[str]:
    lines = [f"database {settings.database_url}", f"broker   {broker_url}",
             f"API      http://{options.host}:{options.api_port} "
             "(OpenAPI at /openapi.json, metrics at /metrics)"]
    if "flower" in children.procs:
        lines.append(f"Flower   http://{options.host}:{options.flower_port} (basic auth)")
    if "sip" in children.procs:
        lines.append(f"SIP      controller on {settings.sip_listen}, trunk {settings.sip_trunk}")
    if children.logs:
        lines.append(f"logs     {Path(LOG_DIR) / '<service>.log'} in {children.workdir}")
    lines.append("worker and beat running; Ctrl-C stops everything")
    return [f"ringback: {line}" for line in lines]


def _watch(database_url: str, broker_url: str, children: Children,
           screen: run_console.Screen, warnings: tuple[str, ...]) -> int:
    """Until Ctrl-C: the status block, and errors above it; ServiceFailed when a child
    dies (every one is needed: Flower too, whose port may be taken)."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    engine = db.create_engine(database_url)
    watcher = run_console.LogWatcher(children.logs, screen.say, children.starts)
    watcher.start()
    try:
        with contextlib.closing(Nudger(broker_url)) as pinger:
            reader = run_console.StatusReader(engine, lambda: pinger.workers_seen(
                PING_TIMEOUT_S), warnings)
            # --verbose: the services write to the console, so no block is drawn.
            block = (contextlib.nullcontext(lambda _status: None) if children.verbose
                     else screen.status(reader.read()))
            with block as show:
                while not stop.wait(run_console.REFRESH_S):
                    children.check()
                    if not children.verbose:
                        show(reader.read())
    finally:
        watcher.close()
        engine.dispose()
    return 0
