"""The job status document (after the "get job status" page), adapted to call jobs. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from models.rules import timefmt
from models.rules.job_state import JobStatus
from models.shapes.rows import ExecutionRow, JobRow

JOB_TYPE = "callbacks"
STEP_NAME = "placeCallbacks"
# Our statuses in the page's words: (status message, exit code).
PAGE_STATUS: dict[JobStatus, tuple[str, str]] = {
    JobStatus.SCHEDULED: ("STARTING", "UNKNOWN"),
    JobStatus.RUNNING: ("STARTED", "UNKNOWN"),
    JobStatus.PAUSED: ("STOPPED", "STOPPED"),
    JobStatus.CANCELLED: ("STOPPED", "STOPPED"),
    JobStatus.COMPLETED: ("COMPLETED", "COMPLETED"),
    JobStatus.FAILED: ("FAILED", "FAILED"),
}


def counts(job: JobRow, by_outcome: Mapping[str, int]) -> dict[str, int]:
    succeeded = by_outcome.get("success", 0)
    failed = by_outcome.get("failed", 0)
    cancelled = by_outcome.get("cancelled", 0)
    total = int(job.tasks_total)
    return {"totalTasks": total, "tasksSucceeded": succeeded, "tasksFailed": failed,
            "tasksCancelled": cancelled, "tasksPending": total - succeeded - failed - cancelled}


def _execution(execution: ExecutionRow, job_id: int, now: datetime) -> dict[str, Any]:
    message, exit_code = PAGE_STATUS[JobStatus(execution.status)]
    started, ended = execution.start_time, execution.end_time
    elapsed = timefmt.iso_duration(((ended or now) - started).total_seconds()) if started \
        else "PT0S"
    step = {
        "id": f"{job_id}.{execution.execution_no}.1", "name": STEP_NAME,
        "startTime": timefmt.iso(started), "endTime": timefmt.iso(ended),
        "lastUpdated": timefmt.iso(execution.updated_at), "statusMessage": message,
        "exitCode": exit_code, "timeElapsed": elapsed,
    }
    return {
        "id": f"{job_id}.{execution.execution_no}", "startTime": timefmt.iso(started),
        "endTime": timefmt.iso(ended), "lastUpdated": timefmt.iso(execution.updated_at),
        "statusMessage": message, "exitCode": exit_code,
        "createdTime": timefmt.iso(execution.created_at), "timeElapsed": elapsed,
        "stepExecutionStatuses": [step],
    }


def document(
    job: JobRow, executions: Sequence[ExecutionRow], by_outcome: Mapping[str, int],
    now: datetime,
) -> dict[str, Any]:
    runs = [_execution(e, job.id, now) for e in executions]
    return {
        "name": job.name or f"callback job {job.id}",
        "id": str(job.id),
        "jobType": JOB_TYPE,
        "status": job.status,
        "trackingId": job.tracking_id,
        "sourceUserId": job.created_by,
        "sourceCustomerId": str(job.client_id),
        "targetCustomerId": str(job.client_id),
        "instanceId": job.scheduler_id,
        "jobExecutionStatus": runs,
        "latestExecutionStatus": runs[-1]["statusMessage"] if runs else None,
        "latestExecutionExitCode": runs[-1]["exitCode"] if runs else None,
        "counts": counts(job, by_outcome),
    }
