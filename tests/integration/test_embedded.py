"""The embedded defaults: the happy path on SQLite and Celery's SQLAlchemy transport, no
servers; and `ringback run`'s files and secrets kept to its user, a service that cannot
start stopping the run."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from api import enqueue
from models import clock
from models.storage.tables import tasks
from tests import support
from tests.integration import terminal


def test_tasks_finish_on_sqlite_with_no_servers(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RINGBACK_")}
    env["RINGBACK_SIM_SCENARIO"] = str(support.write_scenario(
        tmp_path / "scenario.json", default="answer", numbers={"+15550000001": ["busy"]}))
    env["RINGBACK_DISPATCH_INTERVAL_S"] = "0.5"
    env["RINGBACK_POLL_CALLS_INTERVAL_S"] = "0.5"
    migrate = subprocess.run(
        [sys.executable, "-m", "api.cli", "migrate"], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=60,
    )
    assert migrate.returncode == 0, migrate.stderr
    assert (tmp_path / "ringback.sqlite").exists()
    stack = support.Stack(env=env, workdir=tmp_path)
    try:
        stack.start_worker(concurrency=2)
        stack.start_beat()
        with support.engine_for(f"sqlite:///{tmp_path / 'ringback.sqlite'}") as engine:
            scheduler = enqueue.create_scheduler(engine, 3, {"name": "laptop"}, clock.now())
            scheduler_id = scheduler["id"]
            job = enqueue.add_tasks(
                engine, 3, scheduler_id,
                [{"a_number": f"+155500000{i:02d}", "b_number": "+15559999999",
                  "try_count": 2, "try_again_pause": 0} for i in range(20)],
                clock.now(), max_tasks=100,
            )

            def results() -> dict[str, int] | None:
                with engine.connect() as conn:
                    rows = conn.execute(
                        sa.select(tasks.c.finish_result, sa.func.count())
                        .where(tasks.c.job_id == job.job_id, tasks.c.status == "finished")
                        .group_by(tasks.c.finish_result)).all()
                found = {str(r): int(n) for r, n in rows}
                return found if sum(found.values()) == 20 else None

            found = stack.wait_for(results, 90, "20 tasks to finish on SQLite")
        assert found == {"success": 19, "failed": 1}
        assert (tmp_path / "ringback-broker.sqlite").exists()
    finally:
        stack.stop_all()


# `ringback run`'s files and secrets: its own user's alone, whatever the caller's umask.

FLOWER_AUTH = "admin:change-me"  # the default password, as scripts/run-embedded.sh gives it
SIP_PASSWORD = "sip-s3cret-never-on-argv"


def _run_env(**extra: str) -> dict[str, str]:
    env = support.with_this_checkout(
        {k: v for k, v in os.environ.items() if not k.startswith(("RINGBACK_", "FLOWER_"))})
    return {**env, **extra}


def _loose_umask(argv: list[str]) -> list[str]:
    """``argv`` under umask 022, the usual one: files it writes would be 0644 on their own."""
    return ["sh", "-c", 'umask 022 && exec "$@"', "sh", *argv]


def _ringback(*args: str) -> list[str]:
    return _loose_umask([sys.executable, "-m", "api.cli", *args])


def _open_to_others(top: Path) -> list[str]:
    """Every file or folder under ``top`` that its group or other users may use."""
    found = []
    for folder, dirs, files in os.walk(top):
        for name in (*dirs, *files):
            path = Path(folder) / name
            mode = path.lstat().st_mode
            if stat.S_IMODE(mode) & 0o077:
                found.append(f"{path.relative_to(top)} {stat.filemode(mode)}")
    return found


def _command_lines(pids: set[int]) -> dict[int, str]:
    lines = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            lines[pid] = (Path(f"/proc/{pid}/cmdline").read_bytes()
                          .replace(b"\0", b" ").decode(errors="replace"))
    return lines


def _flower_answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/workers", timeout=5,
                         auth=("admin", "change-me")).status_code == 200
    except httpx.TransportError:
        return False


def _until(term: terminal.Terminal, probe: Callable[[], bool], timeout_s: float,
           what: str) -> None:
    """Poll ``probe`` while reading the terminal (its read is the pause)."""
    deadline = time.monotonic() + timeout_s
    while not probe():
        if term.proc.poll() is not None:
            raise AssertionError(f"`ringback run` exited ({term.proc.returncode}):\n"
                                 f"{term.text()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; the screen:\n{term.text()}")
        term.read(0.2)


def _stop(term: terminal.Terminal, children: set[int]) -> None:
    """Whatever a failure left running, killed."""
    for pid in {term.proc.pid} | terminal.alive(children):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    term.proc.wait(timeout=30)
    term.close()


def test_the_runs_files_are_its_users_alone_and_no_secret_is_on_a_command_line(
    tmp_path: Path,
) -> None:
    """Under umask 022, with files an earlier run left 0644: every file and folder of the
    run is 0600/0700; Flower's password and the SIP password are on no process's command
    line; the default Flower password is warned of on the console, in the status block and
    in Flower's log."""
    work = tmp_path / "work"
    work.mkdir()
    env = _run_env(FLOWER_BASIC_AUTH=FLOWER_AUTH, RINGBACK_SIP_PASSWORD=SIP_PASSWORD)
    subprocess.run(_ringback("migrate"), cwd=work, env=env, check=True, timeout=60,
                   capture_output=True)
    (work / "logs").mkdir(mode=0o755)
    (work / "logs" / "worker.log").write_text("an earlier run's lines, phone numbers in them\n")
    (work / "ringback-run").mkdir()
    (work / "ringback-run" / "run.lock").write_text("pid 1")
    assert _open_to_others(work)  # what the run must mend
    port, flower_port = support.free_port(), support.free_port()
    children: set[int] = set()
    term = terminal.Terminal(_ringback("run", "--port", str(port), "--flower-port",
                                       str(flower_port)), env, work)
    try:
        _until(term, lambda: bool(re.search(r"^workers +1$", term.text(), re.M)), 90,
               "the worker in the status block")
        _until(term, lambda: _flower_answers(flower_port), 60, "Flower to answer")
        _until(term, lambda: any(work.glob("celerybeat-schedule*")), 60, "beat's schedule")
        children = terminal.descendants(term.proc.pid)
        lines = _command_lines(children | {term.proc.pid})
        assert any(" flower" in line for line in lines.values()), lines
        assert len(lines) >= 7, lines  # run, broker, API, worker and its pool, beat, Flower
        for pid, line in lines.items():
            assert "change-me" not in line and SIP_PASSWORD not in line, (pid, line)
        assert _open_to_others(work) == []
        screen = term.text().splitlines()
        assert any(line.startswith("ringback: WARNING: Flower's password is the default "
                                   "`change-me`") for line in screen), term.text()
        assert any(re.match(r"WARNING +Flower's password is the default `change-me`", line)
                   for line in screen), term.text()  # the block's row
        assert "WARNING: Flower's password is the default" in (
            work / "logs" / "flower.log").read_text()
        os.kill(term.proc.pid, signal.SIGINT)
        assert term.proc.wait(timeout=60) == 0
    finally:
        _stop(term, children)
    assert _open_to_others(work) == []


