"""`ringback run`'s console pieces: the services' error lines found in their log files (JSON
or plain, a line still being written left for later), and the plain status line."""

from __future__ import annotations

import io
import json
from pathlib import Path

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
