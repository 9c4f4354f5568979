"""The token bucket and token/scope helpers: pure, with an injected clock."""

from __future__ import annotations

import pytest

from models import access, rate_limit
from models.access import Scope
from models.validation import InvalidInput


def test_a_full_bucket_allows_its_burst_then_refuses_with_the_wait() -> None:
    bucket = None
    allowed = []
    for _ in range(4):
        verdict = rate_limit.take(bucket, now_s=100.0, rate_per_s=2.0, burst=3)
        bucket = verdict.bucket
        allowed.append(verdict.allowed)
    assert allowed == [True, True, True, False]
    assert verdict.retry_after_s == pytest.approx(0.5)


def test_the_bucket_refills_at_its_rate_and_never_past_its_burst() -> None:
    empty = rate_limit.Bucket(tokens=0.0, updated_at_s=10.0)
    assert not rate_limit.take(empty, 10.4, rate_per_s=2.0, burst=3).allowed
    assert rate_limit.take(empty, 10.5, rate_per_s=2.0, burst=3).allowed
    later = rate_limit.take(empty, 1000.0, rate_per_s=2.0, burst=3)
    assert later.allowed and later.bucket.tokens == pytest.approx(2.0)


def test_a_clock_that_goes_back_adds_no_tokens() -> None:
    empty = rate_limit.Bucket(tokens=0.0, updated_at_s=10.0)
    assert not rate_limit.take(empty, 5.0, rate_per_s=100.0, burst=3).allowed


def test_scopes_parse_and_unknown_ones_are_named() -> None:
    assert access.parse_scopes("tasks:read, jobs:control") == {
        Scope.TASKS_READ, Scope.JOBS_CONTROL}
    with pytest.raises(InvalidInput, match="unknown scope tasks:delete"):
        access.parse_scopes("tasks:read,tasks:delete")
    with pytest.raises(InvalidInput, match="scopes"):
        access.parse_scopes(" , ")
    assert access.format_scopes(frozenset({Scope.TASKS_WRITE, Scope.EVENTS_READ})) == (
        "events:read,tasks:write")


def test_tokens_are_random_and_only_their_hash_is_kept() -> None:
    first, second = access.new_token(), access.new_token()
    assert first != second and first.startswith("rbk_") and len(first) > 40
    assert access.hash_token(first) == access.hash_token(first)
    assert len(access.hash_token(first)) == 64 and first not in access.hash_token(first)
