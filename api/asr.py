"""The answer rate a scheduler's stats and /metrics show: the plain ASR over its last ASR
window, holds or not (pacing itself measures again from the end of a hold: DESIGN.md
"Pacing"), read in one place so both show the same number."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from models.rules import pacing
from models.storage.repository import attempts_repo


@dataclass(frozen=True)
class WindowAsr:
    percent: float | None  # None: no try in the window has ended
    tries: int  # the ended tries it was measured over
    running: int  # tries claimed or dialling now


def window_asr(conn: sa.Connection, scheduler_id: int, asr_window: int) -> WindowAsr:
    history = attempts_repo.pacing_history(conn, scheduler_id, None, asr_window, None,
                                           need_last_dial=False)
    answered = history.recent_a_answered
    return WindowAsr(pacing.asr_pct(answered), len(answered), history.running)
