"""Properties of the validators over hostile input (issue 12): whatever a client sends,
the answer is either values that can be stored and rendered, or InvalidInput naming each
field and rule; never another exception."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from api import record_input, scheduler_input
from models.rules.limits import NAME_CHARS_MAX as MAX_NAME_LENGTH
from models.rules.limits import URL_CHARS_MAX as MAX_URL_LENGTH
from models.shapes.validation import (
    PHONE_NUMBER,
    URL_FIELDS,
    InvalidInput,
    validate_tasks,
)
from tests.strategies import JSON, TASKS, TEXT

INT32_MAX = 2**31 - 1


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*strings_in(k), *strings_in(v))]
    if isinstance(value, list | tuple):
        return [s for v in value for s in strings_in(v)]
    return []


def storable_text(text: str) -> bool:
    """PostgreSQL takes it (no NUL) and it renders as UTF-8 (no lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def check_refusal(invalid: InvalidInput) -> None:
    assert invalid.errors
    assert all(error.field and error.rule for error in invalid.errors)


@given(TASKS)
@settings(max_examples=1500, deadline=None)
def test_tasks_are_refused_by_field_or_are_storable(raw: object) -> None:
    try:
        tasks = validate_tasks(raw, 10)
    except InvalidInput as invalid:
        check_refusal(invalid)
        return
    for task in tasks:
        fields = asdict(task)
        assert all(storable_text(s) for s in strings_in(fields))
        for number in (task.a_number, task.b_number,
                       *(task.callback_params or {}).get("extended_a_numbers", ())):
            assert PHONE_NUMBER.fullmatch(number)
        assert task.name is None or len(task.name) <= MAX_NAME_LENGTH
        assert all(fields[f] is None or len(fields[f]) <= MAX_URL_LENGTH for f in URL_FIELDS)
        assert 1 <= task.try_count <= 50 and 0 <= task.try_again_pause <= INT32_MAX
        assert task.extension_id is None or 1 <= task.extension_id <= INT32_MAX


@given(JSON)
@settings(max_examples=500, deadline=None)
def test_scheduler_bodies_are_refused_by_field_or_are_storable(raw: object) -> None:
    try:
        columns = scheduler_input.new_scheduler(raw)
    except InvalidInput as invalid:
        check_refusal(invalid)
        return
    assert all(storable_text(s) for s in strings_in(columns))
    assert all(abs(v) <= INT32_MAX for v in columns.values() if isinstance(v, int))


@given(TEXT, st.one_of(JSON, st.fixed_dictionaries({
    "operationName": st.sampled_from(["RescheduleRecord", "x"]), "applicationId": JSON,
    "campaignName": TEXT, "callbackType": st.sampled_from(["Personal", "Campaign", "x"]),
    "timestamp": JSON, "devicePath": TEXT, "referenceId": TEXT})))
@settings(max_examples=500, deadline=None)
def test_record_reschedules_are_refused_by_field_or_are_storable(
    handle: str, raw: object
) -> None:
    try:
        task_id, params = record_input.reschedule(handle, raw)
    except InvalidInput as invalid:
        check_refusal(invalid)
        return
    assert 1 <= task_id < 2**63
    assert all(storable_text(s) for s in strings_in(params))
