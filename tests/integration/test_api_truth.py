"""What the OpenAPI document says is what the API does: links from the operations that
create a scheduler and add tasks lead to the operations using their ids (followed here by
hand); /metrics says its token is optional; Last-Event-ID shows its pattern; a 405 lists
every method of the path; job ids are opaque strings, and an unknown one of any shape
answers 404 on every job route."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api_fixtures import Api, served_api

__all__ = ["served_api"]
VENDOR_ACCEPT = {"Accept": "application/vnd.newvoicemedia.v1+json"}


def document(api: Api) -> dict[str, Any]:
    found: dict[str, Any] = api.http.get(api.base_url + "/openapi.json").json()
    return found


def operations(doc: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {op["operationId"]: (path, method, op) for path, ops in doc["paths"].items()
            for method, op in ops.items()}


def resolve(expression: str, request_path: dict[str, Any], body: Any) -> Any:
    """An OpenAPI runtime expression over the request's path and the response body."""
    if expression.startswith("$request.path."):
        return request_path[expression.removeprefix("$request.path.")]
    value = body
    for part in expression.removeprefix("$response.body#/").split("/"):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def follow(api: Api, token: str, links: dict[str, Any], ops: dict[str, Any],
           request_path: dict[str, Any], body: Any) -> dict[str, int]:
    """Call each linked GET (and a job action) with the parameters the link gives."""
    answers = {}
    for name, link in links.items():
        path, method, op = ops[link["operationId"]]
        values = {key: resolve(expr, request_path, body)
                  for key, expr in link["parameters"].items()}
        declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert set(values) <= declared and declared - set(values) <= {"action"}, name
        values.setdefault("action", "pause")
        url = path.format(**values)
        if method == "get":
            answers[name] = api.call("GET", url, token).status_code
        elif name == "ChangeJobStatus":
            answers[name] = api.call("POST", url, token, headers=VENDOR_ACCEPT).status_code
    return answers


def test_links_lead_from_a_new_scheduler_and_new_tasks_to_what_uses_their_ids(
    served_api: Api
) -> None:
    doc, client_id = document(served_api), None
    ops = operations(doc)
    client_id, token = served_api.new_client()
    created = served_api.call("POST", f"/client/{client_id}/task_scheduler/", token,
                              json={"name": "linked"})
    links = doc["paths"]["/client/{client_id}/task_scheduler/"]["post"]["responses"]["201"][
        "links"]
    assert {"GetScheduler", "AddTasks", "ListTasks", "SchedulerStats"} <= set(links)
    assert set(follow(served_api, token, links, ops, {"client_id": client_id},
                      created.json()).values()) == {200}

    scheduler_id = created.json()["id"]
    added = served_api.call("POST", f"/client/{client_id}/task_scheduler/{scheduler_id}/tasks/",
                            token, json={"tasks": [{"a_number": "+15550000001",
                                                    "b_number": "+15550000002",
                                                    "start_time_utc": "2035-01-01 00:00:00"}]})
    assert isinstance(added.json()["job_id"], str)
    task_links = doc["paths"]["/client/{client_id}/task_scheduler/{scheduler_id}/tasks/"][
        "post"]["responses"]["201"]["links"]
    assert {"GetJob", "ChangeJobStatus", "GetTask", "WhyTask", "TaskEvents"} <= set(task_links)
    answers = follow(served_api, token, task_links, ops,
                     {"client_id": client_id, "scheduler_id": scheduler_id}, added.json())
    assert answers == {"GetJob": 200, "ChangeJobStatus": 204, "GetTask": 200, "WhyTask": 200,
                       "TaskEvents": 200}


def test_the_document_says_what_metrics_and_the_event_stream_take(served_api: Api) -> None:
    doc = document(served_api)
    assert doc["paths"]["/metrics"]["get"]["security"] == [{}, {"bearer": []}]
    (last_event_id,) = [p for p in doc["paths"]["/events"]["get"]["parameters"]
                        if p["name"].lower() == "last-event-id"]
    assert last_event_id["schema"]["anyOf"][0]["pattern"] == "^[0-9]{1,18}$"


def test_a_405_lists_every_method_of_the_path(served_api: Api) -> None:
    client_id, token = served_api.new_client()
    scheduler_id = served_api.new_scheduler(client_id, token)
    for path, methods in ((f"/client/{client_id}/task_scheduler/{scheduler_id}", "GET, PATCH"),
                          (f"/client/{client_id}/dnc/", "GET, POST"),
                          (f"/client/{client_id}/task_scheduler/{scheduler_id}/tasks/",
                           "GET, POST")):
        answer = served_api.call("DELETE", path, token)
        assert (answer.status_code, answer.headers["allow"]) == (405, methods)


@pytest.mark.parametrize("job_id", ["999999", "0", "abc", "1.5", "-3", "%00", "9" * 40,
                                    "fe4b9c24-d305-492e-90e2-ddbdd7a36555"])
def test_an_unknown_job_id_of_any_shape_answers_404_on_every_job_route(
    served_api: Api, job_id: str
) -> None:
    _, token = served_api.new_client()
    for method, path, headers in (("GET", f"/jobs/{job_id}", {}),
                                  ("POST", f"/interactions/jobs/{job_id}/pause", VENDOR_ACCEPT),
                                  ("POST", f"/interactions/jobs/{job_id}/cancel",
                                   VENDOR_ACCEPT)):
        answer = served_api.call(method, path, token, headers=headers)
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.json()["error"]["fields"] == [{"field": "job_id", "rule": "names no job"}
                                                    ] or "not found" in answer.text


def test_job_ids_in_documents_are_strings(served_api: Api) -> None:
    client_id, token = served_api.new_client()
    scheduler_id = served_api.new_scheduler(client_id, token)
    added = served_api.call("POST", f"/client/{client_id}/task_scheduler/{scheduler_id}/tasks/",
                            token, json={"tasks": [{"a_number": "+15550000001",
                                                    "b_number": "+15550000002",
                                                    "start_time_utc": "2035-01-01 00:00:00"}]}
                            ).json()
    job_id = added["job_id"]
    assert isinstance(job_id, str)
    job = served_api.call("GET", f"/jobs/{job_id}", token).json()
    assert job["id"] == job_id
    listed = served_api.call("GET", "/jobs", token).json()["jobs"]
    assert [j["id"] for j in listed] == [job_id]
    task_id = added["tasks"][0]["id"]
    why = served_api.call("GET", f"/client/{client_id}/task_scheduler/{scheduler_id}/task/"
                                 f"{task_id}/why", token).json()
    assert why["job_id"] == job_id
