"""A token bucket: pure, the caller passes ``now`` (monotonic seconds) and keeps the state."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bucket:
    tokens: float
    updated_at_s: float


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    bucket: Bucket
    retry_after_s: float = 0.0


def take(bucket: Bucket | None, now_s: float, rate_per_s: float, burst: int) -> Verdict:
    """Spend one token if there is one; otherwise say how long until there will be."""
    verdict = peek(bucket, now_s, rate_per_s, burst)
    if verdict.allowed:
        return Verdict(True, Bucket(verdict.bucket.tokens - 1.0, now_s))
    return verdict


def peek(bucket: Bucket | None, now_s: float, rate_per_s: float, burst: int) -> Verdict:
    """Whether a token could be spent now, spending none."""
    if bucket is None:
        bucket = Bucket(tokens=float(burst), updated_at_s=now_s)
    elapsed_s = max(0.0, now_s - bucket.updated_at_s)
    tokens = min(float(burst), bucket.tokens + elapsed_s * rate_per_s)
    if tokens >= 1.0:
        return Verdict(True, Bucket(tokens, now_s))
    return Verdict(False, Bucket(tokens, now_s), retry_after_s=(1.0 - tokens) / rate_per_s)


def is_full(bucket: Bucket, now_s: float, rate_per_s: float, burst: int) -> bool:
    """Refilled to ``burst`` by now: forgetting it changes nothing."""
    return bucket.tokens + (now_s - bucket.updated_at_s) * rate_per_s >= burst
