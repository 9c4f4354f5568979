"""`ringback demo`: on a running system, a client, a scheduler and a few hundred tasks with a
mix of outcomes (the demo scenario picks them by a number's last digit), a live progress
bar per status until every task is final, then a summary."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import TextIO

import sqlalchemy as sa

from api import console, enqueue, stats
from models import clock
from models.storage.repository import attempts_repo, task_reads

DEMO_B_NUMBER = "+15559990000"
REFRESH_S = 0.5
FINAL = ("finished", "cancelled")


def demo_tasks(count: int) -> list[dict[str, object]]:
    return [{"name": f"demo {i}", "a_number": f"+1555{i:07d}", "b_number": DEMO_B_NUMBER,
             "try_count": 3, "try_again_pause": 1} for i in range(count)]


def run_demo(
    engine: sa.Engine, client_id: int, count: int, *, nudge: Callable[[], None] | None,
    out: TextIO, timeout_s: float,
) -> dict[str, object]:
    started = time.monotonic()
    scheduler = enqueue.create_scheduler(
        engine, client_id, {"name": f"demo-{uuid.uuid4().hex[:6]}"}, clock.now())
    enqueue.add_tasks(engine, client_id, scheduler["id"], demo_tasks(count), clock.now(),
                      max_tasks=count, nudge=nudge)
    with console.status_bars(out, count) as show:
        while True:
            by_status = stats.scheduler_stats(engine, client_id, scheduler["id"],
                                              clock.now())["tasks_by_status"]
            show(by_status)
            if sum(by_status[s] for s in FINAL) >= count:
                break
            if time.monotonic() - started > timeout_s:
                out.write(f"demo: gave up waiting after {timeout_s:.0f} s\n")
                break
            time.sleep(REFRESH_S)  # a terminal refresh rate, not a wait for work in a test
    summary = _summary(engine, scheduler["id"], time.monotonic() - started)
    _print_summary(summary, out)
    return summary


def _summary(engine: sa.Engine, scheduler_id: int, seconds: float) -> dict[str, object]:
    with engine.connect() as conn:
        outcomes = task_reads.finish_outcomes(conn, scheduler_id)
        tries, answered = attempts_repo.try_totals(conn, scheduler_id)
    failures = {cause: n for cause, n in outcomes.items() if cause != "success"}
    return {"scheduler_id": scheduler_id, "successes": outcomes.get("success", 0),
            "failures_by_cause": failures, "tries": tries,
            "asr_percent": round(100.0 * answered / tries, 1) if tries else None,
            "seconds": round(seconds, 1)}


def _print_summary(summary: dict[str, object], out: TextIO) -> None:
    out.write("\nsummary\n")
    out.write(f"  {'successes':<28}{summary['successes']:>8}\n")
    failures = summary["failures_by_cause"]
    assert isinstance(failures, dict)
    for cause, n in sorted(failures.items()):
        out.write(f"  {'failed: ' + cause:<28}{n:>8}\n")
    out.write(f"  {'tries':<28}{summary['tries']:>8}\n")
    out.write(f"  {'ASR (A leg answered)':<28}{summary['asr_percent']!s:>7}%\n")
    out.write(f"  {'time taken':<28}{summary['seconds']!s:>7}s\n")
    out.flush()
