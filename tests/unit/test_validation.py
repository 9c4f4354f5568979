from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from models.shapes.validation import (
    DEFAULT_TRY_AGAIN_PAUSE_S,
    DEFAULT_TRY_COUNT,
    FieldError,
    InvalidInput,
    NewTask,
    validate_tasks,
)

A = "+15550000001"
B = "+15550000002"


def _task(**overrides: Any) -> dict[str, Any]:
    task: dict[str, Any] = {"a_number": A, "b_number": B}
    task.update(overrides)
    return task


def _errors(raw: object, max_tasks: int = 10) -> list[FieldError]:
    with pytest.raises(InvalidInput) as invalid:
        validate_tasks(raw, max_tasks)
    assert invalid.value.errors, "InvalidInput raised without errors"
    return invalid.value.errors


def _error_for(raw: object, field: str, max_tasks: int = 10) -> FieldError:
    errors = _errors(raw, max_tasks)
    matching = [e for e in errors if e.field == field]
    assert matching, f"no error for {field!r} in {errors!r}"
    return matching[0]


def _one(task: dict[str, Any]) -> NewTask:
    tasks = validate_tasks([task], 10)
    assert len(tasks) == 1
    return tasks[0]


def test_minimal_task_gets_defaults() -> None:
    task = _one(_task())
    assert task.a_number == A
    assert task.b_number == B
    assert task.try_count == 1 == DEFAULT_TRY_COUNT
    assert task.try_again_pause == 60 == DEFAULT_TRY_AGAIN_PAUSE_S
    assert task.name is None
    assert task.extension_id is None
    assert task.start_time_utc is None
    assert task.callback_params is None
    assert task.url_before is None
    assert task.url_before_again is None
    assert task.url_success is None
    assert task.url_after is None


def test_full_valid_task() -> None:
    task = _one(
        _task(
            name="call me",
            extension_id=7,
            try_count=50,
            try_again_pause=0,
            start_time_utc="2026-01-01 10:00:00",
            url_before="http://hooks.example/before",
            url_before_again="https://hooks.example/again",
            url_success="https://hooks.example/ok",
            url_after="https://hooks.example/after",
            callback_params={
                "caller_id_name": "Shop",
                "caller_id_number": "+15550000009",
                "extended_a_numbers": ["+15550000003", "5550000004"],
            },
        )
    )
    assert task.name == "call me"
    assert task.extension_id == 7
    assert task.try_count == 50
    assert task.try_again_pause == 0
    assert task.url_before == "http://hooks.example/before"
    assert task.url_after == "https://hooks.example/after"
    assert task.callback_params == {
        "caller_id_name": "Shop",
        "caller_id_number": "+15550000009",
        "extended_a_numbers": ["+15550000003", "5550000004"],
    }


def test_missing_a_number() -> None:
    raw = [{"b_number": B}]
    error = _error_for(raw, "tasks[0].a_number")
    assert "required" in error.rule


def test_bad_a_number() -> None:
    error = _error_for([_task(a_number="12ab")], "tasks[0].a_number")
    assert "phone number" in error.rule


def test_b_number_wrong_type() -> None:
    error = _error_for([_task(b_number=15550000002)], "tasks[0].b_number")
    assert "phone number" in error.rule


@pytest.mark.parametrize("value", [0, 51, True, "3", -1, 2.5])
def test_bad_try_count(value: object) -> None:
    error = _error_for([_task(try_count=value)], "tasks[0].try_count")
    assert "whole number" in error.rule
    assert "from 1 to 50" in error.rule


@pytest.mark.parametrize("value", [1, 50])
def test_try_count_bounds_accepted(value: int) -> None:
    assert _one(_task(try_count=value)).try_count == value


def test_negative_try_again_pause() -> None:
    error = _error_for([_task(try_again_pause=-1)], "tasks[0].try_again_pause")
    assert "whole number" in error.rule
    assert "from 0 to 2147483647" in error.rule


