"""Backlog: throughput and dispatch lag with 1,000,000 future tasks in the table, against
an empty table, in the same run.

Each side has a fresh database of its own. The backlog is one INSERT ... SELECT
generate_series of tasks due an hour and more from now, in the same scheduler the measured
tasks use (as tests/integration/test_due_index.py does), then ANALYZE and a CHECKPOINT.
A measurement starts a stack on one side's database (one worker --concurrency 2 and one
beat, RINGBACK_DISPATCH_INTERVAL_S=0.25, webhooks on as in bench.throughput), adds N tasks
due now through api.enqueue (tries/s until all are finished, as in bench.throughput),
then tasks due at ``--lag-rate`` per second over ``--spread`` seconds (p50/p99 of try
start - due time, as in bench.dispatch_lag), and stops the stack. The sides take turns
for ``--rounds`` rounds (empty first in odd rounds, backlog first in even ones), since
one measurement on a shared 2-core machine is mostly noise; the medians are compared.
The lag rate defaults to 100 per second, which the stack keeps up with: at a rate above
its throughput the lag would be the queue of work, whatever the table holds.

    python -m bench.backlog [--tasks 3000] [--backlog 1000000] [--lag-rate 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from api.nudge import Nudger
from bench import harness, targets
from models import clock
from models.storage import db
from models.storage.repository import jobs_repo

TARGET_WITHIN = targets.LOADED_WITHIN


def insert_backlog(engine: sa.Engine, scheduler_id: int, n: int) -> float:
    """``n`` future tasks in one statement, then ANALYZE; returns the seconds it took."""
    started = time.monotonic()
    with engine.begin() as conn:
        job_id = jobs_repo.insert_job(conn, harness.CLIENT_ID, scheduler_id, n, clock.now(),
                                      created_by="bench-backlog")
        conn.execute(sa.text(
            "INSERT INTO tasks (client_id, scheduler_id, job_id, a_number, b_number, try_count,"
            " try_again_pause, status, attempts_made, next_attempt_at, create_date_utc,"
            " updated_at) SELECT :cid, :sid, :jid, :a, :b, 1, 60,"
            " 'scheduled', 0, (now() at time zone 'utc') + (g || ' seconds')::interval"
            " + interval '1 hour', now() at time zone 'utc', now() at time zone 'utc'"
            " FROM generate_series(1, :n) AS g"),
            {"cid": harness.CLIENT_ID, "sid": scheduler_id, "jid": job_id,
             "a": harness.A_NUMBER, "b": harness.B_NUMBER, "n": n})
        conn.exec_driver_sql("ANALYZE tasks")
    return time.monotonic() - started


def checkpoint(engine: sa.Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("CHECKPOINT")


@dataclass
class Side:
    label: str
    backlog: int
    engine: sa.Engine
    url: str
    scheduler_id: int
    insert_s: float
    rounds: list[dict[str, float]] = field(default_factory=list)
    # The B number of the measured tasks, by their index in a round.
    b_number_of: Callable[[int], str] = harness.same_b_number

    def median(self, key: str) -> float:
        return statistics.median(r[key] for r in self.rounds)

    def figures(self) -> dict[str, Any]:
        return {"backlog_tasks": self.backlog, "backlog_insert_seconds": round(self.insert_s, 1),
                "median_tries_per_s": round(self.median("tries_per_s"), 1),
                "median_lag_p50_ms": round(self.median("p50_ms"), 1),
                "median_lag_p99_ms": round(self.median("p99_ms"), 1), "rounds": self.rounds}


# Fills a side's database: (engine, the measured scheduler, rows) -> seconds it took.
Loader = Callable[[sa.Engine, int, int], float]


def prepare_side(dbs: harness.Databases, rows: int, load: Loader, what: str, empty: str,
                 b_number_of: Callable[[int], str] = harness.same_b_number) -> Side:
    """A fresh database with its scheduler, ``rows`` of ``what`` loaded (none: ``empty``),
    checkpointed."""
    url = dbs.fresh()
    engine = db.create_engine(url)
    scheduler_id = harness.new_scheduler(engine)
    insert_s = load(engine, scheduler_id, rows) if rows else 0.0
    checkpoint(engine)
    if rows:
        harness.say(f"  {rows} {what} inserted and analysed in {insert_s:.1f} s")
    return Side(f"{rows} {what}" if rows else empty, rows, engine, url, scheduler_id,
                insert_s, b_number_of=b_number_of)


def prepare(dbs: harness.Databases, backlog: int) -> Side:
    return prepare_side(dbs, backlog, insert_backlog, "future tasks", "empty table")


def measure(side: Side, broker_url: str, work: Path, args: argparse.Namespace,
            round_no: int) -> None:
    harness.flush(broker_url)
    nudger = Nudger(broker_url)
    try:
        with harness.NoContentReceiver() as receiver:
            env = harness.stack_env(side.url, broker_url, work, {"default": "answer"},
                                    webhook_allow_private="true",
                                    deliver_events_interval_s=0.25, dispatch_interval_s=0.25)
            with harness.ringback_stack(env, work, workers=1,
                                        concurrency=args.concurrency) as stack:
                through = harness.measure_throughput(
                    side.engine, stack, side.scheduler_id, args.tasks, receiver.url, nudger,
                    args.timeout, side.b_number_of)
                lag = harness.measure_lag(side.engine, stack, side.scheduler_id, args.lag_rate,
                                          args.spread, args.lead, args.timeout,
                                          side.b_number_of)
    finally:
        nudger.close()
    side.rounds.append({"round": round_no, "tries_per_s": round(through.tries_per_s, 1),
                        "p50_ms": round(lag.p50_ms, 1), "p99_ms": round(lag.p99_ms, 1)})
    harness.say(f"  round {round_no}, {side.label}: {through.tries_per_s:.1f} tries/s "
                f"({through.tasks} in {through.seconds:.2f} s); lag at {args.lag_rate:g}/s "
                f"p50 {lag.p50_ms:.0f} ms p99 {lag.p99_ms:.0f} ms")


def add_measure_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tasks", type=int, default=3000, help="tasks for the throughput")
    # A rate the stack keeps up with, so the lag shows dispatch's own cost, not a queue.
    parser.add_argument("--lag-rate", type=float, default=100.0, help="due tasks per second")
    parser.add_argument("--spread", type=float, default=10.0, help="seconds of due times")
    parser.add_argument("--lead", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300)


def run_rounds(sides: list[Side], broker_url: str, work: Path,
               args: argparse.Namespace) -> None:
    """The sides take turns (the baseline first in odd rounds); engines disposed after."""
    try:
        for round_no in range(1, args.rounds + 1):
            for side in (sides if round_no % 2 else sides[::-1]):
                measure(side, broker_url, work, args, round_no)
    finally:
        for side in sides:
            side.engine.dispose()


def compare(name: str, baseline: Side, loaded: Side, args: argparse.Namespace,
            what: str) -> dict[str, Any]:
    """Say the medians of ``loaded`` against ``baseline`` (``what`` it holds), and return
    the figures emitted as JSON."""
    through_ratio = harness.ratio(loaded.median("tries_per_s"), baseline.median("tries_per_s"))
    p50_ratio = harness.ratio(loaded.median("p50_ms"), baseline.median("p50_ms"))
    p99_ratio = harness.ratio(loaded.median("p99_ms"), baseline.median("p99_ms"))
    through_met = through_ratio >= 1 - TARGET_WITHIN
    lag_met = p99_ratio <= 1 + TARGET_WITHIN
    harness.say(f"throughput (median of {args.rounds}): {loaded.median('tries_per_s'):.1f} "
                f"tries/s with {what}, baseline {baseline.median('tries_per_s'):.1f} tries/s "
                f"({baseline.label}), ratio {through_ratio:.3f} (target >= "
                f"{1 - TARGET_WITHIN:.2f}: {harness.verdict(through_met)})")
    harness.say(f"lag p50 (median): {loaded.median('p50_ms'):.0f} ms with {what}, baseline "
                f"{baseline.median('p50_ms'):.0f} ms, ratio {p50_ratio:.3f}")
    harness.say(f"lag p99 (median): {loaded.median('p99_ms'):.0f} ms with {what}, baseline "
                f"{baseline.median('p99_ms'):.0f} ms, ratio {p99_ratio:.3f} "
                f"(target <= {1 + TARGET_WITHIN:.2f}: {harness.verdict(lag_met)})")
    figures = {"throughput_ratio": round(through_ratio, 3), "lag_p50_ratio": round(p50_ratio, 3),
               "lag_p99_ratio": round(p99_ratio, 3), "target_within": TARGET_WITHIN,
               "throughput_target_met": through_met, "lag_target_met": lag_met}
    harness.emit_json(name, {"loaded": loaded.figures(), "baseline": baseline.figures(),
                             **figures})
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.backlog", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backlog", type=int, default=1_000_000)
    add_measure_arguments(parser)
    args = parser.parse_args(argv)

    run_comparison("backlog", args, prepare, args.backlog, "the backlog")
    return 0


def run_comparison(name: str, args: argparse.Namespace,
                   prepare_one: Callable[[harness.Databases, int], Side], rows: int,
                   what: str, tasks_note: str = "") -> None:
    """Prepare an empty side and one with ``rows``, measure them in turns, compare."""
    with harness.workdir(name) as work, harness.Databases() as dbs, \
            harness.redis_db() as broker_url:
        harness.say(f"{name}: {args.tasks} tasks due now, then {args.lag_rate:g}/s for "
                    f"{args.spread:g} s{tasks_note}; 1 worker --concurrency "
                    f"{args.concurrency} + beat; {args.rounds} rounds; broker {broker_url}")
        sides = [prepare_one(dbs, 0), prepare_one(dbs, rows)]
        run_rounds(sides, broker_url, work, args)
    compare(name, sides[0], sides[1], args, what)


if __name__ == "__main__":
    raise SystemExit(main())
