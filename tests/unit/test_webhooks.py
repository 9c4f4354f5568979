"""Signing after the Standard Webhooks convention, and the delivery retry policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.rules import webhooks
from models.rules.webhooks import RetryPolicy, Verdict

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)


def test_signature_matches_the_standard_webhooks_reference_vector() -> None:
    # The example from the Standard Webhooks specification's reference libraries.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    sig = webhooks.signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                             b'{"test": 2432232314}')
    assert sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_receiver_verifies_any_one_of_several_signatures_and_refuses_old_ones() -> None:
    old, new = webhooks.new_secret(), webhooks.new_secret()
    body = b'{"type":"after"}'
    headers = {"webhook-id": "evt_1", "webhook-timestamp": "1000",
               "webhook-signature": webhooks.signature_header([new, old], "evt_1", 1000, body)}
    assert webhooks.verify(old, headers, body, now_s=1000)
    assert webhooks.verify(new, headers, body, now_s=1100)
    assert not webhooks.verify(webhooks.new_secret(), headers, body, now_s=1000)
    assert not webhooks.verify(new, headers, body + b" ", now_s=1000)
    assert not webhooks.verify(new, headers, body, now_s=1000 + 301)


@pytest.mark.parametrize("status", [200, 201, 204, 299])
def test_any_2xx_is_delivered(status: int) -> None:
    outcome = webhooks.after_response(status, 1, NOW, RetryPolicy(), 0.5)
    assert outcome == webhooks.Next(Verdict.DELIVERED)


@pytest.mark.parametrize("status", [None, 301, 302, 400, 404, 429, 500, 503])
def test_redirects_errors_and_silence_are_retried_with_backoff(status: int | None) -> None:
    policy = RetryPolicy(base_s=5, cap_s=3600, max_attempts=20)
    first = webhooks.after_response(status, 1, NOW, policy, jitter=0.5)
    fourth = webhooks.after_response(status, 4, NOW, policy, jitter=0.5)
    assert first == webhooks.Next(Verdict.RETRY, NOW + timedelta(seconds=5))
    assert fourth == webhooks.Next(Verdict.RETRY, NOW + timedelta(seconds=40))


def test_jitter_spreads_the_delay_and_the_cap_bounds_it() -> None:
    policy = RetryPolicy(base_s=5, cap_s=60, max_attempts=50)
    low = webhooks.after_response(500, 1, NOW, policy, jitter=0.0).retry_at
    high = webhooks.after_response(500, 1, NOW, policy, jitter=0.999).retry_at
    assert low == NOW + timedelta(seconds=2.5)
    assert high is not None and high < NOW + timedelta(seconds=7.5)
    capped = webhooks.after_response(500, 30, NOW, policy, jitter=0.5).retry_at
    assert capped == NOW + timedelta(seconds=60)


def test_410_stops_and_the_last_attempt_gives_up() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert webhooks.after_response(410, 1, NOW, policy, 0.5).verdict is Verdict.GONE
    assert webhooks.after_response(500, 3, NOW, policy, 0.5).verdict is Verdict.GIVE_UP
    assert webhooks.after_response(500, 2, NOW, policy, 0.5).verdict is Verdict.RETRY


def test_retry_after_is_honoured_when_longer_than_the_backoff() -> None:
    policy = RetryPolicy(base_s=1, cap_s=3600)
    outcome = webhooks.after_response(503, 1, NOW, policy, 0.5, retry_after_s=120)
    assert outcome.retry_at == NOW + timedelta(seconds=120)
    short = webhooks.after_response(503, 1, NOW, policy, 0.5, retry_after_s=0.1)
    assert short.retry_at == NOW + timedelta(seconds=1)


def test_retry_after_header_forms() -> None:
    assert webhooks.parse_retry_after("30", NOW) == 30.0
    assert webhooks.parse_retry_after("Sun, 22 Nov 2026 12:01:00 GMT", NOW) == 60.0
    assert webhooks.parse_retry_after("soon", NOW) is None
    assert webhooks.parse_retry_after(None, NOW) is None
