"""Typed rows: built by field name from what SQLAlchemy returns, refused when a field is
missing, and read back as a mapping for the document builders."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from models.shapes import rows
from models.shapes.rows import ClaimedTask, StreamedEvent
from models.storage.repository import common


def _row(sql: str) -> common.Raw:
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).one()


def test_fields_are_taken_by_name_whatever_the_order_and_extra_columns() -> None:
    row = _row("SELECT 'x' AS payload_extra, 3 AS attempts_made, NULL AS next_attempt_at, "
               "7 AS job_id, 5 AS id")
    assert common.from_row(ClaimedTask, row) == ClaimedTask(5, 7, 3, None)


def test_a_missing_field_is_an_error() -> None:
    with pytest.raises(KeyError):
        common.from_row(ClaimedTask, _row("SELECT 5 AS id, 7 AS job_id, 3 AS attempts_made"))


def test_rows_are_frozen() -> None:
    task = ClaimedTask(1, 2, 3, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        task.id = 9  # type: ignore[misc]


def test_optional_and_many() -> None:
    assert common.optional(ClaimedTask, None) is None
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn:
        result = conn.execute(sa.text("SELECT 1 AS seq, 'a' AS type, 2 AS payload "
                                      "UNION ALL SELECT 2, 'b', 3"))
        assert common.from_rows(StreamedEvent, result) == [
            StreamedEvent(1, "a", 2),  # type: ignore[arg-type]
            StreamedEvent(2, "b", 3),  # type: ignore[arg-type]
        ]


def test_as_dict_gives_the_fields_by_name_uncopied() -> None:
    params = {"caller_id_name": "Shop"}
    event = StreamedEvent(1, "before", params)
    view = rows.as_dict(event)
    assert view == {"seq": 1, "type": "before", "payload": params}
    assert view["payload"] is params
