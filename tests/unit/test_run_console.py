"""`ringback run`'s console pieces: the services' error lines found in their log files (JSON
or plain, a line still being written left for later), and the plain status line."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from rich.console import Console

from api import run_console


def test_error_lines_of_every_log_reach_the_console_once(tmp_path: Path) -> None:
    worker, api = tmp_path / "worker.log", tmp_path / "api.log"
    worker.write_text(json.dumps({"level": "INFO", "logger": "w", "message": "fine"}) + "\n"
                      + json.dumps({"level": "ERROR", "logger": "worker.calls",
                                    "message": "dialer refused"}) + "\n")
    api.write_text("INFO:     Started server\nERROR:    Exception in ASGI applica")
    shown: list[str] = []
    watcher = run_console.LogWatcher({"worker": worker, "api": api}, shown.append)
    watcher.poll()
    assert shown == ["[worker] ERROR worker.calls: dialer refused"]
    with api.open("a") as log:
        log.write("tion\nTraceback (most recent call last):\n")
    watcher.poll()
    watcher.poll()  # nothing new: nothing shown twice
    assert shown[1:] == ["[api] ERROR:    Exception in ASGI application",
                         "[api] Traceback (most recent call last):"]


def test_a_missing_log_is_no_error(tmp_path: Path) -> None:
    shown: list[str] = []
    run_console.LogWatcher({"sip": tmp_path / "absent.log"}, shown.append).poll()
    assert shown == []


def test_the_plain_status_line_and_its_pace() -> None:
    status = run_console.Status({"scheduled": 3, "delayed_calling_window": 2, "finished": 9},
                                12.345, 4, 1, None)
    assert status.plain() == (
        "ringback: status: tasks scheduled 3  executed 0  delayed_calling_window 2  "
        "finished 9; 12.3 tries/s; in flight 4; webhooks pending 1; workers ?")
    out = io.StringIO()
    screen = run_console.Screen(out)
    assert not screen.terminal
    with screen.status(status) as show:
        show(status)  # unchanged: not said again
        show(run_console.Status({}, 0.0, 0, 0, 1))  # changed, but within PLAIN_EVERY_S
    assert out.getvalue().count("ringback: status:") == 1


def test_a_stopped_services_last_words_are_its_last_error_of_this_run(tmp_path: Path) -> None:
    api, flower, beat = tmp_path / "api.log", tmp_path / "flower.log", tmp_path / "beat.log"
    earlier = "ERROR:    an earlier run's trouble\n"
    api.write_text(earlier + "INFO:     Started\nERROR:    [Errno 98] address already in use\n"
                   "INFO:     Application shutdown complete.\n")
    flower.write_text("Traceback (most recent call last):\n  File \"app.py\", line 73\n"
                      "OSError: [Errno 98] Address already in use\n")
    beat.write_text(earlier + "starting\n")
    assert run_console.last_words(api, len(earlier)) == (
        "ERROR:    [Errno 98] address already in use")
    assert run_console.last_words(flower, 0) == "OSError: [Errno 98] Address already in use"
    assert run_console.last_words(beat, len(earlier)) == "starting"  # no error: its last line
    assert run_console.last_words(tmp_path / "absent.log", 0) is None


def test_the_watcher_shows_only_this_runs_errors(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    earlier = "ERROR: from an earlier run\n"
    log.write_text(earlier + "ERROR: now\n")
    shown: list[str] = []
    run_console.LogWatcher({"worker": log}, shown.append, {"worker": len(earlier)}).poll()
    assert shown == ["[worker] ERROR: now"]


def test_a_warning_stays_in_the_status() -> None:
    status = run_console.Status({}, 0.0, 0, 0, 1, ("Flower's password is the default",))
    assert status.plain().endswith("; workers 1; WARNING: Flower's password is the default")
    out = io.StringIO()
    Console(file=out, width=120).print(status.table())
    assert re.search(r"^WARNING +Flower's password is the default", out.getvalue(), re.M)
