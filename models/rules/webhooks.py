"""Webhook signing (Standard Webhooks) and the delivery retry policy. Pure."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


class DeliveryStatus(StrEnum):
    NONE = "none"  # the task gave no URL for this event: nothing to send
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # retries used up, or the URL was refused
    GONE = "gone"  # the receiver answered 410: never retried


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(
    secrets_in_use: Sequence[str], message_id: str, timestamp: int, body: bytes
) -> str:
    """One signature per secret in use, space separated, so a rotation breaks no receiver."""
    return " ".join(signature(s, message_id, timestamp, body) for s in secrets_in_use)


def verify(
    secret: str, headers: dict[str, str], body: bytes, now_s: int, tolerance_s: int = 300
) -> bool:
    """What a receiver does: any one matching signature, and a timestamp not too old."""
    message_id = headers["webhook-id"]
    timestamp = int(headers["webhook-timestamp"])
    if abs(now_s - timestamp) > tolerance_s:
        return False
    expected = signature(secret, message_id, timestamp, body)
    return any(hmac.compare_digest(expected, given)
               for given in headers["webhook-signature"].split())


@dataclass(frozen=True)
class RetryPolicy:
    base_s: float = 5.0
    cap_s: float = 3600.0
    max_attempts: int = 20  # 5 s doubling to an hour: about ten hours in all


class Verdict(StrEnum):
    DELIVERED = "delivered"
    GONE = "gone"
    RETRY = "retry"
    GIVE_UP = "give_up"


@dataclass(frozen=True)
class Next:
    verdict: Verdict
    retry_at: datetime | None = None


def after_response(
    status_code: int | None, attempt_no: int, now: datetime, policy: RetryPolicy,
    jitter: float, retry_after_s: float | None = None,
) -> Next:
    """What follows attempt ``attempt_no`` (None: no response). ``jitter`` is from [0, 1)."""
    if status_code is not None and 200 <= status_code < 300:
        return Next(Verdict.DELIVERED)
    if status_code == 410:
        return Next(Verdict.GONE)
    if attempt_no >= policy.max_attempts:
        return Next(Verdict.GIVE_UP)
    backoff_s = min(policy.cap_s, policy.base_s * 2 ** (attempt_no - 1))
    delay_s = backoff_s * (0.5 + jitter)  # "full jitter" around the backoff
    if retry_after_s is not None:
        delay_s = max(delay_s, min(retry_after_s, policy.cap_s))
    return Next(Verdict.RETRY, now + timedelta(seconds=delay_s))


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds()) if when.tzinfo else None
