"""Backlog: throughput and dispatch lag with 1,000,000 future tasks in the table, against
an empty table, in the same run.

Each side gets a fresh database and its own stack (one worker --concurrency 2 and one beat,
RINGBACK_DISPATCH_INTERVAL_S=0.25, webhooks on as in bench.throughput). The backlog is
one INSERT ... SELECT generate_series of tasks due an hour and more from now, in the same
scheduler the measured tasks use (as tests/integration/test_due_index.py does), then
ANALYZE; both sides then CHECKPOINT so neither pays for the other's writes. Measured on
each side: N tasks due now, added through api.enqueue (tries/s to all finished, as in
bench.throughput), then tasks due at ``--lag-rate`` per second over ``--spread`` seconds
(p50/p99 of try start - due time, as in bench.dispatch_lag).

    python -m bench.backlog [--tasks 1000] [--backlog 1000000] [--lag-rate 100]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from api.nudge import Nudger
from bench import harness
from models import clock, db
from models.repository import tasks_repo

TARGET_WITHIN = 0.10


def insert_backlog(engine: sa.Engine, scheduler_id: int, n: int) -> float:
    """``n`` future tasks in one statement, then ANALYZE; returns the seconds it took."""
    started = time.monotonic()
    with engine.begin() as conn:
        job_id = tasks_repo.insert_job(conn, harness.CLIENT_ID, scheduler_id, n, clock.now(),
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


def run_side(dbs: harness.Databases, broker_url: str, work: Path, backlog: int,
             args: argparse.Namespace) -> dict[str, Any]:
    url = dbs.fresh()
    engine = db.create_engine(url)
    nudger = Nudger(broker_url)
    harness.flush(broker_url)
    label = f"{backlog} future tasks" if backlog else "empty table"
    try:
        scheduler_id = harness.new_scheduler(engine)
        insert_s = insert_backlog(engine, scheduler_id, backlog) if backlog else 0.0
        checkpoint(engine)
        with harness.NoContentReceiver() as receiver:
            env = harness.stack_env(url, broker_url, work, {"default": "answer"},
                                    webhook_allow_private="true",
                                    deliver_events_interval_s=0.25, dispatch_interval_s=0.25)
            with harness.ringback_stack(env, work, workers=1,
                                        concurrency=args.concurrency) as stack:
                through = harness.measure_throughput(engine, stack, scheduler_id, args.tasks,
                                                     receiver.url, nudger, args.timeout)
                lag = harness.measure_lag(engine, stack, scheduler_id, args.lag_rate,
                                          args.spread, args.lead, args.timeout)
        harness.say(f"  {label}: {through.tries_per_s:.1f} tries/s ({through.tasks} in "
                    f"{through.seconds:.2f} s); lag at {args.lag_rate:g}/s p50 "
                    f"{lag.p50_ms:.0f} ms p99 {lag.p99_ms:.0f} ms"
                    + (f"; backlog inserted in {insert_s:.1f} s" if backlog else ""))
        return {"backlog_tasks": backlog, "backlog_insert_seconds": round(insert_s, 1),
                "tries_per_s": round(through.tries_per_s, 1),
                "throughput_seconds": round(through.seconds, 3), "lag": lag.figures()}
    finally:
        nudger.close()
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.backlog", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=1000, help="tasks for the throughput")
    parser.add_argument("--backlog", type=int, default=1_000_000)
    parser.add_argument("--lag-rate", type=float, default=100.0, help="due tasks per second")
    parser.add_argument("--spread", type=float, default=5.0, help="seconds of due times")
    parser.add_argument("--lead", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args(argv)

    with harness.workdir("backlog") as work, harness.Databases() as dbs, \
            harness.redis_db() as broker_url:
        harness.say(f"backlog: {args.tasks} tasks due now, then {args.lag_rate:g}/s for "
                    f"{args.spread:g} s; 1 worker --concurrency {args.concurrency} + beat; "
                    f"broker {broker_url}")
        empty = run_side(dbs, broker_url, work, 0, args)
        full = run_side(dbs, broker_url, work, args.backlog, args)

    through_ratio = harness.ratio(full["tries_per_s"], empty["tries_per_s"])
    p50_ratio = harness.ratio(full["lag"]["p50_ms"], empty["lag"]["p50_ms"])
    p99_ratio = harness.ratio(full["lag"]["p99_ms"], empty["lag"]["p99_ms"])
    through_met = through_ratio >= 1 - TARGET_WITHIN
    lag_met = p99_ratio <= 1 + TARGET_WITHIN
    harness.say(f"throughput: {full['tries_per_s']:.1f} tries/s with the backlog, baseline "
                f"{empty['tries_per_s']:.1f} tries/s empty, ratio {through_ratio:.3f} "
                f"(target >= {1 - TARGET_WITHIN:.2f}: {harness.verdict(through_met)})")
    harness.say(f"lag p50: {full['lag']['p50_ms']:.0f} ms with the backlog, baseline "
                f"{empty['lag']['p50_ms']:.0f} ms empty, ratio {p50_ratio:.3f}")
    harness.say(f"lag p99: {full['lag']['p99_ms']:.0f} ms with the backlog, baseline "
                f"{empty['lag']['p99_ms']:.0f} ms empty, ratio {p99_ratio:.3f} "
                f"(target <= {1 + TARGET_WITHIN:.2f}: {harness.verdict(lag_met)})")
    harness.emit_json("backlog", {
        "with_backlog": full, "empty": empty,
        "throughput_ratio": round(through_ratio, 3), "lag_p50_ratio": round(p50_ratio, 3),
        "lag_p99_ratio": round(p99_ratio, 3), "target_within": TARGET_WITHIN,
        "throughput_target_met": through_met, "lag_target_met": lag_met,
    })
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
