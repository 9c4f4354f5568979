"""`ringback run`: API, worker, beat, Flower (and the SIP controller when the dialer is sip),
and, when no broker is configured, a Valkey server of its own, in the foreground, stopped
together. Every child dies with it, even when it is SIGKILLed. Each service writes its log
to logs/<name>.log in the working folder; the console says where each one listens, then
keeps one status block up to date, with the services' errors above it (``--verbose``:
every service writes to the console instead, as before)."""

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

from api import embedded, run_console
from api.nudge import Nudger
from models import settings as settings_module
from models.settings import Settings
from models.storage import db, migrate

DEMO_SCENARIO = Path(__file__).with_name("demo_scenario.json")
STOP_TIMEOUT_S = 15
BROKER_READY_S = 30
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
LOG_DIR = "logs"
PING_TIMEOUT_S = 0.5


@dataclass(frozen=True)
class RunOptions:
    host: str
    api_port: int
    flower_port: int
    flower_auth: str | None  # "user:password"; Flower is not started without it
    verbose: bool = False


def _commands(settings: Settings, options: RunOptions, workdir: Path
              ) -> dict[str, list[str]]:
    python = sys.executable
    commands = {
        "api": [python, "-m", "api.cli", "api", "--host", options.host,
                "--port", str(options.api_port)],
        "worker": [python, "-m", "celery", "-A", "worker", "worker", "--loglevel", "INFO",
                   "--concurrency", "2"],
        "beat": [python, "-m", "celery", "-A", "worker", "beat", "--loglevel", "INFO",
                 "--schedule", str(workdir / "celerybeat-schedule")],
    }
    if settings.dialer == "sip":
        commands["sip"] = [python, "-m", "api.cli", "sip"]
    if options.flower_auth:
        commands["flower"] = [python, "-m", "celery", "-A", "worker", "flower",
                              f"--address={options.host}", f"--port={options.flower_port}",
                              f"--basic-auth={options.flower_auth}"]
    return commands


class Children:
    """The processes `ringback run` started, each armed to die with it."""

    def __init__(self, workdir: Path, verbose: bool) -> None:
        self.workdir = workdir
        self.verbose = verbose
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, Path] = {}
        (workdir / LOG_DIR).mkdir(exist_ok=True)

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        log: IO[bytes] | None = None
        if not self.verbose:
            self.logs[name] = self.workdir / LOG_DIR / f"{name}.log"
            log = self.logs[name].open("ab")
        self.procs[name] = subprocess.Popen(
            argv, env=env, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT if log else None,
            stdin=subprocess.DEVNULL, preexec_fn=embedded.die_with_parent(os.getpid()))
        if log is not None:
            log.close()  # the child holds its own copy

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
    2 when another `ringback run` owns this folder."""
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
    migrate.upgrade(settings.database_url)
    children = Children(workdir, options.verbose)
    overrides = _overrides(settings, options)
    broker_url = _start_broker(settings, children, run_dir, screen)
    if broker_url is not None:
        overrides["RINGBACK_BROKER_URL"] = broker_url
    env = settings_module.child_environment(overrides)
    for name, argv in _commands(settings, options, workdir).items():
        children.start(name, argv, env)
    for line in _where(settings, options, children, broker_url or settings.broker_url):
        screen.say(line)
    try:
        return _watch(settings.database_url, broker_url or settings.broker_url, children,
                      screen)
    finally:
        children.stop_all(screen)
        screen.say("ringback: stopped")


def _overrides(settings: Settings, options: RunOptions) -> dict[str, str]:
    overrides: dict[str, str] = {}
    if settings.dialer == "sim" and settings.sim_scenario is None:
        overrides["RINGBACK_SIM_SCENARIO"] = str(DEMO_SCENARIO)  # the demo's mix of outcomes
    if not settings.metrics_token and options.host in LOOPBACK_HOSTS:
        overrides["RINGBACK_METRICS_OPEN"] = "true"  # a laptop run: only this host can ask
    return overrides


def _start_broker(settings: Settings, children: Children, run_dir: Path,
                  screen: run_console.Screen) -> str | None:
    """The embedded broker's URL, when no broker is configured and a server binary is at
    hand; None: the configured broker (or the SQLite fallback) stays."""
    if settings.broker_url != settings_module.embedded_broker_url():
        return None
    binary = embedded.find_server_binary()
    if binary is None:
        screen.say("ringback: no valkey-server or redis-server found: Celery's SQLAlchemy "
                   "transport on SQLite carries the messages (Flower shows no workers)")
        return None
    server = embedded.broker_server(binary, run_dir)
    children.start("broker", server.command(run_dir), settings_module.child_environment({}))
    broker = children.procs["broker"]
    deadline = time.monotonic() + BROKER_READY_S
    while not embedded.server_answers(server.socket):
        if time.monotonic() > deadline:
            raise SystemExit("ringback: the broker did not start; see logs/broker.log")
        with contextlib.suppress(subprocess.TimeoutExpired):
            broker.wait(timeout=PING_TIMEOUT_S)  # the server's own process paces the wait
            raise SystemExit("ringback: the broker exited at start; see logs/broker.log")
    return server.url


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
           screen: run_console.Screen) -> int:
    """Until Ctrl-C or an essential child's death: the status block, and errors above it."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    essential = {n: p for n, p in children.procs.items() if n != "flower"}
    engine = db.create_engine(database_url)
    watcher = run_console.LogWatcher(children.logs, screen.say)
    watcher.start()
    try:
        with contextlib.closing(Nudger(broker_url)) as pinger:
            reader = run_console.StatusReader(engine, lambda: pinger.workers_seen(
                PING_TIMEOUT_S))
            # --verbose: the services write to the console, so no block is drawn.
            block = (contextlib.nullcontext(lambda _status: None) if children.verbose
                     else screen.status(reader.read()))
            with block as show:
                while not stop.wait(run_console.REFRESH_S):
                    dead = [n for n, p in essential.items() if p.poll() is not None]
                    if dead:
                        screen.say(f"ringback: {', '.join(dead)} exited; stopping the rest")
                        break
                    if not children.verbose:
                        show(reader.read())
    finally:
        watcher.close()
        engine.dispose()
    return 0
