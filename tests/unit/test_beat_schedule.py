from __future__ import annotations

import pytest

from models.settings import Settings
from scheduler import beat, names


def _settings(
    dispatch_interval_s: float = 1,
    poll_calls_interval_s: float = 2,
    reap_interval_s: float = 5,
    deliver_events_interval_s: float = 3,
) -> Settings:
    return Settings(
        database_url="sqlite://",
        broker_url="memory://",
        dispatch_interval_s=dispatch_interval_s,
        poll_calls_interval_s=poll_calls_interval_s,
        reap_interval_s=reap_interval_s,
        deliver_events_interval_s=deliver_events_interval_s,
    )


def test_schedule_entries() -> None:
    schedule = beat.schedule(_settings())
    # Dispatch runs inside beat (worker/beat_scheduler.py), not as a tick sent to workers.
    assert set(schedule) == {"poll-calls", "reap", "deliver-events", "sweep-actions"}
    assert schedule["sweep-actions"]["task"] == "worker.sweep_actions"
    assert schedule["sweep-actions"]["schedule"] == 5
    assert schedule["poll-calls"]["task"] == "worker.poll_calls" == names.POLL_CALLS_TASK
    assert schedule["reap"]["task"] == "scheduler.reap" == names.REAP_TASK
    assert schedule["poll-calls"]["schedule"] == 2
    assert schedule["reap"]["schedule"] == 5
    assert schedule["deliver-events"]["task"] == "worker.deliver_events"
    assert schedule["deliver-events"]["task"] == names.DELIVER_EVENTS_TASK
    assert schedule["deliver-events"]["schedule"] == 3


def test_schedule_follows_settings() -> None:
    schedule = beat.schedule(
        _settings(dispatch_interval_s=0.25, poll_calls_interval_s=0.5, reap_interval_s=30)
    )
    assert schedule["poll-calls"]["schedule"] == 0.5
    assert schedule["reap"]["schedule"] == 30


@pytest.mark.parametrize(
    ("interval", "expires"), [(0.25, 1.0), (1, 1.0), (5, 5.0), (30, 30.0)]
)
def test_ticks_expire_after_their_interval_but_not_under_a_second(
    interval: float, expires: float
) -> None:
    schedule = beat.schedule(
        _settings(
            dispatch_interval_s=interval,
            poll_calls_interval_s=interval,
            reap_interval_s=interval,
            deliver_events_interval_s=interval,
        )
    )
    for entry in schedule.values():
        assert entry["options"]["expires"] == expires


def test_no_entry_has_eta_or_countdown() -> None:
    for entry in beat.schedule(_settings()).values():
        assert set(entry) == {"task", "schedule", "options"}
        options = entry["options"]
        assert "eta" not in options
        assert "countdown" not in options
