"""The OpenAPI links from the operations that create things to those that use their ids, so a
client (or a stateful tester) can follow a created scheduler to its tasks and a job to its
control: ``(path, method, status) -> {link name: (operationId, parameters)}``. Operation ids
are the route functions' names (app.py)."""

from __future__ import annotations

from typing import Any

SCHEDULER = {"client_id": "$request.path.client_id", "scheduler_id": "$response.body#/id"}
FIRST_TASK = {"client_id": "$request.path.client_id",
              "scheduler_id": "$request.path.scheduler_id",
              "task_id": "$response.body#/tasks/0/id"}
JOB = {"job_id": "$response.body#/job_id"}

LINKS: dict[tuple[str, str, str], dict[str, tuple[str, dict[str, str]]]] = {
    ("/client/{client_id}/task_scheduler/", "post", "201"): {
        "GetScheduler": ("get_scheduler", SCHEDULER),
        "UpdateScheduler": ("update_scheduler", SCHEDULER),
        "SchedulerStats": ("scheduler_stats", SCHEDULER),
        "AddTasks": ("add_tasks", SCHEDULER),
        "ListTasks": ("list_tasks", SCHEDULER),
        "PauseScheduler": ("pause_scheduler", SCHEDULER),
        "ResumeScheduler": ("resume_scheduler", SCHEDULER),
    },
    ("/client/{client_id}/task_scheduler/{scheduler_id}/tasks/", "post", "201"): {
        "GetJob": ("get_job", JOB),
        "ChangeJobStatus": ("change_job_status", JOB),
        "GetTask": ("get_task", FIRST_TASK),
        "WhyTask": ("why_task", FIRST_TASK),
        "TaskEvents": ("task_events", FIRST_TASK),
        "RescheduleRecord": ("reschedule_record", {"record_handle": "$response.body#/tasks/0/id"}),
    },
}


def add_links(document: dict[str, Any]) -> None:
    """Write LINKS into the responses of ``document`` (an OpenAPI document)."""
    for (path, method, status), links in LINKS.items():
        response = document["paths"][path][method]["responses"][status]
        response["links"] = {name: {"operationId": operation, "parameters": parameters}
                             for name, (operation, parameters) in links.items()}
