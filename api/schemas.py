"""The OpenAPI description of bodies. Validation itself is models.validation's, so every
error names the field and rule the same way whichever door a task comes in by."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api import schemas_rules
from api.schemas_dnc import DncAddIn
from api.schemas_sip import SipAccountIn
from models.rules import limits

PHONE_PATTERN = r"^\+?[0-9]{3,20}$"
SEED_TIME_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}(:[0-9]{2})?$"


class CallbackParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    caller_id_name: str | None = None
    caller_id_number: str | None = None
    extended_a_numbers: list[str] | None = Field(None, max_length=limits.EXTENDED_A_NUMBERS_MAX)


class TaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=limits.NAME_CHARS_MAX)
    a_number: str = Field(pattern=PHONE_PATTERN)
    b_number: str = Field(pattern=PHONE_PATTERN)
    extension_id: int | None = Field(None, ge=1, le=limits.INT32_MAX)
    try_count: int = Field(1, ge=1, le=limits.TRY_COUNT_MAX)
    try_again_pause: int | str = Field(
        60, description="seconds: a whole number, or a string of ASCII digits"
    )
    url_before: str | None = None
    url_before_again: str | None = None
    url_success: str | None = None
    url_after: str | None = None
    start_time_utc: str | None = Field(None, pattern=SEED_TIME_PATTERN,
                                       description="UTC, YYYY-MM-DD HH:MM:SS")
    callback_params: CallbackParams | None = None


class AddTasksIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tasks: list[TaskIn] = Field(min_length=1)


class TaskOut(BaseModel):
    status: str
    a_number: str
    b_number: str
    extension_id: int | None
    scheduler_id: int
    finish_result: str | None
    cdr: str | None
    try_count: int
    try_again_pause: str
    start_time_utc: str | None
    url_before: str | None
    url_before_again: str | None
    url_after: str | None
    url_success: str | None
    create_date_utc: str
    id: int
    name: str | None
    finish_comment: str | None
    callback_params: dict[str, Any] | None


class AddTasksOut(BaseModel):
    job_id: str | None = Field(description=(
        "the job's id, an opaque string; null when every task merged into an active one"))
    tasks: list[TaskOut] = Field(description=(
        "in the request's order: each task stored, or the active task it merged into"))


class TaskPage(BaseModel):
    tasks: list[TaskOut]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null at the end")


NAME_PATTERN = r"\S"  # at least one character that is not white space


class PacingFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    concurrent_task_limit: int | None = Field(
        None, ge=1, le=limits.INT32_MAX, description="tries running at once; null: no limit")
    interval: int = Field(0, ge=0, le=limits.INT32_MAX,
                          description="seconds between two dials in this scheduler")
    asr_threshold: float | None = Field(
        None, ge=0, le=100, description="percent; under it the scheduler holds; null: off")
    asr_window: int = Field(20, ge=1, le=limits.INT32_MAX, description="completed tries measured")
    asr_min_attempts: int = Field(10, ge=1, le=limits.INT32_MAX,
                                  description="tries measured before ASR may hold")
    asr_pause: int = Field(300, ge=0, le=limits.INT32_MAX, description="seconds an ASR hold lasts")
    duplicate_b_number: Literal["allow", "refuse", "merge"] = Field("allow", description=(
        "a new task whose B number already has an active task in this scheduler (or an "
        "earlier task of the same request): allow it, refuse it (400 naming "
        "tasks[i].b_number), or merge it (not stored; the answer gives the active task)"))
    default_region: str | None = Field(None, pattern=r"^[A-Z]{2}$", description=(
        "ISO 3166-1 alpha-2 region (libphonenumber's): a task's number without + is read as "
        "a national number of it (its national prefix and its international prefix, such "
        "as 00 or 011, understood); null: numbers must be international (+ and the country "
        "code). Numbers are read once, when tasks are added"))
    a_number_type: Literal["phone", "pbx_extension"] = Field("phone", description=(
        "phone: A numbers are phone numbers, read like B numbers and under every number "
        "rule; pbx_extension: A numbers are the client's PBX extensions (an agent's 1001), "
        "dialled as written, outside the number rules"))


class SchedulerIn(PacingFields, schemas_rules.CallingRuleFields):
    name: str = Field(min_length=1, max_length=limits.NAME_CHARS_MAX, pattern=NAME_PATTERN)


class SchedulerPatch(PacingFields, schemas_rules.CallingRuleFields):
    # Every field may be left out, but a PATCH must change something.
    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})
    name: str = Field("", min_length=1, max_length=limits.NAME_CHARS_MAX,
                      pattern=NAME_PATTERN)


class SchedulerOut(BaseModel):
    id: int
    client_id: int
    name: str
    create_date_utc: str
    concurrent_task_limit: int | None
    interval: int
    asr_threshold: float | None
    asr_window: int
    asr_min_attempts: int
    asr_pause: int
    paused: bool = Field(description="paused scheduler-wide: nothing new is dialled")
    duplicate_b_number: str = Field(description="allow, refuse or merge")
    default_region: str | None = Field(description="where numbers without + are read")
    a_number_type: str = Field(description="phone or pbx_extension")
    calling_windows: dict[str, list[list[str]]] | None
    calling_window_preset: str | None
    holidays_country: str | None
    skip_dates: list[str]
    default_timezone: str
    retry_rules: dict[str, dict[str, Any]] | None
    number_caps: dict[str, Any] | None


class SchedulerStats(BaseModel):
    scheduler_id: int
    tasks_by_status: dict[str, int]
    tries_running: int
    asr: float | None = Field(description="percent of measured tries whose A leg answered")
    asr_tries: int = Field(description="tries the ASR was measured over")
    acd_seconds: float | None = Field(description="average talk time of connected calls")
    asr_hold_until: str | None = Field(description="when the current ASR hold ends (UTC)")
    calling_rules: dict[str, Any] = Field(
        description="the scheduler's calling windows, retry rules and number caps")


class FieldProblem(BaseModel):
    field: str
    rule: str


class ErrorDetail(BaseModel):
    status: int
    message: str
    fields: list[FieldProblem]


class ErrorBody(BaseModel):
    error: ErrorDetail




def request_body(model: type[BaseModel], required: bool = True) -> dict[str, Any]:
    """``openapi_extra`` for a route that reads its JSON body itself."""
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": required,
                            "content": {"application/json": {"schema": ref}}}}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorBody} for status in (401, 429, *statuses)}


class TaskEventOut(BaseModel):
    id: str
    type: str
    attempt_no: int | None
    time: str
    target_url: str | None
    delivery_status: str = Field(description="none, pending, delivered, failed or gone")
    delivery_attempts: int
    delivered_at: str | None
    last_delivery_error: str | None


class WebhookSecrets(BaseModel):
    secrets: list[str] = Field(description="signing secrets in use, the current one first")


class JobStep(BaseModel):
    id: str
    name: str
    startTime: str | None
    endTime: str | None
    lastUpdated: str | None
    statusMessage: str
    exitCode: str
    timeElapsed: str


class JobExecution(BaseModel):
    id: str
    startTime: str | None
    endTime: str | None
    lastUpdated: str | None
    statusMessage: str
    exitCode: str
    createdTime: str | None
    timeElapsed: str
    stepExecutionStatuses: list[JobStep]


class JobCounts(BaseModel):
    totalTasks: int
    tasksSucceeded: int
    tasksFailed: int
    tasksCancelled: int
    tasksPending: int


class JobDocument(BaseModel):
    name: str
    id: str
    jobType: str
    status: str = Field(description="Scheduled, Running, Completed, Failed, Paused, Cancelled")
    trackingId: str | None
    sourceUserId: str | None
    sourceCustomerId: str
    targetCustomerId: str
    instanceId: int
    jobExecutionStatus: list[JobExecution]
    latestExecutionStatus: str | None
    latestExecutionExitCode: str | None
    counts: JobCounts


class JobPage(BaseModel):
    jobs: list[JobDocument]
    next_cursor: str | None


class BatchPauseIn(BaseModel):
    id: (Annotated[str, Field(pattern=r"^[1-9][0-9]{0,17}$")]
         | Annotated[int, Field(ge=1, le=limits.INT64_MAX)]) = Field(
        description="the batch (job) to suspend")


class BatchResult(BaseModel):
    resultCode: str
    resultDesc: str
    returnCode: str
    returnDesc: str


class RescheduleRecordIn(BaseModel):
    operationName: str = Field(pattern="^RescheduleRecord$")
    applicationId: int = Field(ge=0)
    campaignName: str = Field(min_length=1, max_length=limits.RECORD_TEXT_CHARS_MAX)
    callbackType: str = Field(pattern="^(Personal|Campaign)$")
    timestamp: int = Field(ge=0, le=limits.EPOCH_S_MAX, description="epoch seconds")
    devicePath: str = Field(min_length=1, max_length=limits.RECORD_TEXT_CHARS_MAX)
    referenceId: str | None = Field(None, min_length=1,
                                    max_length=limits.RECORD_TEXT_CHARS_MAX)


class RecordResult(BaseModel):
    statusCode: int
    statusMessage: str | None = None


REQUEST_MODELS: tuple[type[BaseModel], ...] = (
    AddTasksIn, SchedulerIn, SchedulerPatch, BatchPauseIn, RescheduleRecordIn, SipAccountIn,
    DncAddIn,
)
