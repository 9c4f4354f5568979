"""Prometheus metrics for the API's /metrics, collected from PostgreSQL at scrape time."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from api import asr
from models.storage.repository import metrics_repo, schedulers_repo

LAG_BUCKETS_S = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class RingbackCollector(Collector):
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        with self.engine.connect() as conn:
            yield _labelled(GaugeMetricFamily("ringback_tasks", "Tasks by status",
                                              labels=["status"]),
                            metrics_repo.tasks_by_status(conn))
            yield _labelled(CounterMetricFamily("ringback_tries", "Ended tries by outcome",
                                                labels=["outcome"]),
                            metrics_repo.tries_by_outcome(conn))
            yield _labelled(CounterMetricFamily(
                "ringback_webhook_deliveries", "Webhook events by delivery result",
                labels=["result"]), metrics_repo.deliveries_by_result(conn))
            yield _lag(conn)
            yield _asr(conn)


def _labelled(family: GaugeMetricFamily | CounterMetricFamily,
              values: dict[str, int]) -> Metric:
    for label, value in sorted(values.items()):
        family.add_metric([label], value)
    return family


def _lag(conn: sa.Connection) -> Metric:
    lag = metrics_repo.dispatch_lag_histogram(conn, LAG_BUCKETS_S)
    buckets = [(str(b), c) for b, c in zip(LAG_BUCKETS_S, lag.cumulative, strict=True)]
    family = HistogramMetricFamily(
        "ringback_dispatch_lag_seconds", "Seconds between a try's due time and its start")
    family.add_metric([], [*buckets, ("+Inf", lag.tries)], lag.total_s)
    return family


def _asr(conn: sa.Connection) -> Metric:
    family = GaugeMetricFamily("ringback_scheduler_asr_percent",
                               "Answer rate over each scheduler's ASR window",
                               labels=["scheduler_id"])
    for scheduler_id in metrics_repo.active_scheduler_ids(conn):
        scheduler = schedulers_repo.find_scheduler(conn, scheduler_id)
        if scheduler is None:
            continue
        measured = asr.window_asr(conn, scheduler_id, scheduler.asr_window)
        if measured.percent is not None:
            family.add_metric([str(scheduler_id)], measured.percent)
    return family
