"""In-flight calls: memory of every worker and beat process with thousands of simulated
calls talking at once, and proof that every call ends.

Two worker processes run the tries: by default two Celery workers of --concurrency 1
each (so each has a main process and one prefork child), plus one beat. The scenario
answers every call and talks ``--talk`` seconds ({"default": "answer", "talk_seconds": 60}).
``--calls`` tasks due now are added through api.enqueue; RSS (VmRSS from /proc/PID/status)
of every process in each worker's and beat's process group, of the PostgreSQL backends of
the run's database and of the Redis server is sampled until every task has finished,
keeping each process's peak. Baseline, same run: the same processes' RSS while
idle, sampled for ``--idle`` seconds before the calls are added. The run stops at
``--timeout`` seconds after the add, finished or not, and says which.

    python -m bench.inflight [--calls 5000] [--talk 60] [--workers 2] [--concurrency 1]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis
import sqlalchemy as sa

from api.nudge import Nudger
from bench import harness
from models.storage import db
from models.storage.tables import attempts
from tests import support

SAMPLE_S = 0.5


@dataclass
class Memory:
    """RSS per process of each named Stack process group, and of the services' processes
    serving this run (its PostgreSQL backends, the Redis server): idle and peak values."""

    stack: support.Stack
    services: Callable[[], list[tuple[str, int]]]
    idle_kib: dict[tuple[str, int], int] = field(default_factory=dict)
    peak_kib: dict[tuple[str, int], int] = field(default_factory=dict)
    peak_total_kib: int = 0
    pgids: dict[str, int] = field(default_factory=dict)  # name: the pid Stack started

    def sample(self) -> dict[tuple[str, int], int]:
        now: dict[tuple[str, int], int] = {}
        named = [(name, pid) for name, proc in self.stack.processes.items()
                 for pid in harness.group_pids(proc.pid)]
        for name, proc in self.stack.processes.items():
            self.pgids[name] = proc.pid
        for name, pid in [*named, *self.services()]:
            rss = harness.rss_kib(pid)
            if rss is not None:
                now[(name, pid)] = rss
        return now

    def record_idle(self) -> None:
        for key, rss in self.sample().items():
            self.idle_kib[key] = max(rss, self.idle_kib.get(key, 0))

    def record_busy(self) -> None:
        now = self.sample()
        for key, rss in now.items():
            self.peak_kib[key] = max(rss, self.peak_kib.get(key, 0))
        self.peak_total_kib = max(self.peak_total_kib, sum(now.values()))


@dataclass
class Progress:
    placed: int = 0  # tries that have started dialling
    peak_dialing: int = 0  # the most tries seen `dialing` at once
    all_placed_s: float | None = None
    finished: int = 0


def service_pids(engine: sa.Engine, broker_url: str) -> list[tuple[str, int]]:
    """This run's PostgreSQL backends (its database's, the bench's own included) and the
    Redis server. A backend's RSS counts the shared buffers it has touched."""
    with engine.connect() as conn:
        backends = conn.execute(sa.text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars()
        found = [("postgres backend", int(pid)) for pid in backends]
    client = redis.Redis.from_url(broker_url)
    try:
        info: dict[str, Any] = client.info("server")  # type: ignore[assignment]
    finally:
        client.close()
    return [*found, ("redis-server", int(info["process_id"]))]


def placed_and_dialing(engine: sa.Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        row = conn.execute(sa.select(
            sa.func.count().filter(attempts.c.dialing_at.is_not(None)),
            sa.func.count().filter(attempts.c.status == "dialing"))).one()
    return int(row[0]), int(row[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inflight", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--talk", type=float, default=60.0, help="seconds each call talks")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=1, help="per worker")
    parser.add_argument("--idle", type=float, default=3.0, help="seconds of idle sampling")
    parser.add_argument("--timeout", type=float, default=240, help="seconds after the add")
    args = parser.parse_args(argv)
    n: int = args.calls

    with harness.workdir("inflight") as work, harness.Databases() as dbs, \
            harness.redis_db() as broker_url:
        url = dbs.fresh()
        engine = db.create_engine(url)
        nudger = Nudger(broker_url)
        try:
            scheduler_id = harness.new_scheduler(engine)
            env = harness.stack_env(url, broker_url, work,
                                    {"default": "answer", "talk_seconds": args.talk})
            harness.say(f"inflight: {n} calls talking {args.talk:g} s, {args.workers} worker(s) "
                        f"--concurrency {args.concurrency} + beat, broker {broker_url}")
            with harness.ringback_stack(env, work, workers=args.workers,
                                        concurrency=args.concurrency) as stack:
                memory = Memory(stack, lambda: service_pids(engine, broker_url))
                idle_until: float = time.monotonic() + args.idle

                def idle_done() -> bool:
                    memory.record_idle()
                    return time.monotonic() >= idle_until

                harness.poll(idle_done, args.idle + 5, "idle sampling", stack, SAMPLE_S)
                started = time.monotonic()
                job_id = harness.add_due_now(engine, scheduler_id, n, nudge=nudger)
                progress = Progress()

                def done() -> bool:
                    memory.record_busy()
                    placed, dialing = placed_and_dialing(engine)
                    progress.placed = placed
                    progress.peak_dialing = max(progress.peak_dialing, dialing)
                    if placed >= n and progress.all_placed_s is None:
                        progress.all_placed_s = time.monotonic() - started
                    progress.finished = harness.count_finished(engine, job_id)
                    return progress.finished >= n

                try:
                    harness.poll(done, args.timeout, f"{n} calls to end", stack, SAMPLE_S)
                except TimeoutError:
                    harness.say(f"stopped at the {args.timeout:g} s bound")
                ended_s = time.monotonic() - started
                not_success = harness.count_unsuccessful(engine, job_id)
        finally:
            nudger.close()
            engine.dispose()

    all_ended = progress.finished >= n
    rows: list[dict[str, Any]] = []
    for (name, pid), peak in sorted(memory.peak_kib.items()):
        idle = memory.idle_kib.get((name, pid))
        role = ("service" if name not in memory.pgids else
                "main" if pid == memory.pgids[name] else "pool child")
        rows.append({"process": name, "role": role, "pid": pid,
                     "idle_mib": None if idle is None else round(idle / 1024, 1),
                     "peak_mib": round(peak / 1024, 1),
                     "ratio": None if not idle else round(peak / idle, 2)})
        idle_text = "n/a (started later)" if idle is None else f"{idle / 1024:.1f} MiB"
        harness.say(f"{name} {role} pid {pid}: peak {peak / 1024:.1f} MiB, baseline idle "
                    f"{idle_text}" + (f", ratio {peak / idle:.2f}" if idle else ""))
    idle_total = sum(memory.idle_kib.values())
    harness.say(f"all processes: peak {memory.peak_total_kib / 1024:.1f} MiB, baseline idle "
                f"{idle_total / 1024:.1f} MiB, ratio "
                f"{harness.ratio(memory.peak_total_kib, idle_total):.2f}")
    placed_s = progress.all_placed_s
    harness.say(f"calls: {progress.placed} of {n} placed"
                + (f" (all by {placed_s:.1f} s)" if placed_s is not None else "")
                + f", at most {progress.peak_dialing} in flight at once, "
                f"{progress.finished} of {n} ended after {ended_s:.1f} s "
                f"({not_success} not successful): "
                + ("all ended" if all_ended else "NOT all ended within the bound"))
    harness.emit_json("inflight", {
        "calls": n, "talk_seconds": args.talk, "workers": args.workers,
        "concurrency": args.concurrency, "processes": rows,
        "peak_total_mib": round(memory.peak_total_kib / 1024, 1),
        "idle_total_mib": round(idle_total / 1024, 1),
        "total_ratio": round(harness.ratio(memory.peak_total_kib, idle_total), 2),
        "placed": progress.placed,
        "all_placed_seconds": None if placed_s is None else round(placed_s, 1),
        "peak_in_flight": progress.peak_dialing, "ended": progress.finished,
        "ended_seconds": round(ended_s, 1), "not_success": not_success, "all_ended": all_ended,
    })
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
