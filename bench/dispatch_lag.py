"""Dispatch lag: p50 and p99 of (try start - due time) at a given rate of due tasks.

Tasks are stored through the repository (tasks_repo.store_tasks) with sub-second start
times spread evenly at the rate over ``--spread`` seconds, the first ``--lead`` seconds
from now; zero-length calls that answer, no webhooks. Lag is attempts.dialing_at -
attempts.due_at of each task's first try. One worker (--concurrency 2) and one beat, whose
dispatcher runs a round when tasks fall due and at least every RINGBACK_DISPATCH_INTERVAL_S:
once with the default (0.25 s) and once with 1 s, each on a fresh database, to show the
lag no longer follows the tick. Baseline, same run and same stack: the same at a trickle
(10 per second).

    python -m bench.dispatch_lag [--rates 100,500] [--baseline-rate 10] [--intervals 0.25,1]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bench import harness, targets
from models.storage import db

TARGET_P99_MS = targets.LAG_P99_MS


def floats(text: str) -> list[float]:
    return [float(part) for part in text.split(",") if part.strip()]


def run_interval(dbs: harness.Databases, broker_url: str, work: Path, interval_s: float,
                 rates: list[float], args: argparse.Namespace) -> list[harness.LagResult]:
    """The baseline rate first, then each rate, on one stack; each run drains fully."""
    url = dbs.fresh()
    engine = db.create_engine(url)
    harness.flush(broker_url)
    try:
        scheduler_id = harness.new_scheduler(engine)
        env = harness.stack_env(url, broker_url, work, {"default": "answer"},
                                dispatch_interval_s=interval_s)
        results = []
        with harness.ringback_stack(env, work, workers=1, concurrency=args.concurrency) as stack:
            for rate in [args.baseline_rate, *rates]:
                result = harness.measure_lag(engine, stack, scheduler_id, rate, args.spread,
                                             args.lead, args.timeout)
                harness.say(f"  interval {interval_s:g} s, {rate:g}/s: {result.tasks} tries, "
                            f"p50 {result.p50_ms:.0f} ms, p99 {result.p99_ms:.0f} ms, "
                            f"max {result.max_ms:.0f} ms")
                results.append(result)
        return results
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dispatch_lag", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", type=floats, default=[100.0, 500.0],
                        help="due tasks per second, comma separated")
    parser.add_argument("--baseline-rate", type=float, default=10.0)
    parser.add_argument("--intervals", type=floats, default=[0.25, 1.0],
                        help="dispatch intervals in seconds, comma separated")
    parser.add_argument("--spread", type=float, default=10.0, help="seconds of due times")
    parser.add_argument("--lead", type=float, default=3.0, help="seconds before the first")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300,
                        help="seconds after the last due time to wait for the tries")
    args = parser.parse_args(argv)

    runs: dict[float, list[harness.LagResult]] = {}
    with harness.workdir("dispatch-lag") as work, harness.Databases() as dbs, \
            harness.redis_db() as broker_url:
        harness.say(f"dispatch lag: rates {args.rates} per s over {args.spread:g} s, "
                    f"baseline {args.baseline_rate:g}/s, 1 worker --concurrency "
                    f"{args.concurrency} + beat, broker {broker_url}")
        for interval in args.intervals:
            runs[interval] = run_interval(dbs, broker_url, work, interval, args.rates, args)

    figures: dict[str, Any] = {"target_p99_ms": TARGET_P99_MS, "runs": []}
    harness.say("summary (try start - due time):")
    for interval, (baseline, *measured) in runs.items():
        harness.say(f"dispatch interval {interval:g} s: baseline {baseline.rate_per_s:g}/s "
                    f"p50 {baseline.p50_ms:.0f} ms p99 {baseline.p99_ms:.0f} ms")
        for result in measured:
            met = result.p99_ms < TARGET_P99_MS
            p50_ratio = harness.ratio(result.p50_ms, baseline.p50_ms)
            p99_ratio = harness.ratio(result.p99_ms, baseline.p99_ms)
            harness.say(f"  {result.rate_per_s:g}/s: p50 {result.p50_ms:.0f} ms "
                        f"(baseline {baseline.p50_ms:.0f}, ratio {p50_ratio:.2f}), p99 "
                        f"{result.p99_ms:.0f} ms (baseline {baseline.p99_ms:.0f}, ratio "
                        f"{p99_ratio:.2f}); target p99 < {TARGET_P99_MS:.0f} ms: "
                        f"{harness.verdict(met)}")
            figures["runs"].append({
                "dispatch_interval_s": interval, **result.figures(),
                "baseline": baseline.figures(), "p50_ratio": round(p50_ratio, 2),
                "p99_ratio": round(p99_ratio, 2), "target_met": met})
    harness.emit_json("dispatch_lag", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
