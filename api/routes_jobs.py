"""Job control and job status: the "change job status", "suspend a call batch", "reschedule
record" and "get job status" pages, and scheduler-wide pause and resume."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response

from api import body, deps, job_control, record_input, schemas
from api.access import Scope
from api.auth import Principal, require
from api.concurrency import threaded
from api.deps import ClientId, Cursor, PageLimit, SchedulerId
from api.errors import ApiError
from api.responses import SafeJSONResponse
from models import clock
from models.rules import job_state, limits, text
from models.rules.errors import FieldError, InvalidInput
from models.storage.repository import jobs_repo

router = APIRouter()
Controller = Annotated[Principal, Depends(require(Scope.JOBS_CONTROL))]
Reader = Annotated[Principal, Depends(require(Scope.JOBS_READ))]
# A job's id is an opaque string (the seeds address jobs by UUID-like ids): any text is
# taken, and one that names no job of the client, well-formed or not, answers 404.
JobId = Annotated[str, Path(description="the job's id, as adding tasks answered it")]


class JobAction(StrEnum):
    """The actions of the "change job status" page (resume is implied by the seeds)."""

    CANCEL = "cancel"
    PAUSE = "pause"
    RESTART = "restart"
    RESUME = "resume"


def _job(job_id: str) -> int:
    """The job's row id; 404 for any text that is not one."""
    if text.is_ascii_digits(job_id, limits.ID_DIGITS_MAX) and int(job_id) >= 1:
        return int(job_id)
    raise ApiError(404, "job_id: no such job", fields=[FieldError("job_id", "names no job")])


# The seed's path parameters, read by the route itself (a bad one answers the seed's
# parameter error): their rules are documented, not enforced by FastAPI.
VdnId = Annotated[str, Path(description="the client (VCC) id, 1 to 9999",
                            json_schema_extra={"pattern": "^[1-9][0-9]{0,3}$"})]
CampaignId = Annotated[str, Path(description="the scheduler (campaign) id",
                                 json_schema_extra={"pattern": "^[1-9][0-9]{0,17}$"})]


def _send(request: Request) -> job_control.SendAction:
    return deps.nudger(request).send_action


@router.post("/interactions/jobs/{job_id}/{action}", status_code=204,
             response_class=Response,
             responses=schemas.error_responses(400, 403, 404, 409))
def change_job_status(
    request: Request, job_id: JobId, action: JobAction, who: Controller
) -> Response:
    """cancel, pause, restart (and resume, which the seeds imply) as DESIGN.md's table says;
    the reply is true when sent, the tasks follow as the worker applies it."""
    row_id = _job(job_id)
    trigger = job_control.parse_action(action.value)
    try:
        job_control.request_job_action(deps.engine(request), who.client_id, row_id, trigger,
                                       clock.now(), _send(request))
    except job_control.JobNotFound as missing:
        raise ApiError(404, str(missing)) from missing
    except job_state.ActionRefused as refused:
        raise ApiError(409, f"status: {refused}") from refused
    return Response(status_code=204)


@router.get("/jobs/{job_id}", response_model=schemas.JobDocument,
            responses=schemas.error_responses(400, 403, 404))
def get_job(request: Request, job_id: JobId, who: Reader) -> dict[str, Any]:
    try:
        return job_control.job_status_document(deps.engine(request), who.client_id,
                                               _job(job_id), clock.now())
    except job_control.JobNotFound as missing:
        raise ApiError(404, str(missing)) from missing


@router.get("/jobs", response_model=schemas.JobPage,
            responses=schemas.error_responses(400, 403))
def list_jobs(
    request: Request, who: Reader,
    cursor: Cursor = None,
    limit: PageLimit = 100,
) -> dict[str, Any]:
    engine = deps.engine(request)
    with engine.connect() as conn:
        rows = jobs_repo.list_jobs(conn, who.client_id, int(cursor or 0), limit)
    documents = [job_control.job_status_document(engine, who.client_id, r.id, clock.now())
                 for r in rows]
    return {"jobs": documents, "next_cursor": str(rows[-1].id) if len(rows) == limit else None}


