"""Validation of the seed's RescheduleRecord body: pure, errors name field and rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from models.rules import limits, text
from models.rules.errors import FieldError, InvalidInput

CALLBACK_TYPES = ("Personal", "Campaign")
TEXT_RULE = (f"must be a non-empty string of at most {limits.RECORD_TEXT_CHARS_MAX} "
             "characters without control characters or lone surrogates")


def is_record_handle(record_handle: str) -> bool:
    """A record handle is a task's id: digits, 1 or more."""
    return text.is_ascii_digits(record_handle, limits.ID_DIGITS_MAX) and int(record_handle) >= 1


def reschedule(record_handle: str, raw: object) -> tuple[int, dict[str, Any]]:
    """The task id and the parameters to apply, or InvalidInput listing every broken rule."""
    errors: list[FieldError] = []
    if not is_record_handle(record_handle):
        errors.append(FieldError("record_handle", "must be a record (task) id"))
    if not isinstance(raw, Mapping):
        raise InvalidInput([*errors, FieldError("body", "must be a JSON object")])
    rules: dict[str, tuple[bool, str]] = {
        "operationName": (raw.get("operationName") == "RescheduleRecord",
                          "must be RescheduleRecord"),
        "applicationId": (_whole(raw.get("applicationId"), 0, limits.INT64_MAX),
                          "must be a whole number"),
        "campaignName": (_text(raw.get("campaignName")), TEXT_RULE),
        "callbackType": (raw.get("callbackType") in CALLBACK_TYPES,
                         "must be Personal or Campaign"),
        "timestamp": (_whole(raw.get("timestamp"), 0, limits.EPOCH_S_MAX),
                      "must be a time in epoch seconds"),
        "devicePath": (_text(raw.get("devicePath")), TEXT_RULE),
    }
    errors += [FieldError(field, rule) for field, (ok, rule) in rules.items() if not ok]
    if "referenceId" in raw and not _text(raw["referenceId"]):
        errors.append(FieldError("referenceId", TEXT_RULE))
    if errors:
        raise InvalidInput(errors)
    params = {k: raw[k] for k in (*rules, "referenceId") if k in raw}
    return int(record_handle), params


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _text(value: object) -> bool:
    return (isinstance(value, str) and 0 < len(value) <= limits.RECORD_TEXT_CHARS_MAX
            and not text.unsafe_text(value))
