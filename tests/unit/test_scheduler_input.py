"""Scheduler bodies: settings validated, each error naming its field and rule."""

from __future__ import annotations

from typing import Any

import pytest

from api import scheduler_input
from models.rules.errors import InvalidInput


def test_a_new_scheduler_maps_api_fields_to_columns() -> None:
    assert scheduler_input.new_scheduler({
        "name": " evening ", "concurrent_task_limit": 3, "interval": 2, "asr_threshold": 50,
        "asr_window": 10, "asr_min_attempts": 5, "asr_pause": 60,
    }) == {"name": "evening", "concurrent_task_limit": 3, "interval_s": 2,
           "asr_threshold": 50.0, "asr_window": 10, "asr_min_attempts": 5, "asr_pause_s": 60}


@pytest.mark.parametrize(("body", "field", "rule_part"), [
    ({"name": "x", "concurrent_task_limit": 0}, "concurrent_task_limit", "from 1"),
    ({"name": "x", "interval": -1}, "interval", "from 0"),
    ({"name": "x", "asr_threshold": 101}, "asr_threshold", "0 to 100"),
    ({"name": "x", "asr_threshold": -0.5}, "asr_threshold", "0 to 100"),
    ({"name": "x", "asr_window": 0}, "asr_window", "from 1"),
    ({"name": "x", "asr_pause": -3}, "asr_pause", "from 0"),
    ({"name": "x", "asr_pause": True}, "asr_pause", "whole number"),
    ({"name": "x", "interval": "2"}, "interval", "whole number"),
    ({"name": "  "}, "name", "1 to 200"),
    ({"name": "x", "speed": 1}, "speed", "not a known scheduler field"),
    ({}, "name", "is required"),
])
def test_bad_settings_are_refused_naming_field_and_rule(
    body: dict[str, Any], field: str, rule_part: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        scheduler_input.new_scheduler(body)
    assert [e.field for e in raised.value.errors] == [field]
    assert rule_part in raised.value.errors[0].rule


def test_changes_may_turn_rules_off_but_must_change_something() -> None:
    assert scheduler_input.scheduler_changes(
        {"concurrent_task_limit": None, "asr_threshold": None}) == {
        "concurrent_task_limit": None, "asr_threshold": None}
    with pytest.raises(InvalidInput, match="at least one field"):
        scheduler_input.scheduler_changes({})
    with pytest.raises(InvalidInput, match="JSON object"):
        scheduler_input.scheduler_changes([1])