@router.post("/client/{client_id}/task_scheduler/{scheduler_id}/pause",
             response_model=schemas.SchedulerOut,
             responses=schemas.error_responses(400, 403, 404))
def pause_scheduler(
    request: Request, client_id: ClientId, scheduler_id: SchedulerId, who: Controller
) -> dict[str, Any]:
    who.own(client_id)
    return job_control.pause_scheduler(deps.engine(request), client_id, scheduler_id, True,
                                       clock.now())


@router.post("/client/{client_id}/task_scheduler/{scheduler_id}/resume",
             response_model=schemas.SchedulerOut,
             responses=schemas.error_responses(400, 403, 404))
def resume_scheduler(
    request: Request, client_id: ClientId, scheduler_id: SchedulerId, who: Controller
) -> dict[str, Any]:
    who.own(client_id)
    return job_control.pause_scheduler(deps.engine(request), client_id, scheduler_id, False,
                                       clock.now())


@router.post("/rest/isales/v1/openapi/campaigns/{vdn_id}/callbatch/{campaign_id}/pause",
             response_model=schemas.BatchResult,
             responses={**schemas.error_responses(403),
                        **{status: {"model": schemas.BatchResult} for status in (400, 404, 409)}},
             openapi_extra=schemas.request_body(schemas.BatchPauseIn))
async def suspend_call_batch(
    request: Request, vdn_id: VdnId, campaign_id: CampaignId, who: Controller
) -> SafeJSONResponse:
    """Suspend a batch (a job) of a campaign (a scheduler). The body is the seed's codes; a
    parameter error answers 400, an unknown campaign or batch 404, a batch that cannot be
    suspended (or already is) 409."""
    try:
        raw = await body.read_json(request, limits.SMALL_BODY_BYTES_MAX)
    except ApiError:
        raw = None
    code, desc = await threaded(
        job_control.suspend_batch, deps.engine(request), who.client_id, vdn_id, campaign_id, raw,
        _send(request))
    return SafeJSONResponse({"resultCode": code, "resultDesc": desc,
                             "returnCode": code, "returnDesc": desc},
                            status_code=job_control.BATCH_RESULT_STATUS[code])


@router.post("/api/v2/me/outbound-records/{record_handle}", response_model=schemas.RecordResult,
             responses={400: {"model": schemas.RecordResult},
                        404: {"model": schemas.RecordResult},
                        409: {"model": schemas.RecordResult},
                        **schemas.error_responses(403, 415)},
             openapi_extra=schemas.request_body(schemas.RescheduleRecordIn))
async def reschedule_record(
    request: Request, record_handle: str, who: Controller
) -> SafeJSONResponse:
    """Move a record (a task) to a new time; acknowledged on the event stream by referenceId."""
    try:
        raw = await body.read_json(request, limits.SMALL_BODY_BYTES_MAX)
    except ApiError as unreadable:
        if unreadable.status != 400:
            raise
        return _record_error(400, 1, unreadable.message)  # this page's own error shape
    if not record_input.is_record_handle(record_handle):  # no shape of a record: none found
        return _record_error(404, 2, f"record {text.field_name(record_handle)} not found")
    try:
        task_id, params = record_input.reschedule(record_handle, raw)
        await threaded(job_control.request_reschedule, deps.engine(request), who.client_id,
                               task_id, params, clock.now(), _send(request))
    except InvalidInput as invalid:
        return _record_error(400, 1, str(invalid))
    except job_control.RecordNotFound as missing:
        return _record_error(404, 2, str(missing))
    except job_control.RecordNotReschedulable as refused:
        return _record_error(409, 3, str(refused))
    return SafeJSONResponse({"statusCode": 0})


def _record_error(status: int, code: int, message: str) -> SafeJSONResponse:
    return SafeJSONResponse({"statusCode": code, "statusMessage": message}, status_code=status)