def test_try_again_pause_bool_refused() -> None:
    error = _error_for([_task(try_again_pause=True)], "tasks[0].try_again_pause")
    assert "whole number" in error.rule


def test_try_again_pause_numeric_string_accepted() -> None:
    task = _one(_task(try_again_pause="30"))
    assert task.try_again_pause == 30
    assert isinstance(task.try_again_pause, int)


@pytest.mark.parametrize("value", ["-1", "3.5", "abc", ""])
def test_try_again_pause_non_numeric_string_refused(value: str) -> None:
    error = _error_for([_task(try_again_pause=value)], "tasks[0].try_again_pause")
    assert "whole number" in error.rule


def test_try_again_pause_non_ascii_digit_string_is_a_field_error() -> None:
    # "²" is a digit to str.isdigit() but not to int(): it must be reported as a rule
    # broken on the field, not escape as a bare ValueError.
    error = _error_for([_task(try_again_pause="²")], "tasks[0].try_again_pause")
    assert "whole number" in error.rule


def test_try_again_pause_overlong_digit_string_is_a_field_error() -> None:
    # int() refuses strings of more than 4300 digits; that must be a field error too.
    error = _error_for([_task(try_again_pause="9" * 5000)], "tasks[0].try_again_pause")
    assert "whole number" in error.rule


INT4_MAX = 2**31 - 1  # tasks.try_again_pause and tasks.extension_id are sa.Integer columns


@pytest.mark.parametrize("field", ["try_again_pause", "extension_id"])
def test_integer_fields_accept_the_column_maximum(field: str) -> None:
    task = _one(_task(**{field: INT4_MAX}))
    assert getattr(task, field) == INT4_MAX


@pytest.mark.parametrize("field", ["try_again_pause", "extension_id"])
def test_integer_fields_beyond_the_column_range_refused(field: str) -> None:
    # A value the database column cannot hold must be refused here, naming the field,
    # not pass validation and fail later at INSERT.
    error = _error_for([_task(**{field: INT4_MAX + 1})], f"tasks[0].{field}")
    assert "whole number" in error.rule


def test_start_time_with_slashes_refused() -> None:
    error = _error_for([_task(start_time_utc="2026/01/01 10:00:00")], "tasks[0].start_time_utc")
    assert "YYYY-MM-DD HH:MM:SS" in error.rule


def test_start_time_not_a_string_refused() -> None:
    error = _error_for([_task(start_time_utc=1767261600)], "tasks[0].start_time_utc")
    assert "YYYY-MM-DD HH:MM:SS" in error.rule


def test_start_time_accepted_as_utc() -> None:
    task = _one(_task(start_time_utc="2026-01-01 10:00:00"))
    assert task.start_time_utc == datetime(2026, 1, 1, 10, 0, 0, tzinfo=UTC)
    assert task.start_time_utc is not None
    assert task.start_time_utc.tzinfo is UTC


def test_start_time_without_seconds_accepted() -> None:
    task = _one(_task(start_time_utc="2026-01-01 10:00"))
    assert task.start_time_utc == datetime(2026, 1, 1, 10, 0, tzinfo=UTC)


def test_unknown_field_refused() -> None:
    error = _error_for([_task(colour="red")], "tasks[0].colour")
    assert "not a known task field" in error.rule


def test_url_with_other_scheme_refused() -> None:
    error = _error_for([_task(url_before="ftp://x")], "tasks[0].url_before")
    assert "http or https" in error.rule


def test_url_with_credentials_refused() -> None:
    error = _error_for([_task(url_before="http://user:pw@host/x")], "tasks[0].url_before")
    assert "credentials" in error.rule


def test_url_not_a_string_refused() -> None:
    error = _error_for([_task(url_after=42)], "tasks[0].url_after")
    assert "http or https" in error.rule


