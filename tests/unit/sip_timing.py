"""Drives a transaction's timers the way an event loop would, for the sip tests."""

from __future__ import annotations

from typing import Protocol

from sip.transaction import Action, Send


class TimerDriven(Protocol):
    def next_deadline(self) -> float | None: ...
    def on_timer(self, now: float) -> list[Action]: ...


def run_timers(machine: TimerDriven, until: float) -> list[tuple[float, list[Action]]]:
    """Fire every deadline up to ``until``, as an event loop would: (when, actions) pairs."""
    fired: list[tuple[float, list[Action]]] = []
    while (deadline := machine.next_deadline()) is not None and deadline <= until:
        fired.append((deadline, machine.on_timer(deadline)))
    return fired


def send_times(fired: list[tuple[float, list[Action]]]) -> list[float]:
    return [when for when, actions in fired if any(isinstance(a, Send) for a in actions)]
