"""Completion's transactions (issue 23): how long each one lasts, and how long it holds its
jobs' statuses (a pause, resume or cancel of one of those jobs waits that long), for a
burst of tries ending together, collected as poll_calls collects them
(``completion.collect_batches``: ``COLLECT_BATCH_MAX`` tries a transaction).

Baseline, same run: the same burst collected 1,000 tries a transaction, the batch before
issue 23. Each phase has a fresh database with ``--jobs`` jobs of ``--tasks`` tasks (two
tries each); the tasks are dispatched and their calls placed in this process with the
simulated dialer (every call busy, ringing 2 s, so they end together); once every
call has ended, the clock starts and runs until every try has been ended. No Celery: the
figures are those of the completion code and PostgreSQL alone.

    python -m bench.completion [--jobs 20] [--tasks 500]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from api import enqueue
from bench import harness, targets
from models import clock
from models.rules.outcome import LegResult
from models.settings import Settings
from models.storage import db
from scheduler import completion, dispatch
from worker import calls
from worker.dialers.sim import Scenario, SimDialer
from worker.runtime import Runtime
from worker.webhook_senders import HttpWebhookSender

BEFORE_BATCH = 1000  # tries per completion transaction before issue 23
RING_S = 2.0
# Targets: the typical (p50) transaction a quarter of the baseline's or less, at 70 % of
# its rate or more (ten times as many commits; the workers' throughput, bench.throughput,
# is bounded elsewhere, far below either rate).
TARGET_P50_RATIO = targets.COMPLETION_P50_RATIO
TARGET_RATE_RATIO = targets.COMPLETION_RATE_RATIO


@dataclass
class Timings:
    """Transactions seen on an engine: each one's length, and from its jobs' statuses
    being held (the FOR KEY SHARE read) to its end."""

    transactions_s: list[float] = field(default_factory=list)
    holds_s: list[float] = field(default_factory=list)
    tries: int = 0
    seconds: float = 0.0

    def watch(self, engine: sa.Engine) -> None:
        @sa.event.listens_for(engine, "begin")
        def begun(conn: sa.Connection) -> None:
            conn.info["begun"] = time.perf_counter()

        @sa.event.listens_for(engine, "before_cursor_execute")
        def statement(conn: sa.Connection, _cursor: Any, text: str, *_: Any) -> None:
            if "FOR KEY SHARE" in text and "held" not in conn.info:
                conn.info["held"] = time.perf_counter()

        @sa.event.listens_for(engine, "commit")
        def committed(conn: sa.Connection) -> None:
            end, begun = time.perf_counter(), conn.info.pop("begun", None)
            if "held" in conn.info:  # one that ended tries (the last finds none)
                self.holds_s.append(end - conn.info.pop("held"))
                self.transactions_s.append(end - begun)

    def figures(self) -> dict[str, Any]:
        return {"tries": self.tries, "seconds": round(self.seconds, 3),
                "tries_per_s": round(self.tries / self.seconds, 1),
                "transactions": len(self.transactions_s),
                "transaction_max_s": round(max(self.transactions_s), 3),
                "transaction_p50_s": round(harness.percentile(self.transactions_s, 50), 3),
                "hold_max_s": round(max(self.holds_s, default=0.0), 3),
                "hold_p50_s": round(harness.percentile(self.holds_s, 50), 3)}


def burst(dbs: harness.Databases, jobs: int, tasks: int,
          collect: Callable[[sa.Engine], int]) -> Timings:
    """Every try of a fresh burst placed, then ended by ``collect``, timed."""
    url = dbs.fresh()
    engine = db.create_engine(url)
    try:
        scheduler_id = harness.new_scheduler(engine)
        for job in range(jobs):
            enqueue.add_tasks(engine, harness.CLIENT_ID, scheduler_id, [
                {"a_number": f"+1555{job:02d}{i:05d}", "b_number": harness.B_NUMBER,
                 "try_count": 2, "try_again_pause": 3600} for i in range(tasks)],
                clock.now(), max_tasks=tasks)
        runtime = Runtime(Settings(database_url=url), engine, SimDialer(
            engine, Scenario(default=LegResult.BUSY, ring_seconds=RING_S)),
            HttpWebhookSender(1.0, False))
        limits = dispatch.DispatchLimits(batch_max=BEFORE_BATCH, max_pending_claims=10**9)
        placed = 0
        while started := dispatch_once(engine, limits):
            for at in range(0, len(started), BEFORE_BATCH):  # each placed before it ends
                placed += calls.place_calls(runtime, started[at:at + BEFORE_BATCH])
        time.sleep(RING_S)  # the last calls placed ring on: wait for them to end
        timings = Timings(tries=placed)
        timings.watch(engine)
        begun = time.perf_counter()
        collected = collect(engine)
        assert collected == placed, (collected, placed)
        timings.seconds = time.perf_counter() - begun
        return timings
    finally:
        engine.dispose()


def dispatch_once(engine: sa.Engine, limits: dispatch.DispatchLimits) -> list[int]:
    started: list[int] = []
    dispatch.dispatch(engine, clock.now, started.extend, limits)
    return started


def collect_before(engine: sa.Engine) -> int:
    taken = 0
    while collected := completion.collect_ended_calls(engine, clock.now(), BEFORE_BATCH):
        taken += collected
    return taken


def collect_now(engine: sa.Engine) -> int:
    return completion.collect_batches(engine, clock.now, 10**9)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.completion", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--tasks", type=int, default=500, help="per job")
    args = parser.parse_args(argv)

    with harness.Databases() as dbs:
        harness.say(f"completion: {args.jobs} jobs x {args.tasks} tries ending together, "
                    f"{completion.COLLECT_BATCH_MAX} a transaction against {BEFORE_BATCH}")
        before = burst(dbs, args.jobs, args.tasks, collect_before)
        now = burst(dbs, args.jobs, args.tasks, collect_now)
    for name, timings in ((f"batches of {completion.COLLECT_BATCH_MAX}", now),
                          (f"baseline, batches of {BEFORE_BATCH}", before)):
        f = timings.figures()
        harness.say(f"{name}: {f['tries']} tries ended in {f['seconds']:.2f} s = "
                    f"{f['tries_per_s']:.0f} tries/s; {f['transactions']} transactions, "
                    f"longest {f['transaction_max_s']:.3f} s (p50 {f['transaction_p50_s']:.3f}); "
                    f"jobs held up to {f['hold_max_s']:.3f} s (p50 {f['hold_p50_s']:.3f})")
    typical = harness.ratio(harness.percentile(now.transactions_s, 50),
                            harness.percentile(before.transactions_s, 50))
    longest = harness.ratio(max(now.transactions_s), max(before.transactions_s))
    rate = harness.ratio(now.tries / now.seconds, before.tries / before.seconds)
    harness.say(f"ratio: p50 transaction {typical:.3f} (target <= {TARGET_P50_RATIO}: "
                f"{harness.verdict(typical <= TARGET_P50_RATIO)}); longest {longest:.3f}; "
                f"tries/s {rate:.3f} (target >= {TARGET_RATE_RATIO}: "
                f"{harness.verdict(rate >= TARGET_RATE_RATIO)})")
    harness.emit_json("completion", {
        "jobs": args.jobs, "tasks_per_job": args.tasks,
        "batch": completion.COLLECT_BATCH_MAX, "baseline_batch": BEFORE_BATCH,
        "now": now.figures(), "baseline": before.figures(),
        "p50_ratio": round(typical, 3), "longest_ratio": round(longest, 3),
        "rate_ratio": round(rate, 3),
        "target_met": typical <= TARGET_P50_RATIO and rate >= TARGET_RATE_RATIO})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
