"""Storing a request's tasks: COPY on PostgreSQL, INSERT on SQLite. What comes back is what
was stored, column for column, whatever the text holds; concurrent adds never collide."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from api import enqueue
from models import clock
from models.shapes import task_numbers, views
from models.shapes.validation import NewTask, validate_tasks
from models.storage import migrate
from models.storage.repository import jobs_repo, tasks_repo
from models.storage.tables import tasks
from tests import support
from tests.integration.test_core_flow import CLIENT_ID, new_scheduler

AWKWARD_TEXT = "tab\there, new\nline, back\\slash, \\N, quote ' \" , ünïcødé ☎, \r end"
TASKS: list[dict[str, Any]] = [
    {"a_number": "+15550000001", "b_number": "+15550000002"},
    {"a_number": "15550000003", "b_number": "+15550000004", "name": AWKWARD_TEXT,
     "extension_id": 2**31 - 1, "try_count": 50, "try_again_pause": "0",
     "start_time_utc": "2031-02-28 23:59:59",
     "url_before": "https://hooks.example/b?x=1&y=\\t", "url_after": "http://h.example/a",
     "url_before_again": "https://h.example/again", "url_success": "https://h.example/ok",
     "callback_params": {"caller_id_name": AWKWARD_TEXT, "caller_id_number": "+1555",
                         "extended_a_numbers": ["+15550000009", "15550000010"]}},
    {"a_number": "+15550000005", "b_number": "+15550000006", "name": "",
     "start_time_utc": "2031-01-01 00:00", "callback_params": {}},
]


def as_new_tasks(raw: list[dict[str, Any]]) -> list[NewTask]:
    """The rows as storage gets them. The awkward text goes round the validator, which now
    refuses control characters in names: COPY must still store any text exactly."""
    plain = [{k: v.replace(AWKWARD_TEXT, "awkward") if isinstance(v, str) else v
              for k, v in task.items() if k != "callback_params"} for task in raw]
    valid = task_numbers.read_all(validate_tasks(plain, 100), task_numbers.Numbering("US"), str)
    return [dataclasses.replace(new, name=task.get("name"),
                                callback_params=task.get("callback_params"))
            for new, task in zip(valid, raw, strict=True)]


def store(engine: sa.Engine, scheduler_id: int, raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    now = clock.now()
    with engine.begin() as conn:
        job_id = jobs_repo.insert_job(conn, CLIENT_ID, scheduler_id, len(raw), now)
        return tasks_repo.store_tasks(conn, CLIENT_ID, scheduler_id, job_id,
                                      as_new_tasks(raw), now)


def read_back(engine: sa.Engine, ids: list[int]) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(tasks).where(tasks.c.id.in_(ids)).order_by(tasks.c.id))
        return [dict(row._mapping) for row in rows]


def assert_stored_as_returned(engine: sa.Engine) -> None:
    returned = store(engine, new_scheduler(engine), TASKS)
    stored = read_back(engine, [r["id"] for r in returned])
    assert [r["id"] for r in returned] == [r["id"] for r in stored]
    assert returned == stored  # every column, NULLs and times included
    assert stored[1]["name"] == AWKWARD_TEXT
    assert stored[1]["callback_params"]["caller_id_name"] == AWKWARD_TEXT
    assert stored[2]["name"] == "" and stored[2]["callback_params"] == {}
    assert views.task_objects(returned) == [views.task_object(r) for r in stored]


def test_copy_stores_exactly_what_it_returns(engine: sa.Engine) -> None:
    assert_stored_as_returned(engine)


def test_sqlite_stores_exactly_what_it_returns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ringback.sqlite'}"
    migrate.upgrade(url)
    with support.engine_for(url) as engine:
        assert_stored_as_returned(engine)


def test_adds_at_the_same_time_get_their_own_ids_in_order(engine: sa.Engine) -> None:
    scheduler_id = new_scheduler(engine)
    results: dict[int, list[int]] = {}
    start = threading.Barrier(4)

    def add(worker: int) -> None:
        start.wait()
        raw = [{"a_number": f"+1555{worker:03d}{i:04d}", "b_number": "+15550000002"}
               for i in range(2000)]
        added = enqueue.add_tasks(engine, CLIENT_ID, scheduler_id, raw, clock.now(),
                                  max_tasks=2000)
        results[added.job_id] = [t["id"] for t in added.tasks]
        assert [t["a_number"] for t in added.tasks] == [r["a_number"] for r in raw]

    threads = [threading.Thread(target=add, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    all_ids = [i for ids in results.values() for i in ids]
    assert len(set(all_ids)) == 8000
    with engine.connect() as conn:
        for job_id, ids in results.items():
            stored = conn.execute(sa.select(tasks.c.id, tasks.c.a_number).where(
                tasks.c.job_id == job_id).order_by(tasks.c.id)).all()
            assert [row.id for row in stored] == sorted(ids)


def test_a_failing_transaction_keeps_none_of_the_copied_rows(engine: sa.Engine) -> None:
    scheduler_id = new_scheduler(engine)
    with pytest.raises(RuntimeError), engine.begin() as conn:
        job_id = jobs_repo.insert_job(conn, CLIENT_ID, scheduler_id, 3, clock.now())
        tasks_repo.store_tasks(conn, CLIENT_ID, scheduler_id, job_id,
                               as_new_tasks(TASKS), clock.now())
        raise RuntimeError("something after the copy failed")
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tasks)).scalar_one() == 0
