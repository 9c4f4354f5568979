"""The task_scheduler endpoints of the seed page: schedulers, adding tasks, reading tasks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api import body, deps, enqueue, schemas, stats
from api.concurrency import threaded
from api.deps import ClientId, Cursor, PageLimit, SchedulerId, TaskId, TasksReader, TasksWriter
from api.errors import ApiError
from api.responses import SafeJSONResponse
from models import clock
from models.rules import text
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
             responses=schemas.error_responses(400, 403, 404, 413, 415),
             openapi_extra=schemas.request_body(schemas.AddTasksIn))
async def add_tasks(
    request: Request, client_id: ClientId, scheduler_id: SchedulerId, who: TasksWriter
) -> SafeJSONResponse:
    who.own(client_id)
    settings = deps.settings(request)
    raw = await body.read_json(request, settings.max_request_bytes)
    if not isinstance(raw, dict):
        raise ApiError(400, "body: must be a JSON object with a tasks array")
    unknown = sorted(set(raw) - {"tasks"})
    if unknown:
        raise ApiError(400, f"{text.field_name(unknown[0])}: is not a known field")
    if isinstance(raw.get("tasks"), list) and len(raw["tasks"]) > settings.max_tasks_per_request:
        raise ApiError(413, f"tasks: at most {settings.max_tasks_per_request} tasks per request")
    added = await threaded(
        enqueue.add_tasks, deps.engine(request), client_id, scheduler_id, raw.get("tasks"),
        clock.now(), max_tasks=settings.max_tasks_per_request, nudge=deps.nudger(request),
        tracking_id=_tracking_id(request), created_by=f"token:{who.token_id}",
        dialer=settings.dialer,
    )
    return SafeJSONResponse({"job_id": added.job_id, "tasks": added.tasks}, status_code=201)


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


def _tracking_id(request: Request) -> str | None:
    """The seed's `TrackingID` header, kept on the job (one is made up when absent)."""
    value = request.headers.get("trackingid", "").strip()
    return value[:100] or None
