"""Tries completed per second, end to end, against plain Celery no-op tasks.

Ringback: N tasks due now are added through api.enqueue.add_tasks (with the dispatch nudge
the API sends); zero-length simulated calls that answer; every task has `url_after` on a
local receiver answering 204, so each task also makes one webhook delivery. One worker
(--concurrency 2) and one beat. Timed from the add until every task is `finished` (the
headline ratio), and until every `after` webhook has been delivered (reported beside it,
with its own ratio: the client has heard of every try by then).

Baseline, same run, same Redis, same worker count and concurrency: N Celery tasks that
each INCR a counter (bench/noop_app.py), timed from the first send until the counter is N.

    python -m bench.throughput [--tasks 3000] [--concurrency 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import redis
from celery import Celery

from api.nudge import Nudger
from bench import harness, noop_app, targets
from models.storage import db
from tests import support
from tests.sip.sipp import Sipp

TARGET_RATIO = targets.THROUGHPUT_RATIO
SIP_SCENARIOS = Path(__file__).resolve().parent / "sip"


def noop_rate(broker_url: str, work: Path, n: int, concurrency: int, timeout_s: float) -> float:
    """Plain Celery tasks per second: send ``n`` no-op tasks, wait for the counter."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RINGBACK_")}
    env["BENCH_BROKER_URL"] = broker_url
    env["PYTHONPATH"] = str(support.REPO_ROOT)
    stack = support.Stack(env=env, workdir=work)
    counter = redis.Redis.from_url(broker_url)
    sender = Celery("bench-sender", broker=broker_url, set_as_current=False)
    try:
        stack.start_command("noop-worker", [
            sys.executable, "-m", "celery", "-A", "bench.noop_app", "worker", "--loglevel",
            "INFO", "--concurrency", str(concurrency), "--hostname",
            f"noop-{uuid.uuid4().hex[:6]}@%h", "--without-mingle", "--without-gossip"])
        harness.wait_ready(stack, ["noop-worker"], None)
        counter.delete(noop_app.COUNTER_KEY)
        started = time.monotonic()
        with sender.producer_or_acquire() as producer:
            for _ in range(n):
                sender.send_task(noop_app.TASK_NAME, producer=producer)

        def all_done() -> bool:
            done: bytes | None = counter.get(noop_app.COUNTER_KEY)  # type: ignore[assignment]
            return int(done or 0) >= n

        harness.poll(all_done, timeout_s, f"{n} no-op tasks", stack)
        return n / (time.monotonic() - started)
    finally:
        stack.stop_all()
        sender.close()
        counter.close()


def ringback_run(dbs: harness.Databases, broker_url: str, work: Path, n: int,
                 concurrency: int, timeout_s: float, sip: bool = False
                 ) -> harness.ThroughputResult:
    """The simulated dialer, or (``sip``) real calls through one `ringback sip` controller
    to a sipp phone that answers at once (both legs; the controller hangs up at once)."""
    url = dbs.fresh()
    engine = db.create_engine(url)
    nudger = Nudger(broker_url)
    phone = Sipp(SIP_SCENARIOS / "uas_any.xml", work, name="phone", trace=False) if sip else None
    try:
        scheduler_id = harness.new_scheduler(engine)
        with harness.NoContentReceiver() as receiver:
            dialer = {} if phone is None else {
                "dialer": "sip", "sip_trunk": f"sip:{phone.start().address}",
                "sip_listen": f"127.0.0.1:{support.free_port()}", "sip_max_call_s": 0}
            env = harness.stack_env(url, broker_url, work, {"default": "answer"},
                                    webhook_allow_private="true",
                                    deliver_events_interval_s=0.25, dispatch_interval_s=0.25,
                                    **dialer)
            with harness.ringback_stack(env, work, workers=1, concurrency=concurrency) as stack:
                if phone is not None:
                    stack.start_command("sip", [sys.executable, "-m", "api.cli", "sip"])
                    harness.poll(lambda: "listening on" in (work / "sip.log").read_text(),
                                 30, "the controller", stack)
                return harness.measure_throughput(engine, stack, scheduler_id, n, receiver.url,
                                                  nudger, timeout_s)
    finally:
        if phone is not None:
            phone.stop()
        nudger.close()
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300, help="seconds per phase")
    parser.add_argument("--sip", action="store_true",
                        help="also run it with the SIP dialer against a sipp phone")
    args = parser.parse_args(argv)

    with harness.workdir("throughput") as work, harness.Databases() as dbs, \
            harness.redis_db() as broker_url:
        harness.say(f"throughput: {args.tasks} tasks, 1 worker --concurrency "
                    f"{args.concurrency}, broker {broker_url}")
        baseline = noop_rate(broker_url, work, args.tasks, args.concurrency, args.timeout)
        harness.flush(broker_url)
        result = ringback_run(dbs, broker_url, work, args.tasks, args.concurrency,
                              args.timeout)
        sip_result = None
        if args.sip:
            harness.flush(broker_url)
            sip_result = ringback_run(dbs, broker_url, work, args.tasks, args.concurrency,
                                      args.timeout, sip=True)

    r = harness.ratio(result.tries_per_s, baseline)
    hooks = result.webhooks_seconds or 0.0
    r_hooks = harness.ratio(result.tasks / hooks, baseline) if hooks else 0.0
    harness.say(f"ringback: {result.tasks} tries finished in {result.seconds:.2f} s = "
                f"{result.tries_per_s:.1f} tries/s ({result.not_success} not successful); "
                f"all {result.tasks} `after` webhooks delivered after {hooks:.2f} s = "
                f"{result.tasks / hooks:.1f}/s")
    harness.say(f"baseline: celery no-op tasks = {baseline:.1f} tasks/s")
    harness.say(f"ratio: {r:.3f}  (target >= {TARGET_RATIO}: "
                f"{harness.verdict(r >= TARGET_RATIO)}); until every webhook was delivered: "
                f"{r_hooks:.3f} ({harness.verdict(r_hooks >= TARGET_RATIO)})")
    figures: dict[str, Any] = {
        "tasks": result.tasks, "concurrency": args.concurrency,
        "ringback_seconds": round(result.seconds, 3),
        "ringback_tries_per_s": round(result.tries_per_s, 1),
        "ringback_not_success": result.not_success,
        "webhooks_all_delivered_seconds": round(hooks, 3),
        "baseline_noop_tasks_per_s": round(baseline, 1),
        "ratio": round(r, 3), "target_ratio": TARGET_RATIO, "target_met": r >= TARGET_RATIO,
        "ratio_until_webhooks_delivered": round(r_hooks, 3),
    }
    if sip_result is not None:
        r_sip = harness.ratio(sip_result.tries_per_s, baseline)
        harness.say(f"ringback, SIP dialer (real calls to a sipp phone): {sip_result.tasks} "
                    f"tries finished in {sip_result.seconds:.2f} s = "
                    f"{sip_result.tries_per_s:.1f} tries/s ({sip_result.not_success} not "
                    f"successful), ratio {r_sip:.3f}; simulated: {result.tries_per_s:.1f}/s")
        figures.update(sip_tries_per_s=round(sip_result.tries_per_s, 1),
                       sip_seconds=round(sip_result.seconds, 3),
                       sip_not_success=sip_result.not_success, sip_ratio=round(r_sip, 3))
    harness.emit_json("throughput", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
