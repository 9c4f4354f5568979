"""Real calls per second through one `ringback sip` controller, against sipp's own rate.

Ringback: N tasks due now are added (api.enqueue.add_tasks, with the dispatch nudge), one
beat and W workers hand them over, one `ringback sip` places each as a 3PCC call against a
sipp phone (bench/sip/uas_any.xml, answering at once): A answers, B answers, they talk
RINGBACK_SIP_MAX_CALL_S (short), the controller BYEs both. Timed from the add until every
task is finished; the controller's CPU is profiled with cProfile when --profile is given.

Baseline, same run, same machine: sipp as UAC (bench/sip/uac_baseline.xml) calling a sipp
UAS (the same uas_any.xml) directly, with the same messages per call as Ringback exchanges
(two INVITE dialogs' worth: 15), as fast as it goes for the same number of calls.

    python -m bench.sip_rate [--calls 3000] [--workers 2] [--talk 0.2] [--profile]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from api.nudge import Nudger
from bench import harness, targets
from models.storage import db
from models.storage.tables import tasks
from tests import support
from tests.sip.sipp import Sipp

SCENARIOS = Path(__file__).resolve().parent / "sip"
TARGET_CALLS_PER_S = targets.SIP_CALLS_PER_S
TARGET_RATIO = targets.SIP_RATIO
BASELINE_CONCURRENT_CALLS = 2000
# sipp's call rate is capped: this is above what either sipp reaches here.
BASELINE_RATE_CPS = 5000


def baseline_rate(work: Path, n: int, timeout_s: float) -> float:
    """sipp UAC → sipp UAS, the same messages per call, calls/s."""
    uas = Sipp(SCENARIOS / "uas_any.xml", work, name="baseline-uas", trace=False).start()
    uac = Sipp(SCENARIOS / "uac_baseline.xml", work, name="baseline-uac", remote=uas.address,
               service="+15550001001", calls=n, rate_cps=BASELINE_RATE_CPS, trace=False,
               extra_args=["-l", str(BASELINE_CONCURRENT_CALLS)])
    try:
        started = time.monotonic()
        uac.start()
        code = uac.wait(timeout_s)
        seconds = time.monotonic() - started
        stats = uac.stats()
        if code != 0 or stats.successful != n:
            raise RuntimeError(f"baseline calls failed: {stats} {uac.errors()}")
        return n / seconds
    finally:
        uac.stop()
        uas.stop()


def ringback_rate(dbs: harness.Databases, broker_url: str, work: Path, args: argparse.Namespace
                  ) -> tuple[harness.ThroughputResult, dict[str, Any]]:
    url = dbs.fresh()
    engine = db.create_engine(url)
    nudger = Nudger(broker_url)
    phone = Sipp(SCENARIOS / "uas_any.xml", work, name="phone", trace=False).start()
    profile = args.profile
    try:
        scheduler_id = harness.new_scheduler(engine)
        env = harness.stack_env(url, broker_url, work, None, dialer="sip",
                                sip_trunk=f"sip:{phone.address}",
                                sip_listen=f"127.0.0.1:{support.free_port()}",
                                sip_max_call_s=args.talk, log_format="text")
        with harness.ringback_stack(env, work, workers=args.workers) as stack:
            argv = [sys.executable, "-m", "api.cli", "sip"]
            if args.profile:
                argv = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "api.cli",
                        "sip"]
            stack.start_command("sip", argv)
            harness.poll(lambda: "listening on" in (work / "sip.log").read_text(), 30,
                         "the controller", stack)
            result = harness.measure_throughput(engine, stack, scheduler_id, args.calls, None,
                                                nudger, args.timeout)
            sip_pid = stack.processes["sip"].pid
            cpu = harness.cpu_seconds(sip_pid)
        extra = {"controller_cpu_s": round(cpu, 2), "phone": str(phone.stats())}
        if args.profile:
            extra["profile"] = str(profile)
        return result, extra
    finally:
        phone.stop()
        nudger.close()
        if args.keep_logs is not None:
            shutil.copytree(work, args.keep_logs, dirs_exist_ok=True)
            report_outcomes(engine)
        engine.dispose()


def report_outcomes(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        for comment, n in conn.execute(sa.select(tasks.c.finish_comment, sa.func.count())
                                       .group_by(tasks.c.finish_comment)).all():
            harness.say(f"  {n:6d}  {comment}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sip_rate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--talk", type=float, default=0.2, help="seconds each call talks")
    parser.add_argument("--profile", type=Path, default=None,
                        help="write the controller's cProfile statistics to this file")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per phase")
    parser.add_argument("--keep-logs", type=Path, default=None,
                        help="copy the processes' logs here, and print the outcomes")
    args = parser.parse_args(argv)
    with harness.workdir("sip-rate") as work, harness.Databases() as dbs, \
            harness.redis_db() as broker_url:
        harness.say(f"sip rate: {args.calls} calls, {args.workers} workers, one controller")
        baseline = baseline_rate(work, args.calls, args.timeout)
        result, extra = ringback_rate(dbs, broker_url, work, args)
    rate = result.tries_per_s
    r = harness.ratio(rate, baseline)
    met = rate >= TARGET_CALLS_PER_S and r >= TARGET_RATIO
    harness.say(f"ringback: {result.tasks} calls in {result.seconds:.2f} s = {rate:.1f} calls/s "
                f"({result.not_success} not connected); controller CPU "
                f"{extra['controller_cpu_s']} s")
    harness.say(f"baseline: sipp to sipp = {baseline:.1f} calls/s")
    harness.say(f"ratio: {r:.3f} (targets >= {TARGET_CALLS_PER_S} calls/s and >= "
                f"{TARGET_RATIO}: {harness.verdict(met)})")
    harness.emit_json("sip_rate", {
        "calls": result.tasks, "workers": args.workers, "talk_s": args.talk,
        "ringback_seconds": round(result.seconds, 3), "ringback_calls_per_s": round(rate, 1),
        "not_connected": result.not_success, "baseline_sipp_calls_per_s": round(baseline, 1),
        "ratio": round(r, 3), "target_met": met, **extra})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
