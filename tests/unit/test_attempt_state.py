from __future__ import annotations

import itertools

import pytest

from models.rules import attempt_state
from models.rules.attempt_state import AttemptStatus, AttemptTrigger, TransitionRefused

A = AttemptStatus
T = AttemptTrigger

# The reference table, written out by hand: trigger -> (allowed sources, target).
EXPECTED: dict[AttemptTrigger, tuple[set[AttemptStatus], AttemptStatus]] = {
    T.DIAL: ({A.CLAIMED}, A.DIALING),
    T.COMPLETE: ({A.DIALING}, A.COMPLETED),
    # A claimed try is lost when its calling window closed before it could be placed.
    T.LOSE: ({A.CLAIMED, A.DIALING}, A.LOST),
}


def test_expected_table_covers_every_trigger() -> None:
    assert set(EXPECTED) == set(AttemptTrigger)
    assert set(attempt_state.TRANSITIONS) == set(AttemptTrigger)


@pytest.mark.parametrize("trigger", list(AttemptTrigger))
def test_allowed_from_and_target_match_reference(trigger: AttemptTrigger) -> None:
    sources, to = EXPECTED[trigger]
    assert set(attempt_state.allowed_from(trigger)) == sources
    assert attempt_state.target(trigger) is to


@pytest.mark.parametrize(
    ("status", "trigger"), list(itertools.product(AttemptStatus, AttemptTrigger))
)
def test_transition_matrix(status: AttemptStatus, trigger: AttemptTrigger) -> None:
    sources, to = EXPECTED[trigger]
    if status in sources:
        assert attempt_state.transition(status, trigger) is to
    else:
        with pytest.raises(TransitionRefused) as refused:
            attempt_state.transition(status, trigger)
        assert trigger.value in str(refused.value)
        assert status.value in str(refused.value)


@pytest.mark.parametrize("trigger", list(AttemptTrigger))
@pytest.mark.parametrize("status", [A.COMPLETED, A.LOST])
def test_final_attempts_accept_nothing(status: AttemptStatus, trigger: AttemptTrigger) -> None:
    with pytest.raises(TransitionRefused):
        attempt_state.transition(status, trigger)


def test_final_and_running_sets() -> None:
    final, running = attempt_state.FINAL, attempt_state.RUNNING
    assert final == {A.COMPLETED, A.LOST}
    assert running == {A.CLAIMED, A.DIALING}


@pytest.mark.parametrize(
    ("member", "stored"),
    [
        (A.CLAIMED, "claimed"),
        (A.DIALING, "dialing"),
        (A.COMPLETED, "completed"),
        (A.LOST, "lost"),
        (T.DIAL, "dial"),
        (T.COMPLETE, "complete"),
        (T.LOSE, "lose"),
    ],
)
def test_enum_values_are_the_stored_strings(
    member: AttemptStatus | AttemptTrigger, stored: str
) -> None:
    assert member == stored
    assert type(member)(stored) is member
