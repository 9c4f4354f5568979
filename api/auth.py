"""Bearer tokens, scopes, per-client rate limits, and tenant isolation."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from fastapi import Request

from api.errors import ApiError
from models import access, clock, rate_limit
from models.access import Scope
from models.repository import access_repo


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
    """Per-client token buckets, in this API process's memory."""

    def __init__(self, rate_per_s: float, burst: int) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._buckets: dict[int, rate_limit.Bucket] = {}
        self._lock = threading.Lock()

    def check(self, client_id: int) -> None:
        with self._lock:
            verdict = rate_limit.take(
                self._buckets.get(client_id), clock.monotonic_s(), self.rate_per_s, self.burst
            )
            self._buckets[client_id] = verdict.bucket
        if not verdict.allowed:
            retry_after = str(max(1, math.ceil(verdict.retry_after_s)))
            raise ApiError(429, "too many requests for this client; slow down",
                           headers={"Retry-After": retry_after})


def authenticate(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Authorization: a Bearer token is required",
                       headers={"WWW-Authenticate": "Bearer"})
    engine: sa.Engine = request.app.state.engine
    with engine.connect() as conn:
        found = access_repo.find_token(conn, access.hash_token(token.strip()))
    if found is None:
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
