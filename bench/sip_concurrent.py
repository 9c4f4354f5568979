"""Concurrent real calls held by one `ringback sip` controller: its RSS and CPU, the whole
stack's memory, and proof that every call was ended by BYE on time.

N tasks due now (default 10,000) go through dispatch and the workers to one controller,
which places each as a 3PCC call against a sipp phone answering at once
(bench/sip/uas_any.xml); every call talks RINGBACK_SIP_MAX_CALL_S (default 60 s) and is then
ended by the controller with BYE on both legs. RSS is sampled (every process of the stack,
the run's PostgreSQL backends, the Redis server and the sipp phone) while idle for
``--idle`` seconds first (the baseline) and then until every task has finished; the
controller's CPU seconds are read at the end. "On time": each connected call's talk time,
from the call record, lies within ``--slack`` seconds of the talk time set.

    python -m bench.sip_concurrent [--calls 10000] [--talk 60] [--workers 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from api.nudge import Nudger
from bench import harness, inflight, targets
from models.storage import db
from models.storage.call_tables import call_legs, calls
from tests import support
from tests.sip.sipp import Sipp

SCENARIOS = Path(__file__).resolve().parent / "sip"
TARGET_CONTROLLER_MIB = targets.SIP_CONTROLLER_MIB
SAMPLE_S = 0.5


def talking_now(engine: sa.Engine) -> int:
    """B legs answered and not yet ended: calls connected right now."""
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(call_legs).where(
            call_legs.c.leg == "B", call_legs.c.answered_at.is_not(None),
            call_legs.c.ended_at.is_(None))).scalar_one())


def talk_times(engine: sa.Engine) -> tuple[list[float], int]:
    """Each connected call's talk seconds, and how many B legs the controller hung up."""
    with engine.connect() as conn:
        outcomes = conn.execute(sa.select(calls.c.outcome).where(
            calls.c.status == "ended")).scalars().all()
        by_us = int(conn.execute(sa.select(sa.func.count()).select_from(call_legs).where(
            call_legs.c.leg == "B", call_legs.c.hangup_by == "ringback")).scalar_one())
    return [float(o["talk_seconds"]) for o in outcomes if o and o.get("b_answered")], by_us


def run(args: argparse.Namespace, work: Path, dbs: harness.Databases,
        broker_url: str) -> dict[str, Any]:
    url = dbs.fresh()
    engine = db.create_engine(url)
    nudger = Nudger(broker_url)
    phone = Sipp(SCENARIOS / "uas_any.xml", work, name="phone", trace=False).start()
    try:
        scheduler_id = harness.new_scheduler(engine)
        env = harness.stack_env(url, broker_url, work, None, dialer="sip",
                                sip_trunk=f"sip:{phone.address}",
                                sip_listen=f"127.0.0.1:{support.free_port()}",
                                sip_max_call_s=args.talk, call_timeout_s=args.talk * 3,
                                log_format="text")
        with harness.ringback_stack(env, work, workers=args.workers,
                                    concurrency=args.concurrency) as stack:
            stack.start_command("sip", [sys.executable, "-m", "api.cli", "sip"])
            harness.poll(lambda: "listening on" in (work / "sip.log").read_text(), 30,
                         "the controller", stack)
            assert phone.proc is not None
            phone_pid = phone.proc.pid
            memory = inflight.Memory(stack, lambda: [
                *inflight.service_pids(engine, broker_url), ("sipp phone", phone_pid)])
            return measure(args, engine, stack, memory, scheduler_id, nudger, phone)
    finally:
        phone.stop()
        nudger.close()
        engine.dispose()


def measure(args: argparse.Namespace, engine: sa.Engine, stack: support.Stack,
            memory: inflight.Memory, scheduler_id: int, nudger: Nudger,
            phone: Sipp) -> dict[str, Any]:
    idle_until = time.monotonic() + args.idle
    def idle_done() -> bool:
        memory.record_idle()
        return time.monotonic() >= idle_until

    harness.poll(idle_done, args.idle + 5, "idle sampling", stack, SAMPLE_S)
    started = time.monotonic()
    job_id = harness.add_due_now(engine, scheduler_id, args.calls, nudge=nudger)
    peak = {"talking": 0, "at_s": 0.0}

    def done() -> bool:
        memory.record_busy()
        now_talking = talking_now(engine)
        if now_talking > peak["talking"]:
            peak.update(talking=now_talking, at_s=round(time.monotonic() - started, 1))
        return harness.count_finished(engine, job_id) >= args.calls

    harness.poll(done, args.timeout, f"{args.calls} calls to end", stack, SAMPLE_S)
    controller_pid = stack.processes["sip"].pid
    figures = {"ended_seconds": round(time.monotonic() - started, 1),
               "controller_cpu_s": round(harness.cpu_seconds(controller_pid), 1),
               "not_connected": harness.count_unsuccessful(engine, job_id),
               "peak_talking": peak["talking"], "peak_talking_at_s": peak["at_s"],
               "phone": str(phone.stats())}
    controller = [kib for (name, _), kib in memory.peak_kib.items() if name == "sip"]
    figures["controller_peak_mib"] = round(max(controller) / 1024, 1)
    figures["stack_peak_mib"] = round(memory.peak_total_kib / 1024, 1)
    figures["stack_idle_mib"] = round(sum(memory.idle_kib.values()) / 1024, 1)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sip_concurrent", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--talk", type=float, default=60)
    parser.add_argument("--slack", type=float, default=2, help="seconds a BYE may be late")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--idle", type=float, default=5)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args(argv)
    with harness.workdir("sip-concurrent") as work, harness.Databases() as dbs, \
            harness.redis_db() as broker_url:
        harness.say(f"sip concurrent: {args.calls} calls talking {args.talk:g} s, one "
                    f"controller, {args.workers} workers")
        figures = run(args, work, dbs, broker_url)
        talks, hung_up_by_us = talk_times_of(dbs)
    on_time = bool(talks) and all(args.talk <= t <= args.talk + args.slack for t in talks)
    met = figures["controller_peak_mib"] < TARGET_CONTROLLER_MIB and on_time and (
        hung_up_by_us == args.calls)
    harness.say(f"controller: peak RSS {figures['controller_peak_mib']} MiB, CPU "
                f"{figures['controller_cpu_s']} s; stack: peak {figures['stack_peak_mib']} MiB "
                f"(idle {figures['stack_idle_mib']} MiB)")
    harness.say(f"calls: at most {figures['peak_talking']} talking at once (at "
                f"{figures['peak_talking_at_s']} s); talk {min(talks, default=0):.1f} to "
                f"{max(talks, default=0):.1f} s for {len(talks)} connected calls; "
                f"{hung_up_by_us} B legs ended by our BYE; all ended after "
                f"{figures['ended_seconds']} s")
    harness.say(f"targets (controller < {TARGET_CONTROLLER_MIB} MiB, every call BYEd on time): "
                f"{harness.verdict(met)}")
    harness.emit_json("sip_concurrent", {
        "calls": args.calls, "talk_s": args.talk, **figures, "connected": len(talks),
        "talk_min_s": round(min(talks, default=0), 2),
        "talk_max_s": round(max(talks, default=0), 2),
        "b_legs_hung_up_by_ringback": hung_up_by_us, "target_met": met})
    return 0


def talk_times_of(dbs: harness.Databases) -> tuple[list[float], int]:
    engine = db.create_engine(support.pg_url(dbs.names[-1]))
    try:
        return talk_times(engine)
    finally:
        engine.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
