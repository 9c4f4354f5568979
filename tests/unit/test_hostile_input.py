"""Input a hostile test of the running system sent (issue 12, defects 3, 5 and 6's rules):
each is refused by the pure validators with the field and rule named."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from api import record_input, scheduler_input
from models.rules import text, timefmt
from models.rules.errors import InvalidInput
from models.shapes.validation import validate_tasks

A, B = "+15550000001", "+15550000002"
NUL, SURROGATE = "\x00", "\ud800"


def fields_of(task: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidInput) as invalid:
        validate_tasks([{"a_number": A, "b_number": B, **task}], 10)
    return {e.field: e.rule for e in invalid.value.errors}


@pytest.mark.parametrize("bad", [NUL, SURROGATE, "line\nbreak", "\x1b[31m"])
@pytest.mark.parametrize("field", ["name", "url_before", "url_after"])
def test_control_characters_and_lone_surrogates_are_refused(field: str, bad: str) -> None:
    value = f"call {bad}me" if field == "name" else f"https://hooks.example/x{bad}y"
    assert f"tasks[0].{field}" in fields_of({field: value})


@pytest.mark.parametrize("bad", [NUL, SURROGATE, "a\tb"])
def test_caller_id_name_with_control_characters_or_surrogates_is_refused(bad: str) -> None:
    rule = fields_of({"callback_params": {"caller_id_name": f"Shop{bad}"}})[
        "tasks[0].callback_params.caller_id_name"]
    assert "control characters" in rule


# Bidirectional embeddings, overrides, isolates and marks, and invisible format characters
# (zero width space, word joiner, byte order mark, soft hyphen, a tag): issue 23, defect 5.
FORMAT_CHARACTERS = [*(chr(c) for c in range(0x202A, 0x202F)),
                     *(chr(c) for c in range(0x2066, 0x206A)),
                     "\u200e", "\u200f", "\u061c", "\u200b", "\u2060", "\ufeff", "\u00ad",
                     "\U000e0041"]


@pytest.mark.parametrize("bad", FORMAT_CHARACTERS)
def test_caller_id_name_with_format_characters_is_refused(bad: str) -> None:
    rule = fields_of({"callback_params": {"caller_id_name": f"Bank{bad}knaB"}})[
        "tasks[0].callback_params.caller_id_name"]
    assert rule == text.NO_FORMAT_RULE


def test_caller_id_names_in_any_script_are_taken() -> None:
    """Joiners stay: Persian needs the non-joiner, emoji sequences the joiner."""
    for name in ("Caf\u00e9 M\u00fcller", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
                 "\U0001f468\u200d\U0001f373 Chef", "\u05e9\u05dc\u05d5\u05dd"):
        (task,) = validate_tasks([{"a_number": A, "b_number": B,
                                   "callback_params": {"caller_id_name": name}}], 10)
        assert task.callback_params == {"caller_id_name": name}


def test_caller_id_name_has_a_length_limit() -> None:
    rule = fields_of({"callback_params": {"caller_id_name": "x" * 1_000_000}})[
        "tasks[0].callback_params.caller_id_name"]
    assert "at most 64 characters" in rule
    validate_tasks([{"a_number": A, "b_number": B,
                     "callback_params": {"caller_id_name": "Ünïcödé Shop 店"}}], 1)


@pytest.mark.parametrize("number", ["+15551234567\n", "15551234567\n", "+1555\n1234"])
def test_a_number_with_a_trailing_newline_is_refused(number: str) -> None:
    assert "tasks[0].a_number" in fields_of({"a_number": number})
    assert "tasks[0].b_number" in fields_of({"b_number": number})


def test_try_again_pause_text_with_a_newline_is_refused() -> None:
    rule = fields_of({"try_again_pause": "60\n"})["tasks[0].try_again_pause"]
    assert "whole number" in rule


def test_the_same_a_number_twice_is_refused() -> None:
    again = fields_of({"callback_params": {"extended_a_numbers": [A]}})
    assert "repeat" in again["tasks[0].callback_params.extended_a_numbers[0]"]
    twice = fields_of({"callback_params": {"extended_a_numbers": ["+15550000003",
                                                                  "+15550000003"]}})
    assert list(twice) == ["tasks[0].callback_params.extended_a_numbers[1]"]


def test_unhashable_numbers_are_field_errors() -> None:
    errors = fields_of({"a_number": ["x"], "callback_params": {"extended_a_numbers": [["y"]]}})
    assert {"tasks[0].a_number", "tasks[0].callback_params.extended_a_numbers[0]"} <= set(errors)


@pytest.mark.parametrize("number", ["not a number", "+1555\n", 5, "²³⁴"])
def test_caller_id_number_must_be_a_phone_number(number: object) -> None:
    rule = fields_of({"callback_params": {"caller_id_number": number}})[
        "tasks[0].callback_params.caller_id_number"]
    assert "phone number" in rule


@pytest.mark.parametrize("url", [
    f"https://{'a' * 64}.example/hook",  # a 64-character label: IDNA refuses it
    f"https://{'.'.join(['abcdefghi'] * 26)}.example/hook",  # over 253 characters
    "https://a..b/hook",
    "http://host:99999/hook",
])
def test_webhook_host_names_dns_cannot_look_up_are_refused(url: str) -> None:
    assert "tasks[0].url_success" in fields_of({"url_success": url})


def test_host_name_rules() -> None:
    assert text.host_name_problem("a" * 63 + ".example") is None
    assert text.host_name_problem("bücher.example") is None
    assert text.host_name_problem("192.0.2.1") is None
    assert text.host_name_problem("a" * 64 + ".example") is not None


def test_year_one_is_written_with_four_digits() -> None:
    (task,) = validate_tasks([{"a_number": A, "b_number": B,
                               "start_time_utc": "0001-01-01 00:00:00"}], 1)
    assert timefmt.format(task.start_time_utc) == "0001-01-01 00:00:00"
    assert timefmt.iso(datetime(999, 5, 6, 7, 8, 9, tzinfo=UTC)) == "0999-05-06T07:08:09.000Z"


@pytest.mark.parametrize("name", [f"sched{NUL}", f"sched{SURROGATE}", "two\nlines"])
def test_scheduler_names_with_control_characters_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput) as invalid:
        scheduler_input.new_scheduler({"name": name})
    assert [e.field for e in invalid.value.errors] == ["name"]


RECORD = {"operationName": "RescheduleRecord", "applicationId": 1, "campaignName": "c",
          "callbackType": "Personal", "timestamp": 2_000_000_000, "devicePath": "d"}


@pytest.mark.parametrize("handle", ["²", "¹", "٣", "12\n", "1²"])
def test_record_handles_are_ascii_digits(handle: str) -> None:
    with pytest.raises(InvalidInput) as invalid:
        record_input.reschedule(handle, RECORD)
    assert [e.field for e in invalid.value.errors] == ["record_handle"]


@pytest.mark.parametrize("bad", [NUL, SURROGATE])
@pytest.mark.parametrize("field", ["referenceId", "campaignName", "devicePath"])
def test_record_texts_with_nul_or_surrogates_are_refused(field: str, bad: str) -> None:
    with pytest.raises(InvalidInput) as invalid:
        record_input.reschedule("7", {**RECORD, field: f"ref{bad}"})
    assert [e.field for e in invalid.value.errors] == [field]