def _watch_until_exit(proc: subprocess.Popen[bytes], timeout_s: float) -> set[int]:
    """Every process seen below ``proc`` until it exits (its wait is the poll's pause)."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout_s
    while proc.poll() is None:
        seen |= terminal.descendants(proc.pid)
        if time.monotonic() > deadline:
            raise AssertionError(f"`ringback run` still running after {timeout_s} s")
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=0.2)
    return seen


def _start_run(work: Path, out: Path, env: dict[str, str], *args: str
               ) -> subprocess.Popen[bytes]:
    with out.open("wb") as log:
        return subprocess.Popen(_ringback("run", *args), cwd=work, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)


@pytest.mark.parametrize("service", ["api", "flower", "broker"])
def test_a_service_that_cannot_start_stops_the_run_which_exits_1_naming_it(
    tmp_path: Path, service: str,
) -> None:
    """The API's or Flower's port taken, or the broker unable to open its files: the run
    stops everything, says which service and why, and exits 1."""
    work = tmp_path / "work"
    (work / "ringback-run").mkdir(parents=True)
    port, flower_port = support.free_port(), support.free_port()
    taken = socket.socket()
    taken.bind(("127.0.0.1", {"api": port, "flower": flower_port}.get(service, 0)))
    taken.listen()
    if service == "broker":  # where the server keeps its append-only files: not a folder
        (work / "ringback-run" / "appendonlydir").write_text("")
    run = _start_run(work, tmp_path / "out.log", _run_env(FLOWER_BASIC_AUTH="ops:s3cret"),
                     "--port", str(port), "--flower-port", str(flower_port))
    children: set[int] = set()
    try:
        children = _watch_until_exit(run, 120)
    finally:
        taken.close()
        for pid in {run.pid} | terminal.alive(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        run.wait(timeout=30)
    said = (tmp_path / "out.log").read_text()
    assert run.returncode == 1, said
    cause = {"api": "address already in use", "flower": "Address already in use",
             "broker": "Can't open or create append-only dir"}[service]
    assert re.search(rf"^ringback: {service} stopped \(exit code \d+\): .*{cause}.*; see "
                     rf"logs/{service}\.log; stopping the rest$", said, re.M), said
    assert said.rstrip().endswith("ringback: stopped")
    assert not terminal.alive(children)


def test_a_long_folder_reaches_the_broker_through_a_link_in_a_folder_of_its_own(
    tmp_path: Path,
) -> None:
    """A folder whose socket path would pass sun_path's 107 bytes: the short link is in a
    new 0700 folder of ours, so another user who made the old fixed name in /tmp first
    (`/tmp/ringback-<digest of the run folder>`) cannot stop the run; the link goes with it."""
    work = tmp_path / ("x" * 100)
    work.mkdir()
    run_folder = (work / "ringback-run").resolve()
    digest = hashlib.sha256(os.fsencode(run_folder)).hexdigest()[:16]
    squatted = Path(tempfile.gettempdir()) / f"ringback-{digest}"
    squatted.mkdir()
    (squatted / "theirs").write_text("")
    out = tmp_path / "run.log"  # where support.Stack looks when the process dies
    run = _start_run(work, out, _run_env(), "--port", str(support.free_port()))
    try:
        stack = support.Stack(env={}, workdir=tmp_path, processes={"run": run})
        # The worker seen by a broadcast: the broker carries messages through the link.
        stack.wait_for(lambda: "workers 1" in out.read_text(), 90, "the worker to answer")
        socket_path = Path(re.findall(r"broker +redis\+socket://(\S+)", out.read_text())[0])
        private = socket_path.parent.parent
        assert private.parent == Path(tempfile.gettempdir()) and private != squatted
        found = private.lstat()
        assert found.st_uid == os.geteuid() and stat.S_IMODE(found.st_mode) == 0o700
        assert socket_path.parent.resolve() == run_folder
        run.send_signal(signal.SIGINT)
        assert run.wait(timeout=60) == 0, out.read_text()
        assert not private.exists()
        assert (squatted / "theirs").exists()
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait(timeout=30)
        shutil.rmtree(squatted)


def test_flowers_password_is_refused_on_the_command_line_and_by_default_off_loopback(
    tmp_path: Path,
) -> None:
    """Nothing starts: a command line is readable by every local user, and the default
    password on an address others reach opens Flower to them."""
    argv = subprocess.run(_ringback("run", "--flower-auth", "ops:s3cret"), cwd=tmp_path,
                          env=_run_env(), capture_output=True, text=True, timeout=60)
    assert argv.returncode == 2
    assert "--flower-auth is refused" in argv.stderr and "FLOWER_BASIC_AUTH" in argv.stderr
    default = subprocess.run(_ringback("run", "--host", "0.0.0.0"), cwd=tmp_path,
                             env=_run_env(FLOWER_BASIC_AUTH=FLOWER_AUTH), capture_output=True,
                             text=True, timeout=60)
    assert default.returncode == 2
    assert ("Flower's password is the default `change-me` and --host 0.0.0.0 is not a "
            "loopback address") in default.stderr
    assert list(tmp_path.iterdir()) == []