def test_malformed_url_is_a_field_error() -> None:
    # urlsplit raises ValueError on an unclosed IPv6 bracket; that must become a field error.
    error = _error_for([_task(url_success="http://[::1/x")], "tasks[0].url_success")
    assert "http or https" in error.rule


def test_empty_url_is_none() -> None:
    assert _one(_task(url_success="")).url_success is None


def test_callback_params_not_an_object() -> None:
    error = _error_for([_task(callback_params=["x"])], "tasks[0].callback_params")
    assert "object" in error.rule


def test_callback_params_unknown_key() -> None:
    error = _error_for(
        [_task(callback_params={"ringtone": "x"})], "tasks[0].callback_params.ringtone"
    )
    assert "not a known callback parameter" in error.rule


def test_callback_params_caller_id_not_a_string() -> None:
    error = _error_for(
        [_task(callback_params={"caller_id_number": 5})],
        "tasks[0].callback_params.caller_id_number",
    )
    assert "phone number" in error.rule


def test_extended_a_numbers_bad_entry() -> None:
    error = _error_for(
        [_task(callback_params={"extended_a_numbers": ["+15550000003", "nope"]})],
        "tasks[0].callback_params.extended_a_numbers[1]",
    )
    assert "phone number" in error.rule


def test_extended_a_numbers_not_a_list() -> None:
    error = _error_for(
        [_task(callback_params={"extended_a_numbers": "+15550000003"})],
        "tasks[0].callback_params.extended_a_numbers",
    )
    assert "list" in error.rule


def test_empty_list_refused() -> None:
    errors = _errors([])
    assert errors == [FieldError("tasks", errors[0].rule)]
    assert "one or more" in errors[0].rule


@pytest.mark.parametrize("raw", [None, {"a_number": A, "b_number": B}, "tasks", 3])
def test_not_a_list_refused(raw: object) -> None:
    errors = _errors(raw)
    assert [e.field for e in errors] == ["tasks"]
    assert "array" in errors[0].rule


def test_more_than_max_tasks_refused() -> None:
    errors = _errors([_task(), _task(), _task()], max_tasks=2)
    assert [e.field for e in errors] == ["tasks"]
    assert "at most 2" in errors[0].rule


def test_exactly_max_tasks_accepted() -> None:
    assert len(validate_tasks([_task(), _task()], 2)) == 2


def test_task_not_an_object() -> None:
    errors = _errors(["not a task"])
    assert errors == [FieldError("tasks[0]", "must be an object")]


def test_custom_prefix() -> None:
    error = _error_for_prefix([_task(try_count=0)], "job.tasks")
    assert error.field == "job.tasks[0].try_count"


def _error_for_prefix(raw: object, prefix: str) -> FieldError:
    with pytest.raises(InvalidInput) as invalid:
        validate_tasks(raw, 10, prefix=prefix)
    return invalid.value.errors[0]


def test_two_bad_tasks_report_both_indexes() -> None:
    errors = _errors([_task(), _task(try_count=0), _task(a_number="12ab")])
    fields = {e.field for e in errors}
    assert fields == {"tasks[1].try_count", "tasks[2].a_number"}


def test_all_errors_of_one_task_reported() -> None:
    errors = _errors([{"a_number": "x", "try_count": 0, "colour": "red"}])
    fields = {e.field for e in errors}
    assert fields == {
        "tasks[0].a_number",
        "tasks[0].b_number",
        "tasks[0].try_count",
        "tasks[0].colour",
    }


def test_str_of_invalid_input_names_the_fields() -> None:
    with pytest.raises(InvalidInput) as invalid:
        validate_tasks([_task(try_count=0), _task(b_number="x")], 10)
    text = str(invalid.value)
    assert "tasks[0].try_count" in text
    assert "tasks[1].b_number" in text
    assert isinstance(invalid.value, ValueError)


def test_field_error_str() -> None:
    assert str(FieldError("tasks[0].a_number", "is required")) == "tasks[0].a_number: is required"
