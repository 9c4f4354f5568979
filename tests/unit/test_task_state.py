from __future__ import annotations

import itertools

import pytest

from models.rules import task_state
from models.rules.task_state import TaskStatus, TaskTrigger, TransitionRefused

S = TaskStatus
T = TaskTrigger

_WAITING = {S.SCHEDULED, S.DELAYED, S.DELAYED_ASR, S.DELAYED_CONCURRENT_TASK, S.DELAYED_INTERVAL,
            S.DELAYED_CALLING_WINDOW, S.DELAYED_NUMBER_CAP}

# The reference table, written out by hand: trigger -> (allowed sources, target).
EXPECTED: dict[TaskTrigger, tuple[set[TaskStatus], TaskStatus]] = {
    T.CLAIM: (set(_WAITING), S.EXECUTED),
    T.HOLD_ASR: (set(_WAITING), S.DELAYED_ASR),
    T.HOLD_CONCURRENCY: (set(_WAITING), S.DELAYED_CONCURRENT_TASK),
    T.HOLD_INTERVAL: (set(_WAITING), S.DELAYED_INTERVAL),
    T.HOLD_CALLING_WINDOW: (set(_WAITING), S.DELAYED_CALLING_WINDOW),
    T.HOLD_NUMBER_CAP: (set(_WAITING), S.DELAYED_NUMBER_CAP),
    T.SUCCEED: ({S.EXECUTED}, S.FINISHED),
    T.RETRY: ({S.EXECUTED}, S.DELAYED),
    T.FAIL: ({S.EXECUTED}, S.FINISHED),
    T.PAUSE: (set(_WAITING), S.PAUSED),
    T.RESUME: ({S.PAUSED}, S.SCHEDULED),
    T.CANCEL: (_WAITING | {S.PAUSED}, S.CANCELLED),
    T.REARM: ({S.FINISHED}, S.SCHEDULED),
    T.PAUSE_AFTER_TRY: ({S.EXECUTED}, S.PAUSED),
    T.CANCEL_AFTER_TRY: ({S.EXECUTED}, S.CANCELLED),
    T.RESCHEDULE: (set(_WAITING), S.SCHEDULED),
    T.REFUSE: (set(_WAITING), S.FINISHED),
}


def test_expected_table_covers_every_trigger() -> None:
    assert set(EXPECTED) == set(TaskTrigger)
    assert set(task_state.TRANSITIONS) == set(TaskTrigger)


@pytest.mark.parametrize("trigger", list(TaskTrigger))
def test_allowed_from_and_target_match_reference(trigger: TaskTrigger) -> None:
    sources, to = EXPECTED[trigger]
    assert set(task_state.allowed_from(trigger)) == sources
    assert task_state.target(trigger) is to


@pytest.mark.parametrize(
    ("status", "trigger"), list(itertools.product(TaskStatus, TaskTrigger))
)
def test_transition_matrix(status: TaskStatus, trigger: TaskTrigger) -> None:
    sources, to = EXPECTED[trigger]
    if status in sources:
        assert task_state.transition(status, trigger) is to
    else:
        with pytest.raises(TransitionRefused) as refused:
            task_state.transition(status, trigger)
        assert refused.value.status is status
        assert refused.value.trigger is trigger
        assert trigger.value in str(refused.value)
        assert status.value in str(refused.value)


def test_transition_refused_is_value_error() -> None:
    with pytest.raises(ValueError):
        task_state.transition(S.CANCELLED, T.RESUME)


@pytest.mark.parametrize(
    ("status", "trigger"), list(itertools.product(sorted(task_state.FINAL), TaskTrigger))
)
def test_final_statuses_accept_only_rearm_from_finished(
    status: TaskStatus, trigger: TaskTrigger
) -> None:
    if status is S.FINISHED and trigger is T.REARM:
        assert task_state.transition(status, trigger) is S.SCHEDULED
    else:
        with pytest.raises(TransitionRefused):
            task_state.transition(status, trigger)


def test_final_is_finished_and_cancelled() -> None:
    final = task_state.FINAL
    assert final == {S.FINISHED, S.CANCELLED}


def test_waiting_is_exactly_the_seven_waiting_statuses() -> None:
    waiting = task_state.WAITING
    assert waiting == {
        S.SCHEDULED,
        S.DELAYED,
        S.DELAYED_ASR,
        S.DELAYED_CONCURRENT_TASK,
        S.DELAYED_INTERVAL,
        S.DELAYED_CALLING_WINDOW,
        S.DELAYED_NUMBER_CAP,
    }
    assert len(task_state.WAITING) == 7
    assert not task_state.WAITING & task_state.FINAL


@pytest.mark.parametrize(
    ("member", "stored"),
    [
        (S.SCHEDULED, "scheduled"),
        (S.EXECUTED, "executed"),
        (S.DELAYED, "delayed"),
        (S.DELAYED_ASR, "delayed_asr"),
        (S.DELAYED_CONCURRENT_TASK, "delayed_concurrent_task"),
        (S.DELAYED_INTERVAL, "delayed_interval"),
        (S.DELAYED_CALLING_WINDOW, "delayed_calling_window"),
        (S.DELAYED_NUMBER_CAP, "delayed_number_cap"),
        (S.FINISHED, "finished"),
        (S.PAUSED, "paused"),
        (S.CANCELLED, "cancelled"),
        (T.CLAIM, "claim"),
        (T.HOLD_ASR, "hold_asr"),
        (T.HOLD_CONCURRENCY, "hold_concurrency"),
        (T.HOLD_INTERVAL, "hold_interval"),
        (T.HOLD_CALLING_WINDOW, "hold_calling_window"),
        (T.HOLD_NUMBER_CAP, "hold_number_cap"),
        (T.SUCCEED, "succeed"),
        (T.RETRY, "retry"),
        (T.FAIL, "fail"),
        (T.PAUSE, "pause"),
        (T.RESUME, "resume"),
        (T.CANCEL, "cancel"),
        (T.REARM, "rearm"),
        (T.PAUSE_AFTER_TRY, "pause_after_try"),
        (T.CANCEL_AFTER_TRY, "cancel_after_try"),
        (T.RESCHEDULE, "reschedule"),
        (T.REFUSE, "refuse"),
        (task_state.FinishResult.SUCCESS, "success"),
        (task_state.FinishResult.FAILED, "failed"),
    ],
)
def test_enum_values_are_the_stored_strings(
    member: TaskStatus | TaskTrigger | task_state.FinishResult, stored: str
) -> None:
    assert member == stored
    assert member.value == stored
    assert str(member) == stored
    assert type(member)(stored) is member


def test_every_enum_member_has_a_stored_string_listed() -> None:
    assert len(TaskStatus) == 11
    assert len(TaskTrigger) == 17
    assert len(task_state.FinishResult) == 2
