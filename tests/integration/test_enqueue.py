"""The Python entry point for an API layer: what it stores, and what bad input changes (nothing)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from api import enqueue, exceptions
from models import clock
from models.rules.errors import InvalidInput
from models.storage.tables import jobs, tasks
from tests.integration.test_core_flow import A_NUMBER, B_NUMBER, CLIENT_ID, add, new_scheduler


def row_counts(engine: sa.Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (conn.execute(sa.select(sa.func.count()).select_from(jobs)).scalar_one(),
                conn.execute(sa.select(sa.func.count()).select_from(tasks)).scalar_one())


def test_added_tasks_come_back_stored_as_the_seed_lists_them(engine: sa.Engine) -> None:
    scheduler_id = new_scheduler(engine)
    job = add(engine, scheduler_id, [{
        "name": "call back", "a_number": A_NUMBER, "b_number": B_NUMBER, "extension_id": 12,
        "try_count": 3, "try_again_pause": "30", "start_time_utc": "2030-01-02 03:04:05",
        "url_after": "https://example.test/after",
        "callback_params": {"caller_id_name": "Shop", "extended_a_numbers": ["+15550000003"]},
    }])
    (task,) = job.tasks
    assert task["status"] == "scheduled"
    assert task["scheduler_id"] == scheduler_id
    assert (task["try_count"], task["try_again_pause"]) == (3, "30")
    assert task["start_time_utc"] == "2030-01-02 03:04:05"
    assert task["finish_result"] is None and task["cdr"] is None
    assert task["callback_params"]["extended_a_numbers"] == ["+15550000003"]
    assert enqueue.get_task(engine, CLIENT_ID, task["id"]) == task
    assert enqueue.get_task(engine, CLIENT_ID + 1, task["id"]) is None


def test_bad_input_names_the_field_and_rule_and_stores_nothing(engine: sa.Engine) -> None:
    scheduler_id = new_scheduler(engine)
    before = row_counts(engine)
    good = {"a_number": A_NUMBER, "b_number": B_NUMBER}
    with pytest.raises(InvalidInput) as raised:
        add(engine, scheduler_id, [good, {**good, "try_count": 51, "b_number": "x1"}])
    assert {e.field for e in raised.value.errors} == {"tasks[1].try_count", "tasks[1].b_number"}
    assert "from 1 to 50" in str(raised.value)
    assert row_counts(engine) == before


def test_an_unknown_or_foreign_scheduler_is_refused_and_stores_nothing(
    engine: sa.Engine,
) -> None:
    foreign = enqueue.create_scheduler(engine, CLIENT_ID + 1, {"name": "theirs"}, clock.now())["id"]
    before = row_counts(engine)
    task = [{"a_number": A_NUMBER, "b_number": B_NUMBER}]
    for scheduler_id in (foreign, foreign + 1000):
        with pytest.raises(exceptions.UnknownScheduler, match="scheduler_id"):
            add(engine, scheduler_id, task)
    with pytest.raises(InvalidInput, match="client_id"):
        enqueue.add_tasks(engine, 10_000, foreign, task, clock.now(), max_tasks=10)
    assert row_counts(engine) == before


def test_more_tasks_than_allowed_are_refused(engine: sa.Engine) -> None:
    scheduler_id = new_scheduler(engine)
    with pytest.raises(InvalidInput, match="at most 2 tasks"):
        enqueue.add_tasks(engine, CLIENT_ID, scheduler_id,
                          [{"a_number": A_NUMBER, "b_number": B_NUMBER}] * 3,
                          clock.now(), max_tasks=2)
