"""SIP accounts over real HTTP: create, list, read, delete; a write-only password; tenants
kept apart; and, under the SIP dialer only, tasks that must name an account of their client."""

from __future__ import annotations

import io
import traceback
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from api import csv_import, enqueue
from models import clock
from models.rules.errors import InvalidInput
from models.shapes.account_input import NewAccount
from models.storage.call_tables import sip_accounts
from models.storage.repository import clients_repo, sip_accounts_repo
from models.storage.tables import tasks
from tests import support
from tests.integration.api_fixtures import Api, api_env, served_api
from tests.integration.test_api_errors import error_of
from tests.integration.test_core_flow import CLIENT_ID, new_scheduler

__all__ = ["served_api"]
A, B = "+15550000001", "+15550000002"
LATER = "2035-01-01 00:00:00"  # tasks that stay waiting: nothing here dials


@pytest.fixture(scope="module")
def sip_api(
    pg_template: str, redis_db: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    """`ringback api` with RINGBACK_DIALER=sip, on a database of its own."""
    name = support.clone_database(pg_template)
    url = support.pg_url(name)
    env = api_env(url, redis_db, dialer="sip", api_rate_per_s=1000, api_rate_burst=1000)
    workdir = tmp_path_factory.mktemp("sip-api")
    server = support.ApiServer.start(env, workdir)
    with support.engine_for(url) as engine:
        api = Api(server.base_url, engine, env, log_path=workdir / "api.log")
        try:
            yield api
        finally:
            api.http.close()
            server.stop()
    support.drop_database(name)


def accounts_path(client_id: int, extension_id: int | None = None) -> str:
    return f"/client/{client_id}/sip_accounts/" + ("" if extension_id is None
                                                    else str(extension_id))


def create(api: Api, client_id: int, token: str, extension_id: int,
           **fields: Any) -> httpx.Response:
    account = {"extension_id": extension_id, "username": f"ext{extension_id}",
               "password": "pw", **fields}
    return api.call("POST", accounts_path(client_id), token, json=account)


def test_accounts_are_created_listed_read_and_deleted(served_api: Api) -> None:
    client_id, token = served_api.new_client()
    created = create(served_api, client_id, token, 20, domain="pbx.example",
                     trunk="sip:sbc.example:5080;transport=tcp")
    assert created.status_code == 201, created.text
    account = created.json()
    assert list(account) == ["extension_id", "username", "domain", "trunk", "password_set",
                             "create_date_utc"]
    assert account["password_set"] is True and len(account["create_date_utc"]) == 19
    assert (account["extension_id"], account["username"], account["domain"],
            account["trunk"]) == (20, "ext20", "pbx.example", "sip:sbc.example:5080;transport=tcp")
    assert create(served_api, client_id, token, 10).status_code == 201
    listed = served_api.call("GET", accounts_path(client_id), token).json()
    assert [a["extension_id"] for a in listed["accounts"]] == [10, 20]
    assert listed["accounts"][1] == account
    assert served_api.call("GET", accounts_path(client_id, 20), token).json() == account
    deleted = served_api.call("DELETE", accounts_path(client_id, 20), token)
    assert (deleted.status_code, deleted.content) == (204, b"")
    for method in ("GET", "DELETE"):
        missing = error_of(served_api.call(method, accounts_path(client_id, 20), token), 404)
        assert missing["fields"] == [{"field": "extension_id",
                                      "rule": "no SIP account for extension 20"}]
    assert [a["extension_id"] for a in served_api.call(
        "GET", accounts_path(client_id), token).json()["accounts"]] == [10]


def test_a_second_account_for_an_extension_answers_409_even_when_racing(
    served_api: Api
) -> None:
    client_id, token = served_api.new_client()
    assert create(served_api, client_id, token, 7, username="first").status_code == 201
    again = error_of(create(served_api, client_id, token, 7, username="second"), 409)
    assert again["fields"][0]["field"] == "extension_id"
    assert served_api.call("GET", accounts_path(client_id, 7), token).json()[
        "username"] == "first"
    with ThreadPoolExecutor(8) as pool:
        racing = list(pool.map(lambda n: create(served_api, client_id, token, 8,
                                                username=f"racer{n}"), range(8)))
    assert sorted(r.status_code for r in racing) == [201] + [409] * 7


def test_the_password_is_in_no_answer_and_no_log_line(served_api: Api) -> None:
    client_id, token = served_api.new_client()
    secret = f"pw-{uuid.uuid4().hex}"
    answers = [
        create(served_api, client_id, token, 31, password=secret),
        create(served_api, client_id, token, 31, password=secret),  # 409
        create(served_api, client_id, token, 32, password=secret, username="a b"),  # 400
        create(served_api, client_id, token, 33, password=secret + "\x00"),  # 400
        create(served_api, client_id, token, 34, password=secret, domain=secret + " x"),
        create(served_api, client_id, token, 35, password=secret, trunk=f"sip:{secret}@x"),
        served_api.call("GET", accounts_path(client_id), token),
        served_api.call("GET", accounts_path(client_id, 31), token),
        served_api.call("GET", "/events", token, params={"follow": "false"}),
    ]
    assert [r.status_code for r in answers] == [201, 409, 400, 400, 400, 400, 200, 200, 200]
    for answer in answers:
        assert secret.encode() not in answer.content
    with served_api.engine.connect() as conn:  # stored, for the SIP controller only
        stored = sip_accounts_repo.find_for_calls(conn, {(client_id, 31), (client_id, 32)})
    assert list(stored) == [(client_id, 31)] and stored[client_id, 31].password == secret
    assert served_api.log_path is not None
    log = served_api.log_path.read_bytes()
    assert b"/sip_accounts/" in log  # the requests were logged, the password was not
    assert secret.encode() not in log


@pytest.mark.parametrize(("account", "field", "rule_part"), [
    ({"extension_id": 0, "username": "u", "password": "p"}, "extension_id", "from 1"),
    ({"extension_id": 1, "username": "u@x", "password": "p"}, "username", "@"),
    ({"extension_id": 1, "username": "u", "password": ""}, "password", "1 to 200"),
    ({"extension_id": 1, "username": "u", "password": "p", "domain": "-x"}, "domain",
     "host name"),
    ({"extension_id": 1, "username": "u", "password": "p", "trunk": "sip:x:99999"}, "trunk",
     "from 1 to 65535"),
    ({"extension_id": 1, "username": "u", "password": "p", "realm": "x"}, "realm",
     "not a known"),
    ([1], "body", "JSON object"),
])
def test_invalid_accounts_answer_400_naming_field_and_rule(
    served_api: Api, account: Any, field: str, rule_part: str
) -> None:
    client_id, token = served_api.new_client()
    error = error_of(served_api.call("POST", accounts_path(client_id), token, json=account), 400)
    assert [f["field"] for f in error["fields"]] == [field]
    assert rule_part in error["fields"][0]["rule"] and error["message"].startswith(field)
    assert served_api.call("GET", accounts_path(client_id), token).json() == {"accounts": []}
    bad_path = served_api.call("GET", accounts_path(client_id) + "x", token)
    assert [f["field"] for f in error_of(bad_path, 400)["fields"]] == ["extension_id"]


def test_each_client_sees_only_its_own_accounts_both_ways(served_api: Api) -> None:
    (one, one_token), (two, two_token) = served_api.new_client(), served_api.new_client()
    for client_id, token in ((one, one_token), (two, two_token)):
        assert create(served_api, client_id, token, 40,
                      username=f"owner{client_id}").status_code == 201
    for token, other in ((one_token, two), (two_token, one)):
        for method, path in (("GET", accounts_path(other)), ("GET", accounts_path(other, 40)),
                             ("DELETE", accounts_path(other, 40))):
            response = served_api.call(method, path, token)
            error_of(response, 404)
            assert f"owner{other}".encode() not in response.content
        error_of(create(served_api, other, token, 41), 404)
    for client_id, token in ((one, one_token), (two, two_token)):
        mine = served_api.call("GET", accounts_path(client_id), token).json()["accounts"]
        assert [(a["extension_id"], a["username"]) for a in mine] == [(40, f"owner{client_id}")]


def test_accounts_need_the_accounts_scopes(served_api: Api) -> None:
    client_id, _ = served_api.new_client()
    tasks_only = served_api.token(client_id, "tasks:write,tasks:read")
    reader = served_api.token(client_id, "accounts:read")
    assert "accounts:write" in error_of(create(served_api, client_id, tasks_only, 1), 403)[
        "message"]
    assert "accounts:read" in error_of(
        served_api.call("GET", accounts_path(client_id), tasks_only), 403)["message"]
    error_of(create(served_api, client_id, reader, 1), 403)
    error_of(served_api.call("DELETE", accounts_path(client_id, 1), reader), 403)


def test_the_simulated_dialer_takes_any_extension(served_api: Api) -> None:
    client_id, token = served_api.new_client()
    scheduler_id = served_api.new_scheduler(client_id, token)
    added = served_api.call(
        "POST", f"/client/{client_id}/task_scheduler/{scheduler_id}/tasks/", token,
        json={"tasks": [{"a_number": A, "b_number": B, "extension_id": 4242,
                         "start_time_utc": LATER}]})
    assert added.status_code == 201, added.text
    assert added.json()["tasks"][0]["extension_id"] == 4242


def test_under_the_sip_dialer_a_task_names_an_account_of_its_own_client(sip_api: Api) -> None:
    client_id, token = sip_api.new_client()
    other, other_token = sip_api.new_client()
    assert create(sip_api, other, other_token, 12).status_code == 201  # counts for nobody else
    path = f"/client/{client_id}/task_scheduler/{sip_api.new_scheduler(client_id, token)}/tasks/"
    batch = [{"a_number": A, "b_number": B, "start_time_utc": LATER},
             {"a_number": A, "b_number": B, "extension_id": 12, "start_time_utc": LATER}]
    error = error_of(sip_api.call("POST", path, token, json={"tasks": batch}), 400)
    assert error["fields"] == [{
        "field": "tasks[1].extension_id",
        "rule": f"no SIP account for extension 12 (create it at /client/{client_id}/sip_accounts/)",
    }]
    assert sip_api.call("GET", path, token).json()["tasks"] == []
    assert create(sip_api, client_id, token, 12).status_code == 201
    added = sip_api.call("POST", path, token, json={"tasks": batch})
    assert added.status_code == 201, added.text
    assert [t["extension_id"] for t in added.json()["tasks"]] == [None, 12]


def test_the_sip_check_is_one_statement_for_seventy_thousand_extensions(
    engine: sa.Engine
) -> None:
    scheduler_id = new_scheduler(engine)
    count = 70_000  # more than a statement's 65,535 parameters: the ids go as one array
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO sip_accounts (client_id, extension_id, username, password, created_at)"
            " SELECT :client, g, 'u' || g, 'p', now() FROM generate_series(1, :n) g"),
            {"client": CLIENT_ID, "n": count})
    batch = [{"a_number": A, "b_number": B, "extension_id": e, "start_time_utc": LATER}
             for e in range(1, count + 1)]
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if "sip_accounts" in statement:
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        added = enqueue.add_tasks(engine, CLIENT_ID, scheduler_id, batch, clock.now(),
                                  max_tasks=100_000, dialer="sip")
        with engine.begin() as conn:
            conn.execute(sip_accounts.delete().where(sip_accounts.c.extension_id == 777))
        with pytest.raises(InvalidInput) as refused:
            enqueue.add_tasks(engine, CLIENT_ID, scheduler_id, batch, clock.now(),
                              max_tasks=100_000, dialer="sip")
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert len(added.tasks) == count
    assert [e.field for e in refused.value.errors] == ["tasks[776].extension_id"]
    assert len(statements) == 3  # a check per add, and the test's own delete
    assert stored_tasks(engine) == count


