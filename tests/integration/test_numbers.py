"""One number whatever its spelling, on real API, worker and beat processes: a number is read
once, at intake, under its scheduler's default_region, and the do-not-call lists, the caps,
the calling windows, the duplicate rule and the dial string all name that one E.164 number
(the spellings a field test once walked past every rule with)."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from typing import Any

from models import clock
from models.rules import numbering
from tests.integration.job_fixtures import CLIENT_ID, Ops, OpsFactory, ops_factory
from tests.integration.test_calling_holds import NEW_YORK, every_day, in_zone
from tests.integration.test_core_flow import A_NUMBER, task_row

__all__ = ["ops_factory"]

BASE = f"/client/{CLIENT_ID}/task_scheduler"


def scheduler(ops: Ops, name: str, **fields: Any) -> int:
    created = ops.http.post(f"{BASE}/", json={"name": name, **fields})
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def add(ops: Ops, scheduler_id: int, *tasks: dict[str, Any], **params: str) -> Any:
    return ops.http.post(f"{BASE}/{scheduler_id}/tasks/", json={"tasks": list(tasks)},
                         params=params)


def b_dials(ops: Ops) -> list[str]:
    return [dial["number"] for dial in ops.dials() if dial["leg"] == "B"]


def test_every_spelling_of_a_listed_number_is_refused(ops_factory: OpsFactory) -> None:
    ops = ops_factory({"default": "answer"})
    assert ops.http.post(f"/client/{CLIENT_ID}/dnc/",
                         json={"numbers": ["+15550100001"]}).status_code == 201
    subprocess.run([sys.executable, "-m", "api.cli", "dnc", "add", "--global", "--region", "FR",
                    "0123456780"], env=ops.stack.env, check=True, capture_output=True,
                   timeout=60)
    us, fr = scheduler(ops, "us", default_region="US"), scheduler(ops, "fr",
                                                                   default_region="FR")
    for scheduler_id, written, scope in (
            (us, "5550100001", "the client's"), (us, "15550100001", "the client's"),
            (fr, "0015550100001", "the client's"), (fr, "0123456780", "the installation-wide"),
            (fr, "0033123456780", "the installation-wide"),
            (us, "01133123456780", "the installation-wide")):
        refused = add(ops, scheduler_id, {"a_number": A_NUMBER, "b_number": written})
        assert refused.status_code == 400, (written, refused.text)
        assert refused.json()["error"]["fields"] == [{
            "field": "tasks[0].b_number", "rule": f"is on {scope} do-not-call list"}]
    # Without a region a national number is no number at all; nothing is stored either way.
    plain = scheduler(ops, "plain")
    refused = add(ops, plain, {"a_number": A_NUMBER, "b_number": "+15550100099"},
                  {"a_number": A_NUMBER, "b_number": "5550100001"})
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == [
        {"field": "tasks[1].b_number", "rule": numbering.NO_REGION_RULE}]
    for scheduler_id in (us, fr, plain):
        assert ops.http.get(f"{BASE}/{scheduler_id}/tasks/").json()["tasks"] == []


def test_a_number_listed_in_another_spelling_after_adding_is_never_dialled(
    ops_factory: OpsFactory
) -> None:
    ops = ops_factory({"default": "answer"})
    us = scheduler(ops, "us", default_region="US")
    start = (clock.now() + timedelta(seconds=3)).strftime("%Y-%m-%d %H:%M:%S")
    added = add(ops, us, {"a_number": A_NUMBER, "b_number": "5550100007",
                          "start_time_utc": start})
    assert added.status_code == 201, added.text
    task = added.json()["tasks"][0]
    assert task["b_number"] == "5550100007"  # the seed's object: as the client wrote it
    assert ops.http.post(f"/client/{CLIENT_ID}/dnc/",
                         json={"numbers": ["+1 555 010 0007"]}).status_code == 201
    ops.stack.wait_for(lambda: task_row(ops.engine, task["id"]).status == "finished", 20,
                       "the task to end")
    assert task_row(ops.engine, task["id"]).finish_comment == (
        "do-not-call: B number +15550100007 is on the client's do-not-call list")
    assert b_dials(ops) == []


def test_a_lifetime_cap_counts_every_spelling_across_schedulers(ops_factory: OpsFactory) -> None:
    ops = ops_factory({"default": "answer"})
    caps = {"number_caps": {"lifetime": 1}}
    us = scheduler(ops, "us", default_region="US", **caps)
    fr = scheduler(ops, "fr", default_region="FR", **caps)
    first = add(ops, us, {"a_number": A_NUMBER, "b_number": "+15550910001"},
                {"a_number": A_NUMBER, "b_number": "15550910001"}).json()["tasks"]
    second = add(ops, fr, {"a_number": A_NUMBER, "b_number": "0015550910001"}).json()["tasks"]
    ids = [t["id"] for t in (*first, *second)]
    ops.stack.wait_for(lambda: all(task_row(ops.engine, i).status == "finished" for i in ids),
                       30, "every task to end")
    assert b_dials(ops) == ["+15550910001"]  # once, in E.164, whatever was written
    comments = sorted(str(task_row(ops.engine, i).finish_comment) for i in ids)
    assert comments[0].startswith("A and B connected")
    assert comments[1:] == ["number cap: +15550910001 dialled 1 times, lifetime cap 1"] * 2


def test_a_national_number_waits_for_its_own_zone_s_window(ops_factory: OpsFactory) -> None:
    ops = ops_factory({"default": "answer"})
    now = clock.now()
    # Open now in UTC for an hour, and so closed in New York (four or five hours behind).
    us = scheduler(ops, "us", default_region="US", default_timezone="UTC",
                   calling_windows=every_day(in_zone(now - timedelta(minutes=1), "UTC"), 3600))
    added = add(ops, us, {"a_number": A_NUMBER, "b_number": "12125550100"},
                {"a_number": A_NUMBER, "b_number": "+12125550100"})
    ids = [t["id"] for t in added.json()["tasks"]]
    ops.stack.wait_for(lambda: all(task_row(ops.engine, i).status == "delayed_calling_window"
                                   for i in ids), 20, "both spellings to be held")
    why = ops.http.get(f"{BASE}/{us}/task/{ids[0]}/why").json()
    window = next(c for c in why["causes"] if c["cause"] == "calling_window")
    assert [zone["zone"] for zone in window["zones"]] == [NEW_YORK], window
    assert b_dials(ops) == []


def test_the_duplicate_rule_sees_one_number_in_two_spellings(ops_factory: OpsFactory) -> None:
    ops = ops_factory({"default": "answer"})
    us = scheduler(ops, "us", default_region="US", duplicate_b_number="refuse")
    start = "2035-01-01 00:00:00"
    stored = add(ops, us, {"a_number": A_NUMBER, "b_number": "+15550100031",
                           "start_time_utc": start})
    assert stored.status_code == 201, stored.text
    refused = add(ops, us, {"a_number": A_NUMBER, "b_number": "5550100031",
                            "start_time_utc": start})
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"][0]["field"] == "tasks[0].b_number"


def test_pbx_extensions_ring_as_written_and_b_in_e164(ops_factory: OpsFactory) -> None:
    ops = ops_factory({"default": "answer"})
    pbx = scheduler(ops, "pbx", default_region="GB", a_number_type="pbx_extension")
    added = add(ops, pbx, {"a_number": "1001", "b_number": "02071234567",
                           "callback_params": {"extended_a_numbers": ["1002"]}})
    assert added.status_code == 201, added.text
    task_id = added.json()["tasks"][0]["id"]
    ops.stack.wait_for(lambda: task_row(ops.engine, task_id).status == "finished", 20,
                       "the call to end")
    dialled = {(d["leg"], d["number"]) for d in ops.dials()}
    assert dialled == {("A", "1001"), ("A", "1002"), ("B", "+442071234567")}
    shown = ops.http.get(f"{BASE}/{pbx}").json()
    assert (shown["default_region"], shown["a_number_type"]) == ("GB", "pbx_extension")
    for body, field in (({"default_region": "gb"}, "default_region"),
                        ({"a_number_type": "sip"}, "a_number_type")):
        refused = ops.http.patch(f"{BASE}/{pbx}", json=body)
        assert refused.status_code == 400
        assert [f["field"] for f in refused.json()["error"]["fields"]] == [field]


def test_the_dry_run_reads_numbers_as_adding_would(ops_factory: OpsFactory) -> None:
    ops = ops_factory({"default": "answer"})
    plain, us = scheduler(ops, "plain"), scheduler(ops, "us", default_region="US")
    tasks = [{"a_number": A_NUMBER, "b_number": "5550100041"}]
    refused = add(ops, plain, *tasks, dry_run="true").json()["items"][0]
    assert (refused["verdict"], refused["reason"], refused["errors"]) == (
        "refuse", "invalid", [{"field": "tasks[0].b_number", "rule": numbering.NO_REGION_RULE}])
    assert add(ops, us, *tasks, dry_run="true").json()["items"][0]["verdict"] == "dial_now"
