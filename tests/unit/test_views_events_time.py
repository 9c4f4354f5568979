from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from models.rules import timefmt
from models.rules.outcome import LOST_DESCRIPTION, CallOutcome, Leg, LegResult
from models.shapes import events, views
from models.shapes.events import EventType

EXPECTED_TASK_FIELDS = [
    "status",
    "a_number",
    "b_number",
    "extension_id",
    "scheduler_id",
    "finish_result",
    "cdr",
    "try_count",
    "try_again_pause",
    "start_time_utc",
    "url_before",
    "url_before_again",
    "url_after",
    "url_success",
    "create_date_utc",
    "id",
    "name",
    "finish_comment",
    "callback_params",
]

NOW = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)


def _row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "status": "scheduled",
        "a_number": "+15550000001",
        "b_number": "+15550000002",
        "extension_id": 7,
        "scheduler_id": 3,
        "finish_result": None,
        "cdr": None,
        "try_count": 3,
        "try_again_pause": 60,
        "start_time_utc": datetime(2026, 1, 1, 10, 0, 0, tzinfo=UTC),
        "url_before": "https://hooks.example/before",
        "url_before_again": "https://hooks.example/again",
        "url_after": "https://hooks.example/after",
        "url_success": "https://hooks.example/success",
        "create_date_utc": datetime(2025, 12, 31, 23, 59, 58, tzinfo=UTC),
        "id": 42,
        "name": "call me",
        "finish_comment": None,
        "callback_params": {"caller_id_name": "Shop"},
        # Columns the view leaves out.
        "client_id": 5,
        "job_id": 9,
        "next_attempt_at": None,
        "updated_at": NOW,
    }
    row.update(overrides)
    return row


# timefmt ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["2026-01-01 10:00:00", "1999-12-31 23:59:59", "2026-02-28 00:00:01"]
)
def test_parse_format_round_trip(text: str) -> None:
    moment = timefmt.parse(text)
    assert moment.tzinfo is UTC
    assert timefmt.format(moment) == text


def test_parse_without_seconds() -> None:
    assert timefmt.parse("2026-01-01 10:00") == datetime(2026, 1, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ["2026/01/01 10:00:00", "2026-01-01T10:00:00", "2026-01-01", "", "tomorrow"]
)
def test_parse_refuses_other_shapes(text: str) -> None:
    with pytest.raises(ValueError):
        timefmt.parse(text)


@pytest.mark.parametrize("text", [
    "2023-02-29 00:00:00", "2024-13-01 00:00", "2024-12-31 24:00:00", "2024-01-01 00:60",
    "2024-01-01 00:00:60", "0000-01-01 00:00",
    # The shapes strptime also read (issue 23, defect 5): unpadded fields, other scripts'
    # digits, white space other than one space, a fraction.
    "2027-1-1 0:0:0", "2024-01-01 00:00:0", "2024-01-01 0:00:00",
    "\uff12\uff10\uff12\uff17-01-01 00:00:00", "\u0662\u0660\u0662\u0664-01-01 00:00",
    "2027-01-01 00:00:0\uff10", "2027-01-01  00:00:00", "2027-01-01\t00:00:00",
    "2027-01-01\n00:00:00", "2024-01-01 00:00:00 ", " 2024-01-01 00:00", "2024-01-01 00:00:00\n",
    "2024-01-01 00:00:00.5", "+2024-01-01 00:00:00",
])
def test_parse_refuses_every_other_shape_and_dates_that_do_not_exist(text: str) -> None:
    with pytest.raises(ValueError):
        timefmt.parse(text)


@pytest.mark.parametrize(("text", "moment"), [
    ("2024-02-29 23:59:59", datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC)),
    ("0001-01-01 00:00", datetime(1, 1, 1, tzinfo=UTC)),
    ("9999-12-31 23:59:59", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
])
def test_parse_reads_the_seed_shapes(text: str, moment: datetime) -> None:
    assert timefmt.parse(text) == moment


def test_format_none_is_none() -> None:
    assert timefmt.format(None) is None


