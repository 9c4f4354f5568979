"""The OpenAPI description of what adding tasks would do (the dry run) and of why a task
waits. The documents themselves are api/preview.py's and models.rules.why's."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import FieldProblem


class DryRunItem(BaseModel):
    index: int
    verdict: str = Field(description="refuse, end_at_once, merge, hold or dial_now")
    reason: str | None = Field(description=(
        "invalid, no_sip_account, do_not_call, duplicate_b_number, start_time, "
        "calling_window, number_cap, scheduler_paused or asr"))
    detail: str | None
    until: str | None = Field(description="UTC: when a held task is next eligible")
    errors: list[FieldProblem] = Field(description="what a refused task breaks")


class DryRunOut(BaseModel):
    dry_run: bool
    tasks: int
    verdicts: dict[str, int] = Field(description="tasks by verdict")
    reasons: dict[str, int] = Field(description="tasks by reason")
    items: list[DryRunItem]


class WhyCause(BaseModel):
    model_config = ConfigDict(extra="allow")
    cause: str = Field(description=(
        "start_time, retry_pause, calling_window, number_cap, concurrency_limit, interval, "
        "asr_hold, job_paused, scheduler_paused, do_not_call, try_running, due, finished "
        "or cancelled"))
    detail: str
    until: str | None = Field(description="UTC: when this cause lets go, if known")


class WhyOut(BaseModel):
    task_id: int
    scheduler_id: int
    job_id: str
    status: str
    now: str
    waiting: bool = Field(description="neither final nor running")
    next_eligible_at: str | None = Field(description="UTC; null: not known, or never")
    summary: str
    causes: list[WhyCause]
