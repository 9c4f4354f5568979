"""Bearer tokens, scopes, per-client rate limits, and tenant isolation."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import sqlalchemy as sa
from fastapi import Request

from api import access, rate_limit
from api.access import Scope
from api.errors import ApiError
from models import clock
from models.storage.repository import clients_repo

# Buckets kept per limiter before full ones are forgotten.
MAX_TRACKED_KEYS = 10_000


@dataclass(frozen=True)
class Principal:
    client_id: int
    scopes: frozenset[Scope]
    token_id: int | None = None

    def own(self, client_id: int) -> None:
        """Another client's rows do not exist for this token: 404, never their data."""
        if client_id != self.client_id:
            raise ApiError(404, f"client_id: client {client_id} not found")


class RateLimiter:
    """Token buckets by key (a client, a source address), in this API process's memory."""

    def __init__(self, rate_per_s: float, burst: int, what: str) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.what = what  # for the 429's message
        self._buckets: dict[Hashable, rate_limit.Bucket] = {}
        self._lock = threading.Lock()

    def check(self, key: Hashable) -> None:
        """Spend a token of ``key``'s bucket, or answer 429."""
        self._answer(key, rate_limit.take)

    def check_room(self, key: Hashable) -> None:
        """Answer 429 if ``key``'s bucket is empty, spending nothing."""
        self._answer(key, rate_limit.peek)

    def _answer(self, key: Hashable, rule: Callable[..., rate_limit.Verdict]) -> None:
        now_s = clock.monotonic_s()
        with self._lock:
            verdict = rule(self._buckets.get(key), now_s, self.rate_per_s, self.burst)
            self._buckets[key] = verdict.bucket
            if len(self._buckets) > MAX_TRACKED_KEYS:
                self._forget_full(now_s)
        if not verdict.allowed:
            retry_after = str(max(1, math.ceil(verdict.retry_after_s)))
            raise ApiError(429, f"too many {self.what}; slow down",
                           headers={"Retry-After": retry_after})

    def _forget_full(self, now_s: float) -> None:
        """Keep memory bounded under a flood from many keys: a full bucket is no memory."""
        self._buckets = {k: b for k, b in self._buckets.items()
                         if not rate_limit.is_full(b, now_s, self.rate_per_s, self.burst)}
        if len(self._buckets) > MAX_TRACKED_KEYS:
            self._buckets.clear()


def authenticate(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Authorization: a Bearer token is required",
                       headers={"WWW-Authenticate": "Bearer"})
    # A source that keeps guessing is refused before its guesses cost a database read.
    failures: RateLimiter = request.app.state.auth_failures
    source = request.client.host if request.client else "unknown"
    failures.check_room(source)
    engine: sa.Engine = request.app.state.engine
    with engine.connect() as conn:
        found = clients_repo.find_token(conn, access.hash_token(token.strip()), clock.now())
    if found is None:
        failures.check(source)
        raise ApiError(401, "Authorization: the token is not valid",
                       headers={"WWW-Authenticate": "Bearer"})
    limiter: RateLimiter = request.app.state.rate_limiter
    limiter.check(found.client_id)
    scopes = frozenset(Scope(s) for s in found.scopes.split(","))
    return Principal(found.client_id, scopes, found.id)


def require(scope: Scope) -> Callable[[Request], Principal]:
    def dependency(request: Request) -> Principal:
        principal = authenticate(request)
        if scope not in principal.scopes:
            raise ApiError(403, f"scope: this token lacks the {scope.value} scope")
        return principal

    return dependency
