"""The Idempotency-Key header on adding tasks (the Stripe convention): the same key and the
same request within a day get the first answer again and store nothing new; the same key
with another request is refused, naming the key. Keys are per client. A request refused
(400, 404) keeps nothing: sent again with its key, it runs again."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from models.rules import limits
from models.rules.errors import FieldError, InvalidInput
from models.storage.repository import idempotency_repo

HEADER = "Idempotency-Key"
# Visible ASCII: a UUID, a hash, or a client's own scheme; never white space or controls.
KEY_PATTERN = rf"^[\x21-\x7e]{{1,{limits.IDEMPOTENCY_KEY_CHARS_MAX}}}$"
_KEY = re.compile(KEY_PATTERN)
KEY_RULE = (f"must be 1 to {limits.IDEMPOTENCY_KEY_CHARS_MAX} visible ASCII characters "
            "(a UUID, say)")
KEPT = timedelta(seconds=limits.IDEMPOTENCY_KEPT_S)
CREATED = 201  # the status a stored answer is given with


class KeyReused(ValueError):
    """409: the key was used with another request within the day."""

    def __init__(self, key: str) -> None:
        self.field = HEADER
        self.rule = (f"{key!r} was used with another request in the last "
                     f"{limits.IDEMPOTENCY_KEPT_S // 3600} h: send a new key for a new request")
        super().__init__(f"{self.field}: {self.rule}")


@dataclass(frozen=True)
class IdempotencyKey:
    key: str
    request_hash: str  # of what the request asks: its path, its options and its body


def parse(header: str | None, path: str, options: Mapping[str, str],
          body: object) -> IdempotencyKey | None:
    """None without the header; InvalidInput naming it when it is malformed."""
    if header is None:
        return None
    if _KEY.fullmatch(header) is None:
        raise InvalidInput([FieldError(HEADER, KEY_RULE)])
    asked = json.dumps({"path": path, "options": dict(sorted(options.items())), "body": body},
                       sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return IdempotencyKey(header, hashlib.sha256(asked.encode()).hexdigest())


def claim(conn: sa.Connection, client_id: int, key: IdempotencyKey,
          now: datetime) -> dict[str, Any] | None:
    """None: this request goes ahead (and must ``record`` its answer); else the first
    answer, to give again. KeyReused when the key came with another request."""
    first = idempotency_repo.claim(conn, client_id, key.key, key.request_hash, now, now - KEPT)
    if first is None:
        return None
    if first.request_hash != key.request_hash or first.response is None:
        raise KeyReused(key.key)
    answer: dict[str, Any] = json.loads(first.response)
    return answer


def record(conn: sa.Connection, client_id: int, key: IdempotencyKey,
           answer: Mapping[str, Any]) -> None:
    idempotency_repo.record_answer(conn, client_id, key.key, CREATED,
                                   json.dumps(answer, separators=(",", ":")))
