"""The throughput baseline: a plain Celery app whose one task INCRs a Redis key.

The broker comes from ``BENCH_BROKER_URL``; the counter lives in the same Redis database,
so completion is observable without a result backend. Configured as Ringback's app is
where it matters for speed (late acks, results ignored); everything else is Celery's
default.
"""

from __future__ import annotations

import os

import redis
from celery import Celery

COUNTER_KEY = "bench:noop:done"
TASK_NAME = "bench.noop"

app = Celery("bench_noop", broker=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13"))
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
)

_client: tuple[int, redis.Redis] | None = None


def _redis() -> redis.Redis:
    """One client per process (rebuilt after the prefork fork)."""
    global _client
    if _client is None or _client[0] != os.getpid():
        _client = (os.getpid(), redis.Redis.from_url(app.conf.broker_url))
    return _client[1]


@app.task(name=TASK_NAME)  # type: ignore[untyped-decorator]
def noop() -> None:
    _redis().incr(COUNTER_KEY)
