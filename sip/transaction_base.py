"""What the transaction state machines share: timer values, actions and matching keys."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum

from sip.codec import Message, Request, Response
from sip.via import BRANCH_MAGIC_COOKIE

DEFAULT_T1_S = 0.5  # RTT estimate
DEFAULT_T2_S = 4.0  # longest retransmit interval for non-INVITE requests and INVITE responses
DEFAULT_T4_S = 5.0  # longest time a message stays in the network
TIMER_D_UNRELIABLE_S = 32.0


@dataclass(frozen=True, slots=True)
class Timers:
    """RFC 3261 timer bases in seconds; tests shorten t1 to make timeouts fast."""

    t1: float = DEFAULT_T1_S
    t2: float = DEFAULT_T2_S
    t4: float = DEFAULT_T4_S

    @property
    def timeout_s(self) -> float:
        """Timers B, F, H and J: 64*T1."""
        return 64 * self.t1


@dataclass(frozen=True, slots=True)
class Send:
    """Hand this message to the transport, to the transaction's peer."""

    message: Message


@dataclass(frozen=True, slots=True)
class PassUp:
    """Give this response to the transaction user (the UAC core)."""

    response: Response


@dataclass(frozen=True, slots=True)
class TimedOut:
    """No answer in time: for a client, as if a 408 had come; for a server, the ACK never did."""


@dataclass(frozen=True, slots=True)
class Terminated:
    """The transaction is over: remove it from the table."""


Action = Send | PassUp | TimedOut | Terminated

ClientKey = tuple[str, str]
ServerKey = tuple[str, str, int, str]


def client_key(message: Message) -> ClientKey:
    """(top Via branch, CSeq method) per RFC 3261 17.1.3; for requests we send and responses."""
    return message.top_via.branch or "", message.cseq[1]


def server_key(request: Request, *, method: str | None = None) -> ServerKey:
    """(branch, sent-by host, sent-by port, method) per RFC 3261 17.2.3.

    An ACK gets its INVITE's key. Pass ``method="INVITE"`` to find the INVITE a CANCEL
    cancels. A branch without the magic cookie (RFC 2543 peers) is replaced by the
    Call-ID, From tag, CSeq number and whole top Via, which is how such peers are matched.
    """
    via = request.top_via
    wanted = method or ("INVITE" if request.method == "ACK" else request.method)
    branch = via.branch or ""
    if not branch.startswith(BRANCH_MAGIC_COOKIE):
        number, _method = request.cseq
        branch = f"{request.call_id}|{request.from_.tag}|{number}|{via}"
    return branch, via.host.lower(), via.sent_by_port, wanted


class TimerTable:
    """Named deadlines; ``fire`` is called for each one that is due, earliest first."""

    def __init__(self) -> None:
        self._deadlines: dict[str, float] = {}

    def start(self, name: str, when: float) -> None:
        self._deadlines[name] = when

    def stop(self, *names: str) -> None:
        for name in names:
            self._deadlines.pop(name, None)

    def clear(self) -> None:
        self._deadlines.clear()

    def next_deadline(self) -> float | None:
        return min(self._deadlines.values(), default=None)

    def pop_due(self, now: float) -> str | None:
        """The earliest timer due at ``now``, removed from the table; None when none is."""
        due = [(when, name) for name, when in self._deadlines.items() if when <= now]
        if not due:
            return None
        _when, name = min(due)
        del self._deadlines[name]
        return name


class ResponseClass(StrEnum):
    PROVISIONAL = "1xx"
    SUCCESS = "2xx"
    FAILURE = "3xx-6xx"


def response_class(response: Response) -> ResponseClass:
    if response.status < 200:
        return ResponseClass.PROVISIONAL
    return ResponseClass.SUCCESS if response.status < 300 else ResponseClass.FAILURE


class TimedMachine(ABC):
    """A state machine whose timers live in a TimerTable; subclasses say what each does."""

    def __init__(self) -> None:
        self._timers = TimerTable()

    def next_deadline(self) -> float | None:
        """When ``on_timer`` should next be called; None when no timer runs."""
        return self._timers.next_deadline()

    def on_timer(self, now: float) -> list[Action]:
        """Fire every timer due at ``now``, earliest first."""
        actions: list[Action] = []
        while (name := self._timers.pop_due(now)) is not None:
            actions += self._fire(name, now)
        return actions

    @abstractmethod
    def _fire(self, name: str, now: float) -> list[Action]: ...
