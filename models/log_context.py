"""The ids every log line about a call carries (as `extra`): pure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.shapes.rows import TaskRow

FIELDS = ("task_id", "attempt_id", "attempt_no", "job_id", "client_id", "scheduler_id")


def for_call(task: TaskRow, attempt_id: int | None, attempt_no: int) -> dict[str, Any]:
    return {"task_id": task.id, "attempt_id": attempt_id, "attempt_no": attempt_no,
            "job_id": task.job_id, "client_id": task.client_id,
            "scheduler_id": task.scheduler_id}
