"""Operations: `ringback run` on the embedded defaults, Flower, /metrics, JSON logs, import."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from api import access, csv_import, tokens
from models import clock
from models.storage.tables import tasks
from tests import support
from tests.conftest import StackFactory
from tests.integration import terminal
from tests.integration.test_core_flow import B_NUMBER, CLIENT_ID, add, finished, new_scheduler


def test_ringback_run_serves_dials_and_stops_cleanly(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RINGBACK_")}
    port = support.free_port()
    stack = support.Stack(env=env, workdir=tmp_path)
    run = stack.start_command("run", [sys.executable, "-m", "api.cli", "run",
                                      "--port", str(port)])
    base = f"http://127.0.0.1:{port}"
    server = support.ApiServer(stack, base)
    stack.wait_for(server._ready, 60, "`ringback run` to serve the API")
    token = subprocess.run(
        [sys.executable, "-m", "api.cli", "token", "create", "--client", "5",
         "--scopes", "tasks:write,tasks:read"], cwd=tmp_path, env=env, capture_output=True,
        text=True, timeout=60, check=True).stdout.strip()
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"},
                      timeout=30) as http:
        scheduler = http.post("/client/5/task_scheduler/", json={"name": "laptop"}).json()
        added = http.post(f"/client/5/task_scheduler/{scheduler['id']}/tasks/", json={
            "tasks": [{"a_number": f"+155500005{i:02d}", "b_number": B_NUMBER}
                      for i in range(5)]}).json()

        def all_finished() -> bool:
            return all(http.get(f"/client/5/task_scheduler/{scheduler['id']}/task/{t['id']}")
                       .json()["status"] == "finished" for t in added["tasks"])

        stack.wait_for(all_finished, 90, "the tasks to finish under `ringback run`")
    second = subprocess.run([sys.executable, "-m", "api.cli", "run", "--port",
                             str(support.free_port())], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert second.returncode == 2
    assert "another `ringback run` is running in this folder" in second.stderr
    run.send_signal(signal.SIGINT)
    assert run.wait(timeout=60) == 0
    stack.processes.pop("run")
    log = (tmp_path / "run.log").read_text()
    assert f"API      http://127.0.0.1:{port}" in log and "ringback: stopped" in log
    # No terminal: plain lines, the status among them, and each service's log in a file.
    assert "\x1b[" not in log and "ringback: status: tasks scheduled" in log
    assert "worker.place_calls" in (tmp_path / "logs" / "worker.log").read_text()
    assert (tmp_path / "ringback.sqlite").exists()
    assert not server._ready()


def test_flower_lists_the_worker_and_its_place_call_tasks(
    engine: sa.Engine, stack_factory: StackFactory
) -> None:
    stack = stack_factory()
    stack.start_worker("worker")
    stack.start_beat()
    port = support.free_port()
    stack.start("flower", "flower", "--address=127.0.0.1", f"--port={port}",
                "--basic-auth=ops:s3cret")
    base = f"http://127.0.0.1:{port}"

    def workers() -> dict[str, Any] | None:
        try:
            got = httpx.get(f"{base}/api/workers", params={"refresh": "1"},
                            auth=("ops", "s3cret"), timeout=10)
        except httpx.TransportError:
            return None
        return got.json() if got.status_code == 200 and got.json() else None

    # Flower shows the events sent once it is up: the calls come after.
    listed = stack.wait_for(workers, 60, "Flower to list the worker")
    assert any(name.startswith("worker-") for name in listed)
    job = add(engine, new_scheduler(engine),
              [{"a_number": f"+155500006{i:02d}", "b_number": B_NUMBER} for i in range(3)])
    for task in job.tasks:
        stack.wait_for(lambda t=task: finished(engine, t["id"]), 30, "the calls")
    assert httpx.get(f"{base}/api/workers", timeout=10).status_code == 401
    seen = stack.wait_for(lambda: httpx.get(
        f"{base}/api/tasks", params={"taskname": "worker.place_calls"}, auth=("ops", "s3cret"),
        timeout=10).json() or None, 60, "Flower to list place_calls tasks")
    assert {t["name"] for t in seen.values()} == {"worker.place_calls"}
    ids = [i.strip() for t in seen.values() for i in t["args"].strip("()[], ").split(",")]
    assert len(set(ids)) == 3 and all(i.isdigit() for i in ids)  # attempt ids, not rows


def test_metrics_parse_and_their_counters_move_when_calls_are_placed(
    engine: sa.Engine, stack_factory: StackFactory, tmp_path: Path
) -> None:
    stack = stack_factory({"default": "answer", "numbers": {"+15550000701": ["busy"]}})
    stack.start_worker()
    stack.start_beat()
    api = support.ApiServer.start({**stack.env, "RINGBACK_METRICS_TOKEN": "scrape-me"},
                                  tmp_path, "api")
    headers = {"Authorization": "Bearer scrape-me"}

    def scrape() -> dict[str, float]:
        text = httpx.get(f"{api.base_url}/metrics", headers=headers, timeout=10).text
        values: dict[str, float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                values[f"{sample.name}{{{labels}}}"] = sample.value
        return values

    try:
        assert httpx.get(f"{api.base_url}/metrics", timeout=10).status_code == 401
        before = scrape()
        job = add(engine, new_scheduler(engine), [
            {"a_number": "+15550000701", "b_number": B_NUMBER},
            {"a_number": "+15550000702", "b_number": B_NUMBER}])
        for task in job.tasks:
            stack.wait_for(lambda t=task: finished(engine, t["id"]), 30, "the calls")
        after = scrape()
    finally:
        api.stop()
    connected = "ringback_tries_total{outcome=connected}"
    busy = "ringback_tries_total{outcome=busy}"
    assert after[connected] - before.get(connected, 0) == 1
    assert after[busy] - before.get(busy, 0) == 1
    assert after["ringback_tasks{status=finished}"] == 2
    assert after["ringback_dispatch_lag_seconds_count{}"] == 2
    assert after['ringback_dispatch_lag_seconds_bucket{le=+Inf}'] == 2
    assert any(k.startswith("ringback_scheduler_asr_percent") for k in after)


def test_worker_log_lines_about_a_call_are_json_with_its_ids(
    engine: sa.Engine, stack_factory: StackFactory
) -> None:
    stack = stack_factory()
    stack.start_worker()
    stack.start_beat()
    job = add(engine, new_scheduler(engine), [{"a_number": "+15550000801", "b_number": B_NUMBER}])
    task_id = job.tasks[0]["id"]
    stack.wait_for(lambda: finished(engine, task_id), 30, "the call")
    lines = [json.loads(line) for line in (stack.workdir / "worker.log").read_text().splitlines()
             if line.startswith("{")]
    about_call = [line for line in lines if line.get("task_id") == task_id]
    assert [line["message"].split(" ")[0] for line in about_call] == ["dialling", "try"]
    for line in about_call:
        assert {"attempt_id", "job_id", "client_id", "time", "level"} <= set(line)
        assert (line["job_id"], line["client_id"]) == (job.job_id, CLIENT_ID)
    assert len(lines) > len(about_call)  # Celery's own lines are JSON too


def test_csv_import_reports_bad_lines_and_stores_nothing_unless_told(
    engine: sa.Engine, tmp_path: Path
) -> None:
    scheduler_id = new_scheduler(engine)
    tokens.create_token(engine, CLIENT_ID, frozenset({access.Scope.TASKS_READ}), clock.now())
    path = tmp_path / "tasks.csv"
    path.write_text("a_number,b_number,try_count,extended_a_numbers,caller_id_name\n"
                    "+15550000901,+15550000999,2,+15550000902;+15550000903,Shop\n"
                    "+15550000904,not-a-number,1,,\n"
                    "+15550000905,+15550000999,99,,\n"
                    "+15550000906,+15550000999,,,\n")
    out = (tmp_path / "out.txt").open("w")

    def count() -> int:
        with engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(tasks)).scalar_one())

    report = csv_import.import_file(engine, path, CLIENT_ID, scheduler_id, skip_bad=False,
                                    max_tasks=100, nudge=None, out=out)
    assert [line for line, _ in report.bad_rows] == [3, 4] and report.stored == 0
    assert count() == 0
    report = csv_import.import_file(engine, path, CLIENT_ID, scheduler_id, skip_bad=True,
                                    max_tasks=100, nudge=None, out=out)
    out.close()
    assert report.stored == 2 and count() == 2
    printed = (tmp_path / "out.txt").read_text()
    assert "line 3: b_number: must be a phone number" in printed
    assert "line 4: try_count: must be a whole number from 1 to 50" in printed
    with engine.connect() as conn:
        params = conn.execute(sa.select(tasks.c.callback_params).where(
            tasks.c.a_number == "+15550000901")).scalar_one()
    assert params == {"extended_a_numbers": ["+15550000902", "+15550000903"],
                      "caller_id_name": "Shop"}


def _until(term: terminal.Terminal, probe: Any, timeout_s: float, what: str,
           *, ended: bool = False) -> Any:
    """Poll ``probe`` while reading the terminal (its read is the pause); ``ended``: the
    program is expected to have exited."""
    deadline = time.monotonic() + timeout_s
    while True:
        term.read(0.2)
        found = probe()
        if found:
            return found
        if not ended and term.proc.poll() is not None:
            raise AssertionError(f"`ringback run` exited ({term.proc.returncode}):\n"
                                 f"{term.text()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; the screen:\n{term.text()}")


def _flower_json(url: str, params: dict[str, str]) -> Any:
    """Flower's answer, or None while it is not up."""
    try:
        got = httpx.get(url, params=params, auth=("ops", "s3cret"), timeout=10)
    except httpx.TransportError:
        return None
    return got.json() if got.status_code == 200 else None


