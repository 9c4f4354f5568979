"""A call the controller holds: its flow, and per leg the INVITE, transaction state and
dialog it works with. Pure data and naming; no I/O."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from typing import Any

from models.shapes.rows import ClaimedCall
from sip.callflow import CallFlow
from sip.codec import Request
from sip.dialog import Dialog
from sip.requests import Account, Identity

CALL_ID_DOMAIN = "ringback"


def leg_call_id(attempt_id: int, leg_key: str, number: str) -> str:
    """A leg's SIP Call-ID from the try and the number: a second INVITE to the same number
    for the same try would carry the same Call-ID, so the peer's trace shows it, and the
    call_legs row's UNIQUE constraint refuses to write it at all."""
    return f"rb{attempt_id}-{leg_key}-{number.lstrip('+')}@{CALL_ID_DOMAIN}"


@dataclass(frozen=True)
class Limits:
    """How long a call may ring and talk."""

    a_ring_timeout_s: float
    b_ring_timeout_s: float
    max_call_s: float


@dataclass
class LegRuntime:
    key: str
    sip_call_id: str
    invite: Request  # the INVITE in force (after a challenge, the one with credentials)
    row_id: int | None = None
    sent: bool = False
    dialog: Dialog | None = None
    ack_cseq: int | None = None  # the INVITE whose 2xx waits for our ACK
    answered_challenges: set[int] = field(default_factory=set)  # 401, 407

    @property
    def authenticated(self) -> bool:
        return bool(self.answered_challenges)

    def credentials(self) -> list[tuple[str, str]]:
        """The INVITE's Authorization headers, which its 2xx's ACK repeats."""
        return [(name, value) for name in ("Authorization", "Proxy-Authorization")
                if (value := self.invite.headers.get(name)) is not None]


@dataclass
class ActiveCall:
    claimed: ClaimedCall
    account: Account
    identity: Identity
    flow: CallFlow
    legs: dict[str, LegRuntime] = field(default_factory=dict)
    setting_up: bool = True  # not yet connected, nor over
    let_go: bool = False  # the lease was lost: another controller may hold it now

    @property
    def attempt_id(self) -> int:
        return self.claimed.attempt_id


@dataclass(frozen=True)
class CallRequest:
    """The try as its calls row carries it (worker.dialers.base.DialRequest as JSON)."""

    attempt_id: int
    a_numbers: tuple[str, ...]
    b_number: str
    caller_id_number: str | None
    caller_id_name: str | None
    extension_id: int | None

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> CallRequest:
        return cls(int(raw["attempt_id"]), tuple(raw["a_numbers"]), str(raw["b_number"]),
                   raw.get("caller_id_number"), raw.get("caller_id_name"),
                   raw.get("extension_id"))

    @property
    def identity(self) -> Identity:
        return Identity(self.caller_id_number, self.caller_id_name)


@dataclass(frozen=True)
class Context:
    """What a client transaction was for, so its news reaches the right leg."""

    call: ActiveCall
    leg: str
    purpose: str  # invite, reinvite, cancel, bye


# Tags and branches need to be unique, not secret: a PRNG seeded from the system's
# randomness, without a system call per token (there are several per call).
_TOKENS = random.Random(secrets.randbits(128))


def token() -> str:
    """A random token for a tag, a branch or a cnonce."""
    return f"{_TOKENS.getrandbits(64):016x}"