def test_a_csv_import_under_the_sip_dialer_names_the_line(
    engine: sa.Engine, tmp_path: Path
) -> None:
    scheduler_id = new_scheduler(engine)
    path = tmp_path / "tasks.csv"
    path.write_text(f"a_number,b_number,extension_id\n{A},{B},\n{A},{B},12\n")
    with pytest.raises(InvalidInput) as refused:
        csv_import.import_file(engine, path, CLIENT_ID, scheduler_id, skip_bad=False,
                               max_tasks=100, nudge=None, out=io.StringIO(), dialer="sip")
    assert [e.field for e in refused.value.errors] == ["line 3.extension_id"]
    assert stored_tasks(engine) == 0
    report = csv_import.import_file(engine, path, CLIENT_ID, scheduler_id, skip_bad=False,
                                    max_tasks=100, nudge=None, out=io.StringIO())
    assert report.stored == 2  # the simulated dialer's extension is any number


def test_a_failed_insert_does_not_carry_the_password(engine: sa.Engine) -> None:
    secret = f"pw-{uuid.uuid4().hex}"
    too_long = NewAccount(1, "u" * 101, secret)  # past validation: the column refuses it
    with pytest.raises(sip_accounts_repo.AccountNotStored) as failed, engine.begin() as conn:
        clients_repo.ensure_client(conn, CLIENT_ID, clock.now())
        sip_accounts_repo.insert(conn, CLIENT_ID, too_long, clock.now())
    logged = "".join(traceback.format_exception(failed.value))
    assert "StringDataRightTruncation" in logged and secret not in logged


def stored_tasks(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(tasks)).scalar_one())
