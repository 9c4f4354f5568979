"""What adding to and reading schedulers can refuse, whoever called (HTTP, CLI, import).
Kept apart from api/errors.py, which turns them into HTTP answers, so the callers that are
not HTTP need not import FastAPI."""

from __future__ import annotations


class DuplicateScheduler(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"name: this client already has a scheduler named {name!r}")


class UnknownScheduler(LookupError):
    def __init__(self, scheduler_id: int) -> None:
        super().__init__(f"scheduler_id: no scheduler {scheduler_id} for this client")
        self.scheduler_id = scheduler_id
