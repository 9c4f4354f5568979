"""A scheduler's calling rules through the API (real HTTP, PostgreSQL): stored as given
(normalised), shown in the scheduler document and in /stats, merged by PATCH, refused with
a 400 naming the field and the rule, and then nothing changes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api_fixtures import Api, served_api
from tests.integration.test_api_errors import error_of

__all__ = ["served_api"]

RULES: dict[str, Any] = {
    "calling_windows": {"mon": [["13:00", "20:00"], ["09:00", "12:00"]], "sat": []},
    "holidays_country": "US",
    "skip_dates": ["2026-12-31", "2026-12-24"],
    "default_timezone": "America/New_York",
    "retry_rules": {"b_busy": {"pause_s": 60, "factor": 2, "max_pause_s": 3600},
                    "b_rejected": {"final": True}},
    "number_caps": {"per_24h": 3, "per_local_day": 2, "cooldown_after_rejected_s": 86400},
}
SHOWN_WINDOWS = {"mon": [["09:00", "12:00"], ["13:00", "20:00"]], "tue": [], "wed": [],
                 "thu": [], "fri": [], "sat": [], "sun": []}


def _scheduler(served_api: Api, body: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    client_id, token = served_api.new_client()
    base = f"/client/{client_id}/task_scheduler"
    created = served_api.call("POST", f"{base}/", token, json={"name": "rules", **body})
    assert created.status_code == 201, created.text
    return f"{base}/{created.json()['id']}", token, created.json()


def test_rules_are_stored_normalised_and_shown_by_get_and_stats(served_api: Api) -> None:
    path, token, created = _scheduler(served_api, RULES)
    assert created["calling_windows"] == SHOWN_WINDOWS  # sorted; days not given are closed
    assert created["skip_dates"] == ["2026-12-24", "2026-12-31"]
    assert (created["holidays_country"], created["default_timezone"],
            created["calling_window_preset"]) == ("US", "America/New_York", None)
    assert created["retry_rules"]["b_busy"] == {
        "pause_s": 60, "factor": 2, "max_pause_s": 3600, "spend_try": True, "final": False}
    assert created["retry_rules"]["b_rejected"]["final"] is True
    assert created["number_caps"]["per_24h"] == 3
    assert served_api.call("GET", path, token).json() == created
    stats = served_api.call("GET", f"{path}/stats", token).json()
    assert stats["calling_rules"]["calling_windows"] == SHOWN_WINDOWS
    assert stats["calling_rules"]["number_caps"] == created["number_caps"]


def test_a_patch_merges_calling_fields_into_the_stored_rules(served_api: Api) -> None:
    path, token, created = _scheduler(served_api, RULES)
    patched = served_api.call("PATCH", path, token, json={"holidays_country": "FR"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["calling_windows"] == SHOWN_WINDOWS  # kept
    assert patched.json()["holidays_country"] == "FR"
    # A preset beside the stored windows is refused, naming the field; nothing changes.
    refused = served_api.call("PATCH", path, token, json={"calling_window_preset": "us_federal"})
    error = error_of(refused, 400)
    assert [f["field"] for f in error["fields"]] == ["calling_window_preset"]
    assert served_api.call("GET", path, token).json() == patched.json()
    # Windows cleared and a preset given in one PATCH: the preset rules.
    swapped = served_api.call("PATCH", path, token, json={
        "calling_windows": None, "calling_window_preset": "fr_consumer"})
    assert swapped.status_code == 200, swapped.text
    assert (swapped.json()["calling_windows"], swapped.json()["calling_window_preset"]) == (
        None, "fr_consumer")
    cleared = served_api.call("PATCH", path, token, json={"retry_rules": None})
    assert cleared.json()["retry_rules"] is None
    assert cleared.json()["number_caps"] == created["number_caps"]


@pytest.mark.parametrize(("body", "field", "rule_part"), [
    ({"calling_windows": {"mon": [["09:00", "25:00"]]}}, "calling_windows.mon[0][1]", "HH:MM"),
    ({"calling_windows": {"mon": [["12:00", "09:00"]]}}, "calling_windows.mon[0]", "before"),
    ({"calling_windows": {"funday": []}}, "calling_windows.funday", "is not a day: use mon"),
    ({"calling_window_preset": "everywhere"}, "calling_window_preset", "us_federal"),
    ({"holidays_country": "XX"}, "holidays_country", "ISO 3166"),
    ({"skip_dates": ["2026-02-30"]}, "skip_dates[0]", "date"),
    ({"default_timezone": "Mars/Olympus_Mons"}, "default_timezone", "zone"),
    ({"retry_rules": {"c_busy": {"pause_s": 1}}}, "retry_rules.c_busy",
     "is not an outcome: use a_busy"),
    ({"retry_rules": {"b_busy": {"factor": 0.5}}}, "retry_rules.b_busy.factor", "1"),
    ({"number_caps": {"per_24h": 0}}, "number_caps.per_24h", "whole number"),
])
def test_bad_rules_answer_400_naming_field_and_rule_and_store_nothing(
    served_api: Api, body: dict[str, Any], field: str, rule_part: str
) -> None:
    client_id, token = served_api.new_client()
    base = f"/client/{client_id}/task_scheduler"
    error = error_of(served_api.call("POST", f"{base}/", token, json={"name": "x", **body}), 400)
    assert [f["field"] for f in error["fields"]] == [field], error
    assert rule_part in error["fields"][0]["rule"], error
    # Nothing stored: the name is still free.
    assert served_api.call("POST", f"{base}/", token, json={"name": "x"}).status_code == 201
    scheduler_path = f"{base}/{served_api.new_scheduler(client_id, token)}"
    before = served_api.call("GET", scheduler_path, token).json()
    error_of(served_api.call("PATCH", scheduler_path, token, json=body), 400)
    assert served_api.call("GET", scheduler_path, token).json() == before