def _listening(port: int) -> bool:
    """Something accepts on the port. A connect to a free port of the ephemeral range can
    meet itself (TCP simultaneous open): that is no listener."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
            return bool(conn.getsockname() != conn.getpeername())
    except OSError:
        return False


def test_ringback_run_on_a_terminal_shows_flower_the_work_and_dies_whole(tmp_path: Path) -> None:
    """No settings, an empty folder: the embedded broker carries Celery's events, so Flower
    lists the worker and its tasks; the console keeps the addresses on screen under a live
    status block; a SIGKILLed `ringback run` leaves no process, port or socket behind."""
    env = support.with_this_checkout(
        {k: v for k, v in os.environ.items() if not k.startswith("RINGBACK_")})
    port, flower_port = support.free_port(), support.free_port()
    children: set[int] = set()
    term = terminal.Terminal([sys.executable, "-m", "api.cli", "run", "--port", str(port),
                              "--flower-port", str(flower_port)],
                             {**env, "FLOWER_BASIC_AUTH": "ops:s3cret"}, tmp_path)
    try:
        _until(term, lambda: "in flight" in term.text(), 90, "the status block")
        assert "finished 0" in term.text()
        api = support.ApiServer(support.Stack(env=env, workdir=tmp_path),
                                f"http://127.0.0.1:{port}")
        _until(term, api._ready, 60, "the API to answer")
        flower = f"http://127.0.0.1:{flower_port}/api"
        # Flower shows the events sent once it is up: the calls come after.
        workers = _until(term, lambda: _flower_json(f"{flower}/workers", {"refresh": "1"}),
                         60, "Flower to list the worker")
        assert len(workers) == 1
        token = subprocess.run(
            [sys.executable, "-m", "api.cli", "token", "create", "--client", "5", "--scopes",
             "tasks:write,tasks:read"], cwd=tmp_path, env=env, capture_output=True, text=True,
            timeout=60, check=True).stdout.strip()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30,
                          headers={"Authorization": f"Bearer {token}"}) as http:
            scheduler = http.post("/client/5/task_scheduler/", json={"name": "tty"}).json()
            http.post(f"/client/5/task_scheduler/{scheduler['id']}/tasks/", json={"tasks": [
                {"a_number": f"+155500008{i:02d}", "b_number": B_NUMBER} for i in range(5)]})
        _until(term, lambda: "finished 5" in term.text(), 90, "the block to count 5 finished")
        screen = term.text()
        assert f"ringback: API      http://127.0.0.1:{port}" in screen
        assert f"ringback: Flower   http://127.0.0.1:{flower_port}" in screen
        assert "ringback: broker   redis+socket://" in screen
        assert screen.count("tries/s") == 1  # one block, redrawn in place

        tasks_seen = _until(term, lambda: _flower_json(
            f"{flower}/tasks", {"taskname": "worker.place_calls"}), 60, "Flower to list the tasks")
        assert {task["name"] for task in tasks_seen.values()} == {"worker.place_calls"}

        children |= terminal.descendants(term.proc.pid)
        assert len(children) >= 6  # broker, API, worker and its pool, beat, Flower
        os.kill(term.proc.pid, signal.SIGKILL)
        term.proc.wait(timeout=30)
        _until(term, lambda: not terminal.alive(children) or None, 30, "every child to die",
               ended=True)
    finally:
        for pid in {term.proc.pid} | terminal.alive(children):  # what a failure left
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        term.proc.wait(timeout=30)
        term.close()
    for free in (port, flower_port):
        assert not _listening(free)
    with socket.socket(socket.AF_UNIX) as broker, pytest.raises(ConnectionRefusedError):
        broker.connect(str(tmp_path / "ringback-run" / "broker.sock"))
