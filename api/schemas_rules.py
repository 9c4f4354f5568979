"""The calling-rule fields of a scheduler body, as the OpenAPI document shows them (the
rules themselves are checked by models/rules/calling)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from models.rules import limits
from models.rules.calling import spec


class RetryRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pause_s: int | None = Field(None, ge=0, le=limits.INT32_MAX,
                                description="seconds; null: the task's try_again_pause")
    factor: float = Field(1, ge=1, le=100, description="the pause grows by this each time")
    max_pause_s: int | None = Field(None, ge=0, le=limits.INT32_MAX)
    spend_try: bool = Field(True, description="whether the try counts towards try_count")
    final: bool = Field(False, description="end the task at once")


class NumberCaps(BaseModel):
    model_config = ConfigDict(extra="forbid")
    per_24h: int | None = Field(None, ge=1, le=limits.INT32_MAX)
    per_local_day: int | None = Field(None, ge=1, le=limits.INT32_MAX)
    lifetime: int | None = Field(None, ge=1, le=limits.INT32_MAX)
    cooldown_after_rejected_s: int | None = Field(None, ge=1, le=limits.INT32_MAX)


RETRY_RULE_KEYS = ("a_busy", "a_no_answer", "a_rejected", "a_failed",
                   "b_busy", "b_no_answer", "b_rejected", "b_failed")


class RetryRules(BaseModel):
    """A rule for each outcome and leg; an outcome left out waits try_again_pause (a rule
    is an object: null is not one)."""

    model_config = ConfigDict(extra="forbid")
    a_busy: RetryRule | SkipJsonSchema[None] = None
    a_no_answer: RetryRule | SkipJsonSchema[None] = None
    a_rejected: RetryRule | SkipJsonSchema[None] = None
    a_failed: RetryRule | SkipJsonSchema[None] = None
    b_busy: RetryRule | SkipJsonSchema[None] = None
    b_no_answer: RetryRule | SkipJsonSchema[None] = None
    b_rejected: RetryRule | SkipJsonSchema[None] = None
    b_failed: RetryRule | SkipJsonSchema[None] = None


# A local wall-clock time, "HH:MM" or "HH:MM:SS"; "24:00" ends a day.
CLOCK_PATTERN = r"^(?:(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?|24:00(?::00)?)$"
ClockText = Annotated[str, Field(pattern=CLOCK_PATTERN)]
DayRanges = Annotated[list[Annotated[list[ClockText], Field(min_length=2, max_length=2)]],
                      Field(max_length=spec.MAX_RANGES_PER_DAY)]


class CallingWindows(BaseModel):
    """Ranges [start, end) per weekday, not overlapping, each starting before it ends."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})
    mon: DayRanges | None = None
    tue: DayRanges | None = None
    wed: DayRanges | None = None
    thu: DayRanges | None = None
    fri: DayRanges | None = None
    sat: DayRanges | None = None
    sun: DayRanges | None = None


class CallingRuleFields(BaseModel):
    """README "Calling rules": when and how often the B number may be dialled."""

    model_config = ConfigDict(extra="forbid")
    calling_windows: CallingWindows | None = Field(
        None, description='local times per weekday, {"mon": [["09:00", "12:00"]], ...}; a '
        "day left out is closed once any is given; null: always open")
    calling_window_preset: Literal["us_federal", "fr_consumer"] | None = Field(
        None, description="a fixed week instead of calling_windows (not both)")
    holidays_country: str | None = Field(None, pattern=r"^[A-Z]{2}$", description=(
        "ISO 3166 code the holidays library knows: closed on its public holidays"))
    skip_dates: list[Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]] | None = (
        Field(None, max_length=spec.MAX_SKIP_DATES, description="local dates closed all day"))
    default_timezone: str | None = Field(None, description="IANA zone of numbers of no known "
                                         "zone (UTC)")
    retry_rules: RetryRules | None = Field(
        None, description="by outcome: " + ", ".join(RETRY_RULE_KEYS))
    number_caps: NumberCaps | None = None
