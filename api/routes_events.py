"""Events: the per-client server-sent event stream, a task's deliveries, webhook secrets."""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import PlainTextResponse, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.concurrency import run_in_threadpool

from api import deps, schemas
from api.access import Scope
from api.auth import Principal, require
from api.deps import ClientId, SchedulerId, TaskId, TasksReader, TasksWriter
from api.errors import ApiError
from api.metrics import RingbackCollector
from models import clock
from models.rules import timefmt
from models.shapes import rows
from models.storage.repository import clients_repo, events_repo, task_reads

router = APIRouter()
STREAM_POLL_INTERVAL_S = 0.5
STREAM_KEEPALIVE_S = 15.0
STREAM_BATCH_MAX = 500
EventReader = Annotated[Principal, Depends(require(Scope.EVENTS_READ))]


@router.get("/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}},
                       **schemas.error_responses(400, 403)})
async def event_stream(
    request: Request, who: EventReader,
    last_event_id: Annotated[str | None, Header(
        pattern=deps.ID_TEXT_PATTERN,
        description="the id of the last event received: the stream goes on after it")] = None,
    follow: Annotated[bool, Query(description="false: send what there is, then close")] = True,
) -> StreamingResponse:
    """The token's client's events as server-sent events; resume with `Last-Event-ID`."""
    return StreamingResponse(
        _stream(request, deps.engine(request), who.client_id, int(last_event_id or 0), follow),
        media_type="text/event-stream", headers={"Cache-Control": "no-store"})


async def _stream(
    request: Request, engine: sa.Engine, client_id: int, after: int, follow: bool
) -> AsyncIterator[str]:
    idle_s = 0.0
    while not await request.is_disconnected():
        batch = await run_in_threadpool(_read, engine, client_id, after)
        for event in batch:
            after = event.seq
            yield f"id: {event.seq}\nevent: {event.type}\ndata: {json.dumps(event.payload)}\n\n"
        if batch:
            idle_s = 0.0
            continue
        if not follow:
            return
        if idle_s >= STREAM_KEEPALIVE_S:
            idle_s = 0.0
            yield ": keep-alive\n\n"
        await asyncio.sleep(STREAM_POLL_INTERVAL_S)
        idle_s += STREAM_POLL_INTERVAL_S


def _read(engine: sa.Engine, client_id: int, after: int) -> list[rows.StreamedEvent]:
    with engine.connect() as conn:
        return events_repo.stream_after(conn, client_id, after, STREAM_BATCH_MAX, clock.now())


@router.get("/client/{client_id}/task_scheduler/{scheduler_id}/task/{task_id}/events",
            response_model=list[schemas.TaskEventOut],
            responses=schemas.error_responses(400, 403, 404))
def task_events(
    request: Request, client_id: ClientId, scheduler_id: SchedulerId, task_id: TaskId,
    who: TasksReader,
) -> list[dict[str, Any]]:
    """Every event of a task with its webhook delivery: where a final failure shows."""
    who.own(client_id)
    with deps.engine(request).connect() as conn:
        task = task_reads.find_task(conn, client_id, task_id)
        if task is None or task.scheduler_id != scheduler_id:
            raise ApiError(404, f"task_id: task {task_id} not found in scheduler {scheduler_id}")
        found = events_repo.task_events(conn, client_id, task_id)
    return [{
        "id": r.id, "type": r.type, "attempt_no": r.attempt_no,
        "time": timefmt.format(r.created_at), "target_url": r.target_url,
        "delivery_status": r.delivery_status, "delivery_attempts": r.delivery_attempts,
        "delivered_at": timefmt.format(r.delivered_at),
        "last_delivery_error": r.last_delivery_error,
    } for r in found]


@router.get("/client/{client_id}/webhook_secret", response_model=schemas.WebhookSecrets,
            responses=schemas.error_responses(400, 403, 404))
def webhook_secrets(request: Request, client_id: ClientId, who: EventReader) -> dict[str, Any]:
    """The secrets webhooks are signed with now, the current one first."""
    who.own(client_id)
    with deps.engine(request).begin() as conn:
        secrets = clients_repo.signing_secrets(conn, [client_id], clock.now())
    return {"secrets": secrets.get(client_id, [])}


@router.post("/client/{client_id}/webhook_secret/rotate", response_model=schemas.WebhookSecrets,
             responses=schemas.error_responses(400, 403, 404))
def rotate_webhook_secret(
    request: Request, client_id: ClientId, who: TasksWriter
) -> dict[str, Any]:
    """A new secret; webhooks carry both signatures until the overlap has passed."""
    who.own(client_id)
    now = clock.now()
    with deps.engine(request).begin() as conn:
        clients_repo.rotate_secret(conn, client_id, now,
                                  deps.settings(request).webhook_secret_overlap_s)
        secrets = clients_repo.signing_secrets(conn, [client_id], now)
    return {"secrets": secrets.get(client_id, [])}


@router.get("/metrics", response_class=PlainTextResponse,
            # The token is optional: none is needed when RINGBACK_METRICS_OPEN is set.
            openapi_extra={"security": [{}, {"bearer": []}]},
            responses={200: {"content": {"text/plain": {}}},
                       401: {"description": "the metrics token is missing or wrong",
                             "content": {"application/json": {"schema": {
                                 "$ref": "#/components/schemas/ErrorBody"}}}}})
def metrics(request: Request) -> PlainTextResponse:
    """Prometheus text format. A scraper sends `Bearer <RINGBACK_METRICS_TOKEN>`; with no
    token set, /metrics is closed unless RINGBACK_METRICS_OPEN=true."""
    settings = deps.settings(request)
    if not _metrics_allowed(settings.metrics_token, settings.metrics_open,
                            request.headers.get("authorization", "")):
        raise ApiError(401, "Authorization: /metrics needs the metrics token "
                            "(RINGBACK_METRICS_TOKEN)", headers={"WWW-Authenticate": "Bearer"})
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RingbackCollector(deps.engine(request)))
    return PlainTextResponse(generate_latest(registry).decode(),
                             media_type=CONTENT_TYPE_LATEST)


def _metrics_allowed(token: str | None, open_without_token: bool, given: str) -> bool:
    if not token:
        return open_without_token
    # Constant time: how much of the token a guess got right must not show in the timing.
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"),
                               f"Bearer {token}".encode("utf-8", "surrogatepass"))
