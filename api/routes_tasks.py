"""The task_scheduler endpoints of the seed page: schedulers, adding tasks, reading tasks."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request

from api import (
    body,
    deps,
    enqueue,
    idempotency,
    preview,
    schemas,
    schemas_intake,
    stats,
    why,
)
from api.concurrency import threaded
from api.deps import ClientId, Cursor, PageLimit, SchedulerId, TaskId, TasksReader, TasksWriter
from api.errors import ApiError
from api.responses import SafeJSONResponse
from models import clock
from models.rules import text
from models.rules.errors import FieldError
from models.rules.intake import DncPolicy
from models.rules.task_state import TaskStatus
from models.shapes import rows, views
from models.storage.repository import task_reads

router = APIRouter()
SCHEDULERS = "/client/{client_id}/task_scheduler"


@router.post(f"{SCHEDULERS}/", status_code=201, response_model=schemas.SchedulerOut,
             responses=schemas.error_responses(400, 403, 404, 409, 413, 415),
             openapi_extra=schemas.request_body(schemas.SchedulerIn))
async def create_scheduler(
    request: Request, client_id: ClientId, who: TasksWriter
) -> SafeJSONResponse:
    who.own(client_id)
    raw = await body.read_json(request, deps.settings(request).max_request_bytes)
    created = await threaded(enqueue.create_scheduler, deps.engine(request), client_id, raw,
                              clock.now())
    return SafeJSONResponse(created, status_code=201)


@router.get(f"{SCHEDULERS}/{{scheduler_id}}", response_model=schemas.SchedulerOut,
            responses=schemas.error_responses(400, 403, 404))
def get_scheduler(
    request: Request, client_id: ClientId, scheduler_id: SchedulerId, who: TasksReader
) -> dict[str, Any]:
    who.own(client_id)
    return enqueue.get_scheduler(deps.engine(request), client_id, scheduler_id)


@router.patch(f"{SCHEDULERS}/{{scheduler_id}}", response_model=schemas.SchedulerOut,
              responses=schemas.error_responses(400, 403, 404, 409, 413, 415),
              openapi_extra=schemas.request_body(schemas.SchedulerPatch))
async def update_scheduler(
    request: Request, client_id: ClientId, scheduler_id: SchedulerId, who: TasksWriter
) -> SafeJSONResponse:
    who.own(client_id)
    raw = await body.read_json(request, deps.settings(request).max_request_bytes)
    updated = await threaded(enqueue.update_scheduler, deps.engine(request), client_id,
                              scheduler_id, raw, clock.now())
    return SafeJSONResponse(updated)


@router.get(f"{SCHEDULERS}/{{scheduler_id}}/stats", response_model=schemas.SchedulerStats,
            responses=schemas.error_responses(400, 403, 404))
def scheduler_stats(
    request: Request, client_id: ClientId, scheduler_id: SchedulerId, who: TasksReader
) -> dict[str, Any]:
    who.own(client_id)
    return stats.scheduler_stats(deps.engine(request), client_id, scheduler_id, clock.now())


@router.post(f"{SCHEDULERS}/{{scheduler_id}}/tasks/", status_code=201,
             response_model=schemas.AddTasksOut,
             responses={**schemas.error_responses(400, 403, 404, 409, 413, 415),
                        200: {"model": schemas_intake.DryRunOut,
                              "description": "dry_run=true: what adding would do"}},
             openapi_extra=schemas.request_body(schemas.AddTasksIn))
async def add_tasks(
    request: Request, client_id: ClientId, scheduler_id: SchedulerId, who: TasksWriter,
    on_dnc: Annotated[DncPolicy, Query(description=(
        "a task whose B number (or every A number) is on a do-not-call list: refuse "
        "(400 naming the field) or finish (stored and ended at once, the list named)"))
    ] = DncPolicy.REFUSE,
    dry_run: Annotated[bool, Query(description=(
        "say what adding would do to each task (refuse, end at once, merge, hold, dial "
        "now) and why, storing nothing"))] = False,
    idempotency_key: Annotated[str | None, Header(
        alias=idempotency.HEADER, pattern=idempotency.KEY_PATTERN,
        description=("the same key and request within 24 h answer as the first did and "
                     "store nothing; with another request, 409"))] = None,
) -> SafeJSONResponse:
    who.own(client_id)
    settings = deps.settings(request)
    raw = await _tasks_body(request, settings.max_request_bytes, settings.max_tasks_per_request)
    if dry_run:
        return SafeJSONResponse(await threaded(
            preview.preview_tasks, deps.engine(request), client_id, scheduler_id,
            raw.get("tasks"), clock.now(), max_tasks=settings.max_tasks_per_request,
            dialer=settings.dialer, on_dnc=on_dnc,
            margin=timedelta(seconds=settings.calling_window_margin_s)))
    key = idempotency.parse(idempotency_key, request.url.path, {"on_dnc": on_dnc.value}, raw)
    try:
        added = await threaded(
            enqueue.add_tasks, deps.engine(request), client_id, scheduler_id,
            raw.get("tasks"), clock.now(), max_tasks=settings.max_tasks_per_request,
            nudge=deps.nudger(request), tracking_id=_tracking_id(request),
            created_by=f"token:{who.token_id}", dialer=settings.dialer, on_dnc=on_dnc,
            key=key)
    except idempotency.KeyReused as reused:
        raise ApiError(409, str(reused), fields=[FieldError(reused.field, reused.rule)]
                       ) from None
    return SafeJSONResponse(added.document(), status_code=201)


@router.get(f"{SCHEDULERS}/{{scheduler_id}}/task/{{task_id}}", response_model=schemas.TaskOut,
            responses=schemas.error_responses(400, 403, 404))
def get_task(
    request: Request, client_id: ClientId, scheduler_id: SchedulerId, task_id: TaskId,
    who: TasksReader,
) -> dict[str, Any]:
    who.own(client_id)
    task = enqueue.get_task(deps.engine(request), client_id, task_id)
    if task is None or task["scheduler_id"] != scheduler_id:
        raise ApiError(404, f"task_id: task {task_id} not found in scheduler {scheduler_id}")
    return task


@router.get(f"{SCHEDULERS}/{{scheduler_id}}/task/{{task_id}}/why",
            response_model=schemas_intake.WhyOut,
            responses=schemas.error_responses(400, 403, 404))
def why_task(
    request: Request, client_id: ClientId, scheduler_id: SchedulerId, task_id: TaskId,
    who: TasksReader,
) -> dict[str, Any]:
    """What holds the task now and when it is next eligible: its start, a retry's pause,
    the calling window (with the local time and zone), a number cap, the concurrency
    limit, the interval, an ASR hold, a pause of its job or scheduler, a do-not-call list;
    or that a try is running, or that it is due and the next dispatch round dials it."""
    who.own(client_id)
    engine = deps.engine(request)
    task = why.find(engine, client_id, task_id)
    if task is None or task.scheduler_id != scheduler_id:
        raise ApiError(404, f"task_id: task {task_id} not found in scheduler {scheduler_id}")
    margin = timedelta(seconds=deps.settings(request).calling_window_margin_s)
    return why.explain_task(engine, task, clock.now(), margin)


@router.get(f"{SCHEDULERS}/{{scheduler_id}}/tasks/", response_model=schemas.TaskPage,
            responses=schemas.error_responses(400, 403, 404))
def list_tasks(
    request: Request, client_id: ClientId, scheduler_id: SchedulerId, who: TasksReader,
    status: Annotated[TaskStatus | None, Query()] = None,
    cursor: Cursor = None,
    limit: PageLimit = 100,
) -> dict[str, Any]:
    who.own(client_id)
    engine = deps.engine(request)
    enqueue.get_scheduler(engine, client_id, scheduler_id)  # 404 for an unknown scheduler
    with engine.connect() as conn:
        page = task_reads.list_tasks(conn, client_id, scheduler_id, status=status,
                                     after_id=int(cursor or 0), limit=limit)
    next_cursor = str(page[-1].id) if len(page) == limit else None
    return {"tasks": [views.task_object(rows.as_dict(task)) for task in page],
            "next_cursor": next_cursor}


async def _tasks_body(request: Request, max_bytes: int, max_tasks: int) -> dict[str, Any]:
    """``{"tasks": [...]}``; 400 for any other shape or field, 413 past ``max_tasks``."""
    raw = await body.read_json(request, max_bytes)
    if not isinstance(raw, dict):
        raise ApiError(400, "body: must be a JSON object with a tasks array")
    unknown = sorted(set(raw) - {"tasks"})
    if unknown:
        raise ApiError(400, f"{text.field_name(unknown[0])}: is not a known field")
    if isinstance(raw.get("tasks"), list) and len(raw["tasks"]) > max_tasks:
        raise ApiError(413, f"tasks: at most {max_tasks} tasks per request")
    return raw


def _tracking_id(request: Request) -> str | None:
    """The seed's `TrackingID` header, kept on the job (one is made up when absent)."""
    value = request.headers.get("trackingid", "").strip()
    return value[:100] or None
