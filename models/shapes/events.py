"""Event bodies for the outbox: pure."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from models.rules import timefmt
from models.rules.webhooks import DeliveryStatus
from models.shapes import views


class EventType(StrEnum):
    BEFORE = "before"
    BEFORE_AGAIN = "before_again"
    SUCCESS = "success"
    AFTER = "after"


# Which of the task's URLs each task event is posted to.
TARGET_FIELD: dict[EventType, str] = {
    EventType.BEFORE: "url_before",
    EventType.BEFORE_AGAIN: "url_before_again",
    EventType.SUCCESS: "url_success",
    EventType.AFTER: "url_after",
}


def new_event_id() -> str:
    return f"evt_{uuid.uuid4().hex}"


def task_event(
    event_type: EventType, task: Mapping[Any, Any], attempt_no: int, now: datetime
) -> dict[str, Any]:
    """A task event as the outbox stores it; ``payload`` is the body receivers get."""
    event_id = new_event_id()
    target = task[TARGET_FIELD[event_type]]
    return {
        "id": event_id,
        "client_id": task["client_id"],
        "task_id": task["id"],
        "job_id": task["job_id"],
        "type": event_type.value,
        "attempt_no": attempt_no,
        "target_url": target,
        "created_at": now,
        "delivery_status": (DeliveryStatus.PENDING if target else DeliveryStatus.NONE).value,
        "next_delivery_at": now if target else None,
        "payload": {
            "id": event_id,
            "type": event_type.value,
            "time": timefmt.format(now),
            "attempt_no": attempt_no,
            "task": views.task_object(task),
        },
    }


class RecordEvent(StrEnum):
    RESCHEDULE_ACKNOWLEDGE = "ScheduledRecordRescheduleAcknowledge"
    RESCHEDULE_ERROR = "ScheduledRecordRescheduleError"


def record_event(
    kind: RecordEvent, task: Mapping[Any, Any], params: Mapping[str, Any], detail: str,
    now: datetime,
) -> dict[str, Any]:
    """The "reschedule record" acknowledgement, carrying the request's referenceId; it is
    posted to the task's `url_after` and published on the client's stream."""
    event_id = new_event_id()
    target = task["url_after"]
    record = {"recordHandle": task["id"], "applicationId": params.get("applicationId"),
              "campaignName": params.get("campaignName"), "devicePath": params.get("devicePath"),
              "callbackType": params.get("callbackType"), "timestamp": params.get("timestamp")}
    return {
        "id": event_id, "client_id": task["client_id"], "task_id": task["id"],
        "job_id": task["job_id"], "type": kind.value, "attempt_no": None,
        "target_url": target, "created_at": now,
        "delivery_status": (DeliveryStatus.PENDING if target else DeliveryStatus.NONE).value,
        "next_delivery_at": now if target else None,
        "payload": {
            "id": event_id, "type": kind.value, "time": timefmt.format(now),
            "messageType": "OutboundRecordMessage", "notificationType": kind.value,
            "referenceId": params.get("referenceId"), "record": record, "detail": detail,
            "task": views.task_object(task),
        },
    }
