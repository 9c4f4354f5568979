"""The token bucket and token/scope helpers: pure, with an injected clock."""

from __future__ import annotations

import pytest

from api import access, rate_limit
from api.access import Scope
from models.rules.errors import InvalidInput


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


def test_peeking_spends_nothing_and_a_refilled_bucket_is_full() -> None:
    bucket = rate_limit.take(None, 100.0, rate_per_s=1.0, burst=2).bucket
    assert rate_limit.peek(bucket, 100.0, 1.0, 2).allowed
    assert rate_limit.peek(bucket, 100.0, 1.0, 2).bucket.tokens == pytest.approx(1.0)
    empty = rate_limit.Bucket(tokens=0.5, updated_at_s=100.0)
    assert not rate_limit.peek(empty, 100.0, 1.0, 2).allowed
    assert not rate_limit.is_full(empty, 101.0, 1.0, 2)
    assert rate_limit.is_full(empty, 101.5, 1.0, 2)


@pytest.mark.parametrize(("text", "seconds"), [
    ("3600", 3600), ("3600s", 3600), ("90m", 5400), ("12h", 43200), ("30d", 2592000)])
def test_durations_for_token_expiry(text: str, seconds: int) -> None:
    assert access.parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "0", "-5", "1.5h", "²d", "12w", "h"])
def test_bad_durations_name_the_field(text: str) -> None:
    with pytest.raises(InvalidInput, match="expires_in"):
        access.parse_duration(text)
