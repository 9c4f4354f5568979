"""What a leg's final answer means for the try: pure (DESIGN.md "Telephony")."""

from __future__ import annotations

from models.rules.outcome import LegResult

# Final answers with a meaning of their own; any other non-2xx is a failed leg.
CODE_RESULTS: dict[int, LegResult] = {
    486: LegResult.BUSY, 600: LegResult.BUSY,
    603: LegResult.REJECTED, 403: LegResult.REJECTED,
    480: LegResult.NO_ANSWER, 408: LegResult.NO_ANSWER,
}
AUTH_CODES = frozenset({401, 403, 407})
REQUEST_TERMINATED = 487


def leg_result(code: int | None, *, ring_timeout: bool = False,
               authenticated: bool = False) -> LegResult:
    """2xx answered; 486/600 busy; 603/403 rejected; 480/408, and 487 after our own
    ring-timeout CANCEL, no answer; anything else failed, and so are no response at all
    (``code`` None: Timer B) and a challenge or 403 to credentials we had already sent."""
    if code is None or (authenticated and code in AUTH_CODES):
        return LegResult.FAILED
    if 200 <= code < 300:
        return LegResult.ANSWER
    if code == REQUEST_TERMINATED and ring_timeout:
        return LegResult.NO_ANSWER
    return CODE_RESULTS.get(code, LegResult.FAILED)
