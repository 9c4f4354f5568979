"""What a leg's final answer means for the try: pure (DESIGN.md "Telephony")."""

from __future__ import annotations

from models.rules.outcome import LegResult

BUSY_CODES = frozenset({486, 600})
REJECTED_CODES = frozenset({603, 403})
NO_ANSWER_CODES = frozenset({480, 408})
AUTH_CODES = frozenset({401, 403, 407})
REQUEST_TERMINATED = 487


def leg_result(code: int | None, *, ring_timeout: bool = False,
               authenticated: bool = False) -> LegResult:
    """2xx answered; 486/600 busy; 603/403 rejected; 480/408, and 487 after our own
    ring-timeout CANCEL, no answer; anything else failed, and so are no response at all
    (``code`` None: Timer B) and a challenge or 403 to credentials we had already sent."""
    if code is None:
        return LegResult.FAILED
    if 200 <= code < 300:
        return LegResult.ANSWER
    if authenticated and code in AUTH_CODES:
        return LegResult.FAILED
    if code in BUSY_CODES:
        return LegResult.BUSY
    if code in REJECTED_CODES:
        return LegResult.REJECTED
    if code in NO_ANSWER_CODES or (code == REQUEST_TERMINATED and ring_timeout):
        return LegResult.NO_ANSWER
    return LegResult.FAILED
