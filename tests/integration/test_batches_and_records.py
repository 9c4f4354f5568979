"""Suspending a call batch, rescheduling a record, and actions while the broker is down."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from models import clock
from tests import support
from tests.integration.job_fixtures import STATUS_OF_CODE, OpsFactory, numbers, ops_factory
from tests.integration.test_core_flow import CLIENT_ID

__all__ = ["ops_factory"]
LATER = "2035-01-01 00:00:00"


def suspend(ops: Any, vdn: object, campaign: object, body: Any) -> dict[str, str]:
    response = ops.http.post(f"/rest/isales/v1/openapi/campaigns/{vdn}/callbatch/{campaign}"
                             "/pause", json=body)
    result = dict(response.json())
    assert response.status_code == STATUS_OF_CODE[result["resultCode"]], response.text
    assert result["resultCode"] == result["returnCode"]
    return result


def test_suspending_a_batch_answers_the_seed_codes(ops_factory: OpsFactory) -> None:
    ops = ops_factory()
    job_id, task_ids = ops.add_job([{**t, "start_time_utc": LATER}
                                    for t in numbers("+1555660", 3)])
    first = suspend(ops, CLIENT_ID, ops.scheduler_id, {"id": str(job_id)})
    assert (first["resultCode"], first["resultDesc"]) == ("0200000", "success")
    assert ops.job(job_id)["status"] == "Paused"
    ops.wait_statuses(task_ids, {"paused": 3})
    again = suspend(ops, CLIENT_ID, ops.scheduler_id, {"id": str(job_id)})
    assert again["resultCode"] == "03000006"
    codes = {
        "empty": suspend(ops, CLIENT_ID, ops.scheduler_id, {"id": ""})["resultCode"],
        "missing": suspend(ops, CLIENT_ID, ops.scheduler_id, {})["resultCode"],
        "bad vdn": suspend(ops, 0, ops.scheduler_id, {"id": str(job_id)})["resultCode"],
        "bad id": suspend(ops, CLIENT_ID, ops.scheduler_id, {"id": "x1"})["resultCode"],
        "campaign": suspend(ops, CLIENT_ID, ops.scheduler_id + 99, {"id": "1"})["resultCode"],
        "other vcc": suspend(ops, CLIENT_ID + 1, ops.scheduler_id, {"id": "1"})["resultCode"],
        "batch": suspend(ops, CLIENT_ID, ops.scheduler_id, {"id": "999999"})["resultCode"],
    }
    assert codes == {"empty": "02000001", "missing": "02000001", "bad vdn": "0200001",
                     "bad id": "0200001", "campaign": "0200007", "other vcc": "0200007",
                     "batch": "03000004"}
    assert ops.act(job_id, "cancel").status_code == 204
    cancelled = suspend(ops, CLIENT_ID, ops.scheduler_id, {"id": job_id})
    assert cancelled["resultCode"] == "03000002" and "Cancelled" in cancelled["resultDesc"]


def read_stream_until(response: httpx.Response, event_type: str) -> dict[str, Any]:
    current: dict[str, str] = {}
    for line in response.iter_lines():
        if line:
            name, _, value = line.partition(": ")
            current[name] = value
            continue
        if current.get("event") == event_type:
            return dict(json.loads(current["data"]))
        current = {}
    raise AssertionError(f"the stream ended before a {event_type} event")


def test_a_reschedule_is_acknowledged_on_the_stream_with_its_reference_id(
    ops_factory: OpsFactory,
) -> None:
    ops = ops_factory()
    _, (task_id,) = ops.add_job([{**numbers("+1555670", 1)[0], "start_time_utc": LATER,
                                  "extension_id": 12}])
    moved_to = int(clock.now().timestamp()) + 3600
    body = {"operationName": "RescheduleRecord", "applicationId": 134,
            "campaignName": "Campaign1", "callbackType": "Campaign", "timestamp": moved_to,
            "devicePath": "/devices/d8a19a8d", "referenceId": "ref-123456789"}
    answer = ops.http.post(f"/api/v2/me/outbound-records/{task_id}", json=body)
    assert answer.status_code == 200 and answer.json() == {"statusCode": 0}
    with ops.http.stream("GET", "/events") as stream:
        ack = read_stream_until(stream, "ScheduledRecordRescheduleAcknowledge")
    assert ack["referenceId"] == "ref-123456789"
    assert ack["record"]["recordHandle"] == task_id
    assert ack["task"]["extension_id"] is None  # Campaign: any extension may take it
    task = ops.http.get(f"/client/{CLIENT_ID}/task_scheduler/{ops.scheduler_id}"
                        f"/task/{task_id}").json()
    assert task["start_time_utc"] == time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(moved_to))
    refused = ops.http.post(f"/api/v2/me/outbound-records/{task_id}",
                            json={**body, "callbackType": "Nobody", "timestamp": -1})
    assert refused.status_code == 400 and refused.json()["statusCode"] == 1
    assert "callbackType" in refused.json()["statusMessage"]
    assert "timestamp" in refused.json()["statusMessage"]
    broken = ops.http.post(f"/api/v2/me/outbound-records/{task_id}", content=b"{",
                           headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json()["statusCode"] == 1
    missing = ops.http.post("/api/v2/me/outbound-records/999999", json=body)
    assert missing.status_code == 404 and missing.json()["statusCode"] == 2


def test_actions_sent_while_the_broker_is_down_take_effect_once_it_is_back(
    ops_factory: OpsFactory, own_redis: support.OwnRedis
) -> None:
    ops = ops_factory(broker_url=f"redis://127.0.0.1:{own_redis.port}/0")
    job_id, task_ids = ops.add_job([{**t, "start_time_utc": LATER}
                                    for t in numbers("+1555680", 4)])
    own_redis.kill()
    assert ops.act(job_id, "pause").status_code == 204
    assert ops.job(job_id)["status"] == "Paused"  # true the moment it was answered
    assert ops.statuses(task_ids) == {"scheduled": 4}
    own_redis.start()  # empty: the message of the pause was never stored anywhere
    ops.wait_statuses(task_ids, {"paused": 4}, timeout_s=60)
