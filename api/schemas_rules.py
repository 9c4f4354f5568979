"""The calling-rule fields of a scheduler body, as the OpenAPI document shows them (the
rules themselves are checked by models/rules/calling)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from models.rules import limits


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


class CallingRuleFields(BaseModel):
    """README "Calling rules": when and how often the B number may be dialled."""

    model_config = ConfigDict(extra="forbid")
    calling_windows: dict[str, list[list[str]]] | None = Field(
        None, description='local times per weekday, {"mon": [["09:00", "12:00"]], ...}; a '
        "day left out is closed once any is given; null: always open")
    calling_window_preset: str | None = Field(None, description="us_federal or fr_consumer")
    holidays_country: str | None = Field(None, description="ISO 3166 code: closed on its "
                                         "public holidays")
    skip_dates: list[str] | None = Field(None, description="local dates closed all day")
    default_timezone: str | None = Field(None, description="IANA zone of numbers of no known "
                                         "zone (UTC)")
    retry_rules: dict[str, RetryRule] | None = Field(
        None, description="by outcome: " + ", ".join(RETRY_RULE_KEYS))
    number_caps: NumberCaps | None = None
