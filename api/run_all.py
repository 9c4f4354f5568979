"""`ringback run`: API, worker, beat, Flower (and the SIP controller when the dialer is
sip) in the foreground, stopped together."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from models import settings as settings_module
from models.settings import Settings
from models.storage import migrate

DEMO_SCENARIO = Path(__file__).with_name("demo_scenario.json")
STOP_TIMEOUT_S = 15
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class RunOptions:
    host: str
    api_port: int
    flower_port: int
    flower_auth: str | None  # "user:password"; Flower is not started without it


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


def run(settings: Settings, options: RunOptions) -> int:
    """Migrate, start everything, wait for Ctrl-C (or a child's death), stop everything."""
    migrate.upgrade(settings.database_url)
    overrides: dict[str, str] = {}
    if settings.dialer == "sim" and settings.sim_scenario is None:
        overrides["RINGBACK_SIM_SCENARIO"] = str(DEMO_SCENARIO)  # the demo's mix of outcomes
    if not settings.metrics_token and options.host in LOOPBACK_HOSTS:
        overrides["RINGBACK_METRICS_OPEN"] = "true"  # a laptop run: only this host can ask
    env = settings_module.child_environment(overrides)
    workdir = Path.cwd()
    children = {name: subprocess.Popen(argv, env=env)
                for name, argv in _commands(settings, options, workdir).items()}
    print(f"ringback: database {settings.database_url}", flush=True)
    print(f"ringback: broker   {settings.broker_url}", flush=True)
    print(f"ringback: API      http://{options.host}:{options.api_port} "
          f"(OpenAPI at /openapi.json, metrics at /metrics)", flush=True)
    if "flower" in children:
        print(f"ringback: Flower   http://{options.host}:{options.flower_port} (basic auth)",
              flush=True)
    if "sip" in children:
        print(f"ringback: SIP      controller on {settings.sip_listen}, trunk "
              f"{settings.sip_trunk}", flush=True)
    print("ringback: worker and beat running; Ctrl-C stops everything", flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    essential = {n: p for n, p in children.items() if n != "flower"}
    while not stop.wait(0.5):
        dead = [n for n, p in essential.items() if p.poll() is not None]
        if dead:
            print(f"ringback: {', '.join(dead)} exited; stopping the rest", flush=True)
            break
    return _stop_all(children)


def _stop_all(children: dict[str, subprocess.Popen[bytes]]) -> int:
    for proc in children.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for name, proc in children.items():
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            print(f"ringback: {name} did not stop in {STOP_TIMEOUT_S} s; killing it", flush=True)
            proc.kill()
            proc.wait()
    print("ringback: stopped", flush=True)
    return 0
