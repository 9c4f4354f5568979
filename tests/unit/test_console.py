"""What commands show while they work: rich bars on a terminal, plain lines elsewhere."""

from __future__ import annotations

import io

from api import console


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_plain_lines_off_a_terminal() -> None:
    out = io.StringIO()
    with console.progress(out, "numbers listed", 100) as done:
        for n in range(0, 101, 5):
            done(n)
    lines = out.getvalue().splitlines()
    assert lines[0] == "numbers listed: 10/100" and lines[-1] == "numbers listed: 100/100"
    assert len(lines) == 10 and "\x1b" not in out.getvalue()


def test_progress_is_a_bar_on_a_terminal() -> None:
    out = FakeTerminal()
    with console.progress(out, "tasks stored", 4) as done:
        done(4)
    shown = out.getvalue()
    assert "\x1b[" in shown and "tasks stored" in shown and "4/4" in shown and "━" in shown


def test_status_bars_plain_and_on_a_terminal() -> None:
    out = io.StringIO()
    with console.status_bars(out, 3) as show:
        show({"scheduled": 3, "executed": 0, "finished": 0})
        show({"scheduled": 0, "executed": 1, "finished": 2})  # within the pace: kept
    assert out.getvalue().splitlines() == [
        "tasks (3): scheduled 3, finished 0", "tasks (3): scheduled 0, executed 1, finished 2"]
    tty = FakeTerminal()
    with console.status_bars(tty, 3) as show:
        show({"scheduled": 0, "executed": 1, "delayed": 0, "finished": 2})
    drawn = tty.getvalue()
    assert "executed" in drawn and "2/3" in drawn and "delayed" not in drawn
