"""The Celery app. Its configuration is read from the settings when Celery first needs it,
so importing this module reads no environment and opens no connection."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from celery import Celery, signals
from kombu.entity import Queue

from models import json_logs
from models.settings import Settings
from scheduler import beat, names
from worker import runtime

SQLITE_BROKER_BUSY_TIMEOUT_S = 30


def broker_transport_options(settings: Settings) -> dict[str, Any]:
    if settings.broker_url.startswith("sqla+"):
        # kombu hands these to SQLAlchemy's create_engine: wait on SQLite's lock, not fail.
        return {"connect_args": {"timeout": SQLITE_BROKER_BUSY_TIMEOUT_S}}
    return {"visibility_timeout": settings.broker_visibility_timeout_s}


def celery_config(settings: Settings) -> dict[str, Any]:
    config: dict[str, Any] = {
        "broker_url": settings.broker_url,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": broker_transport_options(settings),
        # Acked after the work, so a killed worker's message is delivered again; every
        # task is safe to run twice.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_ignore_result": True,
        "task_queues": tuple(Queue(queue) for queue in names.QUEUES),
        "task_default_queue": names.CALLS_QUEUE,
        "task_routes": {task: {"queue": queue} for task, queue in names.QUEUE_OF.items()},
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        "beat_schedule": beat.schedule(settings),
        "beat_scheduler": "worker.beat_scheduler:DispatchingScheduler",
        "timezone": "UTC",
        "enable_utc": True,
    }
    if settings.beat_schedule_file is not None:
        config["beat_schedule_filename"] = str(settings.beat_schedule_file)
    return config


class _LazyConfig(Mapping[str, Any]):
    """A mapping Celery reads its configuration from, built on first read."""

    def __init__(self, build: Callable[[], dict[str, Any]]) -> None:
        self._build = build
        self._data: dict[str, Any] | None = None

    def _loaded(self) -> dict[str, Any]:
        if self._data is None:
            self._data = self._build()
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self._loaded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


def create_app() -> Celery:
    app = Celery("ringback")
    app.config_from_object(_LazyConfig(lambda: celery_config(runtime.process_settings())))
    return app


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _json_logs(logger: logging.Logger, **_: Any) -> None:
    if runtime.process_settings().log_format == "json":
        json_logs.use_json(logger)


app = create_app()