def test_format_converts_to_utc_and_drops_microseconds() -> None:
    plus_two = timezone(timedelta(hours=2))
    moment = datetime(2026, 1, 1, 12, 0, 0, 999_999, tzinfo=plus_two)
    assert timefmt.format(moment) == "2026-01-01 10:00:00"


# views --------------------------------------------------------------------------------


def test_task_fields_constant() -> None:
    assert list(views.TASK_FIELDS) == EXPECTED_TASK_FIELDS
    assert len(EXPECTED_TASK_FIELDS) == 19


def test_task_object_keys_in_order() -> None:
    view = views.task_object(_row())
    assert list(view) == EXPECTED_TASK_FIELDS


def test_task_object_values() -> None:
    view = views.task_object(_row())
    assert view["start_time_utc"] == "2026-01-01 10:00:00"
    assert view["create_date_utc"] == "2025-12-31 23:59:58"
    assert view["try_again_pause"] == "60"
    assert view["try_count"] == 3
    assert view["id"] == 42
    assert view["extension_id"] == 7
    assert view["callback_params"] == {"caller_id_name": "Shop"}
    assert view["finish_result"] is None


def test_task_object_null_start_time() -> None:
    view = views.task_object(_row(start_time_utc=None, try_again_pause=0))
    assert view["start_time_utc"] is None
    assert view["try_again_pause"] == "0"


def test_task_object_missing_field_raises() -> None:
    row = _row()
    del row["cdr"]
    with pytest.raises(KeyError):
        views.task_object(row)


# events -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_type", "url_field"),
    [
        (EventType.BEFORE, "url_before"),
        (EventType.BEFORE_AGAIN, "url_before_again"),
        (EventType.SUCCESS, "url_success"),
        (EventType.AFTER, "url_after"),
    ],
)
def test_task_event(event_type: EventType, url_field: str) -> None:
    task = _row()
    event = events.task_event(event_type, task, 2, NOW)
    assert event["target_url"] == task[url_field]
    assert event["type"] == event_type.value
    assert event["client_id"] == 5
    assert event["task_id"] == 42
    assert event["job_id"] == 9
    assert event["attempt_no"] == 2
    assert event["created_at"] == NOW
    assert event["id"].startswith("evt_")
    payload = event["payload"]
    assert set(payload) == {"id", "type", "time", "attempt_no", "task"}
    assert payload["id"] == event["id"]
    assert payload["type"] == event_type.value
    assert payload["time"] == "2026-02-03 04:05:06"
    assert payload["attempt_no"] == 2
    assert payload["task"] == views.task_object(task)


def test_target_field_covers_every_event_type() -> None:
    assert set(events.TARGET_FIELD) == set(EventType)


def test_event_ids_are_unique() -> None:
    first = events.task_event(EventType.BEFORE, _row(), 1, NOW)
    second = events.task_event(EventType.BEFORE, _row(), 1, NOW)
    assert first["id"] != second["id"]


def test_new_event_id_shape() -> None:
    event_id = events.new_event_id()
    assert event_id.startswith("evt_")
    assert len(event_id) == len("evt_") + 32


# outcome ------------------------------------------------------------------------------


def test_describe_connected() -> None:
    outcome = CallOutcome(True, True, cdr="x")
    assert outcome.connected
    assert outcome.describe() == "A and B connected"


def test_describe_a_busy() -> None:
    outcome = CallOutcome(False, False, Leg.A, LegResult.BUSY, "+15550000001")
    assert not outcome.connected
    assert outcome.describe() == "A leg busy (+15550000001)"


def test_describe_b_no_answer() -> None:
    outcome = CallOutcome(True, False, Leg.B, LegResult.NO_ANSWER, "+15550000002")
    assert not outcome.connected
    assert outcome.describe() == "B leg no_answer (+15550000002)"


def test_describe_without_details() -> None:
    assert CallOutcome(False, False).describe() == "A leg unknown"


def test_lost_description() -> None:
    assert "lost" in LOST_DESCRIPTION
