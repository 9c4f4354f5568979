"""Ids in paths are ASCII digits (README): every route of the OpenAPI document that takes an
id refuses the other spellings Python's int() reads as the same number ("1_0", "1.0",
"+1", " 1", other scripts' digits) with 400 naming the parameter, or 404, and changes
nothing (issue 23, defect 5)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.integration.api_fixtures import Api, served_api

__all__ = ["served_api"]
A, B = "+15550000001", "+15550000002"
EXTENSION = 10
# The route parameters that hold a row's id, integer-typed or read by the route itself.
ID_PARAMS = frozenset({"client_id", "scheduler_id", "task_id", "extension_id", "job_id",
                       "record_handle", "vdn_id", "campaign_id"})
# The other parameters those routes take.
OTHERS = {"action": "pause", "number": B, "call_uuid": "00000000-0000-4000-8000-000000000000"}
# Digits of other scripts, which int() reads: Arabic-Indic and fullwidth.
ARABIC_INDIC, FULLWIDTH = (str.maketrans("0123456789", "".join(chr(first + n) for n in range(10)))
                           for first in (0x0660, 0xFF10))


def spellings(value: int) -> list[str]:
    """``value`` as int() reads it, but not in ASCII digits alone."""
    digits = str(value)
    return [f"{digits[:-1]}_{digits[-1]}", f"{digits}.0", f"+{digits}", f" {digits}",
            f"{digits} ", f"0{digits}\n", digits.translate(ARABIC_INDIC),
            digits.translate(FULLWIDTH)]


def id_routes(api: Api) -> list[tuple[str, str, list[str]]]:
    """(method, path template, its id parameters) for every route taking an id."""
    document = api.http.get(api.base_url + "/openapi.json").json()
    found = []
    for template, operations in document["paths"].items():
        params = [name for name in ID_PARAMS if f"{{{name}}}" in template]
        found += [(method.upper(), template, params) for method in operations
                  if params and method in ("get", "post", "patch", "delete", "put")]
    return found


@pytest.fixture(scope="module")
def rows(served_api: Api) -> tuple[str, dict[str, int]]:
    """A client with a scheduler, a task (so a job) and a SIP account: the ids a lax
    reading of a path would find."""
    client_id, token = served_api.new_client()
    scheduler_id = served_api.new_scheduler(client_id, token)
    added = served_api.call(
        "POST", f"/client/{client_id}/task_scheduler/{scheduler_id}/tasks/", token,
        json={"tasks": [{"a_number": A, "b_number": B, "start_time_utc": "2035-01-01 00:00:00"}]})
    assert added.status_code == 201, added.text
    account = served_api.call("POST", f"/client/{client_id}/sip_accounts/", token, json={
        "extension_id": EXTENSION, "username": "ext10", "password": "secret"})
    assert account.status_code == 201, account.text
    task_id = int(added.json()["tasks"][0]["id"])
    return token, {"client_id": client_id, "vdn_id": client_id, "scheduler_id": scheduler_id,
                   "campaign_id": scheduler_id, "task_id": task_id, "record_handle": task_id,
                   "job_id": int(added.json()["job_id"]), "extension_id": EXTENSION}


def refused(response: httpx.Response, param: str) -> bool:
    """400 naming ``param`` (or a seed page's own error code), or 404."""
    if response.status_code == 404:
        return True
    if response.status_code != 400:
        return False
    error = response.json().get("error")
    return error is None or param in [field["field"] for field in error["fields"]]


def test_every_route_refuses_ids_not_in_ascii_digits(
    served_api: Api, rows: tuple[str, dict[str, int]]
) -> None:
    token, ids = rows
    routes = id_routes(served_api)
    assert {param for _, _, params in routes for param in params} == ID_PARAMS
    accepted = []
    for method, template, params in routes:
        for param in params:
            for spelling in spellings(ids[param]):
                path = template.format(**{**OTHERS, **{name: ids[name] for name in params},
                                          param: quote(spelling, safe="+")})
                response = served_api.call(method, path, token, json={} if method in (
                    "POST", "PATCH", "PUT") else None)
                if not refused(response, param):
                    accepted.append((method, template, repr(spelling), response.status_code))
    assert accepted == []
    account = served_api.call("GET", f"/client/{ids['client_id']}/sip_accounts/{EXTENSION}",
                              token)
    assert account.status_code == 200, account.text  # no DELETE reached it


def test_ascii_digits_still_read_with_leading_zeros(
    served_api: Api, rows: tuple[str, dict[str, int]]
) -> None:
    token, ids = rows
    scheduler = f"/client/0{ids['client_id']}/task_scheduler/{ids['scheduler_id']}"
    response = served_api.call("GET", f"{scheduler}/task/00{ids['task_id']}", token)
    assert response.status_code == 200, response.text
    error: dict[str, Any] = served_api.call(
        "GET", f"{scheduler}/task/+{ids['task_id']}", token).json()["error"]
    assert error["fields"][0]["field"] == "task_id"
    assert "ASCII digits" in error["fields"][0]["rule"]
