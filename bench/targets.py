"""Every benchmark's target, in one place, and the figure bench.compare reads of each.

The compass figures (issue 26): end-to-end tries at least as fast as Celery running a task
that does nothing (a ratio of 1.0: only batching can get there), and one SIP controller at
450 calls/s and a tenth of sipp talking to itself. The others keep what each benchmark
was written to show.
"""

from __future__ import annotations

from dataclasses import dataclass

# bench.throughput: tries/s end to end ÷ Celery no-op tasks/s, same run.
THROUGHPUT_RATIO = 1.0
# bench.sip_rate: one controller's calls/s, and that ÷ sipp-to-sipp calls/s, same run.
SIP_CALLS_PER_S = 450.0
SIP_RATIO = 0.1
# bench.sip_concurrent: the controller's peak memory with 10,000 calls talking.
SIP_CONTROLLER_MIB = 1024
# bench.dispatch_lag and the benchmarks that measure it under a load.
LAG_P99_MS = 250.0
# bench.backlog, bench.dnc: throughput and lag with the load within this of without it.
LOADED_WITHIN = 0.10
# bench.bulk_add: one request's tasks/s ÷ PostgreSQL COPY of the same rows.
BULK_ADD_RATIO = 0.25
# bench.completion: a transaction of 100 tries ÷ one of 1,000 (p50), and tries/s.
COMPLETION_P50_RATIO = 0.25
COMPLETION_RATE_RATIO = 0.7


@dataclass(frozen=True)
class Headline:
    """The figure of a benchmark's closing JSON line that bench.compare compares."""

    key: str
    higher_is_better: bool
    unit: str


HEADLINES: dict[str, Headline] = {
    "throughput": Headline("ringback_tries_per_s", True, "tries/s"),
    "sip_rate": Headline("ringback_calls_per_s", True, "calls/s"),
    "dispatch_lag": Headline("runs.0.p99_ms", False, "ms, p99 at the first rate"),
    "backlog": Headline("throughput_ratio", True, "loaded ÷ empty tries/s"),
    "dnc": Headline("throughput_ratio", True, "loaded ÷ empty tries/s"),
    "held_windows": Headline("p99_ratio", False, "loaded ÷ baseline lag p99"),
    "bulk_add": Headline("ratio", True, "÷ COPY rows/s"),
    "completion": Headline("rate_ratio", True, "÷ 1,000-try batches' tries/s"),
    "inflight": Headline("total_ratio", False, "peak ÷ idle memory"),
    "sip_concurrent": Headline("controller_peak_mib", False, "MiB"),
}


def headline_of(figures: dict[str, object], key: str) -> float | None:
    """The figure at ``key`` ("runs.0.p99_ms": dotted, list indexes as numbers), or None
    when the run's JSON lacks it (an older benchmark's)."""
    found: object = figures
    for part in key.split("."):
        if isinstance(found, dict):
            found = found.get(part)
        elif isinstance(found, list) and part.isdigit() and int(part) < len(found):
            found = found[int(part)]
        else:
            return None
    return float(found) if isinstance(found, int | float) else None
