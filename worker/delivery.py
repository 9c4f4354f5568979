"""Delivering outbox events as signed webhooks. The Celery task only leases a batch and
hands each event to this process's thread pool, so a slow receiver holds a thread, never
a worker process, and never the events of other tasks or clients. What each request led
to is written by one writer thread a batch at a time, not a transaction per event; when
the last lease was full, the writer leases again as soon as it has freed room, so a burst
of events is sent at the receivers' pace rather than one lease per beat tick."""

from __future__ import annotations

import json
import logging
import os
import queue
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from models import clock
from models.rules import webhooks
from models.shapes.rows import LeasedEvent
from models.storage.repository import clients_repo, events_repo
from worker.runtime import Runtime
from worker.webhook_senders import WebhookRequest

log = logging.getLogger(__name__)
# A lease outlives the request's timeout by this much before another worker may retry.
LEASE_GRACE_S = 30.0
# Events leased per thread at most: the queue a thread may have ahead of it, each at most
# one timeout long, so a lease always outlasts its event's wait and request.
QUEUED_PER_THREAD = 4
# Results written per transaction at most.
RESULTS_PER_WRITE_MAX = 500
Result = events_repo.DeliveryResult


@dataclass
class _Deliveries:
    """This process's webhook threads, the events they hold, and the results' writer."""

    pid: int
    executor: ThreadPoolExecutor
    results: queue.SimpleQueue[Result]
    held: int = 0  # leased, not yet written
    more_due: bool = False  # the last lease took all the room: more events may be due
    lock: threading.Lock = field(default_factory=threading.Lock)
    lease_lock: threading.Lock = field(default_factory=threading.Lock)


_deliveries: _Deliveries | None = None


def _for_process(runtime: Runtime) -> _Deliveries:
    """Built after the prefork fork: threads do not survive one."""
    global _deliveries
    if _deliveries is None or _deliveries.pid != os.getpid():
        size = runtime.settings.webhook_concurrency
        _deliveries = _Deliveries(os.getpid(), ThreadPoolExecutor(size, "webhook"),
                                  queue.SimpleQueue())
        threading.Thread(target=_write_results, args=(runtime, _deliveries),
                         name="webhook-results", daemon=True).start()
    return _deliveries


def deliver_events(runtime: Runtime) -> int:
    """Lease due events and send each in the background; returns how many were leased."""
    return _lease(runtime, _for_process(runtime))


def _lease(runtime: Runtime, deliveries: _Deliveries) -> int:
    settings = runtime.settings
    with deliveries.lease_lock:
        room = QUEUED_PER_THREAD * settings.webhook_concurrency - deliveries.held
        if room <= 0:
            return 0
        now = clock.now()
        lease_s = QUEUED_PER_THREAD * settings.webhook_timeout_s + LEASE_GRACE_S
        with runtime.engine.begin() as conn:
            leased = events_repo.claim_deliveries(
                conn, now, now + timedelta(seconds=lease_s), room)
            secrets = clients_repo.signing_secrets(conn, {e.client_id for e in leased}, now)
        with deliveries.lock:
            deliveries.held += len(leased)
        deliveries.more_due = len(leased) == room
    for event in leased:
        deliveries.executor.submit(deliver_one, runtime, deliveries, event,
                                   secrets[event.client_id])
    return len(leased)


def deliver_one(runtime: Runtime, deliveries: _Deliveries, event: LeasedEvent,
                secrets: list[str]) -> None:
    try:
        result = _deliver(runtime, event, secrets)
    except Exception as error:
        # Recorded as a failed try like any other, so the cap of tries still ends it: left
        # to its lease, the same failure would come back every lease, forever.
        log.exception("webhook delivery of event %s failed unexpectedly", event.id)
        result = _failed_try(runtime, event, f"{type(error).__name__}: {error}")
    deliveries.results.put(result)


def _retry_policy(runtime: Runtime) -> webhooks.RetryPolicy:
    settings = runtime.settings
    return webhooks.RetryPolicy(settings.webhook_retry_base_s, settings.webhook_retry_cap_s,
                                settings.webhook_max_attempts)


def _failed_try(runtime: Runtime, event: LeasedEvent, error: str) -> Result:
    outcome = webhooks.after_response(None, event.delivery_attempts, clock.now(),
                                      _retry_policy(runtime), random.random(), None)
    return Result(event.seq, event.delivery_attempts, outcome, error)


def _deliver(runtime: Runtime, event: LeasedEvent, secrets: list[str]) -> Result:
    body = json.dumps(event.payload, separators=(",", ":")).encode()
    timestamp = int(clock.now().timestamp())
    headers = {
        "content-type": "application/json",
        "webhook-id": event.id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": webhooks.signature_header(secrets, event.id, timestamp, body),
    }
    response = runtime.webhook_sender.send(WebhookRequest(event.target_url, headers, body))
    outcome = (webhooks.Next(webhooks.Verdict.GIVE_UP) if response.refused else
               webhooks.after_response(response.status_code, event.delivery_attempts,
                                       clock.now(), _retry_policy(runtime), random.random(),
                                       response.retry_after_s))
    return Result(event.seq, event.delivery_attempts, outcome, response.error)


def _write_results(runtime: Runtime, deliveries: _Deliveries) -> None:
    """Forever: wait for a result, take every other one waiting, write them at once; then
    lease again if the last lease left events behind."""
    while True:
        batch = [deliveries.results.get()]
        while len(batch) < RESULTS_PER_WRITE_MAX:
            try:
                batch.append(deliveries.results.get_nowait())
            except queue.Empty:
                break
        try:
            with runtime.engine.begin() as conn:
                events_repo.record_deliveries(conn, batch, clock.now())
        except Exception:
            # Unwritten results: their leases run out and the events are sent again.
            log.exception("recording %d webhook results failed", len(batch))
        with deliveries.lock:
            deliveries.held -= len(batch)
        if deliveries.more_due:
            try:
                _lease(runtime, deliveries)
            except Exception:
                log.exception("leasing more webhook events failed; the next tick will")
