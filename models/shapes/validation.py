"""Validation of tasks as a client sends them: pure, every error names its field and rule."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from models.rules import limits, text, timefmt
from models.rules.calling import localtime
from models.rules.errors import FieldError, InvalidInput

# Matched whole (fullmatch): a `$` would also match before a final newline.
PHONE_NUMBER = re.compile(r"\+?[0-9]{3,20}")
PHONE_RULE = "must be a phone number: 3 to 20 digits with an optional leading +"
DEFAULT_TRY_COUNT = 1
DEFAULT_TRY_AGAIN_PAUSE_S = 60
URL_FIELDS = ("url_before", "url_before_again", "url_success", "url_after")
TASK_FIELDS = frozenset(
    {"name", "a_number", "b_number", "extension_id", "try_count", "try_again_pause",
     "start_time_utc", "callback_params", *URL_FIELDS}
)
# `timezone`: the called party's IANA zone, for the calling windows (else the number's).
CALLBACK_PARAM_FIELDS = frozenset({"caller_id_name", "caller_id_number", "extended_a_numbers",
                                   "timezone"})


@dataclass(frozen=True, slots=True)
class DialNumbers:
    """A task's numbers as every rule reads them and the trunk dials them (read once, at
    intake: models.shapes.task_numbers)."""

    b: str  # E.164
    a: tuple[str, ...]  # a_number, then extended_a_numbers: E.164, or PBX extensions


@dataclass(frozen=True)
class NewTask:
    a_number: str
    b_number: str
    name: str | None = None
    extension_id: int | None = None
    try_count: int = DEFAULT_TRY_COUNT
    try_again_pause: int = DEFAULT_TRY_AGAIN_PAUSE_S
    start_time_utc: datetime | None = None
    url_before: str | None = None
    url_before_again: str | None = None
    url_success: str | None = None
    url_after: str | None = None
    callback_params: dict[str, Any] | None = None
    dial: DialNumbers | None = None  # set by task_numbers once the scheduler is known


def validate_tasks(raw_tasks: object, max_tasks: int, prefix: str = "tasks") -> list[NewTask]:
    """Every task of a request, or InvalidInput listing every broken rule."""
    valid, errors = validate_each(raw_tasks, max_tasks, prefix)
    if errors:
        raise InvalidInput([error for index in sorted(errors) for error in errors[index]])
    return [valid[index] for index in sorted(valid)]


def validate_each(raw_tasks: object, max_tasks: int, prefix: str = "tasks"
                  ) -> tuple[dict[int, NewTask], dict[int, list[FieldError]]]:
    """Each task of a request by its index: valid, or the rules it breaks. InvalidInput
    when the request is no array of tasks at all."""
    if not isinstance(raw_tasks, list):
        raise InvalidInput([FieldError(prefix, "must be an array of tasks")])
    if not raw_tasks:
        raise InvalidInput([FieldError(prefix, "must contain one or more tasks")])
    if len(raw_tasks) > max_tasks:
        raise InvalidInput([FieldError(prefix, f"must contain at most {max_tasks} tasks")])
    errors: dict[int, list[FieldError]] = {}
    valid: dict[int, NewTask] = {}
    for index, raw in enumerate(raw_tasks):
        checker = _TaskChecker(prefix, index)
        task = checker.check(raw)
        if checker.errors:
            errors[index] = checker.errors
        elif task is not None:
            valid[index] = task
    return valid, errors


class _TaskChecker:
    def __init__(self, prefix: str, index: int) -> None:
        self.prefix = prefix
        self.index = index
        self.errors: list[FieldError] = []

    @property
    def path(self) -> str:
        # Built only for an error: a request may carry 100,000 valid tasks.
        return f"{self.prefix}[{self.index}]"

    def fail(self, field: str, rule: str) -> None:
        self.errors.append(FieldError(f"{self.path}.{field}", rule))

    def check(self, raw: object) -> NewTask | None:
        if not isinstance(raw, Mapping):
            self.errors.append(FieldError(self.path, "must be an object"))
            return None
        if not raw.keys() <= TASK_FIELDS:
            for unknown in sorted(set(raw) - TASK_FIELDS):
                self.fail(text.field_name(unknown), "is not a known task field")
        fields: dict[str, Any] = {
            "a_number": self.phone(raw, "a_number", required=True),
            "b_number": self.phone(raw, "b_number", required=True),
            "name": self.text(raw, "name", limits.NAME_CHARS_MAX),
            "extension_id": self.integer(raw, "extension_id", 1, limits.INT32_MAX, None),
            "try_count": self.integer(raw, "try_count", 1, limits.TRY_COUNT_MAX,
                                      DEFAULT_TRY_COUNT),
            "try_again_pause": self.integer(
                raw, "try_again_pause", 0, limits.INT32_MAX, DEFAULT_TRY_AGAIN_PAUSE_S,
                numeric_text=True,
            ),
            "start_time_utc": self.start_time(raw),
            "callback_params": self.callback_params(raw),
        }
        for url_field in URL_FIELDS:
            fields[url_field] = self.url(raw, url_field)
        return None if self.errors else NewTask(**fields)

    def phone(self, raw: Mapping[str, Any], field: str, *, required: bool,
              within: str = "") -> str | None:
        """``within`` names the object ``raw`` is (``callback_params.``) in an error."""
        value = raw.get(field)
        if value is None:
            if required:
                self.fail(within + field, "is required")
            return None
        if not is_phone_number(value):
            self.fail(within + field, PHONE_RULE)
            return None
        return str(value)

    def text(self, raw: Mapping[str, Any], field: str, max_length: int,
             within: str = "") -> str | None:
        value = raw.get(field)
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > max_length:
            self.fail(within + field, f"must be a string of at most {max_length} characters")
            return None
        if text.unsafe_text(value):
            self.fail(within + field, text.NO_CONTROL_RULE)
            return None
        return value

    def integer(
        self,
        raw: Mapping[str, Any],
        field: str,
        low: int,
        high: int,
        default: int | None,
        *,
        numeric_text: bool = False,
    ) -> int | None:
        value = raw.get(field)
        if value is None:
            return default
        if numeric_text and isinstance(value, str) and text.is_ascii_digits(
                value, limits.INT32_DIGITS):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(field, f"must be a whole number from {low} to {high}")
            return None
        return value

    def start_time(self, raw: Mapping[str, Any]) -> datetime | None:
        value = raw.get("start_time_utc")
        if value is None:
            return None
        try:
            if isinstance(value, str):
                return timefmt.parse(value)
        except ValueError:
            pass
        self.fail("start_time_utc", "must be a UTC time in the format YYYY-MM-DD HH:MM:SS")
        return None

    def url(self, raw: Mapping[str, Any], field: str) -> str | None:
        value = raw.get(field)
        if value is None or value == "":
            return None
        try:
            parts = urlsplit(value) if isinstance(value, str) else None
            _ = parts.port if parts is not None else None  # a port out of range raises
        except ValueError:  # e.g. an unclosed IPv6 bracket, port 99999
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            self.fail(field, "must be an http or https URL")
            return None
        rule = _url_problem(str(value), parts.hostname, bool(parts.username or parts.password))
        if rule is not None:
            self.fail(field, rule)
            return None
        return str(value)

    def callback_params(self, raw: Mapping[str, Any]) -> dict[str, Any] | None:
        value = raw.get("callback_params")
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.fail("callback_params", "must be an object")
            return None
        for unknown in sorted(set(value) - CALLBACK_PARAM_FIELDS):
            self.fail(f"callback_params.{text.field_name(unknown)}",
                      "is not a known callback parameter")
        name = self.text(value, "caller_id_name", limits.CALLER_ID_NAME_CHARS_MAX,
                         "callback_params.")
        if name is not None and text.has_format_characters(name):  # shown to the called
            self.fail("callback_params.caller_id_name", text.NO_FORMAT_RULE)
        self.phone(value, "caller_id_number", required=False, within="callback_params.")
        self.extended_a_numbers(value.get("extended_a_numbers"), raw.get("a_number"))
        zone = value.get("timezone")
        if zone is not None and (problem := localtime.timezone_problem(zone)) is not None:
            self.fail("callback_params.timezone", problem)
        return dict(value)

    def extended_a_numbers(self, value: object, a_number: object) -> None:
        field = "callback_params.extended_a_numbers"
        if value is None:
            return
        if not isinstance(value, list) or len(value) > limits.EXTENDED_A_NUMBERS_MAX:
            self.fail(field, f"must be a list of at most {limits.EXTENDED_A_NUMBERS_MAX} "
                             "phone numbers")
            return
        seen = {a_number} if isinstance(a_number, str) else set()
        for index, number in enumerate(value):
            if not is_phone_number(number):
                self.fail(f"{field}[{index}]", PHONE_RULE)
            elif number in seen:
                # Each A number is rung once per try: a repeat would ring the same phone twice.
                self.fail(f"{field}[{index}]", "must not repeat a_number or another entry")
            else:
                seen.add(number)


def is_phone_number(value: object) -> bool:
    return isinstance(value, str) and PHONE_NUMBER.fullmatch(value) is not None


def _url_problem(url: str, host: str, has_credentials: bool) -> str | None:
    if has_credentials:
        return "must not carry credentials"
    if len(url) > limits.URL_CHARS_MAX:
        return f"must be at most {limits.URL_CHARS_MAX} characters"
    if text.unsafe_text(url) or " " in url:
        return "must not contain spaces, control characters or lone surrogates"
    return text.host_name_problem(host)
