"""Do-not-call lists on real worker, beat and API processes: a number listed after its task
was added, or during its retry pause, is never dialled (from the dial log); the
installation-wide list applies to every client; an expired entry no longer blocks; a
client neither sees nor changes another's list; a listed A number is left out while the
other A numbers ring; adding tasks for listed numbers is refused, or ended at once."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import httpx
import sqlalchemy as sa

from api import tokens
from api.access import Scope
from models import clock
from models.rules import timefmt
from models.storage.repository import dnc_repo
from tests import support
from tests.conftest import StackFactory
from tests.integration.job_fixtures import CLIENT_ID, Ops, OpsFactory, ops_factory
from tests.integration.test_core_flow import add, attempts_of, new_scheduler, task_row

__all__ = ["ops_factory"]

A_NUMBER, A_FREE = "+15550006101", "+15550006102"
B_LATER, B_BUSY, B_GLOBAL, B_EXPIRES = ("+15550006001", "+15550006002", "+15550006003",
                                        "+15550006004")
OTHER_CLIENT = 8
DNC = f"/client/{CLIENT_ID}/dnc/"


def in_seconds(seconds: float) -> str:
    return str(timefmt.format(clock.now() + timedelta(seconds=seconds)))


def listed(ops: Ops, *numbers: str, **fields: object) -> None:
    response = ops.http.post(DNC, json={"numbers": list(numbers), **fields})
    assert response.status_code == 201, response.text


def dialled_tasks(ops: Ops) -> set[int]:
    return {dial["task_id"] for dial in ops.dials()}


def finished(ops: Ops, *task_ids: int) -> bool:
    return all(task_row(ops.engine, task_id).status == "finished" for task_id in task_ids)


def test_a_number_listed_after_adding_or_during_a_retry_pause_is_never_dialled(
    ops_factory: OpsFactory
) -> None:
    ops = ops_factory({"default": "answer", "numbers": {B_BUSY: ["busy", "answer"]}})
    _, (later, paused) = ops.add_job([
        {"a_number": A_NUMBER, "b_number": B_LATER, "start_time_utc": in_seconds(3)},
        {"a_number": A_NUMBER, "b_number": B_BUSY, "try_count": 3, "try_again_pause": 4}])
    listed(ops, "+1 (555) 000-6001")  # B_LATER, written another way, before its start
    ops.stack.wait_for(lambda: task_row(ops.engine, paused).status == "delayed", 15,
                       "the first try to find B busy")
    listed(ops, B_BUSY)  # during the retry pause
    ops.stack.wait_for(lambda: finished(ops, later, paused), 20, "both tasks to end")

    for task_id, number in ((later, B_LATER), (paused, B_BUSY)):
        row = task_row(ops.engine, task_id)
        assert (row.finish_result, row.finish_comment) == (
            "failed", f"do-not-call: B number {number} is on the client's do-not-call list")
    assert later not in dialled_tasks(ops)
    assert {d["attempt_no"] for d in ops.dials() if d["task_id"] == paused} == {1}
    assert len(attempts_of(ops.engine, paused)) == 1


def test_the_installation_wide_list_applies_to_every_client(ops_factory: OpsFactory) -> None:
    ops = ops_factory({"default": "answer"})
    other = httpx.Client(base_url=str(ops.http.base_url), timeout=30, headers={
        "Authorization": "Bearer " + tokens.create_token(ops.engine, OTHER_CLIENT,
                                                         frozenset(Scope), clock.now())})
    other_scheduler = other.post(f"/client/{OTHER_CLIENT}/task_scheduler/",
                                 json={"name": "other"}).json()["id"]
    task = {"a_number": A_NUMBER, "b_number": B_GLOBAL, "start_time_utc": in_seconds(3)}
    _, (mine,) = ops.add_job([task])
    theirs = other.post(f"/client/{OTHER_CLIENT}/task_scheduler/{other_scheduler}/tasks/",
                        json={"tasks": [task]}).json()["tasks"][0]["id"]
    subprocess.run([sys.executable, "-m", "api.cli", "dnc", "add", "--global", B_GLOBAL],
                   env=ops.stack.env, check=True, capture_output=True, timeout=60)

    ops.stack.wait_for(lambda: finished(ops, mine, theirs), 20, "both clients' tasks to end")
    for task_id in (mine, theirs):
        assert task_row(ops.engine, task_id).finish_comment == (
            f"do-not-call: B number {B_GLOBAL} is on the installation-wide do-not-call list")
    assert not dialled_tasks(ops) & {mine, theirs}
    # Adding another task for it now is refused, for any client, naming the field.
    refused = other.post(f"/client/{OTHER_CLIENT}/task_scheduler/{other_scheduler}/tasks/",
                         json={"tasks": [task]})
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == [{
        "field": "tasks[0].b_number", "rule": "is on the installation-wide do-not-call list"}]
    other.close()


def test_an_expired_entry_no_longer_blocks(ops_factory: OpsFactory) -> None:
    ops = ops_factory({"default": "answer"})
    _, (task_id,) = ops.add_job([{"a_number": A_NUMBER, "b_number": B_EXPIRES,
                                  "start_time_utc": in_seconds(4)}])
    listed(ops, B_EXPIRES, expires_at=in_seconds(2))
    assert ops.http.get(DNC, params={"number": B_EXPIRES}).json()["blocked"] is True
    ops.stack.wait_for(lambda: finished(ops, task_id), 20, "the task to be dialled")
    assert task_row(ops.engine, task_id).finish_result == "success"
    assert task_id in dialled_tasks(ops)
    looked_up = ops.http.get(DNC, params={"number": B_EXPIRES}).json()
    assert (looked_up["blocked"], looked_up["entries"][0]["in_force"]) == (False, False)


def test_a_client_neither_sees_nor_changes_another_clients_list(
    ops_factory: OpsFactory
) -> None:
    ops = ops_factory({"default": "answer"})
    other = httpx.Client(base_url=str(ops.http.base_url), timeout=30, headers={
        "Authorization": "Bearer " + tokens.create_token(ops.engine, OTHER_CLIENT,
                                                         frozenset(Scope), clock.now())})
    listed(ops, B_LATER)
    theirs = f"/client/{OTHER_CLIENT}/dnc/"
    assert other.get(DNC).status_code == 404  # not its client: no such list
    assert other.delete(f"{DNC}{B_LATER}").status_code == 404
    assert other.post(DNC, json={"numbers": [B_BUSY]}).status_code == 404
    own = other.get(theirs, params={"number": B_LATER}).json()
    assert (own["entries"], own["blocked"]) == ([], False)
    assert other.delete(f"{theirs}{B_LATER}").status_code == 404
    assert other.get(theirs).json()["entries"] == []
    mine = ops.http.get(DNC).json()["entries"]
    assert [entry["number"] for entry in mine] == [B_LATER]
    assert ops.http.delete(f"{DNC}{B_LATER}").status_code == 204
    assert ops.http.get(DNC).json()["entries"] == []
    other.close()


def test_a_listed_a_number_is_left_out_while_the_others_ring(ops_factory: OpsFactory) -> None:
    ops = ops_factory({"default": "answer"})
    listed(ops, A_NUMBER)
    _, (task_id, every_a) = ops.add_job([
        {"a_number": A_NUMBER, "b_number": B_LATER,
         "callback_params": {"extended_a_numbers": [A_FREE]}},
        {"a_number": A_FREE, "b_number": B_BUSY,
         "callback_params": {"extended_a_numbers": [A_NUMBER]}, "start_time_utc": in_seconds(2)}])
    ops.stack.wait_for(lambda: finished(ops, task_id), 20, "the task to connect")
    assert task_row(ops.engine, task_id).finish_result == "success"
    a_dials = [d["number"] for d in ops.dials() if d["task_id"] == task_id and d["leg"] == "A"]
    assert a_dials == [A_FREE]
    (attempt,) = attempts_of(ops.engine, task_id)
    assert attempt.skipped_numbers == [A_NUMBER]
    # Once every A number of a task is listed, it ends without a try.
    listed(ops, A_FREE)
    ops.stack.wait_for(lambda: finished(ops, every_a), 20, "the other task to end")
    assert task_row(ops.engine, every_a).finish_comment == (
        f"do-not-call: every A number is on a do-not-call list ({A_FREE}, {A_NUMBER})")
    assert every_a not in dialled_tasks(ops)


def test_adding_a_listed_number_is_refused_or_ended_at_once(ops_factory: OpsFactory) -> None:
    ops = ops_factory({"default": "answer"})
    listed(ops, B_LATER)
    tasks_url = f"/client/{CLIENT_ID}/task_scheduler/{ops.scheduler_id}/tasks/"
    batch = {"tasks": [{"a_number": A_NUMBER, "b_number": B_BUSY},
                       {"a_number": A_NUMBER, "b_number": B_LATER}]}
    refused = ops.http.post(tasks_url, json=batch)
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == [
        {"field": "tasks[1].b_number", "rule": "is on the client's do-not-call list"}]
    assert ops.statuses(list(range(1, 10_000))) == {}  # nothing stored

    ended = ops.http.post(tasks_url, json=batch, params={"on_dnc": "finish"})
    assert ended.status_code == 201, ended.text
    free, listed_task = ended.json()["tasks"]
    assert (listed_task["status"], listed_task["finish_result"]) == ("finished", "failed")
    assert free["status"] == "scheduled"
    ops.stack.wait_for(lambda: finished(ops, free["id"]), 20, "the free task to be dialled")
    assert dialled_tasks(ops) == {free["id"]}


def test_a_number_listed_once_its_try_was_claimed_is_never_dialled(
    engine: sa.Engine, stack_factory: StackFactory
) -> None:
    """Dispatch lets the tries go while no worker runs; their numbers are listed before a
    worker takes the messages: the worker's own look at the lists, as the calls leave,
    keeps B from being rung (the task ends naming the list) and leaves a listed A out."""
    stack = stack_factory({"default": "answer"})
    stack.start_beat()
    scheduler_id = new_scheduler(engine)
    b_task, a_task = add(engine, scheduler_id, [
        {"a_number": A_NUMBER, "b_number": B_LATER},
        {"a_number": A_NUMBER, "b_number": B_BUSY,
         "callback_params": {"extended_a_numbers": [A_FREE]}}]).tasks
    stack.wait_for(lambda: all(len(attempts_of(engine, t["id"])) == 1
                               for t in (b_task, a_task)), 20, "dispatch to claim both tries")
    with engine.begin() as conn:
        dnc_repo.add_entries(conn, CLIENT_ID, [B_LATER, A_NUMBER], None, clock.now())
    stack.start_worker()
    stack.wait_for(lambda: all(task_row(engine, t["id"]).status == "finished"
                               for t in (b_task, a_task)), 30, "both tries to end")

    ended = task_row(engine, b_task["id"])
    assert (ended.finish_result, ended.finish_comment) == ("failed", (
        f"do-not-call: B number {B_LATER} is on the client's do-not-call list (found as the "
        "call was placed) on try 1 of 1"))
    (attempt,) = attempts_of(engine, b_task["id"])
    assert (attempt.status, attempt.cause) == ("lost", "not_placed")  # nobody was rung
    dials = support.read_dial_log(stack.workdir / "dial.log")
    assert {(d["task_id"], d["leg"], d["number"]) for d in dials} == {
        (a_task["id"], "A", A_FREE), (a_task["id"], "B", B_BUSY)}
    assert task_row(engine, a_task["id"]).finish_result == "success"
    assert attempts_of(engine, a_task["id"])[0].skipped_numbers == [A_NUMBER]
