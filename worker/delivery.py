"""Delivering outbox events as signed webhooks. The Celery task only leases a batch and
hands each event to this process's thread pool, so a slow receiver holds a thread, never
a worker process, and never the events of other tasks or clients."""

from __future__ import annotations

import json
import logging
import os
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from models import clock, webhooks
from models.repository import common, events_repo
from worker.runtime import Runtime
from worker.webhook_senders import WebhookRequest

log = logging.getLogger(__name__)
# A lease outlives the request's timeout by this much before another worker may retry.
LEASE_GRACE_S = 30.0
_pool: tuple[int, ThreadPoolExecutor] | None = None


def _executor(size: int) -> ThreadPoolExecutor:
    global _pool
    if _pool is None or _pool[0] != os.getpid():
        _pool = (os.getpid(), ThreadPoolExecutor(size, thread_name_prefix="webhook"))
    return _pool[1]


def deliver_events(runtime: Runtime, batch_max: int | None = None, wait: bool = False) -> int:
    """Lease due events and send each in the background; returns how many were leased."""
    settings = runtime.settings
    now = clock.now()
    lease_until = now + timedelta(seconds=settings.webhook_timeout_s + LEASE_GRACE_S)
    with runtime.engine.begin() as conn:
        leased = events_repo.claim_deliveries(
            conn, now, lease_until, batch_max or settings.webhook_concurrency)
        secrets = events_repo.signing_secrets(conn, {e.client_id for e in leased}, now)
    futures = [_executor(settings.webhook_concurrency).submit(
        deliver_one, runtime, event, secrets[event.client_id]) for event in leased]
    if wait:  # for callers that drain deterministically
        for future in futures:
            future.result()
    return len(leased)


def deliver_one(runtime: Runtime, event: common.Row, secrets: list[str]) -> None:
    try:
        _deliver(runtime, event, secrets)
    except Exception:
        # The lease runs out and the event is tried again; nothing is lost.
        log.exception("webhook delivery of event %s failed unexpectedly", event.id)


def _deliver(runtime: Runtime, event: common.Row, secrets: list[str]) -> None:
    settings = runtime.settings
    body = json.dumps(event.payload, separators=(",", ":")).encode()
    timestamp = int(clock.now().timestamp())
    headers = {
        "content-type": "application/json",
        "webhook-id": event.id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": webhooks.signature_header(secrets, event.id, timestamp, body),
    }
    response = runtime.webhook_sender.send(WebhookRequest(event.target_url, headers, body))
    policy = webhooks.RetryPolicy(settings.webhook_retry_base_s, settings.webhook_retry_cap_s,
                                  settings.webhook_max_attempts)
    now = clock.now()
    outcome = (webhooks.Next(webhooks.Verdict.GIVE_UP) if response.refused else
               webhooks.after_response(response.status_code, event.delivery_attempts, now,
                                       policy, random.random(), response.retry_after_s))
    with runtime.engine.begin() as conn:
        events_repo.record_delivery(conn, event.seq, event.delivery_attempts, outcome,
                                    response.error, now)
