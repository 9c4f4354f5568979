"""The OpenAPI description of bodies. Validation itself is models.validation's, so every
error names the field and rule the same way whichever door a task comes in by."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

PHONE_PATTERN = r"^\+?[0-9]{3,20}$"
SEED_TIME_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}(:[0-9]{2})?$"
INT32_MAX = 2**31 - 1


class CallbackParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    caller_id_name: str | None = None
    caller_id_number: str | None = None
    extended_a_numbers: list[str] | None = Field(None, max_length=10)


class TaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=200)
    a_number: str = Field(pattern=PHONE_PATTERN)
    b_number: str = Field(pattern=PHONE_PATTERN)
    extension_id: int | None = Field(None, ge=1, le=INT32_MAX)
    try_count: int = Field(1, ge=1, le=50)
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
    job_id: int
    tasks: list[TaskOut]


class TaskPage(BaseModel):
    tasks: list[TaskOut]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null at the end")


NAME_PATTERN = r"\S"  # at least one character that is not white space


class SchedulerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, pattern=NAME_PATTERN)


class SchedulerPatch(BaseModel):
    # Every field may be left out, but a PATCH must change something.
    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})
    name: str = Field(min_length=1, max_length=200, pattern=NAME_PATTERN)


class SchedulerOut(BaseModel):
    id: int
    client_id: int
    name: str
    create_date_utc: str


class FieldProblem(BaseModel):
    field: str
    rule: str


class ErrorDetail(BaseModel):
    status: int
    message: str
    fields: list[FieldProblem]


class ErrorBody(BaseModel):
    error: ErrorDetail


REQUEST_MODELS: tuple[type[BaseModel], ...] = (AddTasksIn, SchedulerIn, SchedulerPatch)


def request_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` for a route that reads its JSON body itself."""
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorBody} for status in (401, 429, *statuses)}
