from __future__ import annotations

from enum import StrEnum

import pytest

from models.rules import state_machine


class Door(StrEnum):
    OPEN = "open"
    SHUT = "shut"


class Push(StrEnum):
    CLOSE = "close"


class DoorRefused(state_machine.TransitionRefused[Door, Push]):
    subject = "door"


MACHINE = state_machine.StateMachine({Push.CLOSE: (frozenset({Door.OPEN}), Door.SHUT)},
                                     DoorRefused)


def test_transition_follows_the_table() -> None:
    assert MACHINE.transition(Door.OPEN, Push.CLOSE) is Door.SHUT
    assert MACHINE.allowed_from(Push.CLOSE) == {Door.OPEN}
    assert MACHINE.target(Push.CLOSE) is Door.SHUT


def test_refusal_carries_the_status_and_trigger() -> None:
    with pytest.raises(DoorRefused) as refused:
        MACHINE.transition(Door.SHUT, Push.CLOSE)
    assert refused.value.status is Door.SHUT and refused.value.trigger is Push.CLOSE
    assert str(refused.value) == "door trigger 'close' is not allowed from 'shut'"
    assert isinstance(refused.value, ValueError)


def test_the_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        MACHINE.table[Push.CLOSE] = (frozenset(), Door.OPEN)  # type: ignore[index]
